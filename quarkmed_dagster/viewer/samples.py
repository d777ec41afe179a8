"""Per-sample records for the viewer: one query with its conversation, evidence, rubric
items, and every model's response with the judges' verdicts per item and the final score.

Pure: built from plain Polars frames (the viewer's SQL in ``sql/select_viewer_*.sql``), no
database, no Dagster."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import polars as pl


@dataclass(frozen=True)
class EvidencePassage:
    rank: int
    passage_id: str
    text: str | None
    title: str | None
    source: str | None
    url: str | None
    license: str | None
    score: float | None


@dataclass(frozen=True)
class RubricItem:
    item_id: str
    tier: str
    title: str
    description: str | None
    tag: str
    weight: float
    support_count: int
    support_ratio: float
    evidence_passage_ids: list[str]
    verification: str


@dataclass(frozen=True)
class JudgeVerdict:
    judge_model: str
    mode: str
    level: float | None
    pitfall_severity: str | None
    rationale: str | None
    status: str


@dataclass
class ItemOutcome:
    """The panel's majority level on one item for one response, and each judge's verdict."""

    level: float | None = None
    n_votes: int = 0
    agreement: float | None = None
    judges: list[JudgeVerdict] = field(default_factory=list)


@dataclass
class Response:
    response_id: str
    model: str
    is_baseline: bool
    status: str
    text: str | None
    score: float | None
    coverage: float | None
    truncated: bool | None
    dimensions: dict[str, float | None]
    items: dict[str, ItemOutcome] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.model} (baseline)" if self.is_baseline else self.model


@dataclass
class Sample:
    query_id: str
    category: str
    difficulty: str
    source: str
    rubric_set_version: str
    turns: list[dict[str, str]]
    evidence: list[EvidencePassage] = field(default_factory=list)
    items: list[RubricItem] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    @property
    def page(self) -> str:
        return sample_page_name(self.query_id)


T = TypeVar("T")
DIMENSIONS = ("medical_accuracy", "key_point_coverage", "risk_interception")


def sample_page_name(query_id: str) -> str:
    """A file name for the query's page: the id where it is file-safe, else a safe slug plus
    a short hash of the id (so two ids never share a page)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", query_id)[:80].strip(".") or "query"
    if slug != query_id:
        slug += "-" + hashlib.sha256(query_id.encode()).hexdigest()[:8]
    return f"{slug}.html"


def _turns(raw: str | None, final_user_turn: str) -> list[dict[str, str]]:
    try:
        turns = json.loads(raw or "[]")
    except json.JSONDecodeError:
        turns = []
    shown = [
        {"role": str(t.get("role", "?")), "content": str(t.get("content", ""))}
        for t in turns
        if isinstance(t, dict)
    ]
    return shown or [{"role": "user", "content": final_user_turn}]


def _ids(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except json.JSONDecodeError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _by_query(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        grouped[row["query_id"]].append(row)
    return grouped


def _response(row: dict[str, Any]) -> Response:
    return Response(
        response_id=row["response_id"],
        model=row["candidate_model"],
        is_baseline=bool(row["is_baseline"]),
        status=row["status"],
        text=row["response_text"],
        score=row["score"],
        coverage=row["coverage"],
        truncated=row["truncated"],
        dimensions={d: row[d] for d in DIMENSIONS},
    )


def _record(cls: type[T], row: dict[str, Any], **given: Any) -> T:
    """``cls`` from the row's columns of the same names (``given`` wins)."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{n: given[n] if n in given else row[n] for n in names})


def _outcomes(
    consensus: pl.DataFrame, verdicts: pl.DataFrame
) -> dict[tuple[str, str], ItemOutcome]:
    out: dict[tuple[str, str], ItemOutcome] = defaultdict(ItemOutcome)
    for r in consensus.iter_rows(named=True):
        o = out[(r["response_id"], r["item_id"])]
        o.level, o.n_votes, o.agreement = r["level"], r["n_votes"], r["agreement"]
    for r in verdicts.iter_rows(named=True):
        out[(r["response_id"], r["item_id"])].judges.append(_record(JudgeVerdict, r))
    return out


def assemble_samples(
    queries: pl.DataFrame,
    evidence: pl.DataFrame,
    items: pl.DataFrame,
    responses: pl.DataFrame,
    verdicts: pl.DataFrame,
    consensus: pl.DataFrame,
) -> list[Sample]:
    """One ``Sample`` per row of ``queries``, in its order; the other frames are the rows of
    the matching ``select_viewer_*`` queries."""
    passages, rubric, answers = _by_query(evidence), _by_query(items), _by_query(responses)
    outcomes = _outcomes(consensus, verdicts)
    samples = []
    for q in queries.iter_rows(named=True):
        qid = q["query_id"]
        sample = _record(
            Sample,
            q,
            turns=_turns(q["turns"], q["final_user_turn"]),
            evidence=[_record(EvidencePassage, r) for r in passages.get(qid, [])],
            items=[
                _record(RubricItem, r, evidence_passage_ids=_ids(r["evidence_passage_ids"]))
                for r in rubric.get(qid, [])
            ],
            responses=[],
        )
        for row in answers.get(qid, []):
            response = _response(row)
            response.items = {
                i.item_id: outcomes[(response.response_id, i.item_id)]
                for i in sample.items
                if (response.response_id, i.item_id) in outcomes
            }
            sample.responses.append(response)
        samples.append(sample)
    return samples
