"""The real collaborators of a RewardScorer: warehouse rubrics and gateway judges.

``gateway_grader`` grades a NEW completion against a query's stored rubric through the LLM
gateway with the project's ``judge_response`` prompt (untrusted text only inside the
``<data>`` block). It is this module's own small judge client because the judging stage's
package was not available when the reward stage was written; swap in the judging code's
grader here once it exists (same ``grade(query_id, completion)`` shape).

Voting with several judges: the lower median level for positive tiers and the upper
median severity for Pitfall (ties resolve conservatively: less credit, more severity). A
failed or unparseable judgment is a missing level (None), never a "not met".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from quarkmed_dagster.llm.types import CallRequest, Gateway
from quarkmed_dagster.prompts import load_prompt
from quarkmed_dagster.rewards.matrix import AlignmentMatrix, default_matrix
from quarkmed_dagster.rewards.normalization import FrozenStatsStore, NormalizationStats
from quarkmed_dagster.rewards.scorer import Grader, RewardScorer, RubricLookup
from quarkmed_dagster.rewards.vector import RubricItem
from quarkmed_dagster.warehouse import Warehouse, load_sql

JUDGE_PROMPT = "judge_response"
PITFALL_LEVELS = {"none": 0.0, "minor": 0.5, "major": 1.0}


def stats_store_root(data_home: Path) -> Path:
    return Path(data_home) / "rewards" / "normalization"


def warehouse_rubrics(store: Warehouse) -> tuple[RubricLookup, dict[str, list[dict]]]:
    """A cached lookup query_id -> rubric items, plus the raw rows (for judge payloads)."""
    rows: dict[str, list[dict]] = {}

    def lookup(query_id: str) -> list[RubricItem]:
        if query_id not in rows:
            frame = store.read(load_sql("select_reward_rubric_items"), [query_id, query_id])
            rows[query_id] = frame.to_dicts()
        return [
            RubricItem(r["item_id"], r["tier"], r["tag"], float(r["weight"]), r["title"])
            for r in rows[query_id]
        ]

    return lookup, rows


def _level(tier: str, value: object) -> float | None:
    if tier == "Pitfall" and isinstance(value, str):
        return PITFALL_LEVELS.get(value.lower())
    try:
        level = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return level if level in (0.0, 0.5, 1.0) else None


def vote(tier: str, levels: Sequence[float | None]) -> float | None:
    votes = sorted(v for v in levels if v is not None)
    if not votes:
        return None
    mid = len(votes) // 2
    if len(votes) % 2:
        return votes[mid]
    return votes[mid] if tier == "Pitfall" else votes[mid - 1]


def gateway_grader(
    gateway: Gateway,
    judge_models: Sequence[str],
    store: Warehouse,
    rubric_rows: dict[str, list[dict]] | None = None,
) -> Grader:
    """grade(query_id, completion) -> {item_id: level | None} via the gateway's judges."""
    lookup, rows = (None, rubric_rows) if rubric_rows is not None else warehouse_rubrics(store)
    template = load_prompt(JUDGE_PROMPT)

    def query_text(query_id: str) -> tuple[str, list[dict]]:
        frame = store.read(
            "SELECT turns, final_user_turn FROM queries WHERE query_id = ?", [query_id]
        )
        if frame.is_empty():
            return "", []
        turns, final = frame.row(0)
        history = json.loads(turns) if isinstance(turns, str) else list(turns or [])
        return str(final or ""), [t for t in history if isinstance(t, dict)][:-1]

    def grade(query_id: str, completion: str) -> dict[str, float | None]:
        if lookup is not None:
            lookup(query_id)
        items = rows.get(query_id, [])
        if not items:
            return {}
        query, history = query_text(query_id)
        payload = {
            "query": query,
            "history": history,
            "response": completion,
            "items": [
                {k: it[k] for k in ("item_id", "tier", "title", "description")} for it in items
            ],
        }
        requests = [
            CallRequest(
                role="judges",
                model=model,
                messages=template.messages(payload),
                prompt_version=template.version,
            )
            for model in judge_models
        ]
        per_item: dict[str, list[float | None]] = {it["item_id"]: [] for it in items}
        tiers = {it["item_id"]: it["tier"] for it in items}
        for result in gateway.run(requests):
            verdicts = _verdicts(result.parsed, result.text) if result.ok else []
            for verdict in verdicts:
                item_id = verdict.get("item_id")
                if item_id in per_item:
                    per_item[item_id].append(_level(tiers[item_id], verdict.get("level")))
        return {item_id: vote(tiers[item_id], levels) for item_id, levels in per_item.items()}

    return grade


def _verdicts(parsed: object, text: str | None) -> list[dict]:
    data = parsed
    if data is None and text:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return []
    if isinstance(data, dict) and isinstance(data.get("verdicts"), list):
        return [v for v in data["verdicts"] if isinstance(v, dict)]
    return []


def _latest_version(root: str) -> str | None:
    files = sorted(Path(root).glob("*.json"), key=lambda p: p.stat().st_mtime)
    return files[-1].stem if files else None


def load_frozen_stats(data_home: Path, version: str | None) -> NormalizationStats:
    store = FrozenStatsStore(stats_store_root(data_home))
    chosen = version or _latest_version(str(store.root))
    if chosen is None:
        raise FileNotFoundError(
            f"no frozen reward statistics under {store.root}; materialize reward_normalization"
        )
    return store.load(chosen)


def build_warehouse_scorer(
    stats_version: str | None = None,
    adaptive: bool = False,
    matrix: AlignmentMatrix | None = None,
) -> RewardScorer:
    """The production scorer: settings -> warehouse rubrics + gateway judges + frozen stats."""
    from quarkmed_dagster.llm.budget import Budget
    from quarkmed_dagster.llm.cache import CallCache
    from quarkmed_dagster.llm.config import load_profile
    from quarkmed_dagster.llm.gateway import LiteLLMGateway
    from quarkmed_dagster.settings import get_settings

    settings = get_settings()
    store = Warehouse(settings.warehouse)
    profile = load_profile(str(settings.models_config), settings.model_profile)
    gateway = LiteLLMGateway(
        profile,
        "reward-service",
        cache=CallCache(settings.cache_dir / "llm_calls.sqlite"),
        warehouse=store,
        budget=Budget(
            settings.budget_max_calls, settings.budget_max_tokens, settings.budget_max_cost_usd
        ),
    )
    lookup, rows = warehouse_rubrics(store)
    grader = gateway_grader(gateway, [m.model for m in profile.models("judges")], store, rows)
    return RewardScorer(
        matrix or default_matrix(),
        load_frozen_stats(settings.data_home, stats_version),
        grader=grader,
        rubric_lookup=lookup,
        adaptive=adaptive,
    )
