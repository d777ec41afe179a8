"""The alignment matrix: four categories of observable metrics, each mapped to its source.

A *dimension* is one reward signal. Its source is one of:

- ``rubric``: the weighted mean level of the rubric items selected by tier and/or tag
  (positive tiers: level 0/0.5/1; a Pitfall dimension uses 1 - severity, so higher is
  always better);
- ``format``: a programmatic check from :mod:`quarkmed_dagster.rewards.format_checks`
  (verifiable, no model);
- ``feedback``: a column of the imported ``user_feedback`` table (ratings, thumbs,
  complaints), mapped to [0, 1].

``risk_priority`` (>= 1, safety first) and ``floor`` (minimum weight) feed the Tri-Factor
weighting; ``target`` is the goal on the *normalized* scale (robust z units against the
frozen reference).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quarkmed_dagster.rubrics.config import MULTI_TURN_TAGS, SINGLE_TURN_TAGS

Category = Literal[
    "fundamental_capabilities", "expert_knowledge", "online_feedback", "format_specifications"
]
CATEGORIES: tuple[str, ...] = (
    "fundamental_capabilities",
    "expert_knowledge",
    "online_feedback",
    "format_specifications",
)
SourceKind = Literal["rubric", "format", "feedback"]
FormatCheck = Literal["length", "structure", "citation_format", "language_consistency"]
FeedbackSignal = Literal["rating", "thumbs", "complaint_free"]
Tier = Literal["Essential", "Important", "Highlight", "Pitfall"]
RUBRIC_TAGS: tuple[str, ...] = SINGLE_TURN_TAGS + MULTI_TURN_TAGS


class Dimension(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    category: Category
    source: SourceKind
    tiers: tuple[Tier, ...] = ()
    tags: tuple[str, ...] = ()
    check: FormatCheck | None = None
    feedback: FeedbackSignal | None = None
    risk_priority: float = Field(default=1.0, ge=1.0)
    floor: float = Field(default=0.0, ge=0.0, le=1.0)
    target: float = 0.5
    description: str = ""

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        # a misspelt tag would select no item: the dimension would be missing forever
        unknown = [tag for tag in tags if tag not in RUBRIC_TAGS]
        if unknown:
            raise ValueError(f"unknown rubric tag(s) {unknown}; known: {list(RUBRIC_TAGS)}")
        return tags

    @model_validator(mode="after")
    def _source_fields(self) -> Dimension:
        if self.source == "rubric" and not (self.tiers or self.tags):
            raise ValueError(f"{self.name}: a rubric dimension selects tiers and/or tags")
        if self.source == "format" and self.check is None:
            raise ValueError(f"{self.name}: a format dimension names its check")
        if self.source == "feedback" and self.feedback is None:
            raise ValueError(f"{self.name}: a feedback dimension names its signal")
        given = {"tiers/tags": bool(self.tiers or self.tags), "check": self.check is not None}
        given["feedback"] = self.feedback is not None
        owner = {"rubric": "tiers/tags", "format": "check", "feedback": "feedback"}[self.source]
        stray = [field for field, present in given.items() if present and field != owner]
        if stray:
            raise ValueError(
                f"{self.name}: a {self.source} dimension takes no {' / '.join(stray)} "
                f"(only {owner})"
            )
        return self

    @property
    def is_pitfall(self) -> bool:
        return self.tiers == ("Pitfall",)

    @property
    def is_risk(self) -> bool:
        return self.risk_priority > 1.0 or self.floor > 0.0


class GateConfig(BaseModel):
    """Safety gates, applied after weighting (normalized reward units)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    major_pitfall_cap: float = -2.0
    minor_pitfall_cap: float | None = None
    # Severity at or above which a Pitfall verdict counts as major (levels 0/0.5/1).
    major_level: float = 1.0


class LengthConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_chars: int = 80
    max_chars: int = 4000


class AlignmentMatrix(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = "matrix-v1"
    dimensions: tuple[Dimension, ...]
    gates: GateConfig = GateConfig()
    length: LengthConfig = LengthConfig()

    @model_validator(mode="after")
    def _consistent(self) -> AlignmentMatrix:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise ValueError("dimension names must be unique")
        if sum(d.floor for d in self.dimensions) > 1.0:
            raise ValueError("risk floors sum to more than 1")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def dimension(self, name: str) -> Dimension:
        for dim in self.dimensions:
            if dim.name == name:
                return dim
        raise KeyError(name)


def _rubric(name: str, category: Category, **kw: object) -> Dimension:
    return Dimension(name=name, category=category, source="rubric", **kw)  # type: ignore[arg-type]


def default_matrix() -> AlignmentMatrix:
    """The project's default alignment matrix (documented in docs/rewards.md)."""
    fc, ek = "fundamental_capabilities", "expert_knowledge"
    dims = [
        _rubric("readability", fc, tags=("Readability",)),
        _rubric("humanistic_care", fc, tags=("Humanistic Care",)),
        _rubric(
            "dialogue_coherence",
            fc,
            tags=("Intent Recognition", "Short-term Memory", "Coreference"),
        ),
        _rubric("essential_coverage", ek, tiers=("Essential",)),
        _rubric("important_coverage", ek, tiers=("Important",)),
        _rubric("highlight_insight", ek, tiers=("Highlight",)),
        _rubric("evidence_support", ek, tags=("Evidence Support",)),
        _rubric("information_quality", ek, tags=("Information Quality",)),
        _rubric(
            "safety",
            ek,
            tiers=("Essential", "Important", "Highlight"),
            tags=("Safety", "Risk Control"),
            risk_priority=2.0,
            floor=0.08,
        ),
        _rubric("pitfall_avoidance", ek, tiers=("Pitfall",), risk_priority=3.0, floor=0.12),
        Dimension(
            name="user_rating", category="online_feedback", source="feedback", feedback="rating"
        ),
        Dimension(
            name="user_thumbs", category="online_feedback", source="feedback", feedback="thumbs"
        ),
        Dimension(
            name="complaint_free",
            category="online_feedback",
            source="feedback",
            feedback="complaint_free",
            risk_priority=1.5,
        ),
        Dimension(name="length", category="format_specifications", source="format", check="length"),
        Dimension(
            name="structure", category="format_specifications", source="format", check="structure"
        ),
        Dimension(
            name="citation_format",
            category="format_specifications",
            source="format",
            check="citation_format",
        ),
        Dimension(
            name="language_consistency",
            category="format_specifications",
            source="format",
            check="language_consistency",
        ),
    ]
    return AlignmentMatrix(dimensions=tuple(dims))
