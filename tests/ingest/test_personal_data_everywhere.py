"""No personal datum of an input file is stored anywhere: every free-text field is scrubbed
(queries, the file's labels, reference data, quarantine rows and their reasons, imported
responses, user feedback), and a scan of every VARCHAR column of every table of the
warehouse file after ingesting files full of personal data finds none of the raw values."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.feedback import user_feedback
from assets.queries import queries
from assets.responses import imported_responses
from quarkmed_dagster.ingest.batches import PARTITIONS_NAME, register_batch
from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.responses.importing import QueryIndex, import_responses
from quarkmed_dagster.rewards.feedback import ResponseIndex, import_feedback
from quarkmed_dagster.secret_scan import scan_for_secret
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse

MODELS = Path(__file__).resolve().parents[2] / "models.yaml"
EMAIL, PHONE, SSN = "jane.roe@example.org", "(555) 867-5309", "123-45-6789"
STREET, BIRTH, MRN = "17 Elm Street", "04/12/1979", "MRN 00448812"
URL = "https://portal.example.com/visit?patient=88121&token=zq81x"
RAW_VALUES = [EMAIL, PHONE, SSN, STREET, BIRTH, "00448812", "patient=88121", "token=zq81x"]
PERSONAL = (
    f"I'm Jane ({EMAIL}, {PHONE}, SSN {SSN}), I live at {STREET}, DOB: {BIRTH}, {MRN}; "
    f"my results are at {URL}"
)
QUESTION = f"{PERSONAL}. Is 500 mg of amoxicillin twice a day OK?"


def _leaks(text: str) -> list[str]:
    return [value for value in RAW_VALUES if value in text]


def _stored(frame: pl.DataFrame) -> str:
    return json.dumps(frame.to_dicts(), ensure_ascii=False, default=str)


def _jsonl(path: Path, records: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


GENERIC = [
    {"id": f"patient {EMAIL}", "question": QUESTION, "department": f"Dr. Lee, {STREET}",
     "tags": [f"ssn {SSN}", PHONE, {"mrn": MRN}], "source": f"clinic inbox {EMAIL}",
     "reference_answer": f"Please call {PHONE} or write to {EMAIL}."},
    {"id": "row-2", "question": QUESTION},  # the same question: a duplicate
    {"id": f"patient {EMAIL}", "question": f"Another question from {PHONE}"},  # id reused
    f'{{"id": "broken", "question": "{PERSONAL}',  # malformed JSON
    {"id": "no-text", "department": PERSONAL},  # no question
]  # fmt: skip
HEALTHBENCH = [
    {"prompt_id": "hb-1",
     "prompt": [{"role": "user", "content": f"My son was born on {BIRTH}. {PERSONAL}. Fever?"}],
     "rubrics": [{"criterion": f"Tells the parent to call {PHONE}", "points": 5,
                  "tags": [f"axis:{EMAIL}", "level:example"]}],
     "example_tags": [f"theme:{STREET}", f"contact:{URL}"],
     "ideal_completions_data": {"ideal_completion": f"Write to {EMAIL} today."}},
]  # fmt: skip


def test_the_file_labels_are_scrubbed_like_the_text(tmp_path: Path) -> None:
    result = ingest_file(_jsonl(tmp_path / "clinic.jsonl", GENERIC), "b1", "generic")
    assert (result.queries.height, result.duplicates.height, result.quarantine.height) == (1, 1, 3)
    row = result.queries.row(0, named=True)
    assert row["department"] == "Dr. Lee, [ADDRESS]"
    assert json.loads(row["tags"]) == ["ssn [ID_NUMBER]", "[PHONE]", '{"mrn": "[ID_NUMBER]"}']
    assert row["source"] == "clinic inbox [EMAIL]" and row["source_id"] == "patient [EMAIL]"
    assert row["session_id"] == "clinic inbox [EMAIL]:patient [EMAIL]"
    # the reused id is still recognised (ids are compared as read, in memory), and the reason
    # quoting it is scrubbed like the row
    reasons = result.quarantine["reason"].to_list()
    assert any(r.startswith("duplicate id 'patient [EMAIL]'") for r in reasons), reasons
    for name, frame in [
        ("queries", result.queries),
        ("answers", result.reference_answers),
        ("duplicates", result.duplicates),
        ("quarantine", result.quarantine),
    ]:
        assert not _leaks(_stored(frame)), name

    hb = ingest_file(_jsonl(tmp_path / "hb.jsonl", HEALTHBENCH), "b2", "healthbench")
    assert json.loads(hb.reference_rubrics["tags"].item()) == ["axis:[EMAIL]", "level:example"]
    assert json.loads(hb.queries["tags"].item()) == ["theme:[ADDRESS]", "contact:[URL_PERSONAL]"]
    for frame in (hb.queries, hb.reference_rubrics, hb.reference_answers):
        assert not _leaks(_stored(frame))
    assert hb.pii_counts["EMAIL"] == 3  # the turn, the criterion tag, the ideal completion


STORED_QUERY = "Is 500 mg of amoxicillin twice a day OK?"


def _index() -> QueryIndex:
    """A warehouse holding one single-turn query q1 (as the match-keys SQL lists it)."""
    return QueryIndex.from_keys(
        pl.DataFrame({"kind": ["text"], "key": [STORED_QUERY], "query_id": ["q1"]})
    )


def _on_the_cut(record: dict, field: str) -> dict:
    """``record`` with ``field`` padded so that EMAIL starts just before the 2,000-character
    cut of its quarantined raw content."""
    head = json.dumps({**record, field: ""}).index(f'"{field}": ""') + len(field) + 5
    padded = {**record, field: "x " * ((1995 - head) // 2) + f"{EMAIL} and more"}
    assert json.dumps(padded).index(EMAIL) == 1995  # 1995..2014: across the cut
    return padded


def _cut_scrubbed(quarantine: pl.DataFrame) -> None:
    """Every quarantined row is scrubbed first, then cut: nothing of EMAIL survives."""
    for raw in quarantine["raw_content"]:
        assert "jane" not in raw and len(raw) <= 2000
    assert any(raw.endswith(" [EMAI") for raw in quarantine["raw_content"])  # scrubbed, cut


def test_imported_responses_are_scrubbed_and_quarantined_rows_scrubbed_before_the_cut(
    tmp_path: Path,
) -> None:
    path = _jsonl(tmp_path / "responses.jsonl", [
        {"model": "acme/med-1", "query": STORED_QUERY,
         "response": f"Yes. I noted {EMAIL} and {PHONE} for your pharmacy at {STREET}."},
        {"model": f"acme/{EMAIL}", "query": STORED_QUERY, "response": "Yes."},
        # rejected (a reserved model name) with the email on the cut of its raw content
        _on_the_cut({"model": "acme/cand", "query": STORED_QUERY, "response": ""}, "response"),
        {"model": f"baseline/{EMAIL}", "query": STORED_QUERY, "response": "r"},  # rejected
        {"model": "acme/med-2", "query": f"A new question from {PHONE}", "response": "r"},
    ])  # fmt: skip
    result = import_responses([path], _index(), reserved_models=["acme/cand"])
    texts = dict(result.responses.select("candidate_model", "response_text").iter_rows())
    assert texts == {
        "acme/med-1": "Yes. I noted [EMAIL] and [PHONE] for your pharmacy at [ADDRESS]",
        "acme/[EMAIL]": "Yes.",
    }
    assert result.pending_texts == ["A new question from [PHONE]"]
    assert result.quarantine.height == 2
    assert any("model 'baseline/[EMAIL]'" in r for r in result.quarantine["reason"])
    _cut_scrubbed(result.quarantine)
    assert not _leaks(_stored(result.responses)) and not _leaks(_stored(result.quarantine))
    assert result.pii_counts["ADDRESS"] == 1 and result.pii_counts["PHONE"] == 2


def test_user_feedback_is_scrubbed_and_quarantined_rows_scrubbed_before_the_cut(
    tmp_path: Path,
) -> None:
    from quarkmed_dagster.responses.requests import response_id

    rid = response_id("q1", "acme/med-1")
    path = _jsonl(tmp_path / "feedback.jsonl", [
        {"model": "acme/med-1", "query": STORED_QUERY, "rating": 2,
         "complaint_text": f"It asked for my SSN {SSN} and {EMAIL}", "source": f"mail {EMAIL}"},
        {"response_id": rid, "rating": f"5, call me on {PHONE}"},  # the reason quotes it
        _on_the_cut({"response_id": rid, "thumbs": "sideways", "complaint_text": ""},
                    "complaint_text"),
    ])  # fmt: skip
    result = import_feedback([path], ResponseIndex(_index(), {rid: "q1"}))
    row = result.rows.row(0, named=True)
    assert row["complaint_text"] == "It asked for my SSN [ID_NUMBER] and [EMAIL]"
    assert row["source"] == "mail [EMAIL]" and row["complaint"] is True
    assert result.quarantine.height == 2
    assert any("rating '5, call me on [PHONE]'" in r for r in result.quarantine["reason"])
    _cut_scrubbed(result.quarantine)
    assert not _leaks(_stored(result.rows)) and not _leaks(_stored(result.quarantine))


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_no_raw_personal_value_is_anywhere_in_the_warehouse_file(tmp_path: Path, home) -> None:
    """Ingest (queries, labels, references, duplicates, quarantine), imported responses and
    user feedback, through their assets; then every VARCHAR column of every table of the
    DuckDB file (and its raw bytes) is searched for each raw value."""
    store = Warehouse(home.warehouse)
    store.ensure_schema()
    resources = {
        "warehouse": WarehouseResource(path=str(store.path)),
        "llm": LLMGatewayResource(
            models_config=str(MODELS), profile="baseline", cache_path=str(tmp_path / "c.db")
        ),
    }
    instance = dg.DagsterInstance.ephemeral()
    files = [_jsonl(tmp_path / "in" / "clinic.jsonl", GENERIC),
             _jsonl(tmp_path / "in" / "hb.jsonl", HEALTHBENCH)]  # fmt: skip
    batches = [register_batch(store, f) for f in files]
    instance.add_dynamic_partitions(PARTITIONS_NAME, batches)
    for batch in batches:
        result = dg.materialize([queries], partition_key=batch, resources=resources,
                                instance=instance)  # fmt: skip
        assert result.success
    final_turn = store.read("SELECT final_user_turn FROM queries WHERE source_id = 'hb-1'")
    hb_question = final_turn.item()
    _jsonl(home.responses_inbox_dir / "responses.jsonl", [
        {"model": "acme/med-1", "query_id": store.read(
            "SELECT query_id FROM queries WHERE source_id = 'hb-1'").item(),
         "response": f"Noted {EMAIL}, {PHONE}, {STREET}; see {URL}"},
        {"model": f"baseline/{EMAIL}", "query": QUESTION, "response": PERSONAL},
        {"model": "acme/med-2", "query": f"New: {PERSONAL}", "response": PERSONAL},
    ])  # fmt: skip
    assert dg.materialize([imported_responses], resources=resources).success
    _jsonl(home.feedback_inbox_dir / "feedback.jsonl", [
        {"model": "acme/med-1", "query": hb_question, "complaint_text": PERSONAL,
         "source": f"support {EMAIL}"},
        {"model": "acme/med-1", "query": hb_question, "rating": PERSONAL},
    ])  # fmt: skip
    assert dg.materialize([user_feedback], resources=resources).success

    counts = {
        t: store.count(t)
        for t in (
            "queries",
            "reference_rubrics",
            "reference_answers",
            "duplicates",
            "candidate_responses",
            "user_feedback",
        )
    }
    assert counts == {"queries": 2, "reference_rubrics": 1, "reference_answers": 2,
                      "duplicates": 1, "candidate_responses": 1, "user_feedback": 1}  # fmt: skip
    stages = store.read("SELECT stage, count(*) FROM quarantine GROUP BY 1 ORDER BY 1").rows()
    assert stages == [("imported_responses", 1), ("ingest", 3), ("user_feedback", 1)]
    placeholders = store.read("SELECT response_text FROM candidate_responses").item()
    assert placeholders == "Noted [EMAIL], [PHONE], [ADDRESS]; see [URL_PERSONAL]"
    assert scan_for_secret([store.path], "Dr. Lee, [ADDRESS]")  # the scan sees stored text
    for value in RAW_VALUES:
        assert scan_for_secret([store.path], value) == [], value
    # the new query the responses import writes to the query inbox is scrubbed too
    pending = [p for p in home.inbox_dir.rglob("*") if p.is_file()]
    assert pending and not any(_leaks(p.read_text("utf-8")) for p in pending)
