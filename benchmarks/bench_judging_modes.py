"""Batched vs per-item judging on the same responses: calls and prompt tokens (offline judge)."""

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "judging"))

from test_demo_leaderboard import CANDIDATES, ITEMS, REF

from quarkmed_dagster.judging.run import judge_responses
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.responses.requests import candidate_request, response_id


class Counting:
    def __init__(self, gw):
        self.gw, self.calls, self.tokens = gw, 0, 0

    def run(self, reqs):
        out = self.gw.run(reqs)
        self.calls += len(reqs)
        self.tokens += sum(r.tokens_in or 0 for r in out)
        return out


def main() -> None:
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
        figures = {}
        for mode in ("batched", "per_item"):
            c = Counting(gw)
            judge_responses(c, ["baseline/semantic-judge"], resp, {"q": ITEMS}, mode=mode)
            figures[mode] = (c.calls, c.tokens)
        (bc, bt), (pc, pt) = figures["batched"], figures["per_item"]
        print(f"batched: {bc} calls, {bt} prompt tokens; per_item: {pc} calls, {pt} prompt tokens")
        print(f"per_item/batched ratio: calls {pc / bc:.2f}x, prompt tokens {pt / max(bt, 1):.2f}x")


if __name__ == "__main__":
    main()
