"""Rubric items from the writer's output, and the constraints a rubric set must satisfy.

Every item must name at least one kept cluster (its provenance); support and evidence are
taken from those clusters, never from the writer. ``validate_items`` lists every violated
rule; an empty list means the set is valid.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import ValidationError

from quarkmed_dagster.llm.payloads import RubricItemOut
from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.rubrics.config import (
    MULTI_TURN_TAGS,
    PITFALL_LEVELS,
    POSITIVE_LEVELS,
    SINGLE_TURN_TAGS,
    TIERS,
    ConsensusParams,
)
from quarkmed_dagster.rubrics.records import Cluster, RubricItem, Verification

_TAG_LOOKUP = {re.sub(r"[^a-z]", "", t.lower()): t for t in (*SINGLE_TURN_TAGS, *MULTI_TURN_TAGS)}
_LEVEL_ALIASES = {"none": "no_error", "minor": "minor_error", "major": "major_error"}


def canonical_tag(tag: str) -> str:
    """'information quality', 'Short-term memory' ... -> canonical spelling (or as given)."""
    return _TAG_LOOKUP.get(re.sub(r"[^a-z]", "", tag.lower()), tag)


def allowed_tags(is_multi_turn: bool) -> tuple[str, ...]:
    return (*SINGLE_TURN_TAGS, *MULTI_TURN_TAGS) if is_multi_turn else SINGLE_TURN_TAGS


def normalise_title(title: str) -> str:
    return re.sub(r"\W+", " ", title.lower()).strip()


def item_id(query_id: str, rubric_set_version: str, tier: str, title: str) -> str:
    return "ri-" + stable_hash([query_id, rubric_set_version, tier, normalise_title(title)])


def item_verification(statuses: set[str]) -> str:
    """An item's verification from the statuses of the points it cites."""
    if "supported" in statuses:
        return "supported"
    return "not_found" if "not_found" in statuses else "flagged"


def build_items(
    query_id: str,
    rubric_set_version: str,
    raw_items: list[Any],
    clusters: dict[str, Cluster],
    verifications: dict[str, Verification],
) -> tuple[list[RubricItem], list[str]]:
    """Items with provenance (unknown point ids are not cited), and malformed-item problems."""
    items, problems = [], []
    for index, raw in enumerate(raw_items):
        try:
            parsed = RubricItemOut.model_validate(raw)
        except ValidationError as exc:
            problems.append(f"item {index + 1} malformed: {exc.errors()[0]['msg']}")
            continue
        cluster_ids = tuple(pid for pid in dict.fromkeys(parsed.point_ids) if pid in clusters)
        cited = [clusters[c] for c in cluster_ids]
        checks = [verifications[c] for c in cluster_ids if c in verifications]
        passages = sorted({pid for v in checks for pid in v.passage_ids})
        verification = item_verification({v.status for v in checks})
        levels = {_LEVEL_ALIASES.get(k, k): str(v) for k, v in parsed.levels.items()}
        description = str(raw.get("description") or levels.get("fully_met") or parsed.title)
        items.append(
            RubricItem(
                item_id=item_id(query_id, rubric_set_version, parsed.tier, parsed.title),
                query_id=query_id,
                tier=parsed.tier,
                title=parsed.title.strip(),
                description=description.strip(),
                tag=canonical_tag(parsed.tag),
                weight=float(parsed.weight),
                levels=levels,
                cluster_ids=cluster_ids,
                support_count=max((c.support_count for c in cited), default=0),
                support_ratio=max((c.support_ratio for c in cited), default=0.0),
                evidence_passage_ids=tuple(passages),
                verification=verification,
            )
        )
    return items, problems


def validate_items(
    items: list[RubricItem], is_multi_turn: bool, params: ConsensusParams
) -> list[str]:
    """Every violated rubric rule, as short readable strings."""
    problems: list[str] = []
    tiers = Counter(item.tier for item in items)
    if not params.min_items <= len(items) <= params.max_items:
        problems.append(f"item count {len(items)} outside {params.min_items}-{params.max_items}")
    for tier, minimum in (
        ("Essential", params.min_essential),
        ("Important", params.min_important),
        ("Highlight", params.min_highlight),
    ):
        if tiers[tier] < minimum:
            problems.append(f"{tier} items {tiers[tier]} < {minimum}")
    if tiers["Pitfall"] > params.max_pitfall:
        problems.append(f"Pitfall items {tiers['Pitfall']} > {params.max_pitfall}")
    titles = Counter(normalise_title(item.title) for item in items)
    problems += [f"duplicate title '{t}'" for t, n in titles.items() if n > 1]
    tags = allowed_tags(is_multi_turn)
    for item in items:
        problems += item_problems(item, tags, params)
    return problems


def item_problems(item: RubricItem, tags: tuple[str, ...], params: ConsensusParams) -> list[str]:
    name = f"item '{item.title[:40]}'"
    problems = []
    if item.tier not in TIERS:
        problems.append(f"{name}: unknown tier {item.tier}")
    if item.tag not in tags:
        problems.append(f"{name}: tag '{item.tag}' not allowed")
    if not 0 < item.weight <= params.max_weight:
        problems.append(f"{name}: weight {item.weight} outside (0, {params.max_weight}]")
    expected = PITFALL_LEVELS if item.tier == "Pitfall" else POSITIVE_LEVELS
    if set(item.levels) != set(expected) or not all(item.levels.values()):
        problems.append(f"{name}: levels must be {', '.join(expected)}")
    if not item.title.strip():
        problems.append(f"{name}: empty title")
    if not item.cluster_ids:
        problems.append(f"{name}: cites no knowledge point")
    if (item.tier == "Pitfall" or item.tag == "Safety") and not has_support(item, params):
        problems.append(f"{name}: Pitfall/Safety item without evidence or consensus support")
    return problems


def has_support(item: RubricItem, params: ConsensusParams) -> bool:
    """Evidence passages, or generator support at least at the consensus threshold."""
    return bool(item.evidence_passage_ids) or item.support_ratio >= params.support_threshold


def item_to_payload(item: RubricItem) -> dict[str, Any]:
    """The shape the writer produced (for the repair prompt)."""
    return {
        "tier": item.tier,
        "title": item.title,
        "description": item.description,
        "tag": item.tag,
        "weight": item.weight,
        "levels": item.levels,
        "point_ids": list(item.cluster_ids),
    }
