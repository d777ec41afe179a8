"""Judges see items under content keys: a rubric carried unchanged to a new corpus version
(new item ids, same content) is graded with the same prompts, i.e. from the call cache."""

import json

from quarkmed_dagster.judging.run import judge_responses, judged_items
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply, local_profile
from quarkmed_dagster.llm.types import extract_payload

RESPONSE = {"response_id": "r1", "query_id": "q1", "query": "Dose?", "history": [],
            "response_text": "Take 400 mg with food."}  # fmt: skip


def _items(version: str, description: str = "400 mg every 6 h") -> list[dict]:
    return [
        {"item_id": f"ri-{version}-{n}", "query_id": "q1", "tier": tier, "title": title,
         "description": description if tier == "Essential" else title}
        for n, (tier, title) in enumerate(
            [("Essential", "Dose"), ("Important", "With food"), ("Pitfall", "Overdose")]
        )
    ]  # fmt: skip


def _judge(request: dict, attempt: int) -> Reply:
    data = extract_payload(request["messages"][-1]["content"])
    verdicts = [
        {
            "item_id": it["item_id"],
            "level": "none" if it["tier"] == "Pitfall" else 1,
            "rationale": "scripted",
        }
        for it in data["items"]
    ]
    return Reply(text=json.dumps({"verdicts": verdicts}))


def test_content_keys_are_stable_unique_and_hide_the_rubric_version():
    old, new = judged_items(_items("c1")), judged_items(_items("c2"))
    assert [it["item_id"] for it in old] == [it["item_id"] for it in new]
    assert len({it["item_id"] for it in old}) == 3
    assert {it["rubric_item_id"] for it in new} == {f"ri-c2-{n}" for n in range(3)}
    twins = judged_items([{**_items("c1")[0], "item_id": f"x{n}"} for n in range(2)])
    assert len({it["item_id"] for it in twins}) == 2  # identical content still gets two keys


def test_level_descriptions_are_part_of_the_content_key():
    levels = {"not_met": "no dose", "partially_met": "a dose", "fully_met": "400 mg"}
    plain = judged_items(_items("c1")[:1])[0]["item_id"]
    as_text = judged_items([{**_items("c1")[0], "levels": json.dumps(levels)}])[0]["item_id"]
    as_dict = judged_items([{**_items("c2")[0], "levels": levels}])[0]["item_id"]
    assert as_text == as_dict != plain  # stored JSON text or parsed: the same content
    other = judged_items([{**_items("c1")[0], "levels": {**levels, "fully_met": "500 mg"}}])
    assert other[0]["item_id"] not in (plain, as_text)
    assert judged_items([{**_items("c1")[0], "levels": "{}"}])[0]["item_id"] == plain


def test_carried_rubric_is_judged_from_the_cache_and_changed_item_is_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    with LocalLLMServer(_judge) as server:
        profile = local_profile(server.url)
        cache = CallCache(tmp_path / "calls.sqlite")

        def grade(items: list[dict]) -> list[dict]:
            gateway = LiteLLMGateway(profile, "judging", cache=cache)
            return judge_responses(gateway, ["openai/judge"], [RESPONSE], {"q1": items})

        first = grade(_items("c1"))
        assert len(server.requests) == 1
        carried = grade(_items("c2"))  # same content under new ids: no call
        assert len(server.requests) == 1
        assert {r["item_id"] for r in carried} == {f"ri-c2-{n}" for n in range(3)}
        assert [r["level"] for r in carried] == [r["level"] for r in first]
        assert all(r["status"] == "ok" for r in carried)
        grade(_items("c3", description="200-400 mg every 4-6 h"))  # changed item: asked
        assert len(server.requests) == 2
