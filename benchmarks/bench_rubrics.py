"""Rubric generation throughput.

Default: the whole stage through the real gateway and the local server. Scripted models
(tests/rubrics/scripted_models.py) answer with a fixed server latency; the stage runs 2
generators x 2 personas, 2 aggregators, 1 verifier and the writer per query. Prints calls,
wall time, queries/s, the time spent in clustering (MiniLM + linkage), and the wall time
of a fully cached rerun.

    .venv/bin/python benchmarks/bench_rubrics.py [--queries 200] [--latency 0.05]

``--sample``: the main job's rubric stage (the ``rubric_generation`` multi-asset and its
checks, materialized by Dagster with the project's resources) on the bundled sample with
the ``baseline`` profile of models.yaml, in a fresh data home. Prints wall / step / CPU
time, calls by role (live and cached) and texts the MiniLM encoder really ran, for:
cold (empty call cache and vector cache), warm (same process, forced regeneration: every
call cached) and a new process with the call cache deleted but the vector file kept.
``--batching`` adds the CPU time of encoding the sample's evidence sentences with the old
batching (64 texts, no token budget) and the default one.

    .venv/bin/python benchmarks/bench_rubrics.py --sample [--max-queries N] [--batching]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
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

RUBRIC_STAGE = ("candidate_answers", "knowledge_points", "query_rubrics")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--sample", action="store_true", help="bundled sample, baseline models")
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--batching", action="store_true")
    parser.add_argument("--home", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sample:
        sample_main(args)
    else:
        scripted_main(args)


def scripted_main(args: argparse.Namespace) -> None:
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


# ---- --sample: the main job's rubric stage on the bundled sample -------------------------


def _materialize(selection, run_config: dict | None = None):  # type: ignore[no-untyped-def]
    import dagster as dg

    from quarkmed_dagster.definitions import defs
    from quarkmed_dagster.orchestration import dagster_instance
    from quarkmed_dagster.settings import get_settings

    instance = dagster_instance(get_settings())
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    return dg.materialize(
        [*assets, *(defs.asset_checks or [])],
        selection=selection,
        instance=instance,
        resources=dict(defs.resources or {}),
        run_config=run_config,
    )


def _setup_upstream() -> None:
    """Queries (every bundled batch), corpus and evidence: everything the stage reads."""
    import dagster as dg

    from quarkmed_dagster.definitions import defs
    from quarkmed_dagster.ingest.batches import register_sample_batches
    from quarkmed_dagster.orchestration import dagster_instance
    from quarkmed_dagster.settings import get_settings

    settings = get_settings()
    instance = dagster_instance(settings)
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    partitioned = [a for a in assets if a.partitions_def is not None]
    for name, key in register_sample_batches(settings):
        instance.add_dynamic_partitions(name, [key])
        dg.materialize(
            [*assets, *(defs.asset_checks or [])],
            selection=dg.AssetSelection.assets(*partitioned),
            partition_key=key,
            instance=instance,
            resources=dict(defs.resources or {}),
        )
    _materialize(dg.AssetSelection.assets("knowledge_corpus", "query_evidence"))


def _count_calls() -> dict[str, int]:
    """Counts gateway results by "role:status" (live calls are ok/failed, hits cached)."""
    from quarkmed_dagster.llm.gateway import LiteLLMGateway

    counts: dict[str, int] = {}
    original = LiteLLMGateway.arun

    async def counting(self, requests):  # type: ignore[no-untyped-def]
        results = await original(self, requests)
        for result in results:
            key = f"{result.role}:{result.status}"
            counts[key] = counts.get(key, 0) + 1
        return results

    LiteLLMGateway.arun = counting  # type: ignore[method-assign]
    return counts


def _stage_phase(counts: dict[str, int], force: bool, max_queries: int | None) -> dict:
    import dagster as dg

    from quarkmed_dagster.embeddings import get_embedder

    counts.clear()
    encoded_before = get_embedder().encoded
    config = {"force": force, "max_queries": max_queries}
    load, cpu, started = os.getloadavg()[0], time.process_time(), time.perf_counter()
    result = _materialize(
        dg.AssetSelection.assets(*RUBRIC_STAGE),
        {"ops": {"rubric_generation": {"config": config}}},
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    step = next(
        e.event_specific_data.duration_ms / 1000  # type: ignore[union-attr]
        for e in result.all_events
        if e.event_type_value == "STEP_SUCCESS" and e.step_key == "rubric_generation"
    )
    return {
        "wall_s": wall,
        "step_s": step,
        "cpu_s": cpu,
        "calls": dict(sorted(counts.items())),
        "encoded": get_embedder().encoded - encoded_before,
        "load": (load + os.getloadavg()[0]) / 2,
    }


def _print_phase(name: str, figures: dict) -> None:
    calls = figures["calls"]
    live = sum(n for k, n in calls.items() if not k.endswith(":cached"))
    cached = sum(n for k, n in calls.items() if k.endswith(":cached"))
    by_role: dict[str, int] = {}
    for key, n in calls.items():
        by_role[key.split(":")[0]] = by_role.get(key.split(":")[0], 0) + n
    print(
        f"{name}: wall {figures['wall_s']:.1f}s (rubric_generation step "
        f"{figures['step_s']:.1f}s), process CPU {figures['cpu_s']:.1f}s, "
        f"load avg ~{figures['load']:.1f}"
    )
    print(f"  calls {live} live + {cached} cached; by role {by_role}")
    print(f"  texts run through MiniLM: {figures['encoded']}")


def _batching_figures() -> None:
    """CPU of encoding the evidence sentences as the extractive answerer does: one call per
    query (8 passages x 1200 chars), fresh encoder per batching, vectors cached in memory."""
    from quarkmed_dagster.baselines.text import split_sentences
    from quarkmed_dagster.embeddings import MiniLMEmbedder
    from quarkmed_dagster.settings import get_settings
    from quarkmed_dagster.warehouse import Warehouse

    rows = Warehouse(get_settings().warehouse).read(
        "SELECT e.query_id, p.text FROM query_evidence e JOIN passages p USING (passage_id) "
        "WHERE e.rank <= 8 ORDER BY e.query_id, e.rank"
    )
    calls: dict[str, list[str]] = {}
    for query_id, text in rows.iter_rows():
        calls.setdefault(query_id, []).extend(split_sentences(text[:1200]))
    for label, size, tokens in (("64 per batch, no token budget", 64, 10**9), ("default", 8, 512)):
        embedder = MiniLMEmbedder(batch_size=size, batch_tokens=tokens)
        started = time.process_time()
        for sentences in calls.values():
            embedder.encode(sentences)
        print(f"batching {label}: {len(calls)} calls, {embedder.encoded} sentences, "
              f"CPU {time.process_time() - started:.1f}s")  # fmt: skip


def sample_main(args: argparse.Namespace) -> None:
    home = Path(args.home or tempfile.mkdtemp(prefix="bench-rubrics-"))
    os.environ["QUARKMED_DATA_HOME"] = str(home)
    os.environ["QUARKMED_MODEL_PROFILE"] = "baseline"
    from quarkmed_dagster.settings import get_settings

    get_settings.cache_clear()
    counts = _count_calls()
    if args.phase == "fresh-calls":  # child process: vectors file kept, call cache deleted
        for path in get_settings().cache_dir.glob("llm_calls.sqlite*"):
            path.unlink()
        print(json.dumps(_stage_phase(counts, True, args.max_queries)))
        return
    started = time.perf_counter()
    _setup_upstream()
    print(f"bundled sample in {home}; setup (queries, corpus, evidence) "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    _print_phase(
        "cold (empty call and vector caches)", _stage_phase(counts, False, args.max_queries)
    )
    _print_phase("warm (same process, forced rerun)", _stage_phase(counts, True, args.max_queries))
    command = [sys.executable, __file__, "--sample", "--home", str(home), "--phase", "fresh-calls"]
    if args.max_queries is not None:
        command += ["--max-queries", str(args.max_queries)]
    child = subprocess.run(command, capture_output=True, text=True, check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    _print_phase("new process, call cache deleted, vector file kept", figures)
    if args.batching:
        _batching_figures()


if __name__ == "__main__":
    main()
