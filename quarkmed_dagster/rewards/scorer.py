"""RewardScorer: one object that turns (prompt, completion[, query_id]) into a reward.

It combines the pieces: raw vector (rubric verdicts from a grader, format checks, user
feedback) -> Reference-Frozen Normalization -> Tri-Factor weights -> aggregate -> safety
gates. The grader and the rubric lookup are injected callables, so the same scorer serves
trainer adapters, the HTTP service and tests; the real ones (warehouse rubrics, gateway
judges) are built in :mod:`quarkmed_dagster.rewards.wiring`. A completion scored online has
no stored response, so it has no user feedback: its feedback dimensions are missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quarkmed_dagster.rewards.matrix import AlignmentMatrix
from quarkmed_dagster.rewards.normalization import NormalizationStats, check_fits, normalize
from quarkmed_dagster.rewards.vector import RawVector, RubricItem, raw_vector
from quarkmed_dagster.rewards.weighting import aggregate, tri_factor_weights

# grade([(query_id, completion), ...]) -> one {item_id: level or None (failed judgment)}
# per pair, in order; a batch is graded together so its judge calls run concurrently.
Grader = Callable[[Sequence[tuple[str, str]]], list[Mapping[str, float | None]]]
RubricLookup = Callable[[str], Sequence[RubricItem]]


@dataclass(frozen=True)
class RewardRequest:
    prompt: Any
    completion: Any
    query_id: str | None = None


def message_text(value: Any, role: str | None = None) -> str:
    """Text of a prompt/completion given as a string or a chat message list.

    For a list, the last message (of ``role`` if given) is used; TRL passes conversational
    completions as ``[{"role": "assistant", "content": ...}]``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("content") or "")
    if isinstance(value, Sequence):
        messages = [m for m in value if isinstance(m, Mapping)]
        if role is not None:
            messages = [m for m in messages if m.get("role") == role] or messages
        return str(messages[-1].get("content") or "") if messages else ""
    raise TypeError(f"unsupported prompt/completion type {type(value).__name__}")


class RewardScorer:
    """Scores completions; optionally adapts the weights on every batch (one TADW step)."""

    def __init__(
        self,
        matrix: AlignmentMatrix,
        stats: NormalizationStats,
        grader: Grader | None = None,
        rubric_lookup: RubricLookup | None = None,
        weights: Mapping[str, float] | None = None,
        adaptive: bool = False,
        smoothing: float = 0.5,
    ) -> None:
        check_fits(stats, matrix.version, matrix.names)
        self.matrix = matrix
        self.stats = stats
        self.grader = grader
        self.rubric_lookup = rubric_lookup
        self.adaptive = adaptive
        self.smoothing = smoothing
        self.weights = dict(weights) if weights else tri_factor_weights(matrix, []).weights
        self.step = 0
        self._lock = threading.Lock()

    def _vectors(
        self, requests: Sequence[RewardRequest]
    ) -> list[tuple[RawVector, dict[str, float | None]]]:
        texts = [
            (message_text(r.prompt, role="user"), message_text(r.completion, role="assistant"))
            for r in requests
        ]
        items: list[Sequence[RubricItem]] = [
            self.rubric_lookup(r.query_id)
            if r.query_id is not None and self.rubric_lookup is not None
            else ()
            for r in requests
        ]
        graded = [i for i, found in enumerate(items) if found]
        levels: dict[int, Mapping[str, float | None]] = {}
        if graded and self.grader is not None:
            pairs = [(str(requests[i].query_id), texts[i][1]) for i in graded]
            levels = dict(zip(graded, self.grader(pairs), strict=True))
        out = []
        for i in range(len(requests)):
            query, response = texts[i]
            raw = raw_vector(self.matrix, query, response, items[i], levels.get(i, {}))
            out.append((raw, normalize(self.stats, raw.values)))
        return out

    def score_batch(self, requests: Sequence[RewardRequest]) -> list[dict[str, Any]]:
        vectors = self._vectors(requests)
        with self._lock:
            if self.adaptive and vectors:
                step = tri_factor_weights(
                    self.matrix,
                    [z for _, z in vectors],
                    previous=self.weights,
                    smoothing=self.smoothing if self.step else 0.0,
                )
                self.weights = step.weights
                self.step += 1
            weights = dict(self.weights)
        out = []
        for raw, z in vectors:
            agg = aggregate(self.matrix, z, weights, raw.major_pitfalls, raw.minor_pitfalls)
            out.append(
                {
                    "reward": agg.reward,
                    "ungated_reward": agg.ungated,
                    "gated": agg.gated,
                    "gate_reason": agg.gate_reason,
                    "vector": z,
                    "raw_vector": raw.values,
                    "weights": weights,
                    "breakdown": {
                        name: {
                            "category": self.matrix.dimension(name).category,
                            "raw": raw.values[name],
                            "normalized": z[name],
                            "weight": weights[name],
                            "contribution": agg.contributions.get(name),
                            "sources": raw.sources.get(name, []),
                        }
                        for name in self.matrix.names
                    },
                    "stats_version": self.stats.version,
                    "stats_hash": self.stats.content_hash,
                }
            )
        return out

    def score(self, prompt: Any, completion: Any, query_id: str | None = None) -> dict[str, Any]:
        return self.score_batch([RewardRequest(prompt, completion, query_id)])[0]
