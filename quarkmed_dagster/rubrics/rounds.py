"""One generation round for a set of queries: answers -> points -> clusters -> verification.

Each step sends the requests of all queries to the gateway at once (it runs them
concurrently and caches them), then reads the results back per query.
"""

from __future__ import annotations

from dataclasses import replace

from quarkmed_dagster.llm.payloads import AnswerOutput, KeypointsOutput, VerifierOutput
from quarkmed_dagster.llm.types import Gateway, stable_hash
from quarkmed_dagster.multilingual import has_cjk
from quarkmed_dagster.rubrics.config import RubricConfig
from quarkmed_dagster.rubrics.consensus import (
    Encoder,
    agreement,
    build_clusters,
    cluster_labels,
    merge_labels,
    near_cluster_pairs,
)
from quarkmed_dagster.rubrics.records import (
    CandidateAnswer,
    KnowledgePoint,
    QueryInput,
    QueryOutcome,
)
from quarkmed_dagster.rubrics.requests import (
    EquivalenceOutput,
    candidate_requests,
    equivalence_request,
    keypoint_request,
    parse_output,
    verify_request,
)
from quarkmed_dagster.rubrics.verification import combine_votes


def generate_answers(
    queries: list[QueryInput], config: RubricConfig, gateway: Gateway, round_: int
) -> dict[str, list[CandidateAnswer]]:
    planned = [
        (query, meta, request)
        for query in queries
        for meta, request in candidate_requests(
            query, config.models.generators, config.params, round_
        )
    ]
    results = gateway.run([request for _, _, request in planned])
    answers: dict[str, list[CandidateAnswer]] = {q.query_id: [] for q in queries}
    for (query, meta, request), result in zip(planned, results, strict=True):
        output = parse_output(result, AnswerOutput)
        text = output.answer.strip() if output and output.answer.strip() else None
        answers[query.query_id].append(
            CandidateAnswer(
                answer_id=meta["answer_id"],
                query_id=query.query_id,
                round=round_,
                generator=meta["generator"],
                persona=meta["persona"],
                sample_index=meta["sample_index"],
                prompt_version=request.prompt_version,
                cache_key=result.cache_key,
                # a cache hit is an ok answer (tables equal a clean run); a budget stop stays
                # visible so the query is retried next run instead of reviewed
                status="ok"
                if text
                else ("over_budget" if result.status == "over_budget" else "failed"),
                text=text,
                citations=tuple(output.citations) if output else (),
            )
        )
    return answers


def extract_points(
    queries: list[QueryInput],
    answers: dict[str, list[CandidateAnswer]],
    config: RubricConfig,
    gateway: Gateway,
    round_: int,
) -> tuple[dict[str, list[KnowledgePoint]], dict[str, list[str]]]:
    """Points per query, and the aggregators that answered per query."""
    planned = []
    for query in queries:
        ok = [a for a in answers[query.query_id] if a.text]
        if ok:
            for aggregator in config.models.aggregators:
                planned.append((query, aggregator, keypoint_request(query, aggregator, ok)))
    results = gateway.run([request for _, _, request in planned])
    points: dict[str, list[KnowledgePoint]] = {q.query_id: [] for q in queries}
    answered: dict[str, list[str]] = {q.query_id: [] for q in queries}
    for (query, aggregator, _), result in zip(planned, results, strict=True):
        output = parse_output(result, KeypointsOutput)
        if output is None:
            continue
        answered[query.query_id].append(aggregator)
        known = {a.answer_id for a in answers[query.query_id] if a.text}
        for index, point in enumerate(output.points):
            text = point.text.strip()
            if not text:
                continue
            points[query.query_id].append(
                KnowledgePoint(
                    point_id="kp-" + stable_hash([query.query_id, round_, aggregator, index, text]),
                    query_id=query.query_id,
                    round=round_,
                    aggregator=aggregator,
                    text=text,
                    kind=point.kind,
                    supporting_answer_ids=tuple(
                        a for a in dict.fromkeys(point.supporting_answer_ids) if a in known
                    ),
                )
            )
    return points, answered


def _script_groups(
    queries: list[QueryInput], points: dict[str, list[KnowledgePoint]]
) -> list[list[QueryInput]]:
    """Queries without CJK points, then queries with some (each list may be empty)."""
    cjk = [any(has_cjk(p.text) for p in points[q.query_id]) for q in queries]
    return [[q for q, c in zip(queries, cjk, strict=True) if c == flag] for flag in (False, True)]


