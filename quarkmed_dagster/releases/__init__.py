"""Benchmark releases: freeze query-set, rubric-set and corpus versions into a snapshot."""

from quarkmed_dagster.releases.rescore import compare_releases, rescore_release
from quarkmed_dagster.releases.snapshot import (
    RELEASE_TABLES,
    ReleaseError,
    ReleaseManifest,
    freeze_release,
    load_release,
)

__all__ = [
    "RELEASE_TABLES",
    "ReleaseError",
    "ReleaseManifest",
    "compare_releases",
    "freeze_release",
    "load_release",
    "rescore_release",
]
