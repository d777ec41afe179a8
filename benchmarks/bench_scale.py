"""QuarkMedBench scale, end to end, against the local OpenAI-compatible server.

Scale: 24,674 queries (20,821 single-turn + 3,853 multi-turn sessions), ~10 rubric items
each, 10 candidates, 3 judges. Rubrics: 2 generators x 3 personas, 2 aggregators, 1
verifier per kept point, 1 writer (+ repairs). The synthetic models
(``benchmarks/scale_models.py``) run in the server's own process and answer every role with
valid JSON after a set latency: 0.5 s plus the reply's tokens at 60 tokens/s (a hosted
model's time to first token and decode speed), so long answers take longer than short ones.

1. Model-calling stages on ``--fraction`` of the queries (default 2%; ``--full`` = all):
   the real Dagster assets (``dg.materialize`` with their blocking checks) on a temporary
   warehouse and a models profile whose roles all point at the server: rubric generation,
   candidate responses, judge panel (batched), scoring, marts. Then batched and per-item
   judging on the same sample of responses. Per stage: wall and CPU time, model calls and
   tokens, orchestration overhead (share of wall time the server had no request in flight),
   peak memory, cost at public prices; measured figures, then clearly labelled linear
   extrapolations to full scale.
2. Scoring and marts at FULL scale (always): ~2.5M item verdicts and ~7.4M judge verdicts
   synthesised straight into DuckDB, then the query_scores and marts assets and the mart
   reads an analyst makes. Target < 15 s.

    .venv/bin/python benchmarks/bench_scale.py [--fraction 0.02 | --full] [--latency 0.5]
        [--tokens-per-s 60] [--concurrency 128] [--mode-sample 40]
        [--skip-models | --skip-full-scoring] [--keep DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg
import yaml

from assets import judging, marts, responses, rubrics, scoring
from benchmarks.bench_judging_modes import MODES, agreement, run_mode
from benchmarks.scale_data import (
    CANDIDATES,
    FULL_QUERIES,
    JUDGES,
    Scale,
    seed_file,
    seed_model_inputs,
)
from benchmarks.scale_measure import (
    COMPUTE_HEADER,
    HEADER,
    PRICED_MODELS,
    Figures,
    compute_row,
    measure,
    row,
    total,
)
from quarkmed_dagster.judging.stage import items_by_query, response_payloads
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.testing_server import free_port, wait_until_listening
from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.orchestration import console_run_config
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.retrieval.resource import RetrievalResource
from quarkmed_dagster.scoring.frames import (
    leaderboard_frame,
    load_inputs,
    query_categories,
    score_frame,
)
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
ROLES = {
    "generators": ["openai/gen-1", "openai/gen-2"],
    "aggregators": ["openai/agg-1", "openai/agg-2"],
    "verifiers": ["openai/ver-1"],
    "rubric_writer": ["openai/writer"],
    "candidates": list(CANDIDATES),
    "judges": list(JUDGES),
}
STAGES = (  # (label, run label of the gateway, assets and checks)
    ("rubrics", "rubrics", [rubrics.rubric_generation, rubrics.rubric_items_suite,
                            rubrics.rubric_constraints]),
    ("candidate responses", "candidate_responses", [responses.candidate_responses]),
    ("judges (batched)", "judge_panel", [judging.judge_panel, judging.judge_verdicts_complete,
                                         judging.judge_verdicts_suite,
                                         judging.item_verdicts_suite]),
    ("scoring", None, [scoring.query_scores, scoring.query_scores_valid]),
    ("marts", None, [marts.marts]),
)  # fmt: skip
TARGET_OVERHEAD, TARGET_SCORING_S = 0.10, 15.0


def start_server(latency: float, tokens_per_s: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "quarkmed_dagster.llm.testing_server", "--port", str(port),
         "--latency", str(latency), "--tokens-per-s", str(tokens_per_s),
         "--handler", "benchmarks.scale_models:handler", "--no-record"],
        cwd=ROOT,
    )  # fmt: skip
    wait_until_listening(port)
    return server, port


def write_profile(path: Path, port: int, concurrency: int) -> None:
    defaults = {"api_base": f"http://127.0.0.1:{port}/v1", "concurrency": concurrency,
                "timeout_s": 120, "max_attempts": 3, "backoff_base_s": 0.5,
                "backoff_max_s": 5.0, "json_mode": "json_object",
                "input_cost_per_token": 0.0, "output_cost_per_token": 0.0}  # fmt: skip
    profile = {"key_env": ["OPENAI_API_KEY"], "defaults": defaults, "roles": ROLES}
    path.write_text(yaml.safe_dump({"profiles": {"scale": profile}}))


def materialize(assets: list, resources: dict) -> None:
    quiet = console_run_config("WARNING")
    result = dg.materialize(assets, resources=resources, run_config=quiet)
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    if failed:
        print(f"  (checks not passed: {', '.join(failed)})")


def call_counter(wh: Warehouse, run_label: str):
    def counts() -> dict[str, int]:
        frame = wh.read(
            "SELECT count(*) AS calls, count(*) FILTER (WHERE status = 'failed') AS failed, "
            "coalesce(sum(tokens_in), 0) AS tokens_in, coalesce(sum(tokens_out), 0) AS tokens_out "
            "FROM llm_calls WHERE run_label = ?",
            [run_label],
        )
        return {k: int(v) for k, v in frame.row(0, named=True).items()}

    return counts


def model_stages(args: argparse.Namespace, tmp: Path, port: int) -> list[Figures]:
    scale = Scale.of(args.fraction)
    wh = Warehouse(tmp / "warehouse.duckdb")
    wh.ensure_schema()
    seed_model_inputs(wh, scale, seed=args.seed)
    print(f"\nsynthetic inputs: {scale.single:,} single-turn + {scale.sessions:,} sessions "
          f"= {scale.queries:,} queries ({args.fraction:.1%} of {FULL_QUERIES:,})")  # fmt: skip
    models = tmp / "models.yaml"
    write_profile(models, port, args.concurrency)
    llm = LLMGatewayResource(
        models_config=str(models), profile="scale", cache_path=str(tmp / "cache" / "calls.sqlite"),
        warehouse_path=str(wh.path), processes=args.processes,
    )  # fmt: skip
    resources = {
        "warehouse": WarehouseResource(path=str(wh.path)),
        "llm": llm,
        "retrieval": RetrievalResource(index_dir=str(tmp / "index")),
    }
    figures = []
    for label, run_label, assets in STAGES:
        counter = call_counter(wh, run_label) if run_label else None
        f, _ = measure(label, scale.queries, lambda a=assets: materialize(a, resources), port,
                       counter)  # fmt: skip
        figures.append(f)
        print(f"  {label}: {f.wall_s:.1f} s, {f.calls:,} calls ({f.failed} failed)", flush=True)
    items = wh.read("SELECT count(*) AS n, count(DISTINCT query_id) AS q FROM current_rubric_items")
    print(f"  rubric items: {items['n'][0]:,} for {items['q'][0]:,} queries "
          f"({items['n'][0] / max(1, items['q'][0]):.1f} per query)")  # fmt: skip
    return figures + judging_modes(args, tmp, wh, models, port, scale)


def judging_modes(args, tmp: Path, wh: Warehouse, models: Path, port: int, scale: Scale):
    """Both modes on the same sample of responses, fresh cache (every call reaches the server)."""
    pool = wh.read(
        "SELECT * FROM candidate_responses WHERE response_text IS NOT NULL ORDER BY response_id"
    )
    sample = pool[sorted(random.Random(args.seed).sample(range(pool.height), args.mode_sample))]
    payloads = response_payloads(wh.read_table("queries"), sample)
    items = items_by_query(wh.read("SELECT * FROM current_rubric_items"))
    gateway = LLMGatewayResource(
        models_config=str(models), profile="scale", cache_path=str(tmp / "cache" / "modes.sqlite")
    ).gateway("judging_modes")
    runs, figures = {}, []
    for mode in MODES:
        work = lambda m=mode: run_mode(gateway, list(JUDGES), payloads, items, m)  # noqa: E731
        f, run = measure(f"judges {mode} (sample)", scale.queries, work, port)
        runs[mode] = run
        figures.append(replace(f, calls=run.calls, tokens_in=run.tokens_in,
                               tokens_out=run.tokens_out, queries=len(payloads)))  # fmt: skip
    print(f"  judging modes on the same {len(payloads)} responses: per-item/batched calls "
          f"{runs['per_item'].calls / max(1, runs['batched'].calls):.1f}x, prompt tokens "
          f"{runs['per_item'].tokens_in / max(1, runs['batched'].tokens_in):.2f}x; same verdicts "
          f"{agreement(runs['batched'], runs['per_item']):.1%} (by construction: the scripted "
          "judges decide each item on its own; not a measurement)")  # fmt: skip
    return figures


def full_scoring(tmp: Path, seed: int) -> tuple[list[Figures], list[Figures]]:
    """Scoring and marts over all verdicts of the full benchmark: the computation steps the
    target is about, then the same work as Dagster asset runs (with GX checks, snapshot)."""
    wh = Warehouse(tmp / "full.duckdb")
    started = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        counts = child.submit(seed_file, str(wh.path), 1.0, seed).result()
    print(f"\nfull-scale verdicts synthesised in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()))  # fmt: skip
    n, state = counts["queries"], {}
    query_id = wh.read("SELECT min(query_id) AS q FROM queries")["q"][0]

    def score() -> None:
        state["scores"] = score_frame(*load_inputs(wh))

    def leaderboard() -> None:
        state["leaderboard"] = leaderboard_frame(state["scores"], query_categories(wh))

    def write() -> None:
        wh.upsert_rows("query_scores", state["scores"], ["response_id"])
        wh.upsert_rows("leaderboard", state["leaderboard"], ["candidate_model", "category"])

    steps = [
        ("read + score_frame", score),
        ("leaderboard_frame (CIs)", leaderboard),
        ("write scores+leaderboard", write),
        ("create marts (views)", lambda: create_marts(wh)),
        ("read leaderboard_breakdown", lambda: wh.read("SELECT * FROM leaderboard_breakdown")),
        ("read judge_agreement", lambda: wh.read("SELECT * FROM judge_agreement")),
        ("drill-down of one query", lambda: wh.read(
            "SELECT * FROM query_drilldown WHERE query_id = ?", [query_id])),
    ]  # fmt: skip
    compute = [measure(label, n, work)[0] for label, work in steps]
    resources = {"warehouse": WarehouseResource(path=str(wh.path))}
    assets = [
        ("query_scores asset + GX check", lambda: materialize(STAGES[3][2], resources)),
        ("marts asset + snapshot copy", lambda: materialize(STAGES[4][2], resources)),
    ]
    return compute, [measure(label, n, work)[0] for label, work in assets]


def report(figures: list[Figures], title: str, compute_only: bool = False) -> None:
    print(f"\n{title}")
    print(COMPUTE_HEADER if compute_only else HEADER)
    for f in figures:
        print(compute_row(f) if compute_only else row(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.02)
    parser.add_argument("--full", action="store_true", help="all 24,674 queries (hours)")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds before a reply")
    parser.add_argument(
        "--tokens-per-s", type=float, default=60.0, help="decode speed: + reply tokens / this"
    )
    parser.add_argument("--concurrency", type=int, default=128, help="per model deployment")
    parser.add_argument("--processes", type=int, default=1, help="gateway processes")
    parser.add_argument("--mode-sample", type=int, default=40, help="responses, both modes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-models", action="store_true", help="only full-scale scoring")
    parser.add_argument("--skip-full-scoring", action="store_true", help="quick checks only")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run's files here")
    args = parser.parse_args()
    if args.full:
        args.fraction = 1.0
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    os.environ["QUARKMED_DATA_HOME"] = str(tmp)  # warehouse snapshot, caches, embeddings
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    get_settings.cache_clear()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; server latency "
          f"{args.latency} s + reply tokens / {args.tokens_per_s:g} per s; concurrency "
          f"{args.concurrency} per model; "
          f"prices: litellm offline cost map ({', '.join(PRICED_MODELS)})")  # fmt: skip
    try:
        if not args.skip_models:
            server, port = start_server(args.latency, args.tokens_per_s)
            try:
                measured = model_stages(args, tmp, port)
            finally:
                server.terminate()
                server.wait(timeout=30)
            pipeline = measured[: len(STAGES)]
            report([*measured, total("pipeline total", pipeline)], "MEASURED")
            factor = FULL_QUERIES / pipeline[0].queries
            if factor > 1.0:
                scaled = [f.scaled(factor) for f in pipeline]
                report([*scaled, total("pipeline total", scaled)],
                       f"EXTRAPOLATED to {FULL_QUERIES:,} queries (linear x{factor:.1f}; "
                       "memory not extrapolated)")  # fmt: skip
            over = total("", pipeline).overhead or 0.0
            verdict = "meets" if over < TARGET_OVERHEAD else "MISSES"
            print(f"orchestration overhead {over:.1%} {verdict} the < 10% target")
        if args.skip_full_scoring:
            return
        compute, assets = full_scoring(tmp, args.seed)
        report([*compute, total("scoring + marts", compute)],
               "FULL SCALE scoring and marts (measured)", compute_only=True)  # fmt: skip
        report(assets, "the same as Dagster asset runs (measured)", compute_only=True)
        spent = sum(f.wall_s for f in compute)
        verdict = "meets" if spent < TARGET_SCORING_S else "MISSES"
        print(f"scoring and marts over all verdicts: {spent:.1f} s wall {verdict} the < 15 s "
              f"target (CPU {sum(f.cpu_s for f in compute):.1f} s; load average now "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    finally:
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
