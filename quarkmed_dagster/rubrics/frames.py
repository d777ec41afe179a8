"""Warehouse rows of rubric generation (Polars frames matching sql/create_*.sql)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from quarkmed_dagster.rubrics.pipeline import TRANSIENT_REASONS
from quarkmed_dagster.rubrics.records import QueryOutcome

TABLES = (
    "candidate_answers",
    "knowledge_points",
    "rubric_clusters",
    "rubric_items",
    "review_queue",
    "rubric_sets",
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


ANSWER_SCHEMA = {
    "answer_id": pl.Utf8, "query_id": pl.Utf8, "rubric_set_version": pl.Utf8,
    "corpus_version": pl.Utf8, "round": pl.Int32, "generator": pl.Utf8, "persona": pl.Utf8,
    "sample_index": pl.Int32, "prompt_version": pl.Utf8, "cache_key": pl.Utf8,
    "status": pl.Utf8, "answer_text": pl.Utf8, "citations": pl.Utf8, "is_baseline": pl.Boolean,
}  # fmt: skip
POINT_SCHEMA = {
    "point_id": pl.Utf8, "query_id": pl.Utf8, "rubric_set_version": pl.Utf8,
    "corpus_version": pl.Utf8, "round": pl.Int32, "aggregator": pl.Utf8, "text": pl.Utf8,
    "kind": pl.Utf8, "supporting_answer_ids": pl.Utf8, "cluster_id": pl.Utf8,
}  # fmt: skip
CLUSTER_SCHEMA = {
    "cluster_id": pl.Utf8, "query_id": pl.Utf8, "rubric_set_version": pl.Utf8,
    "corpus_version": pl.Utf8, "round": pl.Int32, "text": pl.Utf8, "kind": pl.Utf8,
    "point_ids": pl.Utf8, "generators": pl.Utf8, "aggregators": pl.Utf8,
    "support_count": pl.Int32, "support_ratio": pl.Float64, "aggregator_count": pl.Int32,
    "aggregator_ratio": pl.Float64, "answer_ratio": pl.Float64, "included": pl.Boolean,
    "decision": pl.Utf8, "verification": pl.Utf8, "verification_votes": pl.Utf8,
    "evidence_passage_ids": pl.Utf8,
}  # fmt: skip
ITEM_SCHEMA = {
    "item_id": pl.Utf8, "query_id": pl.Utf8, "rubric_set_version": pl.Utf8,
    "corpus_version": pl.Utf8, "tier": pl.Utf8, "title": pl.Utf8, "description": pl.Utf8,
    "tag": pl.Utf8, "weight": pl.Float64, "levels": pl.Utf8, "support_count": pl.Int32,
    "support_ratio": pl.Float64, "evidence_passage_ids": pl.Utf8, "verification": pl.Utf8,
    "cluster_id": pl.Utf8, "cluster_ids": pl.Utf8, "generated_by_baseline": pl.Boolean,
}  # fmt: skip
REVIEW_SCHEMA = {
    "query_id": pl.Utf8, "rubric_set_version": pl.Utf8, "reason": pl.Utf8, "details": pl.Utf8,
}  # fmt: skip
SET_SCHEMA = {
    "query_id": pl.Utf8, "rubric_set_version": pl.Utf8, "config_hash": pl.Utf8,
    "corpus_version": pl.Utf8, "evidence_fingerprint": pl.Utf8, "status": pl.Utf8,
    "n_items": pl.Int32, "agreement": pl.Float64, "rounds": pl.Int32, "repaired": pl.Boolean,
    "carried_from": pl.Utf8, "calibration_score": pl.Float64, "is_current": pl.Boolean,
    "refresh_policy": pl.Utf8,
}  # fmt: skip


def outcome_frames(
    outcomes: list[QueryOutcome],
    versions: dict[str, str],
    config_hash: str,
    uses_baseline: bool,
    refresh_policy: str | None = None,
) -> dict[str, pl.DataFrame]:
    """One frame per table; ``versions`` maps corpus version -> rubric_set_version;
    ``refresh_policy`` is the policy the stage ran under (recorded on the sets)."""
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    for outcome in outcomes:
        query = outcome.query
        base = {
            "query_id": query.query_id,
            "rubric_set_version": versions[query.corpus_version],
            "corpus_version": query.corpus_version,
        }
        cluster_of = {pid: c.cluster_id for c in outcome.clusters for pid in c.point_ids}
        final_round = outcome.rounds - 1
        for a in outcome.answers:
            rows["candidate_answers"].append({
                **base, "answer_id": a.answer_id, "round": a.round, "generator": a.generator,
                "persona": a.persona, "sample_index": a.sample_index,
                "prompt_version": a.prompt_version, "cache_key": a.cache_key,
                "status": a.status, "answer_text": a.text, "citations": _json(a.citations),
                "is_baseline": a.generator.startswith("baseline/"),
            })  # fmt: skip
        for p in outcome.points:
            rows["knowledge_points"].append({
                **base, "point_id": p.point_id, "round": p.round, "aggregator": p.aggregator,
                "text": p.text, "kind": p.kind,
                "supporting_answer_ids": _json(p.supporting_answer_ids),
                "cluster_id": cluster_of.get(p.point_id) if p.round == final_round else None,
            })  # fmt: skip
        for c in outcome.clusters:
            check = outcome.verifications.get(c.cluster_id)
            rows["rubric_clusters"].append({
                **base, "cluster_id": c.cluster_id, "round": final_round, "text": c.text,
                "kind": c.kind, "point_ids": _json(c.point_ids),
                "generators": _json(c.generators), "aggregators": _json(c.aggregators),
                "support_count": c.support_count, "support_ratio": c.support_ratio,
                "aggregator_count": c.aggregator_count, "aggregator_ratio": c.aggregator_ratio,
                "answer_ratio": c.answer_ratio, "included": c.included, "decision": c.decision,
                "verification": check.status if check else None,
                "verification_votes": _json(check.votes) if check else None,
                "evidence_passage_ids": _json(check.passage_ids) if check else None,
            })  # fmt: skip
        for i in outcome.items:
            rows["rubric_items"].append({
                **base, "item_id": i.item_id, "tier": i.tier, "title": i.title,
                "description": i.description, "tag": i.tag, "weight": i.weight,
                "levels": _json(i.levels), "support_count": i.support_count,
                "support_ratio": i.support_ratio,
                "evidence_passage_ids": _json(i.evidence_passage_ids),
                "verification": i.verification,
                "cluster_id": i.cluster_ids[0] if i.cluster_ids else None,
                "cluster_ids": _json(i.cluster_ids), "generated_by_baseline": uses_baseline,
            })  # fmt: skip
        transient = outcome.review is not None and outcome.review.reason in TRANSIENT_REASONS
        if outcome.review is not None and not transient:
            rows["review_queue"].append({
                "query_id": query.query_id, "rubric_set_version": base["rubric_set_version"],
                "reason": outcome.review.reason, "details": _json(outcome.review.details),
            })  # fmt: skip
        rows["rubric_sets"].append({
            **base, "config_hash": config_hash,
            "evidence_fingerprint": query.evidence_fingerprint,
            "status": "failed" if transient else "review" if outcome.review else "ok",
            "n_items": len(outcome.items),
            "agreement": outcome.agreement, "rounds": outcome.rounds,
            "repaired": outcome.repaired, "carried_from": None,
            "calibration_score": outcome.calibration_score,
            # a failed attempt never hides the query's previous rubric
            "is_current": not transient, "refresh_policy": refresh_policy,
        })  # fmt: skip
    schemas = {
        "candidate_answers": ANSWER_SCHEMA, "knowledge_points": POINT_SCHEMA,
        "rubric_clusters": CLUSTER_SCHEMA, "rubric_items": ITEM_SCHEMA,
        "review_queue": REVIEW_SCHEMA, "rubric_sets": SET_SCHEMA,
    }  # fmt: skip
    return {table: _frame(rows[table], schemas[table]) for table in TABLES}
