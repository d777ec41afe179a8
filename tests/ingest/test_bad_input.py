"""Every kind of bad input is quarantined with a clear reason; the rest is ingested."""

import json
from pathlib import Path

import polars as pl
import pytest

from quarkmed_dagster.ingest.pipeline import ingest_file


def _user(text: str) -> dict:
    prompt_id = f"id-{len(text)}-{sum(map(ord, text))}"
    return {"prompt": [{"role": "user", "content": text}], "rubrics": [], "prompt_id": prompt_id}


GOOD = [
    _user("Is it safe to take ibuprofen with lisinopril?"),
    _user("How much water should I drink daily?"),
]


def _write_lines(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "healthbench_batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _ingest(tmp_path: Path, bad: list[bytes]):  # type: ignore[no-untyped-def]
    lines = [json.dumps(r).encode() for r in GOOD] + bad
    return ingest_file(_write_lines(tmp_path, lines), "batch-1", "healthbench")


@pytest.mark.parametrize(
    ("bad_line", "reason_part"),
    [
        (b'{"prompt": [{"role": "user", "content": "unterminated', "malformed JSON"),
        (
            "caf\xe9 au lait".encode("latin-1").join(
                [b'{"prompt": [{"role": "user", "content": "', b'"}]}']
            ),
            "not valid UTF-8",
        ),
        (json.dumps({"rubrics": []}).encode(), "missing field 'prompt'"),
        (json.dumps(_user("   ")).encode(), "message 1 is empty"),
        (json.dumps(_user("x" * 1_050_000)).encode(), "characters long"),
        (
            json.dumps({"prompt": [{"role": "doctor", "content": "hi"}]}).encode(),
            "unknown role 'doctor'",
        ),
        (
            json.dumps(
                {
                    "prompt": [
                        {"role": "user", "content": "a"},
                        {"role": "assistant", "content": "b"},
                    ]
                }
            ).encode(),
            "last message is not from the user",
        ),
        (
            json.dumps(
                {"prompt": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
            ).encode(),
            "must alternate",
        ),
        (b"[1, 2, 3]", "expected a JSON object"),
    ],
)
def test_bad_row_is_quarantined_with_reason(tmp_path, bad_line: bytes, reason_part: str) -> None:
    result = _ingest(tmp_path, [bad_line])
    assert result.queries.height == 2, "the good rows are still ingested"
    assert result.quarantine.height == 1
    row = result.quarantine.row(0, named=True)
    assert reason_part in row["reason"]
    assert row["row_number"] == 3 and row["source_file"] == "healthbench_batch.jsonl"
    assert row["stage"] == "ingest" and row["raw_content"]


def test_duplicate_ids_with_different_content_are_quarantined(tmp_path) -> None:
    first = {
        "prompt": [{"role": "user", "content": "What is a normal heart rate?"}],
        "prompt_id": "dup",
    }
    second = {
        "prompt": [{"role": "user", "content": "Can I drink alcohol on antibiotics?"}],
        "prompt_id": "dup",
    }
    result = _ingest(tmp_path, [json.dumps(first).encode(), json.dumps(second).encode()])
    assert result.queries.height == 3
    assert "duplicate id 'dup'" in result.quarantine["reason"][0]


def test_exact_and_near_duplicates_are_recorded_not_lost(tmp_path) -> None:
    base = (
        "My 6 year old has had a fever of 39C for three days and a sore throat, "
        "should I take her to the doctor? She is drinking fluids, sleeping a lot, and has no "
        "rash, but she complains that swallowing hurts and her neck glands feel swollen."
    )
    exact = base.upper().replace("?", " ?")
    near = base + " Thanks!"
    result = _ingest(tmp_path, [json.dumps(_user(t)).encode() for t in (base, exact, near)])
    assert result.queries.height == 3
    methods = dict(zip(result.duplicates["method"], result.duplicates["similarity"], strict=True))
    assert set(methods) == {"exact", "near"} and methods["exact"] == 1.0
    assert 0.5 < methods["near"] < 1.0
    survivors = set(result.duplicates["surviving_query_id"])
    assert survivors <= set(result.queries["query_id"])


def test_known_queries_from_earlier_batches_survive(tmp_path) -> None:
    earlier = ingest_file(
        _write_lines(tmp_path, [json.dumps(GOOD[0]).encode()]), "b0", "healthbench"
    )
    known = [(earlier.queries["query_id"][0], earlier.queries["final_user_turn"][0])]
    later = ingest_file(
        _write_lines(tmp_path, [json.dumps(r).encode() for r in GOOD]),
        "b1",
        "healthbench",
        known_queries=known,
    )
    assert later.queries.height == 1
    assert later.duplicates["surviving_query_id"].to_list() == [known[0][0]]


def test_personal_data_is_scrubbed_everywhere(tmp_path) -> None:
    secret_bits = ["jane.roe@example.org", "(555) 867-5309", "123-45-6789", "17 Elm Street"]
    text = (
        "I'm Jane, email jane.roe@example.org, phone (555) 867-5309, SSN 123-45-6789, "
        "I live at 17 Elm Street. DOB: 04/12/1979. Is 500 mg of amoxicillin twice a day OK?"
    )
    with_references = {
        **_user("What should I tell my GP about the rash on my arm?"),
        "rubrics": [
            {
                "criterion": "Tells the user to email 123-45-6789 to jane.roe@example.org",
                "points": 5,
            }
        ],
        "ideal_completions_data": {
            "ideal_completion": "Write to jane.roe@example.org or call (555) 867-5309."
        },
    }
    broken = b'{"prompt": [{"role": "user", "content": "call me at (555) 867-5309'
    line = json.dumps(_user(text)).encode()  # twice: the second goes to `duplicates`
    result = _ingest(tmp_path, [line, json.dumps(with_references).encode(), line, broken])
    tables = {
        "queries": result.queries,
        "reference_rubrics": result.reference_rubrics,
        "reference_answers": result.reference_answers,
        "duplicates": result.duplicates,
        "quarantine": result.quarantine,
    }
    assert {name: frame.height for name, frame in tables.items()} == {
        "queries": 4,
        "reference_rubrics": 1,
        "reference_answers": 1,
        "duplicates": 1,
        "quarantine": 1,
    }
    for name, frame in tables.items():
        stored = " ".join(str(v) for v in frame.to_dicts())
        for bit in secret_bits:
            assert bit not in stored, (name, bit)
    assert "500 mg" in result.queries["final_user_turn"].str.join(" ").item()
    assert result.reference_rubrics["criterion"].item() == (
        "Tells the user to email [ID_NUMBER] to [EMAIL]"
    )
    assert result.reference_answers["answer_text"].item() == "Write to [EMAIL] or call [PHONE]."
    # query + its duplicate (scrubbed before it is compared), the quarantined line, the
    # reference rubric criterion and the reference answer
    assert result.pii_counts == {"EMAIL": 4, "PHONE": 4, "ID_NUMBER": 3, "ADDRESS": 2, "DOB": 2}


def test_quarantine_scrubs_before_it_cuts_the_raw_content(tmp_path) -> None:
    """Personal data straddling the 2,000-character cut must not survive half-scrubbed."""
    malformed_head = b'{"prompt": [{"role": "user", "content": "'
    malformed = malformed_head + b"a " * ((1990 - len(malformed_head)) // 2)
    malformed += b"jane.roe@example.org is my email, the JSON is never closed"
    assert malformed.index(b"jane.roe") == 1990 - len(malformed_head) % 2
    record = {"prompt": [{"role": "doctor", "content": ""}]}
    head = json.dumps(record).index('""') + 1
    record["prompt"][0]["content"] = "a " * ((1993 - head) // 2) + "(555) 867-5309 call me"
    assert 1985 < json.dumps(record).index("(555)") < 2000 - len("(555)")
    result = _ingest(tmp_path, [malformed, json.dumps(record).encode()])
    assert result.quarantine["reason"].str.contains("malformed JSON|unknown role").all()
    for raw in result.quarantine["raw_content"]:
        assert len(raw) == 2000
        for piece in ("jane.roe", "@example", "(555)", "867"):
            assert piece not in raw
    assert result.pii_counts == {"EMAIL": 1, "PHONE": 1}


def test_csv_with_a_bad_byte_quarantines_only_that_row(tmp_path) -> None:
    path = tmp_path / "mine.csv"
    path.write_bytes(
        b"id,question\n"
        b"a,What causes migraines?\n"
        b"b,Is it safe to run with a cold?\n"
        b"c,Does caf\xe9 au lait make reflux worse?\n"  # latin-1 byte in a UTF-8 file
        b"d,How much sleep does a teenager need?\n"
    )
    result = ingest_file(path, "b", "generic")
    assert result.rows_read == 4
    assert result.queries["source_id"].to_list() == ["a", "b", "d"]
    row = result.quarantine.row(0, named=True)
    assert result.quarantine.height == 1 and row["row_number"] == 4
    assert "not valid UTF-8" in row["reason"] and "'question'" in row["reason"]
    assert "au lait make reflux worse" in row["raw_content"]


def test_generic_csv_and_parquet_shapes(tmp_path) -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "turns": [
                json.dumps([{"role": "user", "content": "What causes migraines?"}]),
                json.dumps(
                    [
                        {"role": "user", "content": "I have a rash"},
                        {"role": "assistant", "content": "Where?"},
                        {"role": "user", "content": "On my arm, it itches."},
                    ]
                ),
                "not json",
            ],
        }
    )
    frame.write_csv(tmp_path / "mine.csv")
    frame.write_parquet(tmp_path / "mine.parquet")
    for name in ("mine.csv", "mine.parquet"):
        result = ingest_file(tmp_path / name, "b", "generic")
        assert result.queries.height == 2
        assert result.queries.filter(pl.col("is_multi_turn"))["n_turns"].to_list() == [3]
        assert "not valid JSON" in result.quarantine["reason"][0]
