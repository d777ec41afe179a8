"""Reward assets through Dagster on a tiny warehouse (contract tables created here)."""

import base64
import json

import dagster as dg
import pytest
import yaml

from assets.feedback import user_feedback
from assets.rewards import (
    reward_diagnosis,
    reward_normalization,
    reward_vectors,
    reward_vectors_suite,
    reward_weight_trajectory,
)
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import PROJECT_ROOT, get_settings
from tests.rewards.helpers import GOOD, ITEMS, MEDIOCRE, UNSAFE, insert_query_and_rubric

# Levels per model: (i1, i2, i3, i4, i5=Pitfall severity); None = failed judgment.
MODELS = {
    "ref-model": (GOOD, [1, 1, 1, 0.5, 0]),
    "weak-model": (MEDIOCRE, [0, 0, 0.5, 1, 0]),
    "unsafe-model": (UNSAFE, [0, 0.5, 0, 0, 1]),
    "flaky-model": (GOOD + " [1]", [1, None, 1, None, 0]),
}


# The declared checkpoint order of one policy (not alphabetical: weak -> flaky -> ref).
CHECKPOINTS = {"policy-x": ["weak-model", "flaky-model", "ref-model", "never-run"]}


def matrix_file(tmp_path, **changes) -> str:
    """The shipped alignment matrix file with top-level keys replaced."""
    body = yaml.safe_load((PROJECT_ROOT / "alignment_matrix.yaml").read_text()) | changes
    path = tmp_path / "alignment_matrix.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return str(path)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUARKMED_ALIGNMENT_MATRIX", matrix_file(tmp_path, checkpoints=CHECKPOINTS))
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
        con.execute(  # written by other means; the feedback inbox adds the unsafe one's
            "INSERT INTO user_feedback (feedback_id, response_id, rating, thumbs, complaint,"
            " source) VALUES ('f1', 'ref-model-0', 5, 1, false, 'app')"
        )
    inbox = get_settings().feedback_inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "app.csv").write_text(
        "response_id,rating,thumbs,complaint_text\nunsafe-model-0,1,down,told me to stop meds\n"
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
            user_feedback,
            reward_normalization,
            reward_vectors,
            reward_vectors_suite,
            reward_weight_trajectory,
            reward_diagnosis,
        ],
        resources={"warehouse": WarehouseResource(path=str(store.path))},
        run_config=run_config,
    )


def _metadata_svg(result: dg.ExecuteInProcessResult, asset: str, key: str) -> str:
    """The SVG inlined (base64 data URI) in a markdown metadata entry of ``asset``."""
    (materialization,) = result.asset_materializations_for_node(asset)
    text = materialization.metadata[key].value
    prefix = "data:image/svg+xml;base64,"
    assert text.startswith(f"![{key}]({prefix}") and text.endswith(")"), text[:80]
    svg = base64.b64decode(text[len(f"![{key}]({prefix}") : -1]).decode()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    return svg


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
        "SELECT source, policy, step, sum(weight) AS total FROM reward_weight_trajectory "
        "GROUP BY 1, 2, 3"
    )
    assert set(trajectory["source"]) == {"simulated", "models", "checkpoints"}
    assert all(abs(t - 1.0) < 1e-9 for t in trajectory["total"])
    order = warehouse.read(
        "SELECT DISTINCT policy, step, step_label FROM reward_weight_trajectory "
        "WHERE source = 'checkpoints' ORDER BY step"
    )
    # the declared order, not alphabetical; a declared checkpoint without responses is left out
    assert order.rows() == [
        ("policy-x", 0, "weak-model"),
        ("policy-x", 1, "flaky-model"),
        ("policy-x", 2, "ref-model"),
    ]
    plots = home / "reports" / "rewards"
    assert (plots / "weight_trajectory_simulated.svg").read_text().startswith("<svg")
    for category in ("expert_knowledge", "format_specifications", "online_feedback"):
        assert (plots / f"weight_trajectory_simulated_{category}.svg").exists()
    models_plot = (plots / "weights_by_model_expert_knowledge.svg").read_text()
    assert "ref-model (baseline)" in models_plot  # baseline candidates are labelled
    assert "compared, not a sequence" in models_plot
    assert "<polyline" not in models_plot and 'class="point"' in models_plot  # no implied order
    policy_plot = (
        plots / "weight_trajectory_checkpoints_policy-x_expert_knowledge.svg"
    ).read_text()
    assert policy_plot.count('class="line"') == 7  # one line per expert_knowledge dimension
    assert policy_plot.index("weak-model") < policy_plot.index("flaky-model")

    # Reward statistics as plots in the asset metadata (inline SVG), files beside the others.
    normalization_plot = _metadata_svg(result, "reward_normalization", "plot_reference_stats")
    assert "Frozen reference rfn-t1" in normalization_plot
    assert normalization_plot.count('class="bar"') >= 10  # a bar per fitted dimension
    assert normalization_plot.count('class="interval"') >= 10
    spread = _metadata_svg(result, "reward_vectors", "plot_raw_by_dimension")
    assert "essential_coverage (n=12/12)" in spread and "user_rating (n=2/12)" in spread
    by_model = _metadata_svg(result, "reward_vectors", "plot_reward_by_model")
    assert by_model.count('class="ecdf"') == len(MODELS)  # one distribution per model
    assert "ref-model (baseline)" in by_model
    for name in ("plot_reference_stats", "plot_raw_by_dimension", "plot_reward_by_model"):
        assert (plots / f"{name}.svg").read_text().startswith("<svg")
    assert _metadata_svg(result, "reward_weight_trajectory", "weight_trajectory_simulated")

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


