"""Assembles assets, checks, resources, sensors and schedules of every stage module."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import dagster as dg

import assets as asset_package
from quarkmed_dagster.automation import automation_sensor, with_default_automation
from quarkmed_dagster.resources import build_resources


def _stage_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{asset_package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(asset_package.__path__)
    ]


def _collect(modules: list[ModuleType], attribute: str) -> list:
    return [item for module in modules for item in getattr(module, attribute, [])]


def build_definitions() -> dg.Definitions:
    modules = _stage_modules()
    return dg.Definitions(
        assets=with_default_automation(dg.load_assets_from_modules(modules)),
        asset_checks=dg.load_asset_checks_from_modules(modules),
        sensors=[automation_sensor, *_collect(modules, "SENSORS")],
        schedules=_collect(modules, "SCHEDULES"),
        jobs=_collect(modules, "JOBS"),
        resources=build_resources(),
    )


defs = build_definitions()
