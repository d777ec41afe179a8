"""Rebuild data/sample/corpus/expert_answers.jsonl from the bundled query samples (by hand).

The physicians' answers (K-QA ``Free_form_answer``) and HealthBench ideal completions of the
bundled queries become evidence documents, read through the project's own ingest loaders so
the text is exactly what ingestion stores (personal data scrubbed). Title = the question it
answers, so retrieval can find it the way it finds a MedQuAD question-answer page.
"""

from __future__ import annotations

import json
from pathlib import Path

from quarkmed_dagster.ingest.batches import query_files
from quarkmed_dagster.ingest.pipeline import ingest_file

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "data" / "sample" / "queries"
TARGET = ROOT / "data" / "sample" / "corpus" / "expert_answers.jsonl"


def main() -> None:
    records = []
    for path in query_files(QUERIES):
        result = ingest_file(path, batch_id=f"corpus-{path.stem}")
        questions = dict(
            zip(result.queries["query_id"], result.queries["final_user_turn"], strict=True)
        )
        for row in result.reference_answers.sort("query_id").iter_rows(named=True):
            if row["query_id"] not in questions:
                continue
            records.append(
                {
                    "title": questions[row["query_id"]],
                    "text": row["answer_text"],
                    "source": f"expert-answers/{row['source']}",
                    "license": "MIT",
                }
            )
    with TARGET.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(records)} expert answers -> {TARGET}")


if __name__ == "__main__":
    main()
