"""Batch computation over warehouse frames: raw vectors, normalized long frames, weights.

Inputs are plain Polars frames read by the asset layer:
responses (response_id, query_id, candidate_model, response_text, final_user_turn),
verdicts (response_id, item_id, level, tier, tag, weight, title),
feedback (response_id, rating, thumbs, complaint_rate) — any may be empty.
"""

from __future__ import annotations

import json
from collections import defaultdict

import polars as pl

from quarkmed_dagster.rewards.matrix import AlignmentMatrix
from quarkmed_dagster.rewards.normalization import NormalizationStats, normalize
from quarkmed_dagster.rewards.vector import Feedback, RawVector, RubricItem, raw_vector
from quarkmed_dagster.rewards.weighting import WeightStep, aggregate, tri_factor_weights

VECTOR_SCHEMA = {
    "response_id": pl.Utf8,
    "query_id": pl.Utf8,
    "candidate_model": pl.Utf8,
    "dimension": pl.Utf8,
    "category": pl.Utf8,
    "raw_value": pl.Float64,
    "normalized_value": pl.Float64,
    "sources": pl.Utf8,
    "stats_version": pl.Utf8,
}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def compute_raw_vectors(
    matrix: AlignmentMatrix,
    responses: pl.DataFrame,
    verdicts: pl.DataFrame,
    feedback: pl.DataFrame | None = None,
) -> dict[str, RawVector]:
    """Raw reward vector per response_id (failed verdicts stay missing)."""
    items: dict[str, list[RubricItem]] = defaultdict(list)
    levels: dict[str, dict[str, float | None]] = defaultdict(dict)
    for row in verdicts.iter_rows(named=True):
        rid = row["response_id"]
        items[rid].append(
            RubricItem(
                row["item_id"],
                row["tier"],
                row["tag"],
                float(row["weight"] or 1.0),
                row.get("title") or "",
            )
        )
        levels[rid][row["item_id"]] = _float(row["level"])
    fb: dict[str, Feedback] = {}
    if feedback is not None:
        for row in feedback.iter_rows(named=True):
            fb[row["response_id"]] = Feedback(
                _float(row.get("rating")),
                _float(row.get("thumbs")),
                _float(row.get("complaint_rate")),
            )
    out = {}
    for row in responses.iter_rows(named=True):
        rid = row["response_id"]
        out[rid] = raw_vector(
            matrix,
            row.get("final_user_turn") or "",
            row.get("response_text") or "",
            items.get(rid, []),
            levels.get(rid, {}),
            fb.get(rid),
        )
    return out


def reference_samples(
    matrix: AlignmentMatrix, vectors: dict[str, RawVector], response_ids: list[str]
) -> dict[str, list[float | None]]:
    return {name: [vectors[r].values[name] for r in response_ids] for name in matrix.names}


def vectors_frame(
    matrix: AlignmentMatrix,
    responses: pl.DataFrame,
    vectors: dict[str, RawVector],
    stats: NormalizationStats,
) -> pl.DataFrame:
    rows = []
    for row in responses.iter_rows(named=True):
        raw = vectors[row["response_id"]]
        z = normalize(stats, raw.values)
        for dim in matrix.dimensions:
            rows.append(
                {
                    "response_id": row["response_id"],
                    "query_id": row["query_id"],
                    "candidate_model": row["candidate_model"],
                    "dimension": dim.name,
                    "category": dim.category,
                    "raw_value": raw.values[dim.name],
                    "normalized_value": z[dim.name],
                    "sources": json.dumps(raw.sources.get(dim.name, [])),
                    "stats_version": stats.version,
                }
            )
    return pl.DataFrame(rows, schema=VECTOR_SCHEMA)


def _batches(frame: pl.DataFrame) -> dict[str, list[dict[str, float | None]]]:
    per: dict[str, dict[str, dict[str, float | None]]] = defaultdict(dict)
    for row in frame.iter_rows(named=True):
        per[row["candidate_model"]].setdefault(row["response_id"], {})[row["dimension"]] = row[
            "normalized_value"
        ]
    return {model: list(rs.values()) for model, rs in per.items()}


def model_weight_steps(matrix: AlignmentMatrix, vectors: pl.DataFrame) -> dict[str, WeightStep]:
    """One TADW step per candidate model / checkpoint, from its own normalized batch: where
    each model is weak (the trajectory). Never used to weight rewards compared across
    models: that is ``shared_weight_step``."""
    return {m: tri_factor_weights(matrix, b) for m, b in sorted(_batches(vectors).items())}


