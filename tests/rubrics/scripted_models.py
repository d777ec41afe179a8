"""Scripted model outputs for rubric tests, served by the real local OpenAI-compatible server.

The handler plays every role by reading the ``<data>`` block, like a real model would read
its prompt. Scenario per query id prefix (the query text starts with it):

- ``good``: two generators agree; one point is contradicted by the evidence, one is not
  found; the first rubric lacks a Highlight item and the repair fixes it.
- ``bad``: the writer's rubric and its repair both have too few items -> review.
- ``split``: only generator A makes the essential points until deeper evidence ("deep-1")
  arrives; then both do -> converges in round 2.
- ``stuck``: generators never agree -> review (low agreement) after round 2.

Verifiers answer the single-point prompt and the batched reverify prompt alike.
"""

from __future__ import annotations

import json
from typing import Any

from quarkmed_dagster.llm.testing_server import Reply
from quarkmed_dagster.llm.types import extract_payload

POINTS = [
    ("Adults may take 400 mg ibuprofen every six hours with food.", "essential"),
    ("Seek emergency care for black stools or vomiting blood.", "essential"),
    ("Ibuprofen blocks cyclooxygenase and lowers prostaglandin production.", "essential"),
    ("People with kidney disease should ask a doctor before using it.", "insight"),
    ("Worry about side effects is understandable and common.", "insight"),
    ("Paracetamol is an alternative for people with stomach ulcers.", "extension"),
]
CONTRADICTED = "Ibuprofen is completely safe at any dose for everyone."
NOT_FOUND = "Ibuprofen was first sold in the nineteen sixties."


def _answer(model: str, data: dict[str, Any]) -> dict[str, Any]:
    evidence = [p["passage_id"] for p in data["evidence"]]
    marker = "deep" if "deep-1" in evidence else "shallow"
    return {"answer": f"[{model}] [{marker}] {data['query']}", "citations": evidence[:1]}


def _points(model: str, data: dict[str, Any]) -> dict[str, Any]:
    answers = data["answers"]
    query = data["query"]
    everyone = [a["answer_id"] for a in answers]
    only_a = [a["answer_id"] for a in answers if "[openai/gen-a]" in a["text"]]
    deep = any("[deep]" in a["text"] for a in answers)
    support = (
        only_a
        if query.startswith("stuck") or (query.startswith("split") and not deep)
        else everyone
    )
    points = [{"text": t, "kind": k, "supporting_answer_ids": support} for t, k in POINTS]
    if query.startswith("good"):
        points.append(
            {"text": CONTRADICTED, "kind": "essential", "supporting_answer_ids": everyone}
        )
        points.append({"text": NOT_FOUND, "kind": "extension", "supporting_answer_ids": everyone})
        if model == "openai/agg-1":  # a point only one generator and one aggregator make
            points.append(
                {"text": "Ginger tea soothes nausea.", "kind": "extension",
                 "supporting_answer_ids": only_a}
            )  # fmt: skip
    return {"points": points}


def _verify(data: dict[str, Any]) -> dict[str, Any]:
    if data["point"] == CONTRADICTED:
        return {"verdict": "contradicted", "passage_ids": [data["evidence"][0]["passage_id"]]}
    if data["point"] == NOT_FOUND:
        return {"verdict": "not_found", "passage_ids": []}
    return {"verdict": "supported", "passage_ids": [data["evidence"][-1]["passage_id"]]}


def _verify_batch(data: dict[str, Any]) -> dict[str, Any]:
    """The reverify prompt: every point of a rubric at once, each decided like ``_verify``."""
    evidence = data["evidence"]
    return {
        "verdicts": [
            {"point_id": p["point_id"], **_verify({"point": p["text"], "evidence": evidence})}
            for p in data["points"]
        ]
    }


def _item(tier: str, point: dict[str, Any], tag: str) -> dict[str, Any]:
    levels = (
        {"no_error": "none", "minor_error": "minor", "major_error": "major"}
        if tier == "Pitfall"
        else {"not_met": "absent", "partially_met": "partly", "fully_met": "complete"}
    )
    return {"tier": tier, "title": f"{tier}: {point['text']}", "description": point["text"],
            "tag": tag, "weight": 1.5 if tier == "Essential" else 1.0, "levels": levels,
            "point_ids": [point["point_id"]]}  # fmt: skip


def _rubric(data: dict[str, Any], repair: bool) -> dict[str, Any]:
    points = data["points"]
    if data["query"].startswith("bad"):
        return {"items": [_item("Essential", p, "Information Quality") for p in points[:3]]}
    essential = [p for p in points if p["kind"] == "essential"]
    other = [p for p in points if p["kind"] != "essential"]
    tag = "Short-term Memory" if data["is_multi_turn"] else "Humanistic Care"
    items = [_item("Essential", p, "Information Quality") for p in essential[:2]]
    items.append(_item("Pitfall", essential[1], "Safety") | {"title": "Ignores bleeding signs"})
    items.append(_item("Important", essential[2], "Evidence Support"))
    items += [_item("Important", p, "Information Quality") for p in other[:1]]
    if repair or not data["query"].startswith("good"):
        items.append(_item("Highlight", other[1], tag))
    # an item citing no point (like a generic warning): dropped as untraceable
    items.append(_item("Pitfall", {"text": "Gives unsafe advice", "point_id": "none"}, "Safety"))
    return {"items": items}


def handler(request: dict[str, Any], attempt: int) -> Reply:
    model = request["model"]
    model = model if model.startswith("openai/") else f"openai/{model}"
    system = request["messages"][0]["content"]
    data = extract_payload(request["messages"][-1]["content"])
    if "gen-" in model:
        out = _answer(model, data)
    elif "agg-" in model:
        out = _points(model, data)
    elif "ver-" in model:
        out = _verify_batch(data) if "points" in data else _verify(data)
    else:
        out = _rubric(data, repair="repair" in system.split("\n", 1)[0])
    return Reply(text=json.dumps(out, ensure_ascii=False))
