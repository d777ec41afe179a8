"""Reward-stage throughput: format checks, raw vectors, normalization, TADW steps.

Run: .venv/bin/python benchmarks/bench_rewards.py  (prints figures; no model calls)
"""

from __future__ import annotations

import random
import time

from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import fit_reference, normalize
from quarkmed_dagster.rewards.simulation import SimulationSpec, simulate_batches
from quarkmed_dagster.rewards.vector import RubricItem, raw_vector
from quarkmed_dagster.rewards.weighting import aggregate, tri_factor_weights

TIERS = ["Essential", "Essential", "Important", "Highlight", "Pitfall"]
TAGS = ["Safety", "Information Quality", "Evidence Support", "Readability", "Humanistic Care"]
SENTENCE = "Warfarin raises the bleeding risk of ibuprofen [1], so paracetamol is safer [2]. "


def main() -> None:
    rng = random.Random(0)
    matrix = default_matrix()
    n = 5_000
    responses = [SENTENCE * rng.randint(1, 30) for _ in range(n)]
    items = [RubricItem(f"i{k}", TIERS[k % 5], TAGS[k % 5], 1.0 + k % 2) for k in range(10)]
    levels = [{f"i{k}": rng.choice([0.0, 0.5, 1.0, None]) for k in range(10)} for _ in range(n)]

    t0 = time.perf_counter()
    raws = [
        raw_vector(matrix, "Can I take ibuprofen?", r, items, lv)
        for r, lv in zip(responses, levels, strict=True)
    ]
    t_raw = time.perf_counter() - t0
    samples = {d: [r.values[d] for r in raws] for d in matrix.names}
    t0 = time.perf_counter()
    stats = fit_reference(samples, "bench", "bench", matrix.version)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    zs = [normalize(stats, r.values) for r in raws]
    t_norm = time.perf_counter() - t0

    spec = SimulationSpec(checkpoints=20, batch_size=256)
    batches = simulate_batches(matrix, spec)
    t0 = time.perf_counter()
    for batch in batches:
        step = tri_factor_weights(matrix, batch)
    t_step = (time.perf_counter() - t0) / len(batches)
    t0 = time.perf_counter()
    for raw, z in zip(raws, zs, strict=True):
        aggregate(matrix, z, step.weights, raw.major_pitfalls, raw.minor_pitfalls)
    t_agg = time.perf_counter() - t0

    print(f"responses: {n}, dimensions: {len(matrix.names)}, rubric items per response: 10")
    print(f"raw vectors (format checks + rubric): {n / t_raw:,.0f} responses/s")
    print(f"fit reference stats: {t_fit * 1000:.1f} ms for {n} rollouts")
    print(f"normalize: {n / t_norm:,.0f} vectors/s")
    print(f"TADW step (batch 256 x {len(matrix.names)} dims): {t_step * 1000:.1f} ms")
    print(f"aggregate + gates: {n / t_agg:,.0f} responses/s")


if __name__ == "__main__":
    main()