def shared_weight_step(matrix: AlignmentMatrix, vectors: pl.DataFrame) -> WeightStep:
    """One TADW step on every model's normalized vectors pooled: the single set of weights
    of ``reward_scores``, so two models' rewards are weighted alike and comparable."""
    pooled = [v for batch in _batches(vectors).values() for v in batch]
    return tri_factor_weights(matrix, pooled)


def scores_frame(
    matrix: AlignmentMatrix,
    responses: pl.DataFrame,
    raw: dict[str, RawVector],
    vectors: pl.DataFrame,
    step: WeightStep,
    stats_version: str,
) -> pl.DataFrame:
    """One reward per response, every response weighted by the same ``step``
    (``shared_weight_step``), then the safety gates."""
    z_by_response: dict[str, dict[str, float | None]] = defaultdict(dict)
    for row in vectors.iter_rows(named=True):
        z_by_response[row["response_id"]][row["dimension"]] = row["normalized_value"]
    rows = []
    for row in responses.iter_rows(named=True):
        rid, model = row["response_id"], row["candidate_model"]
        vec = raw[rid]
        agg = aggregate(
            matrix, z_by_response[rid], step.weights, vec.major_pitfalls, vec.minor_pitfalls
        )
        rows.append(
            {
                "response_id": rid,
                "query_id": row["query_id"],
                "candidate_model": model,
                "reward": agg.reward,
                "ungated_reward": agg.ungated,
                "gated": agg.gated,
                "gate_reason": agg.gate_reason,
                "major_pitfall_items": json.dumps(vec.major_pitfalls),
                "stats_version": stats_version,
            }
        )
    schema = {
        "response_id": pl.Utf8,
        "query_id": pl.Utf8,
        "candidate_model": pl.Utf8,
        "reward": pl.Float64,
        "ungated_reward": pl.Float64,
        "gated": pl.Boolean,
        "gate_reason": pl.Utf8,
        "major_pitfall_items": pl.Utf8,
        "stats_version": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema)


TRAJECTORY_SCHEMA = {
    "source": pl.Utf8,
    "step": pl.Int64,
    "step_label": pl.Utf8,
    "dimension": pl.Utf8,
    "category": pl.Utf8,
    "weight": pl.Float64,
    "weakness": pl.Float64,
    "risk": pl.Float64,
    "redundancy": pl.Float64,
    "batch_mean": pl.Float64,
    "stats_version": pl.Utf8,
    "policy": pl.Utf8,
}


def trajectory_frame(
    matrix: AlignmentMatrix,
    source: str,
    steps: list[tuple[str, WeightStep]],
    stats_version: str,
    policy: str | None = None,
) -> pl.DataFrame:
    """Rows of ``reward_weight_trajectory``: one per step x dimension; ``policy`` names the
    declared checkpoint sequence (source 'checkpoints')."""
    rows = []
    for index, (label, step) in enumerate(steps):
        for dim in matrix.dimensions:
            rows.append(
                {
                    "source": source,
                    "step": index,
                    "step_label": label,
                    "dimension": dim.name,
                    "category": dim.category,
                    "weight": step.weights[dim.name],
                    "weakness": step.weakness[dim.name],
                    "risk": step.risk[dim.name],
                    "redundancy": step.redundancy[dim.name],
                    "batch_mean": step.batch_mean[dim.name],
                    "stats_version": stats_version,
                    "policy": policy,
                }
            )
    return pl.DataFrame(rows, schema=TRAJECTORY_SCHEMA)


def weight_trajectories(
    matrix: AlignmentMatrix,
    stats_version: str,
    simulated: list[tuple[str, WeightStep]],
    model_steps: dict[str, WeightStep],
    sequences: dict[str, list[str]],
) -> pl.DataFrame:
    """The whole ``reward_weight_trajectory`` of a stats version: the simulated sequence,
    every model (compared, no order) and each policy's declared checkpoints in order."""
    frames = [trajectory_frame(matrix, "simulated", simulated, stats_version)]
    frames.append(trajectory_frame(matrix, "models", list(model_steps.items()), stats_version))
    for policy, models in sequences.items():
        steps = [(model, model_steps[model]) for model in models]
        frames.append(trajectory_frame(matrix, "checkpoints", steps, stats_version, policy))
    return pl.concat(frames)
