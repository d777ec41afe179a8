"""Re-score a frozen release later: load it into its own warehouse, recompute the scores from
the stored verdicts (no model call) and label every row with the release and its versions,
so leaderboards of different releases can be put side by side."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from quarkmed_dagster.releases.snapshot import load_release
from quarkmed_dagster.scoring.frames import score_warehouse
from quarkmed_dagster.scoring.hierarchical import ScoringConfig
from quarkmed_dagster.warehouse import Warehouse


def rescore_release(
    release_dir: Path,
    work_dir: Path,
    weights: dict[str, float] | None = None,
    cfg: ScoringConfig | None = None,
) -> pl.DataFrame:
    """The release's leaderboard under ``cfg`` (default when None), its tier weights replaced
    by ``weights`` when given."""
    work_dir.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(work_dir / f"{release_dir.name}.duckdb")
    manifest = load_release(release_dir, warehouse)
    cfg = cfg or ScoringConfig()
    if weights is not None:
        cfg = replace(cfg, weights=dict(weights))
    board = score_warehouse(warehouse, cfg)[1]
    return board.with_columns(
        release_id=pl.lit(manifest.release_id),
        query_set_version=pl.lit(manifest.query_set_version),
        release_rubric_sets=pl.lit(len(manifest.rubric_set_versions)),
        release_corpus_versions=pl.lit(", ".join(manifest.corpus_versions)),
    )


def compare_releases(
    release_dirs: list[Path],
    work_dir: Path,
    weights: dict[str, float] | None = None,
    cfg: ScoringConfig | None = None,
) -> pl.DataFrame:
    """Leaderboards of several releases, re-scored with the same configuration, one frame."""
    return pl.concat(
        [rescore_release(d, work_dir, weights, cfg) for d in release_dirs],
        how="diagonal_relaxed",
    )
