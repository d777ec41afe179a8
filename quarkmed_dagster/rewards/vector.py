"""Raw per-response reward vectors over the alignment matrix, with attribution.

Raw values are on each source's natural scale in [0, 1] (higher is better); a dimension
with no applicable evidence (no selected rubric item judged, no feedback, a check that does
not apply) is ``None``: a missing value, never a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from quarkmed_dagster.rewards import format_checks
from quarkmed_dagster.rewards.matrix import AlignmentMatrix, Dimension

POSITIVE_TIERS = ("Essential", "Important", "Highlight")


@dataclass(frozen=True)
class RubricItem:
    item_id: str
    tier: str
    tag: str
    weight: float = 1.0
    title: str = ""


@dataclass(frozen=True)
class Feedback:
    """Aggregated user feedback for one response (any field may be missing)."""

    rating: float | None = None  # mean rating on 1..5
    thumbs: float | None = None  # mean of +1 / -1
    complaint_rate: float | None = None  # share of feedback rows with a complaint


@dataclass
class RawVector:
    values: dict[str, float | None]
    sources: dict[str, list[str]] = field(default_factory=dict)
    major_pitfalls: list[str] = field(default_factory=list)
    minor_pitfalls: list[str] = field(default_factory=list)


def _selects(dim: Dimension, item: RubricItem) -> bool:
    tiers = dim.tiers or POSITIVE_TIERS
    if item.tier not in tiers:
        return False
    return not dim.tags or item.tag in dim.tags


def rubric_value(
    dim: Dimension, items: Sequence[RubricItem], levels: Mapping[str, float | None]
) -> tuple[float | None, list[str]]:
    """Weighted mean level of the selected, judged items (Pitfall: 1 - severity)."""
    num = den = 0.0
    used: list[str] = []
    for item in items:
        level = levels.get(item.item_id)
        if level is None or not _selects(dim, item):
            continue
        weight = max(abs(item.weight), 1e-9)
        value = 1.0 - level if item.tier == "Pitfall" else level
        num += weight * value
        den += weight
        used.append(item.item_id)
    return (num / den if den > 0 else None), used


def feedback_value(dim: Dimension, feedback: Feedback | None) -> float | None:
    if feedback is None:
        return None
    if dim.feedback == "rating" and feedback.rating is not None:
        return min(max((feedback.rating - 1.0) / 4.0, 0.0), 1.0)
    if dim.feedback == "thumbs" and feedback.thumbs is not None:
        return min(max((feedback.thumbs + 1.0) / 2.0, 0.0), 1.0)
    if dim.feedback == "complaint_free" and feedback.complaint_rate is not None:
        return 1.0 - min(max(feedback.complaint_rate, 0.0), 1.0)
    return None


def format_value(
    dim: Dimension, matrix: AlignmentMatrix, query: str, response: str
) -> float | None:
    if dim.check == "length":
        return format_checks.length_score(
            response, matrix.length.min_chars, matrix.length.max_chars
        )
    if dim.check == "structure":
        return format_checks.structure_score(response)
    if dim.check == "citation_format":
        return format_checks.citation_score(response)
    if dim.check == "language_consistency":
        return format_checks.language_consistency_score(query, response)
    raise ValueError(f"unknown format check {dim.check!r}")


def raw_vector(
    matrix: AlignmentMatrix,
    query: str,
    response: str,
    items: Sequence[RubricItem],
    levels: Mapping[str, float | None],
    feedback: Feedback | None = None,
) -> RawVector:
    """The raw reward vector of one response, each value traced to its items or check."""
    out = RawVector(values={})
    for dim in matrix.dimensions:
        if dim.source == "rubric":
            value, used = rubric_value(dim, items, levels)
            out.sources[dim.name] = used
        elif dim.source == "format":
            value = format_value(dim, matrix, query, response)
            out.sources[dim.name] = [f"check:{dim.check}"]
        else:
            value = feedback_value(dim, feedback)
            out.sources[dim.name] = [f"feedback:{dim.feedback}"] if value is not None else []
        out.values[dim.name] = value
    for item in items:
        level = levels.get(item.item_id)
        if item.tier != "Pitfall" or level is None:
            continue
        if level >= matrix.gates.major_level:
            out.major_pitfalls.append(item.item_id)
        elif level > 0:
            out.minor_pitfalls.append(item.item_id)
    return out
