"""The Dagster definitions load and validate; every asset carries the metadata we promise."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.definitions import defs


def test_definitions_load_and_validate() -> None:
    dg.Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    assert repository.asset_graph is not None


def test_every_asset_is_described_grouped_and_versioned() -> None:
    for assets_def in defs.assets or []:
        if not isinstance(assets_def, dg.AssetsDefinition):
            continue
        for key in assets_def.keys:
            spec = assets_def.specs_by_key[key]
            name = key.to_user_string()
            assert spec.description, f"{name} has no description"
            assert spec.group_name and spec.group_name != "default", f"{name} has no group"
            assert spec.code_version, f"{name} has no code_version"
            assert spec.owners, f"{name} has no owners"
            assert spec.kinds, f"{name} has no kinds"


def test_code_location_snapshot_serialises_as_the_ui_loads_it() -> None:
    """The webserver and daemon receive the repository as a serialised snapshot: a custom
    automation condition that cannot be serialised makes the code location fail to load."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import deserialize_value, serialize_value

    snapshot = RepositorySnap.from_def(defs.get_repository_def())
    restored = deserialize_value(serialize_value(snapshot), RepositorySnap)
    assert {node.asset_key for node in restored.asset_nodes} == set(
        defs.get_repository_def().asset_graph.get_all_asset_keys()
    )


def test_named_jobs_and_schedules_use_them() -> None:
    repository = defs.get_repository_def()
    names = {job.name for job in repository.get_all_jobs()}
    assert {"ingest_job", "benchmark_job", "eval_job", "rubric_refresh_job", "report_job"} <= names
    assert repository.get_schedule_def("rubric_refresh_schedule").job_name == "rubric_refresh_job"
    assert repository.get_schedule_def("report_build_schedule").job_name == "report_job"
    benchmark = repository.get_job("benchmark_job").asset_layer.executable_asset_keys
    keys = {key.to_user_string() for key in benchmark}
    # the eval assets are in it (no model configured: they write nothing); ingestion is not
    assert {"query_scores", "leaderboard", "html_report", "evaluated_responses"} <= keys
    assert "queries" not in keys
