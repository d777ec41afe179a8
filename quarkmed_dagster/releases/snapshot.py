"""Freeze a benchmark release into Parquet files plus a manifest, and load it back.

A release names the versions it was made with (query set, rubric sets, corpus), so its
scores can be recomputed later from the stored verdicts and compared with other releases.
Files are checked against their sha256 on load; a tampered or partial release is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.warehouse import Warehouse, load_sql

# Everything needed to re-score and audit a release without any model call. rubric_sets and
# corpus_versions carry the "current" pointers that the scoring views read.
RELEASE_TABLES: tuple[str, ...] = (
    "queries",
    "reference_rubrics",
    "reference_answers",
    "corpus_versions",
    "passages",
    "query_evidence",
    "evidence_fingerprints",
    "rubric_sets",
    "rubric_items",
    "candidate_responses",
    "judge_verdicts",
    "item_verdicts",
    "query_scores",
)


class ReleaseError(RuntimeError):
    """A release cannot be frozen or loaded; the message says why."""


@dataclass
class ReleaseManifest:
    release_id: str
    name: str
    created_at: str
    query_set_version: str | None
    rubric_set_versions: list[str]
    corpus_versions: list[str]
    tables: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _existing_tables(warehouse: Warehouse) -> set[str]:
    frame = warehouse.read("SELECT table_name FROM information_schema.tables")
    return set(frame["table_name"].to_list())


def _distinct(warehouse: Warehouse, table: str, column: str, present: set[str]) -> list[str]:
    if table not in present:
        return []
    frame = warehouse.read(f'SELECT DISTINCT "{column}" AS v FROM "{table}" WHERE v IS NOT NULL')
    return sorted(str(v) for v in frame["v"].to_list())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def release_versions(warehouse: Warehouse) -> tuple[str | None, list[str], list[str]]:
    """The query set, and the rubric sets and corpus versions the scores are made with: the
    current ones (older versions travel along in the tables, as history)."""
    present = _existing_tables(warehouse)
    query_ids = _distinct(warehouse, "queries", "query_id", present)
    query_set_version = stable_hash(query_ids) if query_ids else None
    rubric_sets = _distinct(warehouse, "current_rubric_items", "rubric_set_version", present)
    corpora = _distinct(warehouse, "current_rubric_items", "corpus_version", present)
    if not corpora and "corpus_versions" in present:
        current = warehouse.read("SELECT corpus_version FROM corpus_versions WHERE is_current")
        corpora = sorted(current["corpus_version"].to_list())
    return query_set_version, rubric_sets, corpora


def freeze_release(warehouse: Warehouse, name: str, releases_dir: Path) -> ReleaseManifest:
    """Write every release table that exists to ``releases_dir/<release_id>/``."""
    present = _existing_tables(warehouse)
    query_set, rubric_sets, corpora = release_versions(warehouse)
    if query_set is None:
        raise ReleaseError("nothing to freeze: the warehouse has no queries")
    release_id = f"{name}-{stable_hash([query_set, rubric_sets, corpora], length=10)}"
    target = releases_dir / release_id
    target.mkdir(parents=True, exist_ok=True)
    manifest = ReleaseManifest(
        release_id=release_id,
        name=name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        query_set_version=query_set,
        rubric_set_versions=rubric_sets,
        corpus_versions=corpora,
    )
    with warehouse.connect() as con:
        for table in RELEASE_TABLES:
            if table not in present:
                continue
            path = target / f"{table}.parquet"
            con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{path}' (FORMAT parquet)")
            rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            manifest.tables[table] = {"rows": int(rows), "sha256": _sha256(path)}
    (target / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    _record_release(warehouse, manifest, str(target))
    return manifest


def load_release(release_dir: Path, warehouse: Warehouse) -> ReleaseManifest:
    """Replace the release tables of ``warehouse`` with the frozen files (verified first)."""
    manifest_path = release_dir / "manifest.json"
    if not manifest_path.exists():
        raise ReleaseError(f"{release_dir} has no manifest.json: not a QuarkMed release")
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest = ReleaseManifest(**data)
    for table, info in manifest.tables.items():
        path = release_dir / f"{table}.parquet"
        if not path.exists() or _sha256(path) != info["sha256"]:
            raise ReleaseError(f"{path} is missing or does not match the manifest's sha256")
    warehouse.ensure_schema()
    with warehouse.writer() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for table in manifest.tables:
                path = release_dir / f"{table}.parquet"
                con.execute(f'DELETE FROM "{table}"')
                con.execute(f"INSERT INTO \"{table}\" BY NAME SELECT * FROM read_parquet('{path}')")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    _record_release(warehouse, manifest, str(release_dir))
    return manifest


def _record_release(warehouse: Warehouse, manifest: ReleaseManifest, location: str) -> None:
    with warehouse.writer() as con:
        con.execute(
            load_sql("upsert_release"),
            [
                manifest.release_id,
                manifest.name,
                manifest.created_at,
                manifest.query_set_version,
                json.dumps(manifest.rubric_set_versions),
                json.dumps(manifest.corpus_versions),
                json.dumps(manifest.tables, sort_keys=True),
                location,
            ],
        )
