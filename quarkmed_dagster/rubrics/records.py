"""Small typed records passed between the steps of rubric generation."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Passage:
    passage_id: str
    text: str


@dataclass(frozen=True)
class QueryInput:
    """One query with its evidence, as rubric generation sees it."""

    query_id: str
    text: str
    history: tuple[dict[str, str], ...] = ()
    is_multi_turn: bool = False
    language: str | None = None
    evidence: tuple[Passage, ...] = ()
    corpus_version: str = ""
    evidence_fingerprint: str = ""


@dataclass(frozen=True)
class CandidateAnswer:
    answer_id: str
    query_id: str
    round: int
    generator: str
    persona: str
    sample_index: int
    prompt_version: str
    cache_key: str
    status: str
    text: str | None
    citations: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnowledgePoint:
    point_id: str
    query_id: str
    round: int
    aggregator: str
    text: str
    kind: str
    supporting_answer_ids: tuple[str, ...] = ()


@dataclass
class Cluster:
    """Points judged to say the same thing, with their explicit support."""

    cluster_id: str
    query_id: str
    text: str
    kind: str
    point_ids: list[str]
    generators: list[str]
    aggregators: list[str]
    support_count: int
    support_ratio: float
    aggregator_count: int
    aggregator_ratio: float
    answer_ratio: float
    included: bool = False
    decision: str = ""


@dataclass(frozen=True)
class Verification:
    """Verifier votes on one cluster and the resulting status."""

    cluster_id: str
    status: str  # supported | contradicted | not_found | flagged
    passage_ids: tuple[str, ...]
    votes: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RubricItem:
    item_id: str
    query_id: str
    tier: str
    title: str
    description: str
    tag: str
    weight: float
    levels: dict[str, str]
    cluster_ids: tuple[str, ...]
    support_count: int
    support_ratio: float
    evidence_passage_ids: tuple[str, ...]
    verification: str


@dataclass(frozen=True)
class ReviewEntry:
    query_id: str
    reason: str
    details: dict[str, object]


@dataclass
class QueryOutcome:
    """Everything produced for one query (what the assets write)."""

    query: QueryInput
    answers: list[CandidateAnswer] = field(default_factory=list)
    points: list[KnowledgePoint] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    verifications: dict[str, Verification] = field(default_factory=dict)
    items: list[RubricItem] = field(default_factory=list)
    review: ReviewEntry | None = None
    agreement: float | None = None
    rounds: int = 1
    repaired: bool = False
    # mean candidate score of the previous rubric that triggered a calibration round
    calibration_score: float | None = None
    dropped_untraceable: list[str] = field(default_factory=list)
