"""A small warehouse for rubric stage tests: three ibuprofen queries with evidence."""

from __future__ import annotations

import json
from datetime import datetime

from tests.warehouse_rows import insert_rows


def seed(warehouse) -> None:
    queries = []
    for prefix in ("good", "split", "bad"):
        text = f"{prefix}: how much ibuprofen can I take?"
        queries.append({"query_id": f"q-{prefix}", "batch_id": "b1", "session_id": prefix,
                        "turns": json.dumps([{"role": "user", "content": text}]),
                        "n_turns": 1, "is_multi_turn": False, "final_user_turn": text,
                        "language": "en", "source": "kqa", "category": "Clinical Care",
                        "category_classifier": "test", "difficulty": "easy",
                        "ingested_at": datetime(2026, 1, 1)})  # fmt: skip
    insert_rows(warehouse, "queries", queries)
    for version in ("c1", "c2"):
        insert_rows(warehouse, "corpus_versions", [
            {"corpus_version": version, "n_documents": 1, "n_passages": 2, "backend": "test",
             "is_current": version == "c1", "built_at": datetime(2026, 1, int(version[1]))}
        ])  # fmt: skip
        insert_rows(warehouse, "passages", [
            {"passage_id": pid, "corpus_version": version, "doc_id": "d1", "ordinal": i,
             "text": text, "content_hash": pid, "n_tokens": 12}
            for i, (pid, text) in enumerate((
                ("p-1", "Ibuprofen 200-400 mg every 4-6 hours; take with food."),
                ("p-2", "Black stools or vomiting blood need urgent care."),
            ))
        ])  # fmt: skip
    for q in queries:
        add_evidence(warehouse, q["query_id"], "c1")


def add_evidence(warehouse, query_id: str, version: str) -> None:
    insert_rows(warehouse, "query_evidence", [
        {"query_id": query_id, "corpus_version": version, "rank": rank, "passage_id": pid,
         "score": 1.0 / rank, "retriever": "bm25"}
        for rank, pid in enumerate(("p-1", "p-2"), start=1)
    ])  # fmt: skip
    insert_rows(warehouse, "evidence_fingerprints", [
        {"query_id": query_id, "corpus_version": version, "fingerprint": f"fp-{query_id}",
         "n_passages": 2}
    ])  # fmt: skip
