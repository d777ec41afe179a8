"""The real collaborators of a RewardScorer: warehouse rubrics and gateway judges.

``gateway_grader`` grades NEW completions against their queries' current rubric items with
the judging stage's own code (:mod:`quarkmed_dagster.judging`): the same payloads and
prompts (untrusted text only inside the ``<data>`` block, items shuffled per judge with the
seed, full session history), the same strict parsing and the same panel vote (majority;
ties: less credit for positive tiers, more severity for Pitfall). A failed or unparseable
judgment is a missing level (None), never a "not met". Because the prompts are identical,
a completion the judging stage has already graded is a gateway cache hit, not a new call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from quarkmed_dagster.judging.run import judge_responses, panel_rows
from quarkmed_dagster.judging.stage import response_payloads
from quarkmed_dagster.llm.types import Gateway, stable_hash
from quarkmed_dagster.rewards.config import load_rewards_config
from quarkmed_dagster.rewards.matrix import AlignmentMatrix
from quarkmed_dagster.rewards.normalization import FrozenStatsStore, NormalizationStats
from quarkmed_dagster.rewards.scorer import Grader, RewardScorer
from quarkmed_dagster.rewards.vector import RubricItem
from quarkmed_dagster.warehouse import Warehouse, load_sql

RESPONSE_SCHEMA = {"response_id": pl.String, "query_id": pl.String, "response_text": pl.String}


def stats_store_root(data_home: Path) -> Path:
    return Path(data_home) / "rewards" / "normalization"


class WarehouseRubrics:
    """query_id -> the query's CURRENT rubric items (as the judging stage grades them),
    read once per query and kept for the life of the scorer."""

    def __init__(self, store: Warehouse) -> None:
        self.store = store
        self._rows: dict[str, list[dict]] = {}

    def rows(self, query_id: str) -> list[dict]:
        if query_id not in self._rows:
            frame = self.store.read(load_sql("select_reward_rubric_items"), [query_id])
            self._rows[query_id] = frame.to_dicts()
        return self._rows[query_id]

    def lookup(self, query_id: str) -> list[RubricItem]:
        return [
            RubricItem(r["item_id"], r["tier"], r["tag"], float(r["weight"]), r["title"])
            for r in self.rows(query_id)
        ]


def gateway_grader(
    gateway: Gateway,
    judge_models: Sequence[str],
    rubrics: WarehouseRubrics,
    mode: str = "batched",
    seed: int = 0,
) -> Grader:
    """grade([(query_id, completion)]) -> [{item_id: level | None}] via the judging code."""

    def grade(pairs: Sequence[tuple[str, str]]) -> list[Mapping[str, float | None]]:
        unique = list(dict.fromkeys(pairs))
        ids = {pair: "adhoc-" + stable_hash(list(pair)) for pair in unique}
        query_ids = sorted({query_id for query_id, _ in unique})
        queries = rubrics.store.read(load_sql("select_reward_query_turns"), [query_ids])
        responses = pl.DataFrame(
            {
                "response_id": [ids[p] for p in unique],
                "query_id": [q for q, _ in unique],
                "response_text": [text for _, text in unique],
            },
            schema=RESPONSE_SCHEMA,
        )
        items = {query_id: rubrics.rows(query_id) for query_id in query_ids}
        verdicts = judge_responses(
            gateway,
            list(judge_models),
            response_payloads(queries, responses),
            items,
            mode=mode,
            seed=seed,
        )
        tiers = {it["item_id"]: it["tier"] for rows in items.values() for it in rows}
        votes = {(v["response_id"], v["item_id"]): v["level"] for v in panel_rows(verdicts, tiers)}
        return [
            {it["item_id"]: votes.get((ids[pair], it["item_id"])) for it in items[pair[0]]}
            for pair in pairs
        ]

    return grade


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
    judge_mode: str = "batched",
    judge_seed: int = 0,
) -> RewardScorer:
    """The production scorer: settings -> warehouse rubrics + gateway judges + frozen stats;
    the alignment matrix of the ``alignment_matrix`` file unless one is given."""
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
    rubrics = WarehouseRubrics(store)
    judges = [m.model for m in profile.models("judges")]
    return RewardScorer(
        matrix or load_rewards_config(settings.alignment_matrix).matrix,
        load_frozen_stats(settings.data_home, stats_version),
        grader=gateway_grader(gateway, judges, rubrics, judge_mode, judge_seed),
        rubric_lookup=rubrics.lookup,
        adaptive=adaptive,
    )
