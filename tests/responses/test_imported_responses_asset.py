"""The imported_responses asset on a real DuckDB file, with queries stored by real ingestion."""

import json

import dagster as dg

from assets.responses import imported_responses
from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource

KNOWN = "Is ibuprofen safe with warfarin?"
WITH_PHONE = "Call me on 555-123-4567: can I take aspirin for a fever?"
NEW = "What is the usual amoxicillin dose for otitis media in children?"


def _ingest(warehouse, path, batch_id: str) -> None:
    result = ingest_file(path, batch_id)
    warehouse.replace_rows("queries", result.queries, ["batch_id"], [batch_id])
    warehouse.replace_rows("duplicates", result.duplicates, ["batch_id"], [batch_id])


def _materialize(warehouse, tmp_path) -> dg.ExecuteInProcessResult:
    llm = LLMGatewayResource(
        models_config="models.yaml", profile="baseline", cache_path=str(tmp_path / "c.sqlite")
    )
    result = dg.materialize(
        [imported_responses],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
    )
    assert result.success
    return result


def _metadata(result) -> dict:
    event = result.get_asset_materialization_events()[0]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_match_quarantine_new_queries_and_rerun(warehouse, home, tmp_path):
    queries_file = tmp_path / "stored.jsonl"
    queries_file.write_text("".join(json.dumps({"query": q}) + "\n" for q in (KNOWN, WITH_PHONE)))
    _ingest(warehouse, queries_file, "stored")
    stored = dict(warehouse.read("SELECT final_user_turn, query_id FROM queries").iter_rows())
    assert "Call me on [PHONE]: can I take aspirin for a fever?" in stored
    known_id = stored[KNOWN]

    home.responses_inbox_dir.mkdir(parents=True)
    rows = [
        {"query_id": known_id, "model": "acme/med-1", "response": "by id"},
        # another phone number and other spacing / case: the same query once scrubbed
        {"query": "call me on +1 555 987 6543:  can I take ASPIRIN for a fever?",
         "model": "acme/med-1", "response": "by text"},
        {"query": NEW, "model": "acme/med-1", "response": "waits for its query"},
        {"query_id": known_id, "model": "baseline/reference-candidate", "response": "x"},
        {"query_id": known_id, "response": "no model, phone 555-222-3333"},
        {"query": KNOWN, "model": "acme/med-1"},
        {"model": "acme/med-1", "response": "no query"},
        {"query_id": "unknown-id", "model": "acme/med-1", "response": "x"},
        {"query": KNOWN, "model": "acme/med-1", "response": "second answer, same pair"},
    ]  # fmt: skip
    lines = [json.dumps(r) for r in rows]
    lines.insert(3, '{"query_id": "broken json"')  # line 4
    (home.responses_inbox_dir / "acme.jsonl").write_text("\n".join(lines) + "\n")
    (home.responses_inbox_dir / "acme2.csv").write_text(
        f"query_id,model,response\n{known_id},acme/med-2,from csv\n"
    )

    meta = _metadata(_materialize(warehouse, tmp_path))
    assert meta["files"] == 2 and meta["rows_read"] == 11
    assert (meta["matched_by_id"], meta["matched_by_text"]) == (2, 1)
    assert (meta["pending_responses"], meta["new_queries_written"]) == (1, 1)
    responses = warehouse.read(
        "SELECT query_id, candidate_model, response_text, status, call_key, is_baseline "
        "FROM candidate_responses ORDER BY response_text"
    )
    assert responses.rows() == [
        (known_id, "acme/med-1", "by id", "imported", None, False),
        (stored[WITH_PHONE.replace("555-123-4567", "[PHONE]")], "acme/med-1", "by text",
         "imported", None, False),
        (known_id, "acme/med-2", "from csv", "imported", None, False),
    ]  # fmt: skip

    quarantine = warehouse.read(
        "SELECT stage, source_file, row_number, raw_content, reason FROM quarantine "
        "ORDER BY row_number"
    )
    assert set(quarantine["stage"]) == {"imported_responses"}
    assert set(quarantine["source_file"]) == {"acme.jsonl"}
    reasons = dict(zip(quarantine["row_number"], quarantine["reason"], strict=True))
    assert reasons.keys() == {4, 5, 6, 7, 8, 9, 10}
    assert reasons[4].startswith("malformed JSON")
    assert "reserved for the offline baseline models" in reasons[5]
    assert reasons[6] == "missing model name (field 'model' or 'candidate_model')"
    assert reasons[7] == "missing response text (field 'response' or 'response_text')"
    assert reasons[8].startswith("missing query")
    assert reasons[9] == "unknown query_id 'unknown-id' and no query text to match"
    assert reasons[10].startswith("another response for query")
    assert "acme.jsonl row 1" in reasons[10]
    no_model = quarantine.filter(quarantine["row_number"] == 6)["raw_content"][0]
    assert "[PHONE]" in no_model and "555-222-3333" not in no_model

    query_files = sorted(home.inbox_dir.iterdir())
    assert len(query_files) == 1
    assert [json.loads(x)["query"] for x in query_files[0].read_text().splitlines()] == [NEW]

    # rerun on the same files: nothing new anywhere
    again = _metadata(_materialize(warehouse, tmp_path))
    assert again["new_queries_written"] == 0 and again["pending_responses"] == 1
    assert warehouse.count("candidate_responses") == 3
    assert warehouse.count("quarantine") == len(reasons)
    assert sorted(home.inbox_dir.iterdir()) == query_files

    # once the new query is ingested (what the inbox sensor does), its response matches
    _ingest(warehouse, query_files[0], "imported-queries")
    last = _metadata(_materialize(warehouse, tmp_path))
    assert (last["pending_responses"], last["matched_by_text"]) == (0, 2)
    new_id = warehouse.read("SELECT query_id FROM queries WHERE final_user_turn = ?", [NEW])
    matched = warehouse.read(
        "SELECT query_id FROM candidate_responses WHERE response_text = 'waits for its query'"
    )
    assert matched.item() == new_id.item()
    assert warehouse.count("candidate_responses") == 4
    assert sorted(home.inbox_dir.iterdir()) == query_files
