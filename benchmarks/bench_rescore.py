"""Re-scoring time from stored verdicts (what `quarkmed rescore` does), no model call.

Synthetic QuarkMedBench-scale verdicts (``benchmarks/scale_data.py``: ~10 items per query,
10 candidates; ``--fraction 1`` = all 24,674 queries, ~2.5M item verdicts) are written
straight into a temporary DuckDB warehouse; then the stored verdicts are re-scored under the
default configuration and under other weights / truncation / saturation, as the CLI does
(read + Eq. 2 + leaderboard with bootstrap CIs, nothing written). The llm_calls count is
printed before and after: re-scoring never calls a model.

    .venv/bin/python benchmarks/bench_rescore.py [--fraction 1.0] [--seed 0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.scale_data import seed_file
from quarkmed_dagster.scoring.frames import score_warehouse
from quarkmed_dagster.scoring.options import describe_config, parse_weights, scoring_config
from quarkmed_dagster.warehouse import Warehouse

CONFIGS = [
    scoring_config(),
    scoring_config(parse_weights("1:1:1:1")),
    scoring_config(parse_weights("3:1:0.5:4"), essential_ratio=0.6, tag_cap=2.0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of full scale")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rescore.duckdb"
        started = time.perf_counter()
        counts = seed_file(str(path), args.fraction, args.seed)
        print(f"synthesised in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()))  # fmt: skip
        warehouse = Warehouse(path)
        calls_before = warehouse.count("llm_calls")
        for cfg in CONFIGS:
            started = time.perf_counter()
            scores, board = score_warehouse(warehouse, cfg)
            elapsed = time.perf_counter() - started
            best = board.filter(board["category"] == "all").sort("score", descending=True)
            print(f"\n{describe_config(cfg)}")
            print(f"  {scores.height:,} responses re-scored in {elapsed:.2f} s; "
                  f"best {best['candidate_model'][0]} {best['score'][0]:.3f}")  # fmt: skip
        print(f"\nllm_calls rows: {calls_before} before, {warehouse.count('llm_calls')} after")


if __name__ == "__main__":
    main()
