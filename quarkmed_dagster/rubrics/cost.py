"""Cost guard: how many calls a rubric run will make, by role and model, before it starts.

Generation and extraction counts are exact; verification depends on how many clusters pass
consensus, so it is estimated from an expected number of kept clusters per query (and the
optional equivalence check from an expected number of near cluster pairs); the
regeneration round and repairs are upper bounds scaled by expected rates.
"""

from __future__ import annotations

from collections import Counter

from quarkmed_dagster.rubrics.config import RubricConfig


def planned_calls(
    n_queries: int,
    config: RubricConfig,
    expected_clusters: int = 12,
    regeneration_rate: float = 0.2,
    repair_rate: float = 0.2,
    expected_near_pairs: int = 3,
) -> Counter[tuple[str, str]]:
    """Expected calls per (role, model) for ``n_queries`` queries (rounded up)."""
    models, params = config.models, config.params
    rounds = 1.0 + regeneration_rate
    calls: Counter[tuple[str, str]] = Counter()
    per_generator = n_queries * len(params.personas) * params.samples * rounds
    for generator in models.generators:
        calls[("generators", generator)] += round(per_generator + 0.499)
    for aggregator in models.aggregators:
        calls[("aggregators", aggregator)] += round(n_queries * rounds + 0.499)
    for verifier in models.verifiers:
        calls[("verifiers", verifier)] += round(n_queries * expected_clusters * rounds + 0.499)
    if models.equivalence is not None:
        near = n_queries * expected_near_pairs * rounds
        calls[("equivalence", models.equivalence)] += round(near + 0.499)
    calls[("rubric_writer", models.rubric_writer)] += round(n_queries * (1 + repair_rate) + 0.499)
    return calls
