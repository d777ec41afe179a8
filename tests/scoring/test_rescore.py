"""Re-scoring the live warehouse from stored verdicts with other weights, truncation ratios and
saturation caps: the query_scores run config and `quarkmed rescore` give the hand-computed
scores, call no model (llm_calls unchanged) and leave the stored leaderboard alone unless
--write is given."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import polars as pl
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from assets.scoring import query_scores
from quarkmed_dagster import cli
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.frames import score_warehouse, store_scores
from quarkmed_dagster.scoring.options import describe_config, parse_weights, scoring_config
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.warehouse_rows import insert_rows

# One query, items E1 E2 I(tag a) H(tag b) P. Default weights 2:1:1:2, positive max 6.
TIERS = {"e1": "Essential", "e2": "Essential", "i1": "Important", "h1": "Highlight",
         "p1": "Pitfall"}  # fmt: skip
LEVELS = {
    # all met, no pitfall: (4 + 2 - 0) / 6 = 1 under any weights
    "model-a": {"e1": 1.0, "e2": 1.0, "i1": 1.0, "h1": 1.0, "p1": 0.0},
    # E = 2 (coverage 0.5, at the truncation boundary), I+H = 2: (2 + 2) / 6 = 2/3
    "model-b": {"e1": 1.0, "e2": 0.0, "i1": 1.0, "h1": 1.0, "p1": 0.0},
}
DEFAULT_B = 4 / 6
EQUAL_B = 3 / 4  # weights 1:1:1:1: E = 1, I+H = 2 <= 2 x E, positive max 4
TRUNCATED_B = 2 / 6  # essential ratio 0.75 > coverage 0.5: I+H zeroed
SATURATED_B = 3 / 6  # I+H capped at 0.5 x E = 1
LLM_CALLS = 3


def seed(warehouse: Warehouse) -> None:
    warehouse.ensure_schema()
    insert_rows(warehouse, "queries", [
        {"query_id": "q1", "batch_id": "b1", "session_id": "q1",
         "turns": json.dumps([{"role": "user", "content": "question"}]), "n_turns": 1,
         "is_multi_turn": False, "final_user_turn": "question", "language": "en",
         "source": "test", "category": "Clinical Care", "category_classifier": "rules",
         "difficulty": "easy", "ingested_at": datetime(2026, 1, 1)}
    ])  # fmt: skip
    insert_rows(warehouse, "candidate_responses", [
        {"response_id": f"q1-{m}", "query_id": "q1", "candidate_model": m, "is_baseline": False,
         "response_text": f"answer of {m}", "status": "ok"}
        for m in LEVELS
    ])  # fmt: skip
    insert_rows(warehouse, "rubric_sets", [
        {"query_id": "q1", "rubric_set_version": "rs1", "config_hash": "cfg",
         "corpus_version": "c1", "status": "ok", "n_items": len(TIERS), "rounds": 1,
         "repaired": False, "is_current": True}
    ])  # fmt: skip
    insert_rows(warehouse, "rubric_items", [
        {"item_id": item, "query_id": "q1", "rubric_set_version": "rs1", "corpus_version": "c1",
         "tier": tier, "title": item, "description": "d", "tag": item[0], "weight": 1.0,
         "levels": "[]", "support_count": 2, "support_ratio": 1.0, "verification": "supported",
         "generated_by_baseline": False}
        for item, tier in TIERS.items()
    ])  # fmt: skip
    insert_rows(warehouse, "item_verdicts", [
        {"response_id": f"q1-{m}", "item_id": item, "level": level, "n_votes": 3,
         "agreement": 1.0}
        for m, levels in LEVELS.items() for item, level in levels.items()
    ])  # fmt: skip
    insert_rows(warehouse, "llm_calls", [  # the judge calls that made the verdicts
        {"call_id": f"c{n}", "cache_key": f"k{n}", "run_label": "judge_panel", "role": "judges",
         "model": "openai/judge", "is_baseline": False, "prompt_version": "judge.v1",
         "status": "ok"}
        for n in range(LLM_CALLS)
    ])  # fmt: skip


def _overall(warehouse: Warehouse) -> dict[str, float]:
    board = warehouse.read("SELECT candidate_model, score FROM leaderboard WHERE category='all'")
    return dict(board.iter_rows())


def test_parse_weights_both_forms_and_errors():
    assert parse_weights("1:2:3:4") == {"Essential": 1, "Important": 2, "Highlight": 3,
                                        "Pitfall": 4}  # fmt: skip
    assert parse_weights("Pitfall=3, Highlight=0.5") == {
        "Essential": 2, "Important": 1, "Highlight": 0.5, "Pitfall": 3}  # fmt: skip
    assert parse_weights(None) == parse_weights("2:1:1:2")
    for bad in ("1:2:3", "Essentail=2", "a:1:1:1", "-1:1:1:1", "nan:1:1:1"):
        with pytest.raises(ValueError):
            parse_weights(bad)
    with pytest.raises(ValueError):
        scoring_config(essential_ratio=1.5)
    assert "weights E:I:H:P = 2:1:1:2" in describe_config(scoring_config())


@pytest.mark.parametrize(
    ("cfg", "expected_b"),
    [
        (scoring_config(), DEFAULT_B),
        (scoring_config(parse_weights("1:1:1:1")), EQUAL_B),
        (scoring_config(essential_ratio=0.75), TRUNCATED_B),
        (scoring_config(ih_cap_ratio=0.5), SATURATED_B),
    ],
)
def test_rescore_gives_the_hand_computed_scores(warehouse, cfg, expected_b):
    seed(warehouse)
    scores, board = score_warehouse(warehouse, cfg)
    by_model = dict(zip(scores["candidate_model"], scores["score"], strict=True))
    assert by_model == pytest.approx({"model-a": 1.0, "model-b": expected_b})
    overall = board.filter(pl.col("category") == "all")
    assert dict(zip(overall["candidate_model"], overall["score"], strict=True)) == by_model
    assert warehouse.count("query_scores") == 0  # nothing written


def _materialize(warehouse: Warehouse, config: dict | None = None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [query_scores],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path))},
        run_config={"ops": {"query_scores": {"config": config}}} if config else None,
    )


def test_query_scores_run_config_rescores_the_stored_verdicts(warehouse):
    seed(warehouse)
    assert _materialize(warehouse).success  # defaults = ScoringConfig
    assert _overall(warehouse) == pytest.approx({"model-a": 1.0, "model-b": DEFAULT_B})
    config = {"essential_weight": 1.0, "pitfall_weight": 1.0}
    result = _materialize(warehouse, config)
    assert result.success
    assert _overall(warehouse) == pytest.approx({"model-a": 1.0, "model-b": EQUAL_B})
    label = result.asset_materializations_for_node("query_scores")[0].metadata["scoring_config"]
    assert "1:1:1:1" in label.value
    result = _materialize(warehouse, {"ih_cap_ratio": 0.5})
    assert _overall(warehouse) == pytest.approx({"model-a": 1.0, "model-b": SATURATED_B})
    assert warehouse.count("llm_calls") == LLM_CALLS
    with pytest.raises(ValidationError, match="essential_ratio"):  # refused before scoring
        _materialize(warehouse, {"essential_ratio": 2.0})
    assert _overall(warehouse) == pytest.approx({"model-a": 1.0, "model-b": SATURATED_B})


@pytest.fixture
def live(tmp_path, monkeypatch):
    """The settings' warehouse (QUARKMED_DATA_HOME under tmp_path), seeded and scored."""
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    warehouse = Warehouse(get_settings().warehouse)
    seed(warehouse)
    store_scores(warehouse, *score_warehouse(warehouse))
    yield warehouse
    get_settings.cache_clear()


