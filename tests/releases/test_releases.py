"""Benchmark releases: freeze, reload into an empty warehouse, re-score without model calls;
two releases made before and after a rubric refresh stay separately re-scorable and labelled."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest

from quarkmed_dagster.releases import (
    ReleaseError,
    compare_releases,
    freeze_release,
    load_release,
    rescore_release,
)
from quarkmed_dagster.scoring.frames import rescore
from quarkmed_dagster.scoring.hierarchical import DEFAULT_WEIGHTS
from quarkmed_dagster.warehouse import Warehouse
from tests.warehouse_rows import insert_rows

QUERIES = ("q1", "q2")
MODELS = ("model-a", "model-b")
TIERS = ("Essential", "Essential", "Important", "Highlight", "Pitfall")


def _seed(warehouse: Warehouse) -> None:
    insert_rows(warehouse, "queries", [
        {"query_id": q, "batch_id": "b1", "session_id": q, "turns": json.dumps(
            [{"role": "user", "content": f"question {q}"}]), "n_turns": 1,
         "is_multi_turn": False, "final_user_turn": f"question {q}", "language": "en",
         "source": "test", "category": "Clinical Care", "category_classifier": "rules",
         "difficulty": "easy", "ingested_at": datetime(2026, 1, 1)}
        for q in QUERIES
    ])  # fmt: skip
    insert_rows(warehouse, "candidate_responses", [
        {"response_id": f"{q}-{m}", "query_id": q, "candidate_model": m, "is_baseline": False,
         "response_text": f"answer of {m}", "status": "ok"}
        for q in QUERIES for m in MODELS
    ])  # fmt: skip


def _rubric_version(warehouse: Warehouse, corpus: str, levels: dict[str, float]) -> None:
    """A current rubric set per query on ``corpus`` and the panel's verdicts on it."""
    version = f"rs-{corpus}"
    with warehouse.writer() as con:
        con.execute("UPDATE rubric_sets SET is_current = FALSE")
        con.execute("UPDATE corpus_versions SET is_current = FALSE")
    insert_rows(warehouse, "corpus_versions", [
        {"corpus_version": corpus, "n_documents": 1, "n_passages": 1, "backend": "test",
         "is_current": True, "built_at": datetime(2026, 1, 1)}
    ])  # fmt: skip
    items, verdicts = [], []
    for q in QUERIES:
        insert_rows(warehouse, "rubric_sets", [
            {"query_id": q, "rubric_set_version": version, "config_hash": "cfg",
             "corpus_version": corpus, "status": "ok", "n_items": len(TIERS), "rounds": 1,
             "repaired": False, "is_current": True}
        ])  # fmt: skip
        for n, tier in enumerate(TIERS):
            item = f"{q}-{version}-{n}"
            items.append({"item_id": item, "query_id": q, "rubric_set_version": version,
                          "corpus_version": corpus, "tier": tier, "title": f"{tier} {n}",
                          "description": "d", "tag": "Safety", "weight": 1.0, "levels": "[]",
                          "support_count": 2, "support_ratio": 1.0,
                          "verification": "supported", "generated_by_baseline": False})  # fmt: skip
            for m in MODELS:
                # no pitfall, every Highlight met, Essential / Important as given per model
                level = {"Pitfall": 0.0, "Highlight": 1.0}.get(tier, levels[m])
                verdicts.append({"response_id": f"{q}-{m}", "item_id": item, "level": level,
                                 "n_votes": 1, "agreement": 1.0})  # fmt: skip
    insert_rows(warehouse, "rubric_items", items)
    insert_rows(warehouse, "item_verdicts", verdicts)


@pytest.fixture()
def scored(tmp_path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "live.duckdb")
    warehouse.ensure_schema()
    _seed(warehouse)
    _rubric_version(warehouse, "c1", {"model-a": 1.0, "model-b": 0.5})
    return warehouse


