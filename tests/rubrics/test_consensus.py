"""Consensus math: clustering by meaning, explicit support counts, threshold and tie rule."""

from __future__ import annotations

import numpy as np
import pytest

from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.multilingual import routed_encode
from quarkmed_dagster.rubrics.config import ConsensusParams
from quarkmed_dagster.rubrics.consensus import (
    agreement,
    build_clusters,
    cluster_labels,
    decide,
    merge_labels,
    near_cluster_pairs,
)
from quarkmed_dagster.rubrics.records import CandidateAnswer, KnowledgePoint


def _answer(answer_id: str, generator: str, text: str | None = "answer") -> CandidateAnswer:
    return CandidateAnswer(answer_id, "q1", 0, generator, "basic", 0, "v", "k", "ok", text)


def _point(pid: str, aggregator: str, text: str, kind: str, support: tuple[str, ...]):
    return KnowledgePoint(pid, "q1", 0, aggregator, text, kind, support)


def test_paraphrases_cluster_together_and_distinct_points_do_not():
    texts = [
        "Drink plenty of fluids to stay hydrated.",
        "Make sure to drink lots of fluids so you stay hydrated.",
        "Seek emergency care if you have chest pain.",
        "Go to the emergency room if chest pain occurs.",
        "Ibuprofen can irritate the stomach lining.",
    ]
    labels = cluster_labels(get_embedder().encode(texts), similarity_threshold=0.6)
    assert labels[0] == labels[1]
    assert labels[2] == labels[3]
    assert len({labels[0], labels[2], labels[4]}) == 3
    assert labels[0] == 0  # renumbered in order of first appearance


def test_support_counts_and_ratios_are_over_generators_and_aggregators_that_answered():
    answers = [
        _answer("a1", "gen-A"),
        _answer("a2", "gen-A"),
        _answer("b1", "gen-B"),
        _answer("c1", "gen-C", text=None),  # failed generator: not in the denominator
    ]
    points = [
        _point("p1", "agg-1", "Rest", "essential", ("a1", "b1")),
        _point("p2", "agg-2", "Rest well", "essential", ("a2", "c1", "zz")),
        _point("p3", "agg-1", "Tea", "extension", ("a1",)),
    ]
    clusters = build_clusters(
        "q1", points, [0, 0, 1], answers, ["agg-1", "agg-2"], ConsensusParams()
    )
    rest, tea = clusters
    assert rest.generators == ["gen-A", "gen-B"]
    assert (rest.support_count, rest.support_ratio) == (2, 1.0)
    assert (rest.aggregator_count, rest.aggregator_ratio) == (2, 1.0)
    assert rest.answer_ratio == pytest.approx(1.0)  # a1, a2, b1 of 3 ok answers
    assert rest.included and rest.decision == "above_threshold"
    assert (tea.support_count, tea.support_ratio, tea.aggregator_ratio) == (1, 0.5, 0.5)
    # exactly at the 0.5 threshold, only one of two aggregators: tie rule excludes it
    assert not tea.included and tea.decision == "tie_aggregator_minority"
    assert agreement(clusters) == pytest.approx(1.0)  # only 'Rest' is essential


@pytest.mark.parametrize(
    ("rule", "aggregator_ratio", "expected"),
    [
        ("include", 0.0, True),
        ("exclude", 1.0, False),
        ("aggregator_majority", 2 / 3, True),
        ("aggregator_majority", 0.5, False),
    ],
)
def test_tie_rule_decides_only_exactly_at_threshold(rule, aggregator_ratio, expected):
    params = ConsensusParams(support_threshold=0.6, tie_rule=rule)
    assert decide(3 / 5, aggregator_ratio, params)[0] is expected
    assert decide(4 / 5, 0.0, params) == (True, "above_threshold")
    assert decide(2 / 5, 1.0, params) == (False, "below_threshold")


def test_cluster_ids_are_stable_content_hashes():
    answers = [_answer("a1", "g")]
    points = [_point("p1", "agg", "x", "essential", ("a1",))]
    first = build_clusters("q1", points, [0], answers, ["agg"], ConsensusParams())
    again = build_clusters("q1", points, [0], answers, ["agg"], ConsensusParams())
    assert first[0].cluster_id == again[0].cluster_id
    other = build_clusters("q2", points, [0], answers, ["agg"], ConsensusParams())
    assert other[0].cluster_id != first[0].cluster_id


def test_equivalence_merges_and_near_pairs():
    assert merge_labels([0, 1, 2, 1], [(2, 0)]) == [0, 1, 0, 1]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    pairs = near_cluster_pairs(vectors, [0, 1, 2], threshold=0.9, band=0.15)
    assert pairs == [(0, 1)]  # cos 0.8 is within [0.75, 0.9); the others are not


def test_no_points_means_no_clusters_and_zero_agreement():
    assert cluster_labels(np.zeros((0, 384)), 0.7) == []
    assert agreement([]) == 0.0


