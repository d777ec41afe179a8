"""The rubric assets in Dagster: scripted models via the real gateway and local server,
blocking checks, per-query incrementality and carry-forward across corpus versions."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from assets import rubrics as rubric_assets
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import parse_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from tests.rubrics.scripted_models import handler
from tests.rubrics.seed import add_evidence, seed

ROLES = {
    "generators": ["openai/gen-a", "openai/gen-b"],
    "aggregators": ["openai/agg-1", "openai/agg-2"],
    "verifiers": ["openai/ver-1"],
    "rubric_writer": ["openai/writer"],
}


class ScriptedLLM(dg.ConfigurableResource):
    """The real gateway pointed at the local scripted server."""

    url: str
    cache_path: str

    def gateway(self, run_label: str, read_cache: bool = True) -> LiteLLMGateway:
        raw = {"profiles": {"scripted": {
            "defaults": {"api_base": self.url, "json_mode": "none", "max_attempts": 1},
            "roles": ROLES,
        }}}  # fmt: skip
        profile = parse_profile(raw, "scripted")
        cache = CallCache(self.cache_path)
        return LiteLLMGateway(profile, run_label=run_label, cache=cache, read_cache=read_cache)


def _materialize(warehouse, llm, run_config=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [
            rubric_assets.rubric_generation,
            rubric_assets.rubric_items_suite,
            rubric_assets.rubric_constraints,
        ],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse.path)),
            "llm": llm,
            "retrieval": RetrievalResource(index_dir=str(warehouse.path.parent / "index")),
        },
        run_config=run_config,
    )


def test_rubric_assets_checks_incrementality_and_carry_forward(warehouse, tmp_path, monkeypatch):
    seed(warehouse)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    with LocalLLMServer(handler) as server:
        llm = ScriptedLLM(url=server.url, cache_path=str(tmp_path / "calls.duckdb"))
        # min_agreement 0.75 so the 'split' query needs a second round (no deeper backend)
        config = {"ops": {"rubric_generation": {"config": {"min_agreement": 0.75}}}}
        result = _materialize(warehouse, llm, config)
        assert result.success
        checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
        assert checks["rubric_items_suite"].passed
        assert checks["rubric_constraints"].passed or (
            checks["rubric_constraints"].severity == dg.AssetCheckSeverity.WARN
        )
        meta = result.asset_materializations_for_node("rubric_generation")[-1].metadata
        assert meta["generated"].value == 3 and meta["review"].value >= 1
        sets = warehouse.read("SELECT query_id, status, rounds FROM rubric_sets ORDER BY 1")
        assert sets.rows()[0] == ("q-bad", "review", 1)
        assert sets.filter(pl.col("status") == "ok").height == 1  # q-good
        # q-split never converges without deeper evidence: review with low agreement
        assert sets.rows()[2] == ("q-split", "review", 2)
        calls = len(server.requests)

        # unchanged rerun: nothing generated, nothing called
        again = _materialize(warehouse, llm, config)
        meta = again.asset_materializations_for_node("rubric_generation")[-1].metadata
        assert (meta["generated"].value, meta["unchanged_skipped"].value) == (0, 3)
        assert len(server.requests) == calls

        # new corpus version, same evidence for q-good: carried forward without calls
        add_evidence(warehouse, "q-good", "c2")
        with warehouse.writer() as con:
            con.execute("UPDATE corpus_versions SET is_current = (corpus_version = 'c2')")
        third = _materialize(warehouse, llm, config)
        meta = third.asset_materializations_for_node("rubric_generation")[-1].metadata
        # the other queries have no evidence for c2 yet: they wait for the evidence stage
        assert meta["carried_forward"].value == 1 and meta["generated"].value == 0
        assert meta["queries"].value == 1
        assert len(server.requests) == calls
    current = warehouse.read(
        "SELECT DISTINCT query_id, corpus_version, rubric_set_version FROM current_rubric_items"
    )
    assert current.rows()[0][:2] == ("q-good", "c2")
    old = warehouse.read("SELECT count(*) AS n FROM rubric_items WHERE corpus_version = 'c1'")
    assert old["n"][0] > 0  # history is kept; only the current pointer moved


@pytest.mark.parametrize(
    "field", ["support_threshold", "tie_rule", "unsupported_policy", "min_calibration_score"]
)
def test_stage_config_maps_to_consensus_params(field):
    config = rubric_assets.RubricStageConfig()
    assert getattr(config.params(), field) == getattr(config, field)
