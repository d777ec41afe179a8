"""Benchmark releases: freeze query-set, rubric-set and corpus versions into a snapshot."""

from quarkmed_dagster.releases.snapshot import (
    RELEASE_TABLES,
    ReleaseManifest,
    freeze_release,
    load_release,
)

__all__ = ["RELEASE_TABLES", "ReleaseManifest", "freeze_release", "load_release"]
