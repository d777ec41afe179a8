"""Ingest per-batch time as stored queries grow: batches 1..N of real questions into one
DuckDB file, deduplicated against stored signatures (``query_signatures``).

    .venv/bin/python benchmarks/bench_dedup_batches.py [--batches 10] [--size 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import PREFIXES, SUFFIXES, real_questions

from quarkmed_dagster.ingest.pipeline import ingest_file
from quarkmed_dagster.warehouse import Warehouse
from quarkmed_dagster.warehouse.signatures import StoredSignatures

THRESHOLD = 0.85


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(7)
    questions = real_questions()
    with tempfile.TemporaryDirectory() as tmp:
        store = Warehouse(Path(tmp) / "warehouse.duckdb")
        store.ensure_schema()
        times = []
        for n in range(1, args.batches + 1):
            path = Path(tmp) / f"batch{n}.jsonl"
            rows = [
                {"id": f"{n}-{i}", "question": rng.choice(PREFIXES) + rng.choice(questions)
                 + rng.choice(SUFFIXES)}
                for i in range(args.size)
            ]  # fmt: skip
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
            batch = f"b{n}"
            stored = store.count("queries")
            started = time.perf_counter()
            known = StoredSignatures(store, batch)
            known.backfill(THRESHOLD)
            result = ingest_file(path, batch, near_duplicate_threshold=THRESHOLD, known=known)
            store.replace_rows("queries", result.queries, ["batch_id"], [batch])
            known.store_batch(result.signatures, THRESHOLD)
            times.append(time.perf_counter() - started)
            print(
                f"batch {n:2d}: stored before {stored:6d}, kept {result.queries.height:5d}, "
                f"duplicates {result.duplicates.height:5d}, {times[-1]:.3f} s"
            )
        print(f"last / first batch time: {times[-1] / times[0]:.2f}")


if __name__ == "__main__":
    main()
