"""Judge prompt payloads, rendered with the versioned template ``prompts/judge_response.prompt``.
Untrusted text only enters prompts through the template's ``<data>`` block
(``encode_payload``); the template's version (its content hash) names the prompt in every
cache key and in ``score_versions.judge_prompt_version``."""

from __future__ import annotations

import json
import random
from typing import Any

from quarkmed_dagster.prompts import PromptTemplate, load_prompt

JUDGE_PROMPT = "judge_response"
Messages = tuple[dict[str, str], ...]


def judge_template() -> PromptTemplate:
    return load_prompt(JUDGE_PROMPT)


def shuffled_items(items: list[dict], judge_model: str, seed: int = 0) -> list[dict]:
    """Item order shuffled per judge with a fixed seed (reproducible)."""
    out = list(items)
    random.Random(f"{seed}:{judge_model}").shuffle(out)
    return out


def item_levels(levels: Any) -> Any:
    """An item's level descriptions as stored (a JSON string) -> the JSON value; empty -> {}."""
    if isinstance(levels, str):
        try:
            return json.loads(levels) if levels.strip() else {}
        except ValueError:
            return levels  # still only data inside the block
    return levels or {}


def _payload(query: str, history: list[dict], response: str, items: list[dict]) -> dict:
    keep = ("item_id", "tier", "title", "description")
    return {
        "query": query,
        "history": history,
        "response": response,
        "items": [
            {**{k: it.get(k, "") for k in keep}, "levels": item_levels(it.get("levels"))}
            for it in items
        ],
    }


def judge_messages(payload: dict[str, Any]) -> Messages:
    return judge_template().messages(payload)


def batched_prompts(
    query: str,
    history: list[dict],
    response: str,
    items: list[dict],
    judge_model: str,
    seed: int = 0,
) -> list[Messages]:
    """One prompt (message list) grading all items of a response."""
    order = shuffled_items(items, judge_model, seed)
    return [judge_messages(_payload(query, history, response, order))]


def per_item_prompts(
    query: str, history: list[dict], response: str, items: list[dict]
) -> list[Messages]:
    """HealthBench style: one prompt per item."""
    return [judge_messages(_payload(query, history, response, [it])) for it in items]
