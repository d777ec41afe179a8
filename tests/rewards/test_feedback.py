"""The user_feedback asset: the feedback inbox (JSONL / CSV / Parquet) -> user_feedback on a
real DuckDB file; validation, quarantine with reasons, content-hash ids, idempotent reruns."""

import json

import dagster as dg
import polars as pl
import pytest

from assets.feedback import user_feedback
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.responses.requests import response_id
from quarkmed_dagster.rewards.feedback import parse_complaint, parse_rating, parse_thumbs
from quarkmed_dagster.settings import get_settings
from tests.rewards.helpers import QUERY, QUERY_ID, insert_query_and_rubric

MED1, MED2 = "acme/med-1", "acme/med-2"
R1, R2 = response_id(QUERY_ID, MED1), response_id(QUERY_ID, MED2)


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    folder = get_settings().feedback_inbox_dir
    folder.mkdir(parents=True)
    yield folder
    get_settings.cache_clear()


def _responses(store) -> None:
    insert_query_and_rubric(store)
    store.upsert_rows(
        "candidate_responses",
        pl.DataFrame(
            {
                "response_id": [R1, R2],
                "query_id": [QUERY_ID] * 2,
                "candidate_model": [MED1, MED2],
                "is_baseline": [False] * 2,
                "response_text": ["answer one", "answer two"],
                "status": ["imported"] * 2,
            }
        ),
        ["response_id"],
    )


def _materialize(store) -> dict:
    result = dg.materialize(
        [user_feedback], resources={"warehouse": WarehouseResource(path=str(store.path))}
    )
    assert result.success
    event = result.get_asset_materialization_events()[0]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _quarantine(store) -> dict[tuple[str, int], str]:
    rows = store.read(
        "SELECT source_file, row_number, reason FROM quarantine WHERE stage = 'user_feedback'"
    )
    return {(f, n): reason for f, n, reason in rows.iter_rows()}


APP_ROWS = [
    {"response_id": R1, "rating": 5, "thumbs": "up"},
    {"query_id": QUERY_ID, "model": MED1, "thumbs": -1,
     "complaint_text": "Rude answer, call me on 555-123-4567"},
    {"query": "  " + QUERY.upper() + " ", "candidate_model": MED2, "rating": "4",
     "complaint": "no"},
    None,  # line 4: broken JSON
    {"response_id": R1, "rating": 7},
    {"response_id": R1, "source": "app"},
    {"model": MED1, "rating": 3},
    {"query_id": QUERY_ID, "model": "acme/unknown", "rating": 3},
    {"response_id": R1, "rating": 5, "thumbs": "up"},  # identical to line 1: another event
    {"response_id": R1, "complaint": False, "complaint_text": "contradiction"},
    {"feedback_id": "ev-1", "response_id": R2, "thumbs": "up", "source": "survey"},
    {"response_id": R2, "query_id": QUERY_ID, "model": MED1, "rating": 2},
]  # fmt: skip


