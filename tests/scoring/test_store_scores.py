"""Storing scores replaces the whole scored set (issue 18 item 1): a response whose rubric went
to review, and a model that is gone, leave no stale row in query_scores, the leaderboard or
the marts that read them."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
from click.testing import CliRunner

from assets.scoring import query_scores
from quarkmed_dagster import cli
from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.frames import score_warehouse, store_scores
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.scoring.test_rescore import seed
from tests.warehouse_rows import insert_rows


def _add_second_query(warehouse: Warehouse) -> None:
    """q2 (category Wellness Health), answered and judged for model-a only."""
    insert_rows(warehouse, "queries", [
        {"query_id": "q2", "batch_id": "b1", "session_id": "q2",
         "turns": json.dumps([{"role": "user", "content": "other"}]), "n_turns": 1,
         "is_multi_turn": False, "final_user_turn": "other", "language": "en",
         "source": "test", "category": "Wellness Health", "category_classifier": "rules",
         "difficulty": "easy", "ingested_at": datetime(2026, 1, 1)}
    ])  # fmt: skip
    insert_rows(warehouse, "candidate_responses", [
        {"response_id": "q2-model-a", "query_id": "q2", "candidate_model": "model-a",
         "is_baseline": False, "response_text": "answer", "status": "ok"}
    ])  # fmt: skip
    insert_rows(warehouse, "rubric_sets", [
        {"query_id": "q2", "rubric_set_version": "rs2", "config_hash": "cfg",
         "corpus_version": "c1", "status": "ok", "n_items": 2, "rounds": 1,
         "repaired": False, "is_current": True}
    ])  # fmt: skip
    insert_rows(warehouse, "rubric_items", [
        {"item_id": item, "query_id": "q2", "rubric_set_version": "rs2", "corpus_version": "c1",
         "tier": tier, "title": item, "description": "d", "tag": "t", "weight": 1.0,
         "levels": "[]", "support_count": 2, "support_ratio": 1.0, "verification": "supported",
         "generated_by_baseline": False}
        for item, tier in (("q2e", "Essential"), ("q2p", "Pitfall"))
    ])  # fmt: skip
    insert_rows(warehouse, "item_verdicts", [
        {"response_id": "q2-model-a", "item_id": item, "level": level, "n_votes": 1,
         "agreement": 1.0}
        for item, level in (("q2e", 0.5), ("q2p", 0.0))
    ])  # fmt: skip


def _materialize(warehouse: Warehouse) -> None:
    resources = {"warehouse": WarehouseResource(path=str(warehouse.path))}
    assert dg.materialize([query_scores], resources=resources).success


def test_rescoring_replaces_the_scored_set_and_marts_never_read_stale_scores(warehouse):
    seed(warehouse)
    _add_second_query(warehouse)
    _materialize(warehouse)
    assert warehouse.count("query_scores") == 3
    models = set(warehouse.read_table("leaderboard")["candidate_model"])
    assert models == {"model-a", "model-b"}

    # q1's rubric goes to review: its two scores are stale from now on
    with warehouse.writer() as con:
        con.execute("UPDATE rubric_sets SET status = 'review' WHERE query_id = 'q1'")
    create_marts(warehouse)  # before any rescoring, the marts already leave them out
    versioned = warehouse.read("SELECT response_id FROM query_scores_versioned")
    assert versioned["response_id"].to_list() == ["q2-model-a"]
    dims = warehouse.read("SELECT DISTINCT candidate_model FROM leaderboard_dimensions")
    assert dims["candidate_model"].to_list() == ["model-a"]

    _materialize(warehouse)  # the scored set is replaced, not upserted
    stored = warehouse.read("SELECT response_id, score FROM query_scores")
    assert stored.rows() == [("q2-model-a", 0.5)]
    board = warehouse.read("SELECT candidate_model, category, score FROM leaderboard")
    # model-b has no current score and Clinical Care no scored query: no row of either
    assert sorted(board.rows()) == [("model-a", "Wellness Health", 0.5), ("model-a", "all", 0.5)]

    # nothing current at all: both tables end empty, not with the last scores
    with warehouse.writer() as con:
        con.execute("UPDATE rubric_sets SET status = 'review'")
    _materialize(warehouse)
    assert warehouse.count("query_scores") == 0 and warehouse.count("leaderboard") == 0


def test_cli_rescore_write_replaces_the_scored_set(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        warehouse = Warehouse(get_settings().warehouse)
        seed(warehouse)
        _add_second_query(warehouse)
        store_scores(warehouse, *score_warehouse(warehouse))
        with warehouse.writer() as con:
            con.execute("UPDATE rubric_sets SET status = 'review' WHERE query_id = 'q1'")
        out = CliRunner().invoke(cli.main, ["rescore", "--write"])
        assert out.exit_code == 0, out.output
        stored = warehouse.read("SELECT response_id FROM query_scores")
        assert stored["response_id"].to_list() == ["q2-model-a"]
        board = warehouse.read("SELECT DISTINCT candidate_model FROM leaderboard")
        assert board["candidate_model"].to_list() == ["model-a"]
    finally:
        get_settings.cache_clear()
