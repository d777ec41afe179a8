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