def test_feedback_inbox_import_quarantine_and_idempotent_rerun(warehouse, inbox):
    _responses(warehouse)
    lines = [json.dumps(r) if r else '{"response_id": "broken' for r in APP_ROWS]
    (inbox / "app.jsonl").write_text("\n".join(lines) + "\n")
    (inbox / "survey.csv").write_text(
        "feedback_id,response_id,thumbs,source\n"
        f"ev-1,{R2},up,survey\n"  # the same event as app.jsonl line 11 (overlapping export)
        f"ev-1,{R2},down,survey\n"  # the same event id, other content
    )
    pl.DataFrame({"response_id": [R2], "rating": [1.5]}).write_parquet(inbox / "store.parquet")
    with warehouse.writer() as con:  # feedback written by other means is left alone
        con.execute(
            "INSERT INTO user_feedback (feedback_id, response_id, rating, source) "
            "VALUES ('direct-1', ?, 3, 'app-db')",
            [R1],
        )

    meta = _materialize(warehouse)
    assert (meta["files"], meta["rows_read"], meta["dagster/row_count"]) == (3, 15, 6)
    assert json.loads(meta["linked_by"]) == {"query_id": 1, "query_text": 1, "response_id": 4}
    assert meta["quarantined"] == 9
    rows = warehouse.read(
        "SELECT response_id, rating, thumbs, complaint, complaint_text, source, source_file "
        "FROM user_feedback WHERE source_file IS NOT NULL "
        "ORDER BY source_file, rating NULLS LAST, thumbs"
    )
    assert rows.rows() == [
        (R2, 4.0, None, False, None, "app", "app.jsonl"),
        (R1, 5.0, 1, None, None, "app", "app.jsonl"),
        (R1, 5.0, 1, None, None, "app", "app.jsonl"),
        (R1, None, -1, True, "Rude answer, call me on [PHONE]", "app", "app.jsonl"),
        (R2, None, 1, None, None, "survey", "app.jsonl"),
        (R2, 1.5, None, None, None, "store", "store.parquet"),
    ]
    assert warehouse.read("SELECT count(DISTINCT feedback_id) FROM user_feedback").item() == 7
    reasons = _quarantine(warehouse)
    assert "malformed JSON" in reasons[("app.jsonl", 4)]
    assert reasons[("app.jsonl", 5)] == "rating 7 is not a number from 1 to 5"
    assert reasons[("app.jsonl", 6)].startswith("no feedback signal")
    assert reasons[("app.jsonl", 7)].startswith("missing link")
    assert "is not stored (yet)" in reasons[("app.jsonl", 8)]
    assert reasons[("app.jsonl", 10)] == "complaint is false but complaint_text is given"
    assert "is not the response of 'acme/med-1'" in reasons[("app.jsonl", 12)]
    assert reasons[("survey.csv", 2)].startswith("the same feedback event (id 'ev-1') comes first")
    assert reasons[("survey.csv", 3)].startswith("another version of this event (id 'ev-1')")
    assert "app.jsonl row 11" in reasons[("survey.csv", 3)]
    assert "555" not in "".join(warehouse.read("SELECT raw_content FROM quarantine")["raw_content"])

    # Rerun: the same ids, nothing added; the directly written row survives.
    before = warehouse.read("SELECT * EXCLUDE (imported_at) FROM user_feedback ORDER BY 1")
    _materialize(warehouse)
    after = warehouse.read("SELECT * EXCLUDE (imported_at) FROM user_feedback ORDER BY 1")
    assert after.equals(before)
    assert warehouse.count("quarantine") == 9

    # A file taken out of the inbox takes its rows with it; a response stored later links.
    (inbox / "store.parquet").unlink()
    warehouse.upsert_rows(
        "candidate_responses",
        pl.DataFrame(
            {"response_id": [response_id(QUERY_ID, "acme/unknown")], "query_id": [QUERY_ID],
             "candidate_model": ["acme/unknown"], "is_baseline": [False],
             "response_text": ["late"], "status": ["imported"]}
        ),
        ["response_id"],
    )  # fmt: skip
    meta = _materialize(warehouse)
    assert meta["dagster/row_count"] == 6  # -1 parquet row, +1 now linked (line 8)
    assert ("app.jsonl", 8) not in _quarantine(warehouse)
    assert warehouse.read("SELECT count(*) FROM user_feedback WHERE rating = 1.5").item() == 0
    assert warehouse.read("SELECT count(*) FROM user_feedback WHERE source = 'app-db'").item() == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5.0), ("1", 1.0), (2.5, 2.5), (None, None), ("", None), (0, "problem"),
     ("five", "problem"), (True, "problem"), (float("nan"), None)],
)  # fmt: skip
def test_rating_values(value, expected):
    rating, problem = parse_rating(value)
    assert (problem is not None) if expected == "problem" else (rating, problem) == (expected, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("up", 1), ("DOWN", -1), ("+1", 1), (-1, -1), (1.0, 1), (None, None), (0, "problem"),
     ("meh", "problem"), (True, "problem")],
)  # fmt: skip
def test_thumbs_values(value, expected):
    thumbs, problem = parse_thumbs(value)
    assert (problem is not None) if expected == "problem" else (thumbs, problem) == (expected, None)


@pytest.mark.parametrize(
    ("value", "text", "expected"),
    [(True, None, True), ("yes", None, True), (0, None, False), ("false", None, False),
     (None, "bad", True), (None, None, None), ("maybe", None, "problem"),
     (2, None, "problem"), (False, "bad", "problem")],
)  # fmt: skip
def test_complaint_values(value, text, expected):
    complaint, problem = parse_complaint(value, text)
    if expected == "problem":
        assert problem is not None
    else:
        assert (complaint, problem) == (expected, None)


def test_a_warehouse_made_by_older_code_gets_the_new_columns(tmp_path):
    from quarkmed_dagster.warehouse import Warehouse

    store = Warehouse(tmp_path / "old.duckdb")
    with store.writer() as con:  # the tables as the previous code created them
        con.execute(
            "CREATE TABLE user_feedback (feedback_id VARCHAR PRIMARY KEY, response_id VARCHAR "
            "NOT NULL, query_id VARCHAR, rating DOUBLE, thumbs INTEGER, complaint BOOLEAN, "
            "complaint_text VARCHAR, source VARCHAR NOT NULL, imported_at TIMESTAMP)"
        )
        con.execute("INSERT INTO user_feedback (feedback_id, response_id, source) VALUES "
                    "('old', 'r', 'app')")  # fmt: skip
        con.execute("CREATE TABLE reward_weight_trajectory (source VARCHAR, step INTEGER)")
    store.ensure_schema()
    store.ensure_schema()  # idempotent
    columns = store.read(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE column_name IN ('source_file', 'policy') "
        "AND table_name IN ('user_feedback', 'reward_weight_trajectory')"
    )
    assert sorted(columns.rows()) == [
        ("reward_weight_trajectory", "policy"),
        ("user_feedback", "source_file"),
    ]
    assert store.read("SELECT source_file FROM user_feedback").rows() == [(None,)]


def test_cli_import_feedback_copies_into_the_inbox(inbox, tmp_path):
    from click.testing import CliRunner

    from quarkmed_dagster import cli

    source = tmp_path / "ratings.csv"
    source.write_text(f"response_id,rating\n{R1},4\n")
    runner = CliRunner()
    first = runner.invoke(cli.main, ["import-feedback", str(source)])
    assert first.exit_code == 0, first.output
    assert (inbox / "ratings.csv").read_text() == source.read_text()
    assert "(added)" in first.output and "quarkmed run" in first.output
    assert "(unchanged)" in runner.invoke(cli.main, ["import-feedback", str(source)]).output
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    refused = runner.invoke(cli.main, ["import-feedback", str(notes)])
    assert refused.exit_code != 0 and "unsupported file type" in refused.output
