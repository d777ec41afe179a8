"""Extractive knowledge-point extractor: atomic statements, merged across answers.

Statements from all answers are embedded (questions are not checkable claims and are left
out); near-duplicates (cosine >= MERGE) are merged and remember which answers said them.
Kind: ``essential`` when most answers agree and the statement is on-topic (query cosine >=
ON_TOPIC, or among the MIN_ESSENTIAL most on-topic majority points when none reaches it: a
long or multi-turn query sits far from every single sentence), ``insight`` when it explains
why or warns, else ``extension``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from quarkmed_dagster.baselines.text import REASONING_CUES, atomic_statements, has_safety_cue
from quarkmed_dagster.embeddings import cosine_matrix
from quarkmed_dagster.llm.payloads import KeypointsPayload
from quarkmed_dagster.multilingual import embedder_for

MERGE = 0.8
ON_TOPIC = 0.35
MIN_ESSENTIAL = 2
MAX_POINTS = 15


def _is_question(statement: str) -> bool:
    return statement.rstrip().endswith(("?", "\uff1f"))


def extract_keypoints(raw: dict[str, Any]) -> dict[str, Any]:
    payload = KeypointsPayload.model_validate(raw)
    statements = [
        (a.answer_id, s)
        for a in payload.answers
        for s in atomic_statements(a.text)
        if not _is_question(s)
    ]
    if not statements:
        return {"points": []}
    embedder = embedder_for(payload.query, [s for _, s in statements])
    vectors = embedder.encode([s for _, s in statements])
    query_sim = cosine_matrix(vectors, embedder.encode([payload.query]))[:, 0]
    pairwise = cosine_matrix(vectors, vectors)
    clusters: list[list[int]] = []
    owner = [-1] * len(statements)
    for i in range(len(statements)):
        if owner[i] >= 0:
            continue
        members = [j for j in range(i, len(statements)) if owner[j] < 0 and pairwise[i, j] >= MERGE]
        for j in members:
            owner[j] = len(clusters)
        clusters.append(members)
    n_answers = max(1, len({a.answer_id for a in payload.answers}))
    majority = max(1, math.ceil(n_answers / 2))
    # The member closest to the query represents the cluster.
    heads = [max(members, key=lambda j: (query_sim[j], -j)) for members in clusters]
    backed = [
        query_sim[h]
        for h, members in zip(heads, clusters, strict=True)
        if len({statements[j][0] for j in members}) >= majority
    ]
    on_topic = min(ON_TOPIC, sorted(backed, reverse=True)[MIN_ESSENTIAL - 1]) if backed else 1.0
    if len(backed) < MIN_ESSENTIAL:
        on_topic = min(ON_TOPIC, min(backed, default=ON_TOPIC))
    points = []
    for head, members in zip(heads, clusters, strict=True):
        text = statements[head][1]
        supporters = sorted({statements[j][0] for j in members})
        if len(supporters) >= majority and query_sim[head] >= on_topic:
            kind = "essential"
        elif REASONING_CUES.search(text) or has_safety_cue(text):
            kind = "insight"
        else:
            kind = "extension"
        points.append(
            (len(supporters), float(np.round(query_sim[head], 6)), text, kind, supporters)
        )
    points.sort(key=lambda p: (-p[0], -p[1], p[2]))
    return {
        "points": [
            {"text": text, "kind": kind, "supporting_answer_ids": supporters}
            for _, _, text, kind, supporters in points[:MAX_POINTS]
        ]
    }
