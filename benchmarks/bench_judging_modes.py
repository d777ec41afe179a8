"""Batched vs per-item judging on the same responses: calls and prompt tokens (offline judge).

``run_mode`` is shared with ``bench_scale.py``, which runs both modes on a sample of its
responses against the local OpenAI-compatible server.

    .venv/bin/python benchmarks/bench_judging_modes.py
"""

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from quarkmed_dagster.judging.run import judge_responses
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.llm.types import CallRequest, CallResult, Gateway
from quarkmed_dagster.responses.requests import candidate_request, response_id

MODES = ("batched", "per_item")


class Counting:
    """A gateway wrapper that counts requests and the tokens of their results."""

    def __init__(self, gw: Gateway) -> None:
        self.gw, self.calls, self.tokens_in, self.tokens_out = gw, 0, 0, 0

    def run(self, reqs: list[CallRequest]) -> list[CallResult]:
        out = self.gw.run(reqs)
        self.calls += len(reqs)
        self.tokens_in += sum(r.tokens_in or 0 for r in out)
        self.tokens_out += sum(r.tokens_out or 0 for r in out)
        return out


@dataclass(frozen=True)
class ModeRun:
    mode: str
    calls: int
    tokens_in: int
    tokens_out: int
    wall_s: float
    verdicts: list[dict]  # judge_verdicts rows

    def levels(self) -> dict[tuple[str, str, str], float | None]:
        keys = ("response_id", "item_id", "judge_model")
        return {tuple(v[k] for k in keys): v["level"] for v in self.verdicts}  # type: ignore[misc]


def run_mode(
    gateway: Gateway,
    judges: list[str],
    responses: list[dict],
    items_by_query: dict[str, list[dict]],
    mode: str,
) -> ModeRun:
    """Grade the responses in one mode through ``judge_responses`` (the stage's code)."""
    counting = Counting(gateway)
    started = time.perf_counter()
    rows = judge_responses(counting, judges, responses, items_by_query, mode=mode)
    wall = time.perf_counter() - started
    return ModeRun(mode, counting.calls, counting.tokens_in, counting.tokens_out, wall, rows)


def agreement(a: ModeRun, b: ModeRun) -> float:
    """Share of (response, item, judge) verdicts with the same level in both runs."""
    left, right = a.levels(), b.levels()
    same = sum(left[k] == right.get(k) for k in left)
    return same / max(1, len(left))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "judging"))
    from test_demo_leaderboard import CANDIDATES, ITEMS, REF

    with tempfile.TemporaryDirectory() as tmp:
        gw = LLMGatewayResource(
            models_config="models.yaml", profile="baseline", cache_path=f"{tmp}/c.sqlite"
        ).gateway("bench")
        turns = [{"role": "user", "content": "I have had a fever since yesterday."}]
        out = gw.run([candidate_request(m, turns, REF) for m in CANDIDATES])
        resp = [
            {
                "response_id": response_id("q", m),
                "query_id": "q",
                "query": turns[0]["content"],
                "history": [],
                "response_text": json.loads(r.text)["answer"],
            }
            for m, r in zip(CANDIDATES, out, strict=True)
        ]
        runs = {
            mode: run_mode(gw, ["baseline/semantic-judge"], resp, {"q": ITEMS}, mode)
            for mode in MODES
        }
        b, p = runs["batched"], runs["per_item"]
        print(
            f"batched: {b.calls} calls, {b.tokens_in} prompt tokens; "
            f"per_item: {p.calls} calls, {p.tokens_in} prompt tokens"
        )
        print(
            f"per_item/batched ratio: calls {p.calls / b.calls:.2f}x, "
            f"prompt tokens {p.tokens_in / max(b.tokens_in, 1):.2f}x; "
            f"same verdicts: {agreement(b, p):.1%} (by construction: the offline judge decides "
            "each item on its own, so batching cannot change a verdict; not a measurement)"
        )


if __name__ == "__main__":
    main()
