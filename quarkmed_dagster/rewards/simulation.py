"""A simulated sequence of policy checkpoints, to show how TADW weights move.

Normalized rewards are drawn per checkpoint k = 0..K-1 (seeded): every dimension starts
at the reference (mean 0) and improves towards its target, except

- the *weakening* dimension, whose mean falls steadily (reward hacking elsewhere, say), and
- the *redundant* dimension, which becomes ever more correlated with its *twin*
  (correlation 0 -> ~0.98), i.e. it stops adding information.

Expected: the weakening dimension's weight rises, the redundant one's falls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quarkmed_dagster.rewards.matrix import AlignmentMatrix
from quarkmed_dagster.rewards.weighting import WeightStep, tri_factor_weights


@dataclass(frozen=True)
class SimulationSpec:
    weakening: str = "evidence_support"
    redundant: str = "information_quality"
    twin: str = "essential_coverage"
    checkpoints: int = 8
    batch_size: int = 256
    seed: int = 7
    smoothing: float = 0.0

    def fits(self, matrix: AlignmentMatrix) -> bool:
        """Whether ``matrix`` has the weakening, redundant and twin dimensions (a custom
        matrix may not: then there is nothing to simulate)."""
        return {self.weakening, self.redundant, self.twin} <= set(matrix.names)


def simulate_batches(matrix: AlignmentMatrix, spec: SimulationSpec) -> list[list[dict[str, float]]]:
    rng = np.random.default_rng(spec.seed)
    names = list(matrix.names)
    batches = []
    last = max(spec.checkpoints - 1, 1)
    for k in range(spec.checkpoints):
        progress = k / last
        noise = rng.standard_normal((spec.batch_size, len(names)))
        rho = 0.98 * progress
        twin, red = names.index(spec.twin), names.index(spec.redundant)
        noise[:, red] = rho * noise[:, twin] + np.sqrt(1 - rho**2) * noise[:, red]
        means = np.array([d.target * progress for d in matrix.dimensions])
        means[names.index(spec.weakening)] = -1.5 * progress
        data = means + 0.6 * noise
        batches.append([dict(zip(names, row.tolist(), strict=True)) for row in data])
    return batches


def simulate_steps(
    matrix: AlignmentMatrix, spec: SimulationSpec | None = None
) -> list[tuple[str, WeightStep]]:
    """One TADW step per simulated checkpoint, labelled ``ckpt-<k>``."""
    spec = spec or SimulationSpec()
    steps: list[tuple[str, WeightStep]] = []
    previous: dict[str, float] | None = None
    for k, batch in enumerate(simulate_batches(matrix, spec)):
        step = tri_factor_weights(matrix, batch, previous=previous, smoothing=spec.smoothing)
        steps.append((f"ckpt-{k}", step))
        previous = step.weights
    return steps
