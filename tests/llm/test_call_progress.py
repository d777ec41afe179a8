"""A gateway reports its live calls as they finish (for the main job's console): from 0 to
the number of distinct uncached calls, one step per call; cached calls report nothing."""

from __future__ import annotations

from quarkmed_dagster.llm.progress import listening
from quarkmed_dagster.llm.types import CallRequest


def _requests(n: int) -> list[CallRequest]:
    return [
        CallRequest(role="generators", model="openai/test-model",
                    messages=({"role": "user", "content": f"progress {i % 6}"},),
                    prompt_version="p@1")
        for i in range(n)
    ]  # fmt: skip


def test_live_calls_are_reported_as_they_finish(llm_server, make_gateway):
    seen: list[tuple[str, int, int]] = []
    with listening(lambda *event: seen.append(event)):
        make_gateway(label="judge_panel").run(_requests(8))  # 6 distinct requests
        cached = len(seen)
        make_gateway(label="judge_panel").run(_requests(8))  # all cached now
    assert seen[0] == ("judge_panel", 0, 6) and seen[cached - 1] == ("judge_panel", 6, 6)
    done = [d for _, d, _ in seen[1 : cached - 1]]
    assert done == list(range(1, 7))  # one report per finished call, in order
    assert len(seen) == cached  # a run of cached calls reports nothing
    assert len(llm_server.requests) == 6
