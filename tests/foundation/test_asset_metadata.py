"""In a real main-job run (the session's `main_job` fixture), every asset of the definitions
was materialized with what the Dagster UI shows: a row count, a column schema and a markdown
preview; the leaderboard and the HTML report are attached as metadata."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.definitions import defs


def test_every_asset_materialization_has_rows_schema_and_preview(main_job):
    instance = dg.DagsterInstance.from_config(str(main_job.dagster_home))
    graph = defs.resolve_asset_graph()
    metadata = {}
    for key in graph.get_all_asset_keys():
        name = key.to_user_string()
        assert graph.get(key).description, f"{name} has no description"
        event = instance.get_latest_materialization_event(key)
        assert event is not None, f"{name} was not materialized by the main job"
        metadata[name] = event.asset_materialization.metadata
    for name, values in metadata.items():
        rows = values.get("dagster/row_count")
        assert rows is not None and rows.value >= 0, f"{name} has no row count"
        schema = values.get("dagster/column_schema")
        assert schema is not None and schema.value.columns, f"{name} has no column schema"
        preview = values.get("preview")
        assert isinstance(preview, dg.MarkdownMetadataValue), f"{name} has no markdown preview"
        assert preview.value.strip(), f"{name} has an empty preview"
    assert metadata["query_scores"]["dagster/row_count"].value > 0
    board = metadata["leaderboard"]["leaderboard"].value.splitlines()
    assert board[0].startswith("| candidate_model | is_baseline | score | ci_low | ci_high")
    assert board[2].startswith("| baseline/reference-candidate | True |")  # ranked first
    names = {c.name for c in metadata["leaderboard"]["dagster/column_schema"].value.columns}
    assert {"candidate_model", "score", "ci_low", "ci_high"} <= names
    report = metadata["html_report"]
    assert str(report["report_path"].value).endswith("report.html")
    assert "LEADERBOARD" in report["leaderboard"].value
    assert report["plots"].value > 0 and "Leaderboard (95% interval)" in report["preview"].value