def _model_line(output: str, model: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if f" {model} " in line)


def test_cli_rescore_prints_new_next_to_stored_and_writes_only_with_flag(live):
    runner = CliRunner()
    out = runner.invoke(cli.main, ["rescore", "--weights", "1:1:1:1"])
    assert out.exit_code == 0, out.output
    assert "weights E:I:H:P = 1:1:1:1" in out.output and "no model call" in out.output
    # rank, model, new, new CI (two fields), stored, change, stored rank
    rank, _, new, _, _, stored, change, stored_rank = _model_line(out.output, "model-b")
    assert (rank, new, stored, change, stored_rank) == ("2", "0.750", "0.667", "+0.083", "2")
    assert _overall(live) == pytest.approx({"model-a": 1.0, "model-b": DEFAULT_B})  # unchanged
    assert live.count("llm_calls") == LLM_CALLS

    out = runner.invoke(cli.main, ["rescore", "--truncation-essential", "0.75"])
    assert _model_line(out.output, "model-b")[2] == f"{TRUNCATED_B:.3f}"
    out = runner.invoke(cli.main, ["rescore", "--saturation-ih-ratio", "0.5"])
    assert _model_line(out.output, "model-b")[2] == f"{SATURATED_B:.3f}"

    written = runner.invoke(cli.main, ["rescore", "--weights", "1:1:1:1", "--write"])
    assert written.exit_code == 0, written.output
    assert _overall(live) == pytest.approx({"model-a": 1.0, "model-b": EQUAL_B})
    scores = live.read("SELECT score FROM query_scores WHERE candidate_model = 'model-b'")
    assert scores["score"].to_list() == pytest.approx([EQUAL_B])
    assert live.count("llm_calls") == LLM_CALLS

    refused = runner.invoke(cli.main, ["rescore", "--weights", "1:1:1"])
    assert refused.exit_code != 0 and "four numbers" in refused.output
