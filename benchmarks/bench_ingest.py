"""Ingestion benchmark at QuarkMedBench scale: 20,821 single-turn queries + 3,853 sessions.

Queries are real questions from ../shared/data (K-QA, MedicationQA, HealthSearchQA,
LiveQA, MedQuAD, HealthBench), resampled with light perturbations (prefixes, suffixes,
follow-up turns) so that most are distinct and some are exact or near duplicates, as in a
real intake. Prints the wall time of validation, scrubbing, classification and
deduplication (target < 15 s on 2 cores).

    .venv/bin/python benchmarks/bench_ingest.py
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.retrieval.documents import read_jsonl

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SINGLE, SESSIONS = 20_821, 3_853
PREFIXES = ["", "", "Hi, ", "Quick question: ", "Doctor, ", "Please help. ", "Hello! "]
SUFFIXES = ["", "", " Thanks.", " I'm 45.", " It started last week.", " My GP is away."]
FOLLOW_UPS = [
    "What about for a child?",
    "Is that safe during pregnancy?",
    "How long should I wait before seeing a doctor?",
    "Can I take it with alcohol?",
    "What if the symptoms get worse at night?",
]


def real_questions() -> list[str]:
    out = [r["Question"] for r in read_jsonl(SHARED / "kqa" / "questions.jsonl")]
    out += [r["Question"] for r in read_jsonl(SHARED / "kqa" / "questions_w_answers.jsonl")]
    out += [
        r["question"]
        for r in read_jsonl(SHARED / "medicationqa" / "medicationqa_medinfo2019.jsonl")
    ]
    out += [
        r["question"] for r in read_jsonl(SHARED / "medlfqa" / "healthsearchqa_questions.jsonl")
    ]
    out += [
        r["message"]
        for r in read_jsonl(SHARED / "liveqa2017" / "liveqa_med2017_test_questions.jsonl")
    ]
    out += [r["question"] for r in read_jsonl(SHARED / "medquad" / "medquad.jsonl.gz")]
    return [q for q in out if q and q.strip()]


def write_batch(path: Path, rng: random.Random, questions: list[str]) -> None:
    rows = []
    for i in range(SINGLE):
        text = rng.choice(PREFIXES) + rng.choice(questions) + rng.choice(SUFFIXES)
        rows.append({"id": f"s{i}", "question": text})
    for i in range(SESSIONS):
        turns = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            turns += [
                {"role": "user", "content": rng.choice(questions)},
                {"role": "assistant", "content": "It depends; can you tell me more?"},
            ]
        turns.append({"role": "user", "content": rng.choice(FOLLOW_UPS) + rng.choice(SUFFIXES)})
        rows.append({"id": f"m{i}", "turns": turns})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def main() -> None:
    rng = random.Random(5)
    questions = real_questions()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale_batch.jsonl"
        write_batch(path, rng, questions)
        start = time.perf_counter()
        result = ingest_file(path, "bench", "generic")
        elapsed = time.perf_counter() - start
    print(f"real question pool: {len(questions)}")
    print(
        f"ingested {result.rows_read} rows ({SINGLE} single-turn + {SESSIONS} sessions) in "
        f"{elapsed:.1f} s (target < 15 s): {result.queries.height} queries kept, "
        f"{result.duplicates.height} duplicates "
        f"({(result.duplicates['method'] == 'near').sum()} near), "
        f"{result.quarantine.height} quarantined, PII replaced {result.pii_counts}"
    )


if __name__ == "__main__":
    main()
