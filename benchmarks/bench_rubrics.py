"""Rubric generation throughput: the whole stage through the real gateway and local server.

Scripted models (tests/rubrics/scripted_models.py) answer with a fixed server latency; the
stage runs 2 generators x 2 personas, 2 aggregators, 1 verifier and the writer per query.
Prints calls, wall time, queries/s, the time spent in clustering (MiniLM + linkage), and
the wall time of a fully cached rerun.

    .venv/bin/python benchmarks/bench_rubrics.py [--queries 200] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map)
from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import parse_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig, RubricModels
from quarkmed_dagster.rubrics.pipeline import generate_rubrics
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.rubrics.records import Passage, QueryInput
from tests.rubrics.scripted_models import handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-secret")

    def slow(request: dict, attempt: int) -> Reply:
        reply = handler(request, attempt)
        reply.delay_s = args.latency
        return reply

    evidence = (
        Passage("p-1", "Ibuprofen 200-400 mg every 4-6 hours; take with food."),
        Passage("p-2", "Black stools or vomiting blood need urgent care."),
    )
    queries = [
        QueryInput(f"q{i}", f"good {i}: how much ibuprofen can I take?", evidence=evidence,
                   corpus_version="c1", evidence_fingerprint=f"fp{i}")
        for i in range(args.queries)
    ]  # fmt: skip
    config = RubricConfig(
        models=RubricModels(
            generators=["openai/gen-a", "openai/gen-b"],
            aggregators=["openai/agg-1", "openai/agg-2"],
            verifiers=["openai/ver-1"],
            rubric_writer="openai/writer",
        ),
        params=ConsensusParams(personas=["basic", "professional"]),
    )
    embed = get_embedder().encode
    timed = {"embed_s": 0.0, "texts": 0}

    def timed_embed(texts):
        started = time.perf_counter()
        out = embed(texts)
        timed["embed_s"] += time.perf_counter() - started
        timed["texts"] += len(texts)
        return out

    with tempfile.TemporaryDirectory() as tmp, LocalLLMServer(slow) as server:
        raw = {"profiles": {"bench": {"defaults": {
            "api_base": server.url, "json_mode": "none", "max_attempts": 1, "concurrency": 64,
        }, "roles": {}}}}  # fmt: skip
        gateway = LiteLLMGateway(
            parse_profile(raw, "bench"), "bench", cache=CallCache(Path(tmp) / "c.duckdb")
        )
        started = time.perf_counter()
        outcomes = generate_rubrics(queries, config, gateway, timed_embed, prompt_versions())
        wall = time.perf_counter() - started
        calls = len(server.requests)
        started = time.perf_counter()
        generate_rubrics(queries, config, gateway, embed, prompt_versions())
        cached = time.perf_counter() - started
    items = sum(len(o.items) for o in outcomes.values())
    print(f"queries={args.queries} server_latency={args.latency}s calls={calls}")
    print(f"wall={wall:.1f}s  queries/s={args.queries / wall:.1f}  calls/s={calls / wall:.0f}")
    print(f"items={items} ({items / args.queries:.1f}/query), reviews="
          f"{sum(o.review is not None for o in outcomes.values())}")  # fmt: skip
    print(f"clustering embeddings: {timed['texts']} texts in {timed['embed_s']:.2f}s")
    print(f"cached rerun: {cached:.1f}s (new server calls: {len(server.requests) - calls})")


if __name__ == "__main__":
    main()
