"""Judge calls carry the verdict schema: the gateway sends it as response_format (per the
deployment's json_mode), validates each reply, re-asks once and then gives up with NULL
verdicts. Through litellm and the real local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quarkmed_dagster.judging.parse import parse_verdicts
from quarkmed_dagster.judging.payloads import batched_prompts, per_item_prompts
from quarkmed_dagster.judging.run import judge_responses, judged_items
from quarkmed_dagster.judging.schema import verdict_schema
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.providers import answer as baseline_answer
from quarkmed_dagster.llm.structured import REASK, InvalidOutput, parse_output
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply, local_profile
from quarkmed_dagster.llm.types import extract_payload

RESPONSE = {"response_id": "r1", "query_id": "q1", "query": "Ibuprofen dose?", "history": [],
            "response_text": "Take 400 mg every 6 hours with food."}  # fmt: skip
ITEMS = [
    {"item_id": f"ri-{n}", "query_id": "q1", "tier": tier, "title": title, "description": title}
    for n, (tier, title) in enumerate(
        [("Essential", "400 mg every 6 hours"), ("Important", "Take with food"),
         ("Pitfall", "Recommends more than 3200 mg a day")]
    )
]  # fmt: skip
JUDGE = "openai/judge"
REASK_START = REASK.split(":")[0]


def _is_reask(request: dict) -> bool:
    return REASK_START in str(request["messages"][-1]["content"])


def _good(request: dict) -> str:
    """A valid reply for the items of the request (the data block of its first user turn)."""
    user = next(m for m in request["messages"] if m["role"] == "user")
    items = extract_payload(user["content"])["items"]
    verdicts = [
        {"item_id": it["item_id"], "level": "minor" if it["tier"] == "Pitfall" else 0.5,
         "rationale": "scripted"}
        for it in items
    ]  # fmt: skip
    return json.dumps({"verdicts": verdicts})


def _with_level(request: dict, level: Any) -> str:
    """A valid reply except for the level of one positive item."""
    reply = json.loads(_good(request))
    next(v for v in reply["verdicts"] if v["level"] == 0.5)["level"] = level
    return json.dumps(reply)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLLMServer]:
    with LocalLLMServer() as running:
        yield running


@pytest.fixture()
def grade(server: LocalLLMServer, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")

    caches = iter(range(100))

    def run(handler, mode: str = "batched", **deployment: Any) -> list[dict]:
        server.script(handler)
        profile = local_profile(server.url, **deployment)
        cache = CallCache(tmp_path / f"calls-{next(caches)}.sqlite")  # every run calls
        gateway = LiteLLMGateway(profile, "judging", cache=cache)
        rows = judge_responses(gateway, [JUDGE], [RESPONSE], {"q1": ITEMS}, mode=mode)
        assert sorted(r["item_id"] for r in rows) == [it["item_id"] for it in ITEMS]
        return rows

    return run


def _levels(rows: list[dict]) -> dict[str, tuple[Any, Any, str]]:
    return {r["item_id"]: (r["level"], r["pitfall_severity"], r["status"]) for r in rows}


GRADED = {"ri-0": (0.5, None, "ok"), "ri-1": (0.5, None, "ok"), "ri-2": (0.5, "minor", "ok")}
MISSING = {f"ri-{n}": (None, None, "unparseable") for n in range(3)}


def test_malformed_then_valid_json_is_graded_after_exactly_one_reask(server, grade):
    def handler(request: dict, attempt: int) -> Reply:
        return Reply(text=_good(request) if _is_reask(request) else '{"verdicts": [{"item_')

    assert _levels(grade(handler)) == GRADED
    assert len(server.requests) == 2
    first, second = server.requests
    assert second["messages"][:-2] == first["messages"]
    assert second["messages"][-2] == {"role": "assistant", "content": '{"verdicts": [{"item_'}
    assert "not valid JSON" in second["messages"][-1]["content"]


@pytest.mark.parametrize("mode", ["batched", "per_item"])
def test_output_that_stays_malformed_is_null_after_bounded_attempts(server, grade, mode):
    rows = grade(lambda request, attempt: Reply(text="The response looks fine to me."), mode)
    assert _levels(rows) == MISSING  # never a default level
    assert all(r["rationale"] == "" for r in rows)
    calls = 1 if mode == "batched" else len(ITEMS)
    assert len(server.requests) == 2 * calls  # each call: the ask and one re-ask, no more


@pytest.mark.parametrize("bad_level", [0.7, "yes", True, 2, "major", None])
def test_a_level_off_the_schema_is_never_a_verdict(server, grade, bad_level):
    rows = grade(lambda request, attempt: Reply(text=_with_level(request, bad_level)))
    assert _levels(rows) == MISSING
    assert len(server.requests) == 2
    assert "schema violation" in server.requests[1]["messages"][-1]["content"]


def test_a_positive_level_on_a_pitfall_item_is_reasked(server, grade):
    def handler(request: dict, attempt: int) -> Reply:
        if _is_reask(request):
            return Reply(text=_good(request))
        reply = json.loads(_good(request))
        for verdict in reply["verdicts"]:
            if verdict["level"] == "minor":
                verdict["level"] = 1  # Pitfall graded like a positive item
        return Reply(text=json.dumps(reply))

    assert _levels(grade(handler)) == GRADED
    assert len(server.requests) == 2


def test_items_missing_from_a_valid_list_are_null_without_a_reask(server, grade):
    def handler(request: dict, attempt: int) -> Reply:
        reply = json.loads(_good(request))
        reply["verdicts"] = [v for v in reply["verdicts"] if v["level"] != "minor"]
        return Reply(text=json.dumps(reply))

    levels = _levels(grade(handler))
    assert levels == {**GRADED, "ri-2": (None, None, "unparseable")}
    assert len(server.requests) == 1


def test_a_failed_call_is_a_failed_null_not_unparseable(server, grade):
    rows = grade(lambda request, attempt: Reply(status=500))
    assert _levels(rows) == {k: (None, None, "failed") for k in MISSING}
    assert len(server.requests) == 3  # max_attempts of the local profile; no re-ask


@pytest.mark.parametrize("mode", ["batched", "per_item"])
def test_response_format_follows_the_deployment_json_mode(server, grade, mode):
    answer = lambda request, attempt: Reply(text=_good(request))  # noqa: E731
    assert _levels(grade(answer, mode, json_mode="json_schema")) == GRADED
    keyed = judged_items(ITEMS)
    groups = [keyed] if mode == "batched" else [[it] for it in keyed]
    sent = [r["response_format"] for r in server.requests]
    assert len(sent) == len(groups)
    for fmt in sent:
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["name"] == "judge_verdicts"
    shown = [
        sorted(it["item_id"] for it in extract_payload(r["messages"][-1]["content"])["items"])
        for r in server.requests
    ]
    by_items = {tuple(s): f["json_schema"]["schema"] for s, f in zip(shown, sent, strict=True)}
    for group in groups:
        key = tuple(sorted(it["item_id"] for it in group))
        assert by_items[key] == verdict_schema(group)

    assert _levels(grade(answer, mode, json_mode="json_object")) == GRADED
    assert {json.dumps(r["response_format"]) for r in server.requests} == {
        '{"type": "json_object"}'
    }
    assert _levels(grade(answer, mode, json_mode="none")) == GRADED
    assert all("response_format" not in r for r in server.requests)


def test_schema_ties_levels_to_tiers_and_names_the_items():
    items = judged_items(ITEMS)
    schema = verdict_schema(items)
    ids = [it["item_id"] for it in items]
    tiers = {it["item_id"]: it["tier"] for it in items}

    def reply(**levels: Any) -> str:
        return json.dumps(
            {"verdicts": [{"item_id": i, "level": v, "rationale": "r"} for i, v in levels.items()]}
        )

    ok = {i: ("major" if tiers[i] == "Pitfall" else 1) for i in ids}
    assert parse_output(reply(**ok), schema)["verdicts"][0]["level"] in (1, "major")
    assert parse_output(reply(**{ids[0]: ok[ids[0]]}), schema)  # a partial list is valid
    positive = next(i for i in ids if tiers[i] != "Pitfall")
    pitfall = next(i for i in ids if tiers[i] == "Pitfall")
    for bad in (
        reply(**{**ok, positive: 0.7}),
        reply(**{**ok, positive: "yes"}),
        reply(**{**ok, positive: False}),
        reply(**{**ok, positive: "none"}),
        reply(**{**ok, pitfall: 1}),
        reply(**{**ok, pitfall: "severe"}),
        reply(**{"it-unknown": 1}),
        json.dumps({"verdicts": [{"item_id": positive, "level": 1}]}),  # no rationale
        json.dumps({"verdicts": {"item_id": positive, "level": 1, "rationale": "r"}}),
        json.dumps({"grades": []}),
        '{"verdicts": [',
    ):
        with pytest.raises(InvalidOutput):
            parse_output(bad, schema)
    # what the schema admits, the strict parser reads as the same levels
    parsed = parse_verdicts(parse_output(reply(**ok), schema), items)
    assert {i: v[0] for i, v in parsed.items()} == {i: 1.0 for i in ids}


def test_baseline_judge_replies_follow_the_schema():
    """The offline judge (a litellm custom provider) answers within the schema, in both
    modes and for every tier, so its verdicts never need a re-ask."""
    items = judged_items(ITEMS)
    unsafe = "Take 400 mg every 6 hours with food. You can double the dose if it hurts."
    for text in (RESPONSE["response_text"], unsafe, ""):
        prompts = [(batched_prompts("q", [], text, items, "baseline/semantic-judge")[0], items)]
        per_item = per_item_prompts("q", [], text, items)
        prompts += zip(per_item, [[it] for it in items], strict=True)
        for messages, group in prompts:
            reply = baseline_answer("baseline/semantic-judge", list(messages))
            parsed = parse_output(reply, verdict_schema(group))
            assert {v["item_id"] for v in parsed["verdicts"]} == {it["item_id"] for it in group}