def _labels(
    queries: list[QueryInput],
    points: dict[str, list[KnowledgePoint]],
    config: RubricConfig,
    gateway: Gateway,
    embed: Encoder,
) -> dict[str, list[int]]:
    """Cluster labels per query; near clusters merged when the equivalence model agrees."""
    params = config.params
    labels, vectors, asks = {}, {}, []
    # One encoder call per script group of queries: batching dominates embedding speed, and
    # a query with CJK points is encoded apart (``multilingual.routed_encode`` picks the
    # multilingual encoder for such a batch), so one query's vectors share one space.
    for group in filter(None, _script_groups(queries, points)):
        everything = embed([p.text for q in group for p in points[q.query_id]])
        offset = 0
        for query in group:
            size = len(points[query.query_id])
            vectors[query.query_id] = everything[offset : offset + size]
            offset += size
    for query in queries:
        texts = [p.text for p in points[query.query_id]]
        labels[query.query_id] = cluster_labels(
            vectors[query.query_id], params.similarity_threshold
        )
        if config.models.equivalence is None:
            continue
        pairs = near_cluster_pairs(
            vectors[query.query_id],
            labels[query.query_id],
            params.similarity_threshold,
            params.equivalence_band,
        )
        first = {lab: texts[i] for i, lab in reversed(list(enumerate(labels[query.query_id])))}
        for a, b in pairs:
            request = equivalence_request(query, config.models.equivalence, first[a], first[b])
            asks.append((query.query_id, (a, b), request))
    results = gateway.run([request for _, _, request in asks]) if asks else []
    merges: dict[str, list[tuple[int, int]]] = {}
    for (query_id, pair, _), result in zip(asks, results, strict=True):
        output = parse_output(result, EquivalenceOutput)
        if output is not None and output.equivalent:
            merges.setdefault(query_id, []).append(pair)
    return {qid: merge_labels(lab, merges.get(qid, [])) for qid, lab in labels.items()}


def run_round(
    queries: list[QueryInput],
    config: RubricConfig,
    gateway: Gateway,
    embed: Encoder,
    round_: int,
) -> dict[str, QueryOutcome]:
    """Answers, points, consensus clusters and verification of the kept clusters."""
    answers = generate_answers(queries, config, gateway, round_)
    points, aggregators_ok = extract_points(queries, answers, config, gateway, round_)
    labels = _labels(queries, points, config, gateway, embed)
    outcomes = {}
    for query in queries:
        qid = query.query_id
        clusters = build_clusters(
            qid, points[qid], labels[qid], answers[qid], aggregators_ok[qid], config.params
        )
        outcomes[qid] = QueryOutcome(
            query=query,
            answers=answers[qid],
            points=points[qid],
            clusters=clusters,
            agreement=agreement(clusters),
            rounds=round_ + 1,
        )
    verify(list(outcomes.values()), config, gateway)
    return outcomes


def verify(outcomes: list[QueryOutcome], config: RubricConfig, gateway: Gateway) -> None:
    planned = [
        (outcome, cluster, verifier)
        for outcome in outcomes
        for cluster in outcome.clusters
        if cluster.included
        for verifier in config.models.verifiers
    ]
    requests = [verify_request(o.query, v, c, config.params) for o, c, v in planned]
    results = gateway.run(requests)
    votes: dict[tuple[str, str], dict[str, VerifierOutput | None]] = {}
    for (outcome, cluster, verifier), result in zip(planned, results, strict=True):
        key = (outcome.query.query_id, cluster.cluster_id)
        votes.setdefault(key, {})[verifier] = parse_output(result, VerifierOutput)
    for outcome in outcomes:
        evidence_ids = {p.passage_id for p in outcome.query.evidence}
        for cluster in outcome.clusters:
            key = (outcome.query.query_id, cluster.cluster_id)
            if key in votes:
                outcome.verifications[cluster.cluster_id] = combine_votes(
                    cluster.cluster_id, votes[key], evidence_ids
                )


def with_evidence(query: QueryInput, evidence: list) -> QueryInput:
    return replace(query, evidence=tuple(evidence))
