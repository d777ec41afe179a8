"""The secret scanner finds a key in plain files and inside compressed DuckDB columns."""

from __future__ import annotations

import duckdb

from quarkmed_dagster.secret_scan import scan_for_secret

SECRET = "sk-test-QUARKMED-SECRET-0042"


def test_scanner_finds_plain_and_duckdb_traces(tmp_path) -> None:
    (tmp_path / "clean.log").write_text("nothing to see\n" * 1000)
    (tmp_path / "dirty.log").write_text("x" * (1 << 20) + SECRET)  # straddles a chunk border
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE calls AS SELECT 'header ' || range AS raw FROM range(50000)")
    con.execute("INSERT INTO calls VALUES (?)", [f"Authorization: Bearer {SECRET}"])
    con.close()
    hits = scan_for_secret([tmp_path], SECRET)
    places = {(h.path.name, h.where) for h in hits}
    assert ("dirty.log", "raw bytes") in places
    assert ("w.duckdb", "calls.raw") in places
    assert not any(h.path.name == "clean.log" for h in hits)


def test_clean_tree_has_no_hits(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("sk-test-other-key")
    assert scan_for_secret([tmp_path], SECRET) == []
