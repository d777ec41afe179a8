"""Extractive answerer and evidence verifier (MiniLM sentence similarity)."""

from __future__ import annotations

from typing import Any

import numpy as np

from quarkmed_dagster.baselines.payloads import AnswerPayload, VerifierPayload
from quarkmed_dagster.baselines.text import polarity_conflict, split_sentences
from quarkmed_dagster.embeddings import cosine_matrix, get_embedder

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


def extractive_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """The evidence sentences most similar to the query, in evidence order, with citations."""
    payload = AnswerPayload.model_validate(raw)
    limit = PERSONA_SENTENCES.get(str(raw.get("persona")), ANSWER_SENTENCES)
    sentences = [
        (p.passage_id, i, s)
        for p in payload.evidence
        for i, s in enumerate(split_sentences(p.text))
        if len(s.split()) >= 4
    ]
    if not sentences:
        return {"answer": NO_EVIDENCE_ANSWER, "citations": []}
    embedder = get_embedder()
    query_vec = embedder.encode([_query_text(payload)])
    sims = cosine_matrix(embedder.encode([s for _, _, s in sentences]), query_vec)[:, 0]
    ranked = [int(i) for i in np.argsort(-sims, kind="stable") if sims[i] >= MIN_RELEVANCE]
    chosen, seen_text = [], set()
    for index in ranked:
        text = sentences[index][2]
        if text.lower() not in seen_text:
            chosen.append(index)
            seen_text.add(text.lower())
        if len(chosen) == limit:
            break
    if not chosen:
        return {"answer": NO_EVIDENCE_ANSWER, "citations": []}
    chosen.sort()  # keep the evidence's own order so the answer reads naturally
    citations = list(dict.fromkeys(sentences[i][0] for i in chosen))
    return {"answer": " ".join(sentences[i][2] for i in chosen), "citations": citations}


def verify_point(raw: dict[str, Any]) -> dict[str, Any]:
    """supported / contradicted (close paraphrase with opposite negation) / not_found."""
    payload = VerifierPayload.model_validate(raw)
    sentences = [(p.passage_id, s) for p in payload.evidence for s in split_sentences(p.text)]
    if not sentences or not payload.point.strip():
        return {"verdict": "not_found", "passage_ids": []}
    embedder = get_embedder()
    sims = cosine_matrix(
        embedder.encode([s for _, s in sentences]), embedder.encode([payload.point])
    )[:, 0]
    close = [i for i in np.argsort(-sims, kind="stable") if sims[i] >= SUPPORT_THRESHOLD]
    if not close:
        return {"verdict": "not_found", "passage_ids": []}
    agreeing = [i for i in close if not polarity_conflict(payload.point, sentences[i][1])]
    if agreeing:
        ids = list(dict.fromkeys(sentences[i][0] for i in agreeing))
        return {"verdict": "supported", "passage_ids": ids}
    ids = list(dict.fromkeys(sentences[i][0] for i in close))
    return {"verdict": "contradicted", "passage_ids": ids}