# Points of a Chinese query ("布洛芬一次能吃多少?") as two aggregators extract them from
# the answers of two generators (a1 from gen-A, b1 from gen-B).
ZH_POINTS = [
    ("成人每次服用布洛芬400毫克,每六小时一次,随餐服用。", "agg-1", ("a1", "b1")),
    ("成年人布洛芬每次400毫克,间隔六小时,与食物同服。", "agg-2", ("a1", "b1")),  # paraphrase
    ("出现黑便或呕血时应立即就医。", "agg-1", ("a1",)),
    ("如果大便发黑或吐血,要马上去急诊。", "agg-2", ("a1", "b1")),  # paraphrase, no shared token
    ("孕妇禁用。", "agg-1", ("b1",)),  # "not for pregnant women"
    ("避免饮酒。", "agg-2", ("a1",)),  # "avoid alcohol": another point entirely
]


def _zh_clusters(encode=None):
    texts = [t for t, _, _ in ZH_POINTS]
    vectors = (encode or get_embedder().encode)(texts)
    params = ConsensusParams()  # the default threshold 0.75
    labels = cluster_labels(vectors, params.similarity_threshold)
    points = [
        _point(f"p{i}", agg, text, "essential", support)
        for i, (text, agg, support) in enumerate(ZH_POINTS)
    ]
    answers = [_answer("a1", "gen-A"), _answer("b1", "gen-B")]
    clusters = build_clusters("q1", points, labels, answers, ["agg-1", "agg-2"], params)
    return vectors, labels, clusters


def test_chinese_points_through_consensus_with_the_english_minilm():
    """What the English all-MiniLM-L6-v2 does with Chinese (measured, not wished for): its
    WordPiece vocabulary knows few CJK characters, so most characters become [UNK] and a
    Chinese vector mostly encodes length, digits and the few known characters."""
    from tokenizers import Tokenizer

    from quarkmed_dagster.embeddings import _tokenizer_path

    tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
    tokens = tokenizer.encode(ZH_POINTS[4][0]).tokens
    assert tokens[1:5] == ["[UNK]"] * 4  # 孕妇禁用: every character unknown
    vectors, labels, clusters = _zh_clusters()
    sims = vectors @ vectors.T
    # the paraphrase sharing "400" and several known characters merges (cosine ~0.84) ...
    assert sims[0, 1] > 0.75 and labels[0] == labels[1]
    dose = next(c for c in clusters if "p0" in c.point_ids)
    assert (dose.support_count, dose.support_ratio, dose.aggregator_count) == (2, 1.0, 2)
    assert dose.included and dose.text == ZH_POINTS[0][0]  # Chinese text kept as is
    # ... the paraphrase without shared known tokens does not (~0.67): split support
    assert sims[2, 3] < 0.75 and labels[2] != labels[3]
    bleeding = next(c for c in clusters if c.point_ids == ["p2"])
    assert (bleeding.support_ratio, bleeding.decision) == (0.5, "tie_aggregator_minority")
    # ... and two different short points made only of unknown characters get the SAME
    # vector (cosine 1.0) and are merged into one cluster with inflated support
    assert sims[4, 5] > 0.999 and labels[4] == labels[5]
    merged = next(c for c in clusters if "p4" in c.point_ids)
    assert merged.point_ids == ["p4", "p5"] and merged.support_count == 2
    # unrelated Chinese points sit at ~0.45-0.72 from each other whatever they say: no
    # threshold separates paraphrases from different points
    assert sims[2, 3] < sims[4, 5] and sims[2, 4] > 0.55


def test_chinese_paraphrases_merge_and_different_points_stay_apart():
    """The encoder a Chinese batch is routed to (multilingual-e5-small, centred) merges the
    paraphrases, even the one sharing no token, and keeps different points apart."""
    _, labels, clusters = _zh_clusters(routed_encode)
    assert labels[0] == labels[1]  # the dose paraphrase
    assert labels[2] == labels[3]  # the bleeding paraphrase
    assert labels[4] != labels[5]  # pregnancy vs alcohol
    assert len(set(labels)) == 4
    bleeding = next(c for c in clusters if "p2" in c.point_ids)
    assert bleeding.point_ids == ["p2", "p3"]
    assert (bleeding.support_count, bleeding.support_ratio, bleeding.aggregator_count) == (
        2,
        1.0,
        2,
    )
    assert bleeding.included


def test_queries_with_cjk_points_are_encoded_apart():
    """One encoder batch per script: a Chinese query's points never share a batch (and so an
    encoder) with an English query's points."""
    from quarkmed_dagster.rubrics.records import QueryInput
    from quarkmed_dagster.rubrics.rounds import _script_groups

    queries = [QueryInput("en", "Ibuprofen dose?"), QueryInput("zh", "布洛芬一次能吃多少?")]
    points = {
        "en": [_point("p1", "agg", "Take 400 mg with food.", "essential", ("a1",))],
        "zh": [_point("p2", "agg", ZH_POINTS[0][0], "essential", ("a1",))],
    }
    latin, cjk = _script_groups(queries, points)
    assert [q.query_id for q in latin] == ["en"] and [q.query_id for q in cjk] == ["zh"]
    assert _script_groups(queries[:1], points) == [queries[:1], []]
