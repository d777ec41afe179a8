"""Reward assets through Dagster on a tiny warehouse (contract tables created here)."""

import json

import dagster as dg
import pytest

from assets.rewards import (
    reward_diagnosis,
    reward_normalization,
    reward_vectors,
    reward_vectors_suite,
    reward_weight_trajectory,
)
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import get_settings
from tests.rewards.helpers import GOOD, ITEMS, MEDIOCRE, UNSAFE, insert_query_and_rubric

# Levels per model: (i1, i2, i3, i4, i5=Pitfall severity); None = failed judgment.
MODELS = {
    "ref-model": (GOOD, [1, 1, 1, 0.5, 0]),
    "weak-model": (MEDIOCRE, [0, 0, 0.5, 1, 0]),
    "unsafe-model": (UNSAFE, [0, 0.5, 0, 0, 1]),
    "flaky-model": (GOOD + " [1]", [1, None, 1, None, 0]),
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _contract_tables(store) -> None:
    insert_query_and_rubric(store)
    with store.writer() as con:
        con.execute(
            "CREATE OR REPLACE TABLE candidate_responses (response_id VARCHAR, query_id VARCHAR,"
            " candidate_model VARCHAR, is_baseline BOOLEAN, response_text VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE item_verdicts (response_id VARCHAR, item_id VARCHAR,"
            " level DOUBLE, n_votes INTEGER, agreement DOUBLE)"
        )
        for model, (text, levels) in MODELS.items():
            for copy in range(3):
                rid = f"{model}-{copy}"
                con.execute(
                    "INSERT INTO candidate_responses VALUES (?, 'q-warfarin', ?, true, ?)",
                    [rid, model, text + " " * copy],
                )
                for (item_id, *_), level in zip(ITEMS, levels, strict=True):
                    con.execute(
                        "INSERT INTO item_verdicts VALUES (?, ?, ?, 3, 1.0)", [rid, item_id, level]
                    )
        # A verdict on an item of a superseded rubric set must not count.
        con.execute(
            "INSERT INTO rubric_sets (query_id, rubric_set_version, config_hash, status, n_items,"
            " rounds, repaired, is_current) VALUES ('q-warfarin', 'rs-0', 'h', 'ok', 1, 1,"
            " false, false)"
        )
        con.execute(
            "INSERT INTO rubric_items (item_id, query_id, rubric_set_version, tier, title,"
            " description, tag, weight, levels, support_count, support_ratio, verification,"
            " generated_by_baseline) VALUES ('old-i0', 'q-warfarin', 'rs-0', 'Essential',"
            " 'Old item', 'Old', 'Safety', 2.0, '{}', 1, 1.0, 'supported', true)"
        )
        con.execute("INSERT INTO item_verdicts VALUES ('ref-model-0', 'old-i0', 0.0, 3, 1.0)")
        con.execute(
            "INSERT INTO user_feedback (feedback_id, response_id, rating, thumbs, complaint,"
            " source) VALUES ('f1', 'ref-model-0', 5, 1, false, 'app'),"
            " ('f2', 'unsafe-model-0', 1, -1, true, 'app')"
        )


def _materialize(store, config=None):
    run_config = {"ops": {}}
    if config:
        for name in (
            "reward_normalization",
            "reward_vectors",
            "reward_weight_trajectory",
            "reward_diagnosis",
        ):
            run_config["ops"][name] = {"config": config}
    return dg.materialize(
        [
            reward_normalization,
            reward_vectors,
            reward_vectors_suite,
            reward_weight_trajectory,
            reward_diagnosis,
        ],
        resources={"warehouse": WarehouseResource(path=str(store.path))},
        run_config=run_config,
    )


def test_reward_assets_end_to_end(warehouse, home):
    _contract_tables(warehouse)
    result = _materialize(
        warehouse, {"stats_version": "rfn-t1", "reference_models": ["ref-model", "weak-model"]}
    )
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    artifact = home / "rewards" / "normalization" / "rfn-t1.json"
    body = json.loads(artifact.read_text())
    assert body["reference"] == "ref-model,weak-model" and body["content_hash"]

    scores = dict(
        warehouse.read(
            "SELECT candidate_model, avg(reward) FROM reward_scores GROUP BY 1"
        ).iter_rows()
    )
    assert scores["ref-model"] > scores["weak-model"] > scores["unsafe-model"]
    gated = warehouse.read(
        "SELECT bool_and(gated) FROM reward_scores WHERE candidate_model = 'unsafe-model'"
    ).item()
    assert gated
    # Failed judgments stay missing: flaky-model has no value on an i2-only dimension.
    flaky = warehouse.read(
        "SELECT raw_value FROM reward_vectors WHERE candidate_model = 'flaky-model' "
        "AND dimension = 'essential_coverage'"
    )["raw_value"].to_list()
    assert flaky == [1.0, 1.0, 1.0]  # only i1 (judged) counts, i2 (failed) is skipped
    sources = warehouse.read(
        "SELECT sources FROM reward_vectors WHERE response_id = 'ref-model-0' "
        "AND dimension = 'essential_coverage'"
    ).item()
    assert json.loads(sources) == ["i1", "i2"]  # not old-i0 (superseded rubric set)
    feedback = warehouse.read(
        "SELECT raw_value FROM reward_vectors WHERE response_id = 'unsafe-model-0' "
        "AND dimension = 'user_rating'"
    ).item()
    assert feedback == 0.0

    trajectory = warehouse.read(
        "SELECT source, step, sum(weight) AS total FROM reward_weight_trajectory GROUP BY 1, 2"
    )
    assert set(trajectory["source"]) == {"simulated", "models"}
    assert all(abs(t - 1.0) < 1e-9 for t in trajectory["total"])
    plots = home / "reports" / "rewards"
    assert (plots / "weight_trajectory_simulated.svg").read_text().startswith("<svg")
    for category in ("expert_knowledge", "format_specifications", "online_feedback"):
        assert (plots / f"weight_trajectory_simulated_{category}.svg").exists()
    models_plot = (plots / "weight_trajectory_models_expert_knowledge.svg").read_text()
    assert "ref-model (baseline)" in models_plot  # baseline candidates are labelled

    items = warehouse.read(
        "SELECT key, failure_rate, rank FROM reward_diagnosis WHERE candidate_model = "
        "'unsafe-model' AND level = 'item' ORDER BY rank"
    )
    assert items["key"].to_list() == ["i1", "i3", "i4", "i5", "i2"]  # ties by key, i2 half
    assert items["failure_rate"].to_list() == [1.0, 1.0, 1.0, 1.0, 0.5]
    assert (home / "reports" / "rewards" / "diagnosis.md").exists()

    # Rematerializing loads the frozen artifact: same hash, even with other reference models.
    again = _materialize(
        warehouse, {"stats_version": "rfn-t1", "reference_models": ["unsafe-model"]}
    )
    assert again.success
    assert json.loads(artifact.read_text())["content_hash"] == body["content_hash"]
    assert warehouse.count("reward_scores") == 12  # replaced, not duplicated
