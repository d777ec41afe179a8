"""Throughput of the tiny real model (tiny-local profile: llama.cpp + SmolLM2-135M on CPU)
through the project's gateway and litellm, and its per-role call table from a warehouse.

    QUARKMED_LOCAL_API_BASE=$(bash scripts/llm_server.sh start | tail -n 1) \\
        .venv/bin/python benchmarks/bench_tiny_model.py [--calls 6] [--warehouse W.duckdb]

Sends ``--calls`` distinct judge-shaped requests (JSON schema, the role's max_tokens, no
cache) and prints calls/s, prompt and completion tokens/s, the runtime and how many replies
needed a re-ask or stayed unparseable. With ``--warehouse`` it also prints the
``model_call_stats`` table (calls, re-asks, unparseable, refusals, timeouts, tokens per role
and model) and the summed call time per pipeline stage of a finished tiny-local run.
"""

from __future__ import annotations

import argparse
import os
import time

from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.payloads import JudgeOutput
from quarkmed_dagster.llm.types import CallRequest, encode_payload
from quarkmed_dagster.settings import PROJECT_ROOT

RESPONSE = (
    "Ibuprofen and warfarin together raise the risk of bleeding; ask your doctor before "
    "taking both, prefer paracetamol for pain, and seek care for black stools."
)


def _requests(n: int, model: str) -> list[CallRequest]:
    out = []
    for i in range(n):
        payload = {
            "query": f"Case {i}: can I take ibuprofen while on warfarin?",
            "response": RESPONSE,
            "items": [
                {"item_id": "i1", "tier": "Essential", "title": "Warns of bleeding risk"},
                {"item_id": "i2", "tier": "Important", "title": "Suggests an alternative"},
            ],
        }
        out.append(
            CallRequest(
                role="judges",
                model=model,
                messages=(
                    {
                        "role": "system",
                        "content": "Grade the response against each item. "
                        "Reply with JSON: verdicts with item_id, level (0, 0.5 or 1), rationale.",
                    },
                    {"role": "user", "content": f"<data>{encode_payload(payload)}</data>"},
                ),
                prompt_version="bench_tiny@1",
                json_schema=JudgeOutput.model_json_schema(),
            )
        )
    return out


def _throughput(calls: int) -> None:
    profile = load_profile(PROJECT_ROOT / "models.yaml", "tiny-local")
    model = profile.models("judges")[0].model
    gateway = LiteLLMGateway(profile, "bench_tiny_model")
    started = time.monotonic()
    results = gateway.run(_requests(calls, model))
    wall = time.monotonic() - started
    tokens_in = sum(r.tokens_in for r in results)
    tokens_out = sum(r.tokens_out for r in results)
    print(f"server: {profile.deployment(model).api_base}  model: {model}")
    print(f"calls: {calls}  runtime: {wall:.1f} s  calls/s: {calls / wall:.3f}")
    print(f"tokens in: {tokens_in}  out: {tokens_out}  "
          f"tokens/s (in+out): {(tokens_in + tokens_out) / wall:.1f}  "
          f"completion tokens/s: {tokens_out / wall:.1f}")  # fmt: skip
    print(f"ok: {sum(r.status == 'ok' for r in results)}  "
          f"re-asked: {sum(r.reasks for r in results)}  "
          f"unparseable (NULL): {sum(r.error_class == 'InvalidOutput' for r in results)}  "
          f"other failures: {sum(r.status == 'failed' and r.error_class != 'InvalidOutput' for r in results)}")  # noqa: E501  # fmt: skip


def _warehouse_tables(path: str) -> None:
    import duckdb
    import polars as pl

    pl.Config.set_tbl_cols(30)
    pl.Config.set_tbl_width_chars(250)
    with duckdb.connect(path, read_only=True) as con:
        print(con.execute("SELECT * EXCLUDE (is_baseline) FROM model_call_stats").pl())
        print(con.execute(
            "SELECT run_label AS stage, count(*) AS requests, round(sum(latency_s), 1) AS "
            "call_s FROM llm_calls GROUP BY 1 ORDER BY 1"
        ).pl())  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--warehouse", help="a tiny-local run's warehouse.duckdb")
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if args.calls:
        _throughput(args.calls)
    if args.warehouse:
        _warehouse_tables(args.warehouse)


if __name__ == "__main__":
    main()
