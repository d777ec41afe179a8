"""Run judges through any ``Gateway`` (batched or per-item) and build verdict rows.

Judges see each item under a content key (a hash of its query, tier, title, description and
level descriptions: all of the item the prompt shows), not under its item id: an item id
names its rubric set version, which names the corpus version, so a rubric carried unchanged
to a new corpus version would otherwise change every prompt and be re-judged. With content
keys an unchanged (response, rubric) is a cache hit.
"""

from __future__ import annotations

from collections import Counter

from quarkmed_dagster.judging.panel import panel_vote
from quarkmed_dagster.judging.parse import parse_verdicts
from quarkmed_dagster.judging.payloads import (
    batched_prompts,
    item_levels,
    judge_template,
    per_item_prompts,
)
from quarkmed_dagster.judging.schema import verdict_schema
from quarkmed_dagster.llm.types import CallRequest, Gateway, stable_hash


def prompt_version(mode: str) -> str:
    """The judge template's version (name@content hash) and the mode: batched and per-item
    calls stay apart in the cache even when a rubric has a single item."""
    return f"{judge_template().version}.{mode}"


def judged_items(items: list[dict]) -> list[dict]:
    """Items as judges see them: ``item_id`` is a content key (in key order, so the prompt
    does not depend on the rubric version); ``rubric_item_id`` keeps the real id."""
    keyed: list[dict] = []
    seen: Counter[str] = Counter()
    for it in sorted(items, key=lambda it: it["item_id"]):
        content = [it.get(k) for k in ("query_id", "tier", "title", "description")]
        levels = item_levels(it.get("levels"))
        content += [levels] if levels else []  # items without levels keep their old keys
        base = "it-" + stable_hash(content)
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}-{seen[base]}"
        keyed.append({**it, "item_id": key, "rubric_item_id": it["item_id"]})
    return sorted(keyed, key=lambda it: it["item_id"])


def judge_responses(
    gateway: Gateway,
    judges: list[str],
    responses: list[dict],
    items_by_query: dict[str, list[dict]],
    mode: str = "batched",
    seed: int = 0,
) -> list[dict]:
    """responses: dicts with response_id, query_id, query, history, response_text.
    Returns one judge_verdicts row per (response, item, judge); failures are NULL.

    Every call carries the verdict schema of its items (``schema.verdict_schema``): the
    gateway validates the reply and re-asks once; a reply still off the schema is a NULL
    verdict with status "unparseable", a call that failed otherwise is "failed"."""
    plan: list[tuple[dict, str, list[dict]]] = []
    requests: list[CallRequest] = []
    keyed = {query_id: judged_items(items) for query_id, items in items_by_query.items()}
    version = prompt_version(mode)
    for r in responses:
        items = keyed.get(r["query_id"], [])
        if not items:
            continue
        for judge in judges:
            if r.get("response_text") is None:
                plan.append((r, judge, items))
                requests.append(None)  # type: ignore[arg-type]
                continue
            if mode == "batched":
                prompts = batched_prompts(
                    r["query"], r["history"], r["response_text"], items, judge, seed
                )
                groups = [items]
            else:
                prompts = per_item_prompts(r["query"], r["history"], r["response_text"], items)
                groups = [[it] for it in items]
            for messages, group in zip(prompts, groups, strict=True):
                plan.append((r, judge, group))
                requests.append(
                    CallRequest(
                        role="judges",
                        model=judge,
                        messages=messages,
                        prompt_version=version,
                        json_schema=verdict_schema(group),
                    )
                )
    live = [q for q in requests if q is not None]
    results = iter(gateway.run(live)) if live else iter(())
    rows = []
    for (r, judge, group), req in zip(plan, requests, strict=True):
        res = next(results) if req is not None else None
        ok = res is not None and res.status in ("ok", "cached")
        # The gateway re-asked once already; output still off the schema is unparseable.
        unusable = res is not None and res.error_class == "InvalidOutput"
        parsed = parse_verdicts((res.parsed or res.text) if ok else None, group)
        for it in group:
            level, sev, why = parsed[it["item_id"]]
            rows.append(
                {
                    "response_id": r["response_id"],
                    "item_id": it["rubric_item_id"],
                    "judge_model": judge,
                    "mode": mode,
                    "level": level,
                    "pitfall_severity": sev,
                    "rationale": why,
                    "status": "ok"
                    if level is not None
                    else ("unparseable" if ok or unusable else "failed"),
                }
            )
    return rows


def panel_rows(verdict_rows: list[dict], tiers: dict[str, str]) -> list[dict]:
    """item_verdicts rows: majority vote over judges per (response, item)."""
    votes: dict[tuple[str, str], list[float | None]] = {}
    for v in verdict_rows:
        votes.setdefault((v["response_id"], v["item_id"]), []).append(v["level"])
    out = []
    for (rid, iid), levels in votes.items():
        level, n, agree = panel_vote(levels, harmful=tiers.get(iid) == "Pitfall")
        out.append(
            {"response_id": rid, "item_id": iid, "level": level, "n_votes": n, "agreement": agree}
        )
    return out