SMALL_MATRIX = [
    {"name": "essential_coverage", "category": "expert_knowledge", "source": "rubric",
     "tiers": ["Essential"]},
    {"name": "pitfall_avoidance", "category": "expert_knowledge", "source": "rubric",
     "tiers": ["Pitfall"], "risk_priority": 3.0, "floor": 0.2},
    {"name": "user_rating", "category": "online_feedback", "source": "feedback",
     "feedback": "rating"},
    {"name": "length", "category": "format_specifications", "source": "format",
     "check": "length"},
]  # fmt: skip


def test_a_custom_matrix_file_sets_the_reward_dimensions(warehouse, home, tmp_path, monkeypatch):
    _contract_tables(warehouse)
    small = matrix_file(
        tmp_path, version="matrix-small", dimensions=SMALL_MATRIX, checkpoints=CHECKPOINTS
    )
    monkeypatch.setenv("QUARKMED_ALIGNMENT_MATRIX", small)
    get_settings.cache_clear()
    assert _materialize(warehouse, {"stats_version": "rfn-small"}).success
    dims = warehouse.read(
        "SELECT response_id, list(dimension ORDER BY dimension) AS dims FROM reward_vectors "
        "GROUP BY 1"
    )
    assert dims.height == 12
    assert all(d == sorted(row["name"] for row in SMALL_MATRIX) for d in dims["dims"].to_list())
    artifact = json.loads((home / "rewards" / "normalization" / "rfn-small.json").read_text())
    assert artifact["matrix_version"] == "matrix-small" and len(artifact["dimensions"]) == 4
    weights = warehouse.read("SELECT source, step, dimension, weight FROM reward_weight_trajectory")
    # the simulation needs dimensions this matrix lacks: none is drawn, nothing pretends
    assert set(weights["source"]) == {"models", "checkpoints"}
    assert set(weights["dimension"]) == {row["name"] for row in SMALL_MATRIX}
    pitfall = weights.filter(weights["dimension"] == "pitfall_avoidance")["weight"]
    assert pitfall.min() >= 0.2 - 1e-12  # the file's floor holds

    # Statistics frozen for one matrix are refused by another (same stats version).
    monkeypatch.delenv("QUARKMED_ALIGNMENT_MATRIX")
    get_settings.cache_clear()
    with pytest.raises(Exception, match="do not fit alignment matrix matrix-v1"):
        _materialize(warehouse, {"stats_version": "rfn-small"})
