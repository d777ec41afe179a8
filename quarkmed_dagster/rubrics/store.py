"""Warehouse adapter of rubric generation: idempotent per-query writes and carry-forward.

A query's rows for one rubric_set_version are replaced together in one transaction across
all rubric tables (a rerun never duplicates rows, a crash leaves the previous state), and
the written version becomes the query's current one.
"""

from __future__ import annotations

import json

import polars as pl

from quarkmed_dagster.rubrics.frames import TABLES
from quarkmed_dagster.rubrics.items import item_id
from quarkmed_dagster.rubrics.records import QueryInput, RubricItem
from quarkmed_dagster.rubrics.reverify import ReverifyDecision, ReverifyTarget
from quarkmed_dagster.warehouse import Warehouse, load_sql

KEYS = ("query_id", "rubric_set_version")


def write_frames(warehouse: Warehouse, frames: dict[str, pl.DataFrame]) -> None:
    """Replace the (query_id, rubric_set_version) batches present in ``rubric_sets``."""
    sets = frames["rubric_sets"]
    keys = sets.select(KEYS).unique()
    if not keys.height:
        return
    current = sets.filter(pl.col("is_current")).select(KEYS).unique()
    with warehouse.writer() as con:
        con.register("batch_keys", keys.to_arrow())
        con.register("current_keys", current.to_arrow())
        con.execute("BEGIN TRANSACTION")
        try:
            for table in TABLES:
                con.execute(
                    f"DELETE FROM {table} WHERE (query_id, rubric_set_version) IN "
                    "(SELECT query_id, rubric_set_version FROM batch_keys)"
                )
                frame = frames[table]
                if frame.height:
                    con.register("incoming_rows", frame.to_arrow())
                    cols = ", ".join(f'"{c}"' for c in frame.columns)
                    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM incoming_rows")
                    con.unregister("incoming_rows")
            con.execute(load_sql("update_rubric_sets_generated_at"))
            con.execute(
                "UPDATE rubric_sets SET is_current = FALSE WHERE query_id IN "
                "(SELECT query_id FROM current_keys) AND (query_id, rubric_set_version) NOT IN "
                "(SELECT query_id, rubric_set_version FROM current_keys)"
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("batch_keys")
            con.unregister("current_keys")


def send_to_review(warehouse: Warehouse, reviews: pl.DataFrame) -> None:
    """Existing rubric sets to the review queue (rows: query_id, rubric_set_version, reason,
    details): their status becomes 'review', so their items leave current_rubric_items."""
    if not reviews.height:
        return
    with warehouse.writer() as con:
        con.register("review_rows", reviews.to_arrow())
        con.execute("BEGIN TRANSACTION")
        try:
            for name in (
                "delete_review_queue_of_sets",
                "insert_review_queue_rows",
                "update_rubric_sets_to_review",
            ):
                con.execute(load_sql(name))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("review_rows")


def calibration_scores(warehouse: Warehouse) -> pl.DataFrame:
    return warehouse.read(load_sql("select_rubric_calibration_scores"))


def rubric_sets(warehouse: Warehouse) -> pl.DataFrame:
    return warehouse.read(
        "SELECT query_id, rubric_set_version, config_hash, corpus_version, "
        "evidence_fingerprint, status, is_current FROM rubric_sets"
    )


ITEM_CHECKS = {"query_id": pl.Utf8, "item_id": pl.Utf8, "checked_passage_ids": pl.Utf8,
               "checked_verification": pl.Utf8}  # fmt: skip


def carried_frames(
    warehouse: Warehouse,
    moves: pl.DataFrame,
    status: str = "carried",
    refresh_policy: str | None = None,
    item_checks: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Frames that re-label rubrics under a new corpus version, without generation calls.

    ``moves`` has query_id, from_version, rubric_set_version, corpus_version,
    evidence_fingerprint. Items keep their content (so judges' content keys, and their
    cached verdicts, stay); their ids follow the new version. ``item_checks`` (query_id,
    item_id under from_version, checked_passage_ids JSON, checked_verification) replaces
    the evidence provenance of reverified items. Answers, points and clusters stay under the
    version that produced them; the set keeps the time of its last full generation.
    """
    checks = item_checks if item_checks is not None else pl.DataFrame(schema=ITEM_CHECKS)
    with warehouse.connect() as con:
        con.register("moves", moves.to_arrow())
        con.register("item_checks", checks.to_arrow())
        items = con.execute(
            "SELECT i.* EXCLUDE (rubric_set_version, corpus_version, item_id, created_at, "
            "evidence_passage_ids, verification), "
            "coalesce(c.checked_passage_ids, i.evidence_passage_ids) AS evidence_passage_ids, "
            "coalesce(c.checked_verification, i.verification) AS verification, "
            "m.rubric_set_version, m.corpus_version FROM rubric_items i JOIN moves m "
            "ON i.query_id = m.query_id AND i.rubric_set_version = m.from_version "
            "LEFT JOIN item_checks c ON c.query_id = i.query_id AND c.item_id = i.item_id "
            # a re-checked rubric keeps only its re-checked items (the pruned ones leave)
            "WHERE c.item_id IS NOT NULL "
            "OR i.query_id NOT IN (SELECT query_id FROM item_checks)"
        ).pl()
        sets = con.execute(
            "SELECT s.* EXCLUDE (rubric_set_version, corpus_version, evidence_fingerprint, "
            "carried_from, is_current, created_at, status, refresh_policy, generated_at), "
            "m.rubric_set_version, m.corpus_version, m.evidence_fingerprint, "
            "m.from_version AS carried_from, ? AS status, ? AS refresh_policy, "
            "coalesce(s.generated_at, s.created_at) AS generated_at, TRUE AS is_current "
            "FROM rubric_sets s JOIN moves m "
            "ON s.query_id = m.query_id AND s.rubric_set_version = m.from_version",
            [status, refresh_policy],
        ).pl()
    items = items.with_columns(
        pl.struct("query_id", "rubric_set_version", "tier", "title")
        .map_elements(
            lambda r: item_id(r["query_id"], r["rubric_set_version"], r["tier"], r["title"]),
            return_dtype=pl.Utf8,
        )
        .alias("item_id"),
        *(pl.col(c).cast(pl.Utf8) for c in ("levels", "evidence_passage_ids", "cluster_ids")),
    )
    empty = {t: pl.DataFrame(schema={"query_id": pl.Utf8}) for t in TABLES}
    frames = {t: f.head(0) for t, f in empty.items()}
    frames["rubric_items"] = items
    frames["rubric_sets"] = sets
    return frames


def reverify_targets(
    warehouse: Warehouse, pairs: list[tuple[QueryInput, str]]
) -> list[ReverifyTarget]:
    """The rubrics to re-check: (query with its new evidence, current rubric_set_version)
    -> its items with the cluster ids they cite and the texts of those clusters."""
    sources = pl.DataFrame(
        [(q.query_id, version) for q, version in pairs],
        schema={"query_id": pl.Utf8, "rubric_set_version": pl.Utf8},
        orient="row",
    )
    with warehouse.connect() as con:
        con.register("reverify_sources", sources.to_arrow())
        items = con.execute(load_sql("select_reverify_items")).pl()
        points = con.execute(load_sql("select_reverify_points")).pl()
    cited: dict[str, dict[str, tuple[str, ...]]] = {}
    records: dict[str, dict[str, RubricItem]] = {}
    for row in items.iter_rows(named=True):
        clusters = tuple(json.loads(row["cluster_ids"] or "[]"))
        cited.setdefault(row["query_id"], {})[row["item_id"]] = clusters
        records.setdefault(row["query_id"], {})[row["item_id"]] = _stored_item(row, clusters)
    texts: dict[str, dict[str, str]] = {}
    for row in points.iter_rows(named=True):
        texts.setdefault(row["query_id"], {})[row["cluster_id"]] = row["text"]
    targets = []
    for query, version in pairs:
        items_of = cited.get(query.query_id, {})
        wanted = {c for clusters in items_of.values() for c in clusters}
        known = texts.get(query.query_id, {})
        points_of = {c: known[c] for c in sorted(wanted) if c in known}
        stored = records.get(query.query_id, {})
        targets.append(ReverifyTarget(query, version, items_of, points_of, stored))
    return targets


def _stored_item(row: dict, clusters: tuple[str, ...]) -> RubricItem:
    return RubricItem(
        item_id=row["item_id"],
        query_id=row["query_id"],
        tier=row["tier"],
        title=row["title"],
        description=row["description"] or "",
        tag=row["tag"],
        weight=row["weight"],
        levels=json.loads(row["levels"]),
        cluster_ids=clusters,
        support_count=row["support_count"],
        support_ratio=row["support_ratio"],
        evidence_passage_ids=tuple(json.loads(row["evidence_passage_ids"] or "[]")),
        verification=row["verification"],
    )


def item_checks_frame(decisions: list[ReverifyDecision]) -> pl.DataFrame:
    """The re-checked provenance of kept items, as ``carried_frames`` reads it."""
    rows = [
        (d.query_id, item, json.dumps(list(passages)), verification)
        for d in decisions
        for item, (verification, passages) in sorted(d.items.items())
    ]
    return pl.DataFrame(rows, schema=ITEM_CHECKS, orient="row")
