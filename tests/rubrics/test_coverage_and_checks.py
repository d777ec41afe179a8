"""Physician coverage figures and the stored-rubric constraint check."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.rubrics.constraints_check import check_items
from quarkmed_dagster.rubrics.coverage import Criterion, GeneratedItem, physician_coverage
from quarkmed_dagster.rubrics.coverage_stage import run_coverage


def _rows(rows):
    return {(r.source, r.measure, r.stratum): (r.n, r.matched) for r in rows}


def test_recall_by_physician_kind_and_precision_by_our_tier():
    criteria = [
        Criterion("q1", "kqa", "must_have", "Take ibuprofen with food to protect the stomach."),
        Criterion("q1", "kqa", "must_have", "See a doctor if you vomit blood."),
        Criterion("q1", "kqa", "nice_to_have", "Ibuprofen was patented in the 1960s."),
        Criterion("q9", "kqa", "must_have", "A query we have no rubric for."),
    ]
    items = [
        GeneratedItem(
            "q1", "Essential", "Advises taking ibuprofen with food to protect the stomach."
        ),
        GeneratedItem("q1", "Pitfall", "Tells the user to see a doctor if they vomit blood."),
        GeneratedItem("q1", "Highlight", "Acknowledges that the pain is distressing."),
    ]
    rows = _rows(physician_coverage(criteria, items, get_embedder().encode, threshold=0.6))
    assert rows[("kqa", "recall", "All")] == (3, 2)  # q9 has no generated rubric: not counted
    assert rows[("kqa", "recall", "must_have")] == (2, 2)
    assert rows[("kqa", "recall", "nice_to_have")] == (1, 0)
    assert rows[("kqa", "precision", "All")] == (3, 2)
    assert rows[("kqa", "precision", "Highlight")] == (1, 0)


def _item(query_id, tier, title, tag="Information Quality", evidence=("p1",), ratio=1.0, **kw):
    levels = {"not_met": "a", "partially_met": "b", "fully_met": "c"}
    return {"item_id": kw.get("item_id", f"{query_id}-{title}"), "query_id": query_id,
            "tier": tier, "title": title, "tag": tag, "weight": kw.get("weight", 1.0),
            "levels": json.dumps(levels), "support_ratio": ratio,
            "evidence_passage_ids": json.dumps(list(evidence))}  # fmt: skip


def _valid(query_id="q1", n_extra=4):
    base = [
        _item(query_id, "Essential", "A"),
        _item(query_id, "Essential", "B"),
        _item(query_id, "Important", "C"),
        _item(query_id, "Highlight", "D"),
    ]
    return base + [_item(query_id, "Important", f"X{i}") for i in range(n_extra)]


def test_stored_rubric_check_passes_valid_sets_and_warns_on_mean_size():
    report = check_items(pl.DataFrame(_valid()), set())
    assert report.errors == [] and report.warnings == [] and report.mean_items == 8
    small = check_items(pl.DataFrame(_valid(n_extra=1)), set())
    assert small.errors == [] and "outside 7.0-13.0" in small.warnings[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([_item("q1", "Pitfall", "P", tag="Safety", evidence=(), ratio=0.2)], "unsupported"),
        ([_item("q1", "Important", "M", tag="Coreference")], "tag Coreference not allowed"),
        ([_item("q1", "Important", "a", item_id="other")], "duplicate titles"),
        ([_item("q1", "Important", "W", weight=0.0)], "weight 0.0"),
        ([_item("q1", "Pitfall", f"P{i}") for i in range(3)], "too many Pitfall"),
        ([_item("q1", "Essential", "A")], "duplicate item_id"),
    ],
)
def test_stored_rubric_check_errors(extra, message):
    report = check_items(pl.DataFrame(_valid() + extra), set())
    assert any(message in e for e in report.errors), report.errors


def test_multi_turn_tags_allowed_on_multi_turn_queries():
    rows = [*_valid(), _item("q1", "Important", "M", tag="Coreference")]
    assert check_items(pl.DataFrame(rows), {"q1"}).errors == []


def test_coverage_stage_stores_rows_per_version(warehouse):
    with warehouse.writer() as con:
        con.execute(
            "INSERT INTO reference_rubrics (reference_item_id, query_id, source, criterion, "
            "points, kind, batch_id) VALUES "
            "('r1', 'q1', 'healthbench', 'Advises the user to seek emergency care for chest "
            "pain.', 8, 'criterion', 'b'),"
            "('r2', 'q1', 'healthbench', 'Recommends aspirin to a child.', -6, 'criterion', 'b')"
        )
        con.execute(
            "INSERT INTO rubric_sets (query_id, rubric_set_version, config_hash, status, "
            "n_items, rounds, repaired, is_current) VALUES ('q1', 'rs-1', 'c', 'ok', 1, 1, "
            "false, true)"
        )
        con.execute(
            "INSERT INTO rubric_items (item_id, query_id, rubric_set_version, tier, title, "
            "description, tag, weight, levels, support_count, support_ratio, verification, "
            "generated_by_baseline) VALUES ('i1', 'q1', 'rs-1', 'Essential', "
            "'Tells the user to seek emergency care for chest pain', '', 'Safety', 1, '{}', "
            "2, 1.0, 'supported', true)"
        )
    first = run_coverage(warehouse, get_embedder().encode)
    run_coverage(warehouse, get_embedder().encode)
    stored = warehouse.read("SELECT * FROM rubric_coverage ORDER BY measure, stratum")
    assert stored.height == first.height  # rerun replaced, not duplicated
    recall = {r["stratum"]: (r["n"], r["matched"]) for r in stored.iter_rows(named=True)
              if r["measure"] == "recall"}  # fmt: skip
    assert recall["All"] == (2, 1) and recall["negative"] == (1, 0)