def _scores(board: pl.DataFrame) -> dict[str, float]:
    overall = board.filter(pl.col("category") == board["category"][0])
    return dict(zip(overall["candidate_model"], overall["score"], strict=True))


def test_release_reloads_and_rescores_without_the_original_warehouse(scored, tmp_path):
    original = rescore(scored, dict(DEFAULT_WEIGHTS))
    manifest = freeze_release(scored, "spring", tmp_path / "releases")
    assert (manifest.rubric_set_versions, manifest.corpus_versions) == (["rs-c1"], ["c1"])
    assert {"rubric_sets", "corpus_versions", "item_verdicts"} <= set(manifest.tables)
    release_dir = tmp_path / "releases" / manifest.release_id
    board = rescore_release(release_dir, tmp_path / "work")
    assert _scores(board) == pytest.approx(_scores(original))
    assert _scores(board)["model-a"] > _scores(board)["model-b"]
    assert set(board["release_id"]) == {manifest.release_id}
    assert set(board["rubric_set_version"]) == {"rs-c1"}
    # other weights, same stored verdicts: a different score, still no model involved
    heavy = rescore_release(release_dir, tmp_path / "work2", {**DEFAULT_WEIGHTS, "Highlight": 0})
    assert _scores(heavy)["model-b"] != pytest.approx(_scores(board)["model-b"])


def test_releases_before_and_after_a_refresh_stay_comparable_and_labelled(scored, tmp_path):
    first = freeze_release(scored, "v1", tmp_path / "releases")
    _rubric_version(scored, "c2", {"model-a": 0.5, "model-b": 1.0})  # refreshed knowledge
    second = freeze_release(scored, "v2", tmp_path / "releases")
    assert first.release_id != second.release_id
    assert first.query_set_version == second.query_set_version  # same queries
    assert (second.rubric_set_versions, second.corpus_versions) == (["rs-c2"], ["c2"])
    both = compare_releases(
        [tmp_path / "releases" / r.release_id for r in (first, second)], tmp_path / "work"
    )
    by_release = {release: _scores(part) for (release,), part in both.group_by(["release_id"])}
    assert by_release[first.release_id]["model-a"] > by_release[first.release_id]["model-b"]
    assert by_release[second.release_id]["model-b"] > by_release[second.release_id]["model-a"]
    labels = both.select("release_id", "rubric_set_version", "release_corpus_versions").unique()
    assert sorted(labels.rows()) == sorted(
        [(first.release_id, "rs-c1", "c1"), (second.release_id, "rs-c2", "c2")]
    )


def test_tampered_or_partial_release_is_refused(scored, tmp_path):
    manifest = freeze_release(scored, "v1", tmp_path / "releases")
    release_dir = tmp_path / "releases" / manifest.release_id
    target = Warehouse(tmp_path / "target.duckdb")
    (release_dir / "item_verdicts.parquet").write_bytes(b"not the frozen verdicts")
    with pytest.raises(ReleaseError, match="sha256"):
        load_release(release_dir, target)
    (release_dir / "manifest.json").unlink()
    with pytest.raises(ReleaseError, match="manifest"):
        load_release(release_dir, target)


def test_cli_freezes_and_rescores_releases(scored, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from quarkmed_dagster.cli import main
    from quarkmed_dagster.settings import get_settings

    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QUARKMED_WAREHOUSE_PATH", str(scored.path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        frozen = runner.invoke(main, ["release", "freeze", "spring"])
        assert frozen.exit_code == 0, frozen.output
        [release_dir] = list(get_settings().releases_dir.iterdir())
        assert release_dir.name.startswith("spring-") and release_dir.name in frozen.output
        board = runner.invoke(
            main, ["release", "rescore", str(release_dir), "--weights", "Highlight=0"]
        )
        assert board.exit_code == 0, board.output
        assert release_dir.name in board.output and "model-a" in board.output
    finally:
        get_settings.cache_clear()
