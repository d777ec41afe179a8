"""Rebuild data/sample/corpus/medquad_subset.jsonl.gz from ../shared/data (run once, by hand).

Picks the MedQuAD answered records most relevant (BM25) to the HealthBench and K-QA
questions, plus a seeded random remainder, and keeps them in the upstream record shape.
"""

from __future__ import annotations

import gzip
import json
import random
import tempfile
from pathlib import Path

import tantivy

from quarkmed_dagster.retrieval.terms import query_terms

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
TARGET = ROOT / "data" / "sample" / "corpus" / "medquad_subset.jsonl.gz"
PER_QUESTION = 3
TOTAL = 2000


def _lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(x) for x in handle.read().split("\n") if x.strip()]


def main() -> None:
    records = [r for r in _lines(SHARED / "medquad" / "medquad.jsonl.gz") if r.get("answer")]
    questions = [
        m["content"]
        for r in _lines(SHARED / "healthbench" / "healthbench_oss_eval_sample500.jsonl.gz")
        for m in r["prompt"]
        if m["role"] == "user"
    ] + [r["Question"] for r in _lines(SHARED / "kqa" / "questions_w_answers.jsonl")]
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("row", stored=True)
    builder.add_text_field("text", tokenizer_name="default")
    with tempfile.TemporaryDirectory() as tmp:
        index = tantivy.Index(builder.build(), path=tmp)
        writer = index.writer(heap_size=128_000_000, num_threads=1)
        for i, r in enumerate(records):
            writer.add_document(tantivy.Document(row=i, text=f"{r['question']} {r['answer']}"))
        writer.commit()
        index.reload()
        searcher = index.searcher()
        chosen: dict[int, None] = {}
        for question in questions:
            terms = query_terms(question)[:2000]
            if terms:
                query = index.parse_query(terms, ["text"])
                for _, addr in searcher.search(query, PER_QUESTION).hits:
                    chosen[searcher.doc(addr)["row"][0]] = None
    rows = list(chosen)[: TOTAL * 3 // 4]
    rest = [i for i in range(len(records)) if i not in chosen]
    rows += random.Random(7).sample(rest, TOTAL - len(rows))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(TARGET, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(records[i], ensure_ascii=False) for i in sorted(rows)))
        handle.write("\n")
    print(f"wrote {len(rows)} records to {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
