import json

import polars as pl

from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.responses.importing import match_responses, read_response_file
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


def test_import_matches_by_id_and_text(tmp_path):
    queries = pl.DataFrame(
        {"query_id": ["q1", "q2"], "final_user_turn": ["Is aspirin safe?", "Fever?"]}
    )
    rows = [
        {"query_id": "q1", "model": "m", "response": "a"},
        {"query": "  is ASPIRIN safe? ", "model": "n", "response": "b"},
        {"query": "brand new question", "model": "m", "response": "c"},
    ]
    for name in ("r.jsonl", "r.csv", "r.parquet"):
        path = tmp_path / name
        df = pl.DataFrame(rows)
        if name.endswith("jsonl"):
            path.write_text("\n".join(json.dumps(r) for r in rows))
        elif name.endswith("csv"):
            df.write_csv(path)
        else:
            df.write_parquet(path)
        matched, unmatched = match_responses(read_response_file(path), queries)
        assert matched["query_id"].to_list() == ["q1", "q1"]
        assert matched["response_text"].to_list() == ["a", "b"]
        assert [u["query"] for u in unmatched] == ["brand new question"]
