import json
from collections import Counter

import polars as pl
import pytest

from quarkmed_dagster.ingest.normalize import query_id_of
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.responses.importing import QueryIndex, import_responses, parse_record
from quarkmed_dagster.responses.inbox import copy_to_inbox
from quarkmed_dagster.responses.pending import PREFIX, write_pending_queries
from quarkmed_dagster.responses.requests import candidate_request

TURNS = [
    {"role": "user", "content": "I have a headache."},
    {"role": "assistant", "content": "Since when?"},
    {"role": "user", "content": "Two days, and fever."},
]


def test_multi_turn_request_keeps_full_history():
    req = candidate_request("baseline/reference-candidate", json.dumps(TURNS), "ref")
    payload = extract_payload(req.messages[0]["content"])
    assert payload["query"] == "Two days, and fever."
    assert payload["history"] == TURNS[:2]
    assert payload["reference_answer"] == "ref"
    real = extract_payload(candidate_request("openai/x", TURNS, "ref").messages[0]["content"])
    assert "reference_answer" not in real


QUERY_KEYS = pl.DataFrame(
    {
        "kind": ["id", "id", "id", "text", "duplicate"],
        "key": ["q1", "q2", "q3", "Is aspirin safe?", "dropped-id"],
        "query_id": ["q1", "q2", "q3", "q1", "q2"],
    }
)


def _write(path, rows: list[dict]) -> None:
    if path.name.endswith(".jsonl"):
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    elif path.name.endswith(".csv"):
        pl.DataFrame(rows).write_csv(path)
    else:
        pl.DataFrame(rows).write_parquet(path)


def test_import_matches_by_id_and_text_in_every_format(tmp_path):
    index = QueryIndex.from_keys(QUERY_KEYS)
    rows = [
        {"query_id": "q1", "query": None, "model": "m", "response": "a"},
        {"query_id": None, "query": "  is ASPIRIN\n safe? ", "model": "n", "response": "b"},
        {"query_id": None, "query": "brand new question", "model": "m", "response": "c"},
    ]
    for name in ("r.jsonl", "r.csv", "r.parquet"):
        _write(tmp_path / name, rows)
        result = import_responses([tmp_path / name], index)
        assert result.responses["query_id"].to_list() == ["q1", "q1"]
        assert result.responses["response_text"].to_list() == ["a", "b"]
        assert set(result.responses["status"]) == {"imported"}
        assert result.responses["call_key"].null_count() == 2
        assert not result.responses["is_baseline"].any()
        assert result.matched_by == {"id": 1, "text": 1}
        assert result.pending_texts == ["brand new question"]
        assert result.quarantine.is_empty(), name


def test_text_is_scrubbed_and_a_dropped_duplicate_resolves_to_its_survivor():
    pii: Counter[str] = Counter()
    row = parse_record("f", 1, {"query": "Call 555-987-6543 ok?", "model": "m",
                                "response": "r"}, frozenset(), pii)  # fmt: skip
    assert row.query_text == "Call [PHONE] ok?" and pii == {"PHONE": 1}
    index = QueryIndex.from_keys(QUERY_KEYS)
    assert index.resolve(row) == (None, None)
    ingested_id = query_id_of([{"role": "user", "content": "Call [PHONE] ok?"}])
    index.by_id[ingested_id] = "q3"  # what ingestion would have stored for that text
    assert index.resolve(row) == ("q3", "text")
    by_dropped = parse_record("f", 2, {"query_id": "dropped-id", "model": "m",
                                       "response": "r"}, frozenset(), pii)  # fmt: skip
    assert index.resolve(by_dropped) == ("q2", "id")


def test_bad_rows_are_rejected_with_every_reason():
    def reason(record: dict, reserved=frozenset()) -> str:
        out = parse_record("f", 1, record, reserved, Counter())
        assert isinstance(out, str), record
        return out

    assert "reserved for the offline baseline" in reason(
        {"query_id": "q1", "model": "Baseline/reference-candidate", "response": "r"}
    )
    assert "is a configured candidate" in reason(
        {"query_id": "q1", "model": "openai/x", "response": "r"}, frozenset({"openai/x"})
    )
    both = reason({"query_id": "q1", "model": " ", "response": ""})
    assert "missing model name" in both and "missing response text" in both
    assert "missing query" in reason({"model": "m", "response": "r"})
    assert "missing query" in reason({"query": "\u00a0\t", "model": "m", "response": "r"})
    assert "query text rejected: message 1 is 20,001 characters long" in reason(
        {"query": "x" * 20_001, "model": "m", "response": "r"}
    )


def test_pending_queries_file_is_written_once(tmp_path):
    inbox = tmp_path / "inbox"
    path, n = write_pending_queries(inbox, ["b?", "a?", "a?"])
    assert n == 2 and path.name.startswith(PREFIX)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["query"] for r in lines] == ["a?", "b?"]
    assert write_pending_queries(inbox, ["a?", "b?"]) == (None, 0)
    second, n = write_pending_queries(inbox, ["a?", "c?"])  # only the new text
    assert n == 1 and [json.loads(x)["query"] for x in second.read_text().splitlines()] == ["c?"]
    assert sorted(p.name for p in inbox.iterdir()) == sorted([path.name, second.name])


def test_copy_to_inbox_states(tmp_path):
    source = tmp_path / "resp.jsonl"
    source.write_text('{"query_id": "q1", "model": "m", "response": "a"}\n')
    inbox = tmp_path / "responses_inbox"
    assert copy_to_inbox(source, inbox) == (inbox / "resp.jsonl", "added")
    assert copy_to_inbox(source, inbox)[1] == "unchanged"
    source.write_text('{"query_id": "q1", "model": "m", "response": "b"}\n')
    assert copy_to_inbox(source, inbox)[1] == "replaced"
    assert (inbox / "resp.jsonl").read_text() == source.read_text()
    bad = tmp_path / "resp.txt"
    bad.write_text("x")
    with pytest.raises(ValueError, match="unsupported file type"):
        copy_to_inbox(bad, inbox)
