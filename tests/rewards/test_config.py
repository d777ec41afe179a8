"""The alignment matrix file: the shipped default, clear validation errors, checkpoints, and
a custom matrix changing the reward vector (library, and the reward service's scorer)."""

import pytest
import yaml

from quarkmed_dagster.rewards.config import (
    RewardsConfigError,
    checkpoint_steps,
    load_rewards_config,
    parse_rewards_config,
)
from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import FrozenStatsStore, fit_reference
from quarkmed_dagster.rewards.vector import raw_vector
from quarkmed_dagster.rewards.wiring import build_warehouse_scorer, stats_store_root
from quarkmed_dagster.settings import PROJECT_ROOT, get_settings
from quarkmed_dagster.warehouse import Warehouse
from tests.rewards.helpers import GOOD, QUERY, QUERY_ID, insert_query_and_rubric, judge_models_yaml

SHIPPED = PROJECT_ROOT / "alignment_matrix.yaml"
TWO_DIMS = {
    "version": "matrix-two",
    "dimensions": [
        {"name": "safety", "category": "expert_knowledge", "source": "rubric",
         "tags": ["Safety"], "risk_priority": 2.0, "floor": 0.3},
        {"name": "length", "category": "format_specifications", "source": "format",
         "check": "length"},
    ],
}  # fmt: skip


def _problems(data) -> str:
    with pytest.raises(RewardsConfigError) as caught:
        parse_rewards_config(data, "m.yaml")
    return str(caught.value)


def test_the_shipped_file_is_the_default_matrix_and_is_the_default_setting():
    config = load_rewards_config(SHIPPED)
    assert config.matrix == default_matrix()
    assert config.checkpoints == {}
    assert get_settings().alignment_matrix == SHIPPED


def test_validation_errors_name_the_place_and_the_problem():
    body = yaml.safe_load(SHIPPED.read_text())
    dims = body["dimensions"]
    dims[0]["tags"] = ["Readabilty"]  # misspelt: would select nothing, forever missing
    dims[3]["tiers"] = ["Essentail"]
    dims[8]["risk_priority"] = 0.5
    dims[13]["tags"] = ["Safety"]  # a format check selecting rubric tags
    dims[14]["check"] = "spelling"
    dims[15]["colour"] = "red"
    body["checkpoints"] = {"p": ["only-one"], "q": ["a", "b", "a"]}
    text = _problems(body)
    assert text.startswith("m.yaml: invalid alignment matrix:")
    assert "dimensions[0] (readability).tags: unknown rubric tag(s) ['Readabilty']" in text
    assert "dimensions[3] (essential_coverage).tiers[0]: Input should be 'Essential'" in text
    assert (
        "dimensions[8] (safety).risk_priority: Input should be greater than or equal to 1" in text
    )
    assert "dimensions[13] (length): length: a format dimension takes no tiers/tags" in text
    assert "dimensions[14] (structure).check: Input should be 'length'" in text
    assert "dimensions[15] (citation_format).colour: Extra inputs are not permitted" in text
    assert "policy 'p': a trajectory needs at least 2 checkpoints" in text
    assert "policy 'q': checkpoint(s) listed twice: ['a']" in text


def test_matrix_wide_rules_and_file_errors(tmp_path):
    floors = {"dimensions": [dict(d, floor=0.6) for d in TWO_DIMS["dimensions"]]}
    assert "(top level): risk floors sum to more than 1" in _problems(floors)
    twice = {"dimensions": [TWO_DIMS["dimensions"][1]] * 2}
    assert "dimension names must be unique" in _problems(twice)
    assert "dimensions: Field required" in _problems({"version": "x"})
    assert "expected a mapping" in _problems(["not", "a", "mapping"])
    with pytest.raises(RewardsConfigError, match="alignment matrix file not found"):
        load_rewards_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dimensions: [ {name: a\n")
    with pytest.raises(RewardsConfigError, match=r"bad\.yaml: not valid YAML"):
        load_rewards_config(bad)


def test_a_custom_matrix_changes_the_reward_vector_dimensions(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(TWO_DIMS | {"checkpoints": {"pol": ["s1", "s2", "s3"]}}))
    config = load_rewards_config(path)
    assert config.matrix.names == ("safety", "length")
    assert config.checkpoints == {"pol": ("s1", "s2", "s3")}
    vector = raw_vector(config.matrix, QUERY, GOOD, [], {})
    assert list(vector.values) == ["safety", "length"]
    assert len(raw_vector(default_matrix(), QUERY, GOOD, [], {}).values) == 17
    found, missing = checkpoint_steps(config.checkpoints, ["s3", "s1", "other"])
    assert found == {"pol": ["s1", "s3"]} and missing == {"pol": ["s2"]}


@pytest.fixture
def service_env(tmp_path, monkeypatch, judge_server):
    """Settings for the production scorer: a warehouse with the rubric, the scripted judge,
    the two-dimension matrix file and statistics frozen for it."""
    home = tmp_path / "home"
    store = Warehouse(home / "warehouse.duckdb")
    store.ensure_schema()
    insert_query_and_rubric(store)
    matrix_path = tmp_path / "two.yaml"
    matrix_path.write_text(yaml.safe_dump(TWO_DIMS))
    samples = {"safety": [0.0, 0.5, 1.0, 1.0], "length": [0.2, 0.6, 1.0, 1.0]}
    FrozenStatsStore(stats_store_root(home)).freeze(
        fit_reference(samples, "rfn-two", "uniform", "matrix-two")
    )
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(home))
    monkeypatch.setenv("QUARKMED_ALIGNMENT_MATRIX", str(matrix_path))
    monkeypatch.setenv(
        "QUARKMED_MODELS_CONFIG", str(judge_models_yaml(tmp_path / "models.yaml", judge_server.url))
    )
    monkeypatch.setenv("QUARKMED_MODEL_PROFILE", "scripted-judge")
    monkeypatch.delenv("QUARKMED_WAREHOUSE_PATH", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def test_the_reward_service_scorer_uses_the_matrix_file(service_env):
    scorer = build_warehouse_scorer("rfn-two")
    assert scorer.matrix.version == "matrix-two"
    result = scorer.score(QUERY, GOOD, QUERY_ID)
    assert set(result["vector"]) == {"safety", "length"}
    assert result["raw_vector"]["safety"] == 1.0  # i1 (Safety tag) met, graded by the judge
    assert result["reward"] is not None
