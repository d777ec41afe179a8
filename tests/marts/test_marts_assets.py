"""The stage assets materialize on a fresh warehouse: K-QA concordance (offline judge),
marts (with missing upstream tables) and the HTML report with its metadata."""

from __future__ import annotations

import dagster as dg

from assets.marts import concordance_suite, html_report, kqa_judge_concordance, marts
from quarkmed_dagster import settings as settings_module
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import PROJECT_ROOT


def test_stage_assets_materialize(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path))
    settings_module.get_settings.cache_clear()
    try:
        wh_path = tmp_path / "warehouse.duckdb"
        warehouse = WarehouseResource(path=str(wh_path))
        warehouse.get().ensure_schema()
        llm = LLMGatewayResource(
            models_config=str(PROJECT_ROOT / "models.yaml"),
            profile="baseline",
            cache_path=str(tmp_path / "llm.sqlite"),
            warehouse_path=str(wh_path),
        )
        result = dg.materialize(
            [kqa_judge_concordance, concordance_suite, marts, html_report],
            resources={"warehouse": warehouse, "llm": llm},
            # a limited run is stored only on request, under '<set>@first30' audit sets
            run_config={
                "ops": {"kqa_judge_concordance": {"config": {"limit": 30, "store_limited": True}}}
            },
        )
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
        mats = {
            m.asset_key.path[-1]: m.metadata
            for m in result.get_asset_materialization_events()
            for m in [m.event_specific_data.materialization]
        }
        assert mats["kqa_judge_concordance"]["dagster/row_count"].value > 0
        assert mats["kqa_judge_concordance"]["stored_as"].value == "limited: <set>@first30"
        judge_flagged = (
            warehouse.get()
            .read(
                "SELECT bool_or(flagged) AS f FROM concordance WHERE group_by = 'all'"
                " AND judge_model = 'baseline/semantic-judge'"
            )["f"]
            .item()
        )
        # one judge, no panel: the physicians' reference rows are never counted
        assert mats["kqa_judge_concordance"]["flagged_panels"].value == int(judge_flagged)
        assert mats["marts"]["leaderboard_dimensions_rows"].value == 0  # nothing scored yet
        report = tmp_path / "reports" / "report.html"
        assert str(mats["html_report"]["report_path"].value).endswith("report.html")
        html = report.read_text()
        assert report.exists() and "Cohen's kappa" in html
        assert "kqa_nli_binary" in html and "baseline/semantic-judge (baseline)" in html
        assert (tmp_path / "warehouse_snapshot.duckdb").exists()
        calls = warehouse.get().read(
            "SELECT count(*) AS n FROM llm_calls WHERE run_label = 'kqa_concordance'"
        )
        assert calls["n"].item() == 30
    finally:
        settings_module.get_settings.cache_clear()
