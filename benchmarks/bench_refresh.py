"""Incremental refresh after a 1% corpus change: share of the original model spend, wall time.

Builds the pipeline up to the scores on MedQuAD documents with MedQuAD questions (offline
baseline models through the real gateway, embedded index, DuckDB file), then revises whole
documents drawn at random until ~1% of the passages changed, and lets the change flow on its
own: the corpus sensor rebuilds the corpus, declarative automation carries it downstream.
Model spend is read from the call log: rows with status ``ok`` are calls actually made.
Target: the refresh spends <= 2% of the original build's calls. Finally a rerun with nothing
changed (forced corpus rebuild) must make zero calls.

``--policy`` picks the rubric refresh policy (QUARKMED_RUBRIC_REFRESH_POLICY) for queries
whose evidence changed: ``regenerate`` (full rubric generation), ``reverify`` (one batched
verifier call per query; regenerated only when the rubric no longer holds) or ``both``
(default: each policy in its own process, on the same corpus and the same changes, then a
side-by-side summary).

    .venv/bin/python benchmarks/bench_refresh.py [--documents 400] [--queries 60] [--share 0.01]
        [--policy regenerate|reverify|both]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SHARE = 0.02


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _spend_table(spend, initial) -> str:  # type: ignore[no-untyped-def]
    """Calls and tokens per run label (and the share of the initial build's calls)."""
    base = {} if initial is None else dict(zip(initial["run_label"], initial["calls"], strict=True))
    rows = [
        f"  {'run label':<22}{'calls':>8}{'tokens':>11}"
        + ("" if initial is None else f"{'share':>9}")
    ]
    labels = sorted({*spend["run_label"], *base})
    values = {label: (calls, tokens) for label, calls, tokens in spend.iter_rows()}
    for label in labels:
        calls, tokens = values.get(label, (0, 0))
        share = "" if initial is None else f"{calls / max(1, base.get(label, 0)):>9.1%}"
        rows.append(f"  {label:<22}{calls:>8}{int(tokens or 0):>11}{share}")
    return "\n".join(rows)


def _redone(store, corpus_version: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(queries reverified, queries regenerated) under this corpus version."""
    frame = store.read(
        "SELECT count(*) FILTER (WHERE status = 'reverified') AS reverified, "
        "count(*) FILTER (WHERE carried_from IS NULL) AS regenerated "
        "FROM rubric_sets WHERE corpus_version = ?",
        [corpus_version],
    )
    return int(frame["reverified"][0]), int(frame["regenerated"][0])


def _reverify_reasons(instance) -> dict:  # type: ignore[no-untyped-def]
    """Why re-checked rubrics were regenerated, from the last rubric materialization."""
    import dagster as dg

    event = instance.get_latest_materialization_event(dg.AssetKey("query_rubrics"))
    metadata = event.asset_materialization.metadata if event else {}
    value = metadata.get("reverify_regenerated_reasons")
    return dict(value.value) if value is not None else {}


def _side_by_side(summaries: dict[str, dict]) -> str:
    policies = list(summaries)
    rounds = len(next(iter(summaries.values()))["rounds"])
    head = f"  {'change':<8}" + "".join(
        f"{p + ': share':>20}{'evidence changed':>18}{'reverified':>12}{'regenerated':>13}"
        for p in policies
    )
    rows = [head]
    for index in range(rounds):
        line = f"  {index + 1:<8}"
        for policy in policies:
            r = summaries[policy]["rounds"][index]
            line += (
                f"{r['share']:>20.2%}{r['affected']:>18}{r['reverified']:>12}{r['regenerated']:>13}"
            )
        rows.append(line)
    line = f"  {'mean':<8}"
    for policy in policies:
        line += f"{summaries[policy]['mean_share']:>20.2%}{'':>43}"
    rows.append(line)
    return "\n".join(rows)


def _both(args: argparse.Namespace) -> None:
    """Each policy in its own process (fresh settings, warehouse and cache), then compare."""
    summaries = {}
    for policy in ("regenerate", "reverify"):
        out = Path(tempfile.mkdtemp(prefix=f"bench_refresh_{policy}_")) / "summary.json"
        command = [
            sys.executable, __file__, "--policy", policy, "--summary", str(out),
            "--documents", str(args.documents), "--queries", str(args.queries),
            "--share", str(args.share), "--rounds", str(args.rounds), "--seed", str(args.seed),
        ]  # fmt: skip
        print(f"===== policy {policy} =====", flush=True)
        subprocess.run(command, check=True)
        summaries[policy] = json.loads(out.read_text())
    print("\n===== both policies: refresh spend as a share of the original build =====")
    print(_side_by_side(summaries))
    for policy, summary in summaries.items():
        verdict = "PASS" if summary["mean_share"] <= TARGET_SHARE else "ABOVE TARGET"
        print(f"  {policy}: mean {summary['mean_share']:.2%} (max {summary['max_share']:.2%}), "
              f"target <= {TARGET_SHARE:.0%}: {verdict}; rerun with nothing changed: "
              f"{summary['idle_calls']} calls")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--share", type=float, default=0.01, help="share of passages changed")
    parser.add_argument("--rounds", type=int, default=3, help="successive corpus changes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policy", choices=["regenerate", "reverify", "both"], default="both")
    parser.add_argument("--summary", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.policy == "both":
        _both(args)
        return
    os.environ["QUARKMED_RUBRIC_REFRESH_POLICY"] = args.policy
    work = Path(tempfile.mkdtemp(prefix="bench_refresh_"))
    os.environ["QUARKMED_DATA_HOME"] = str(work / "home")
    os.environ["QUARKMED_SAMPLE_DATA_DIR"] = str(work / "sample")
    for name in ("QUARKMED_WAREHOUSE_PATH", "QUARKMED_ES_URL", "QUARKMED_MODEL_PROFILE"):
        os.environ.pop(name, None)
    logging.disable(logging.INFO)  # Dagster's per-step logs

    import dagster as dg

    from quarkmed_dagster.change_flow import materialize, refresh_after_corpus_change
    from quarkmed_dagster.definitions import build_definitions
    from quarkmed_dagster.ingest.batches import register_sample_batches
    from quarkmed_dagster.orchestration import run_pipeline
    from quarkmed_dagster.settings import get_settings
    from quarkmed_dagster.warehouse import Warehouse
    from tests.updates.knowledge import (
        change_chain,
        change_share,
        changed_fingerprints,
        live_calls,
        medquad_records,
        passage_turnover,
        write_corpus,
        write_queries,
    )

    get_settings.cache_clear()
    settings = get_settings()
    records = medquad_records(args.documents)
    write_corpus(settings.sample_data_dir, records)
    write_queries(settings.sample_data_dir, records, args.queries)
    defs = build_definitions()
    chain = change_chain(defs)
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"log": lambda _: None}

    started = time.perf_counter()
    built = run_pipeline(
        defs, instance, lambda: register_sample_batches(settings), targets=["query_scores"], **quiet
    )
    build_s = time.perf_counter() - started
    if not built.success:
        sys.exit(f"initial build failed: {built.failed_steps}")
    store = Warehouse(settings.warehouse)
    initial = live_calls(store, datetime(2000, 1, 1))
    sensor = defs.get_sensor_def("corpus_change_sensor")
    sensor_cursor = sensor.evaluate_tick(dg.build_sensor_context(instance=instance)).cursor
    automation_cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor

    print(f"corpus: {args.documents} MedQuAD documents; {store.count('queries')} queries; "
          f"initial build {build_s:.1f} s; refresh policy {args.policy}")  # fmt: skip
    print(_spend_table(initial, None))
    original = int(initial["calls"].sum())
    shares, rounds = [], []
    for round_ in range(1, args.rounds + 1):
        change = change_share(
            records, store, args.share, from_evidence=False, seed=args.seed + round_
        )
        records = change.records
        write_corpus(settings.sample_data_dir, records)
        since, started = _now(), time.perf_counter()
        flow = refresh_after_corpus_change(
            defs, instance, sensor_cursor, automation_cursor, only=chain, **quiet
        )
        refresh_s = time.perf_counter() - started
        sensor_cursor, automation_cursor = flow.sensor_cursor, flow.automation_cursor
        refresh = live_calls(store, since)
        gone, total = passage_turnover(store)
        affected = changed_fingerprints(store)
        spent = int(refresh["calls"].sum()) if refresh.height else 0
        shares.append(spent / max(1, original))
        current = store.read("SELECT corpus_version FROM corpus_versions WHERE is_current").item()
        reverified, regenerated = _redone(store, current)
        reasons = _reverify_reasons(instance)
        rounds.append({"share": shares[-1], "calls": spent, "affected": len(affected),
                       "reverified": reverified, "regenerated": regenerated,
                       "reverify_regenerated_reasons": reasons,
                       "wall_s": refresh_s})  # fmt: skip
        print(f"\nrefresh {round_}: {len(change.edited_docs)} documents revised, {gone}/{total} "
              f"passages ({gone / total:.2%}) replaced; evidence fingerprint changed for "
              f"{len(affected)}/{store.count('queries')} queries: {reverified} reverified, "
              f"{regenerated} regenerated"
              + (f" (re-checked, then regenerated: {reasons})" if reasons else ""))  # fmt: skip
        print(_spend_table(refresh, initial))
        runs = f"{len(flow.rounds)} automation run(s), ok={flow.success}"
        print(f"  spend: {spent} calls = {shares[-1]:.2%} of the original {original}; "
              f"wall time {refresh_s:.1f} s ({runs})")  # fmt: skip

    since, started = _now(), time.perf_counter()
    materialize(defs, instance, dg.AssetSelection.assets("knowledge_corpus"), "benchmark")
    idle = refresh_after_corpus_change(
        defs, instance, sensor_cursor, automation_cursor, only=chain, **quiet
    )
    idle_s = time.perf_counter() - started
    idle_calls = live_calls(store, since)
    mean = sum(shares) / len(shares)
    verdict = "PASS" if mean <= TARGET_SHARE else "ABOVE TARGET"
    target = f"target <= {TARGET_SHARE:.0%}: {verdict}"
    print(f"\nmean refresh spend over {len(shares)} changes of {args.share:.0%}: {mean:.2%} of "
          f"the original calls (max {max(shares):.2%}); {target}")  # fmt: skip
    idle_spent = int(idle_calls["calls"].sum()) if idle_calls.height else 0
    print(f"rerun with nothing changed (forced corpus rebuild): {idle_spent} model calls, "
          f"{idle_s:.1f} s ({len(idle.rounds)} automation run(s))")  # fmt: skip
    print(f"(work dir: {work})")
    if args.summary is not None:
        summary = {
            "policy": args.policy, "original_calls": original, "rounds": rounds,
            "mean_share": mean, "max_share": max(shares), "idle_calls": idle_spent,
        }  # fmt: skip
        args.summary.write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
