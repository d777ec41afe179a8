"""Extractive answerer and evidence verifier (sentence similarity: MiniLM, or the
multilingual encoder when CJK text is involved). Questions in the evidence (FAQ headings
such as "How might X be treated?") answer nothing and are never picked."""

from __future__ import annotations

from typing import Any

import numpy as np

from quarkmed_dagster.baselines.text import polarity_conflict, split_sentences
from quarkmed_dagster.embeddings import cosine_matrix
from quarkmed_dagster.llm.payloads import (
    AnswerPayload,
    BatchVerifierPayload,
    Passage,
    VerifierPayload,
)
from quarkmed_dagster.multilingual import embedder_for

ANSWER_SENTENCES = 4
# Rubric generation sends its prompt persona in the payload ("persona", an extra key): a
# more expert persona answers at more length, so personas yield different candidates.
PERSONA_SENTENCES = {"basic": 4, "professional": 6, "insight": 8}
MIN_RELEVANCE = 0.25
SUPPORT_THRESHOLD = 0.72
NO_EVIDENCE_ANSWER = (
    "The retrieved evidence does not answer this question. Please discuss it with a "
    "doctor or pharmacist."
)


def _query_text(payload: AnswerPayload) -> str:
    # Multi-turn: the earlier user turns give the context of the last question.
    earlier = [t.content for t in payload.history if t.role == "user"][-2:]
    return " ".join([*earlier, payload.query])


Sentence = tuple[str, int, str]  # (passage_id, index in passage, text)


def _ranked_sentences(raw: dict[str, Any]) -> tuple[list[Sentence], list[int], int]:
    """Evidence sentences, their indices by falling query similarity (relevant ones only,
    duplicates removed) and the persona's sentence limit."""
    payload = AnswerPayload.model_validate(raw)
    limit = PERSONA_SENTENCES.get(str(raw.get("persona")), ANSWER_SENTENCES)
    sentences = [
        (p.passage_id, i, s)
        for p in payload.evidence
        for i, s in enumerate(split_sentences(p.text))
        if len(s.split()) >= 4 and not s.rstrip().endswith(("?", "\uff1f"))
    ]
    if not sentences:
        return [], [], limit
    embedder = embedder_for(_query_text(payload), [s for _, _, s in sentences])
    query_vec = embedder.encode([_query_text(payload)])
    sims = cosine_matrix(embedder.encode([s for _, _, s in sentences]), query_vec)[:, 0]
    ranked, seen_text = [], set()
    for index in (int(i) for i in np.argsort(-sims, kind="stable")):
        text = sentences[index][2].lower()
        if sims[index] >= MIN_RELEVANCE and text not in seen_text:
            ranked.append(index)
            seen_text.add(text)
    return sentences, ranked, limit


def _answer(sentences: list[Sentence], chosen: list[int]) -> dict[str, Any]:
    if not chosen:
        return {"answer": NO_EVIDENCE_ANSWER, "citations": []}
    chosen = sorted(chosen)  # keep the evidence's own order so the answer reads naturally
    citations = list(dict.fromkeys(sentences[i][0] for i in chosen))
    return {"answer": " ".join(sentences[i][2] for i in chosen), "citations": citations}


def extractive_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """The evidence sentences most similar to the query, in evidence order, with citations."""
    sentences, ranked, limit = _ranked_sentences(raw)
    return _answer(sentences, ranked[:limit])


def passage_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """A second extractive answerer with another selection: the most query-similar sentence
    of each passage in turn (passages in rank order), then each passage's next best, so
    every relevant passage speaks before any speaks twice. It overlaps with
    ``extractive_answer`` where the evidence is focused and differs where it is spread, which
    gives consensus real support counts between two baseline generators."""
    sentences, ranked, limit = _ranked_sentences(raw)
    per_passage: dict[str, list[int]] = {}
    for index in ranked:
        per_passage.setdefault(sentences[index][0], []).append(index)
    order = list(dict.fromkeys(s[0] for s in sentences))  # passage rank order
    chosen: list[int] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(v) for v in per_passage.values()):
        for passage_id in order:
            picks = per_passage.get(passage_id, [])
            if depth < len(picks) and len(chosen) < limit:
                chosen.append(picks[depth])
        depth += 1
    return _answer(sentences, chosen)


def _verdict(point: str, sims: np.ndarray, sentences: list[tuple[str, str]]) -> dict[str, Any]:
    """One point's verdict from its similarity to every evidence sentence."""
    close = [i for i in np.argsort(-sims, kind="stable") if sims[i] >= SUPPORT_THRESHOLD]
    if not close:
        return {"verdict": "not_found", "passage_ids": []}
    agreeing = [i for i in close if not polarity_conflict(point, sentences[i][1])]
    if agreeing:
        ids = list(dict.fromkeys(sentences[i][0] for i in agreeing))
        return {"verdict": "supported", "passage_ids": ids}
    ids = list(dict.fromkeys(sentences[i][0] for i in close))
    return {"verdict": "contradicted", "passage_ids": ids}


def _verdicts(points: list[str], evidence: list[Passage]) -> list[dict[str, Any]]:
    """Verdicts of several points against the same evidence (one encoder pass each side)."""
    sentences = [(p.passage_id, s) for p in evidence for s in split_sentences(p.text)]
    wanted = [i for i, point in enumerate(points) if point.strip()]
    out: list[dict[str, Any]] = [{"verdict": "not_found", "passage_ids": []} for _ in points]
    if not sentences or not wanted:
        return out
    embedder = embedder_for([s for _, s in sentences], [points[i] for i in wanted])
    sims = cosine_matrix(
        embedder.encode([s for _, s in sentences]), embedder.encode([points[i] for i in wanted])
    )
    for column, index in enumerate(wanted):
        out[index] = _verdict(points[index], sims[:, column], sentences)
    return out


def verify_point(raw: dict[str, Any]) -> dict[str, Any]:
    """supported / contradicted (close paraphrase with opposite negation) / not_found."""
    payload = VerifierPayload.model_validate(raw)
    return _verdicts([payload.point], payload.evidence)[0]


def verify_points(raw: dict[str, Any]) -> dict[str, Any]:
    """The batched form: every point of a rubric against the same evidence, each decided
    exactly as ``verify_point`` decides it."""
    payload = BatchVerifierPayload.model_validate(raw)
    verdicts = _verdicts([p.text for p in payload.points], payload.evidence)
    return {
        "verdicts": [
            {"point_id": p.point_id, **v} for p, v in zip(payload.points, verdicts, strict=True)
        ]
    }


def evidence_verifier(raw: dict[str, Any]) -> dict[str, Any]:
    """``baseline/evidence-verifier``: one point, or a batch of points (``points`` key)."""
    return verify_points(raw) if "points" in raw else verify_point(raw)
