import polars as pl
import pytest

from quarkmed_dagster.scoring.bootstrap import bootstrap_ci
from quarkmed_dagster.scoring.frames import score_frame
from quarkmed_dagster.scoring.healthbench import example_score, overall
from quarkmed_dagster.scoring.hierarchical import Item, ScoringConfig, score_query


def test_hand_computed_eq2():
    items = [
        Item("Essential", 1.0),
        Item("Essential", 0.5),
        Item("Important", 1.0, "a"),
        Item("Highlight", 1.0, "b"),
        Item("Pitfall", 0.0),
    ]
    s = score_query(items)
    # E = 2 + 1 = 3, IH = 2, P = 0, max = 4 + 1 + 1 = 6
    assert s.score == pytest.approx(5 / 6)
    assert s.medical_accuracy == pytest.approx(0.75)
    assert s.risk_interception == 1.0
    assert not s.truncated


def test_pitfall_penalty_and_truncation():
    items = [Item("Essential", 1.0), Item("Important", 1.0, "a"), Item("Pitfall", 1.0)]
    s = score_query(items)
    # P penalty 1 > 0.5 -> IH zeroed; (2 + 0 - 2) / 3 = 0
    assert s.truncated and s.score == 0.0


def test_truncation_boundary():
    at = score_query([Item("Essential", 0.5), Item("Important", 1.0, "a")])
    assert not at.truncated and at.score == pytest.approx(2 / 3)
    below = score_query([Item("Essential", 0.49), Item("Important", 1.0, "a")])
    assert below.truncated and below.score == pytest.approx(0.98 / 3)


def test_saturation_caps():
    items = [Item("Essential", 0.5)] + [Item("Important", 1.0, "t")] * 5
    s = score_query(items, ScoringConfig(tag_cap=3.0, ih_cap_ratio=2.0))
    # tag credit 5 capped at 3, then at 2 x E = 2; (1 + 2) / (2 + 5)
    assert s.score == pytest.approx(3 / 7)


def test_no_pitfall_items():
    s = score_query([Item("Essential", 1.0)])
    assert s.score == 1.0 and s.risk_interception is None


def test_all_null_is_flagged_not_zero():
    s = score_query([Item("Essential", None), Item("Pitfall", None)])
    assert s.score is None and s.flagged_low_coverage and s.coverage == 0.0


def test_low_coverage_flagged():
    items = [Item("Essential", 1.0)] + [Item("Essential", None)] * 3
    s = score_query(items)
    assert s.coverage == 0.25 and s.flagged_low_coverage and s.score is None


def test_only_pitfall_items():
    assert score_query([Item("Pitfall", 0.0)]).score == 1.0
    assert score_query([Item("Pitfall", 1.0)]).score == 0.0


def test_healthbench_example_and_clip():
    assert example_score([5, 3, -4], [True, False, True]) == pytest.approx(1 / 8)
    # as in simple-evals, an example score is not clipped: met negative criteria can take
    # it below 0 (it used to be clipped to 0 here, which overstated the mean)
    assert example_score([2, -5], [True, True]) == pytest.approx(-1.5)
    assert example_score([-3], [True]) is None  # only negative criteria
    assert example_score([4, 4], [True, None]) == 1.0  # NULL excluded


def test_healthbench_overall_clips_the_mean_not_the_examples():
    # mean(-1.5, 1, 1) = 1/6; clipping each example first would give 2/3
    assert overall([-1.5, 1.0, 1.0])["score"] == pytest.approx(1 / 6)
    assert overall([-1.5, 0.5])["score"] == 0.0  # mean -0.5, clipped
    same = overall([0.25, 0.25, 0.25])
    assert same == {"score": 0.25, "bootstrap_std": 0.0, "n": 3}
    assert overall([None, None]) == {"score": None, "bootstrap_std": None, "n": 0}


def test_healthbench_overall_and_bootstrap_seeded():
    o = overall([0.5, 1.0, None, 0.0], seed=1)
    assert o["score"] == pytest.approx(0.5) and o["n"] == 3 and o["bootstrap_std"] > 0
    assert overall([0.5, 1.0, 0.0], seed=1) == o | {"n": 3}
    m, lo, hi = bootstrap_ci([0.1, 0.9, 0.5, 0.7], seed=3)
    assert lo <= m <= hi
    assert bootstrap_ci([0.1, 0.9, 0.5, 0.7], seed=3) == (m, lo, hi)
    assert bootstrap_ci([None]) == (None, None, None)


def _both_paths(items: list[Item]) -> list:
    """The readable ``score_query`` and the stage's ``score_frame`` on the same response."""
    rubric = pl.DataFrame(
        {
            "item_id": [f"i{n}" for n in range(len(items))],
            "query_id": "q",
            "tier": [it.tier for it in items],
            "tag": [it.tag for it in items],
            "rubric_set_version": "rs",
            "corpus_version": "cv",
        }
    )
    verdicts = pl.DataFrame(
        [{"response_id": "r", "item_id": f"i{n}", "level": it.level}
         for n, it in enumerate(items) if it.level is not None],
        schema={"response_id": pl.String, "item_id": pl.String, "level": pl.Float64},
    )  # fmt: skip
    responses = pl.DataFrame(
        {"response_id": ["r"], "query_id": ["q"], "candidate_model": ["m"], "is_baseline": [False]}
    )
    framed = score_frame(verdicts, rubric, responses).row(0, named=True)
    return [score_query(items).__dict__, {k: framed[k] for k in score_query(items).__dict__}]


def test_positive_items_none_judged_is_unscored_not_only_pitfall():
    # docs/scoring.md: the score divides by the judged positive items' weight; "only Pitfall
    # items" is a rubric without positive items. [Essential NULL, Pitfall 0] has coverage 0.5
    # (>= min_coverage) but no judged positive item: no score, flagged, never 1.0.
    for result in _both_paths([Item("Essential", None), Item("Pitfall", 0.0)]):
        assert result["score"] is None and result["flagged_low_coverage"]
        assert result["risk_interception"] is None
    # a rubric that really has only Pitfall items still scores 1 - penalty
    for result in _both_paths([Item("Pitfall", 0.0), Item("Pitfall", None)]):
        assert result["score"] == 1.0 and not result["flagged_low_coverage"]


def test_low_coverage_response_has_no_dimension_scores():
    # flagged for low coverage (1 of 4 judged): unscored, and so are its dimensions, so the
    # dimension mart never averages a response the leaderboard refused to score
    items = [Item("Essential", 1.0), Item("Essential", None), Item("Important", None),
             Item("Pitfall", None)]  # fmt: skip
    for result in _both_paths(items):
        assert result["flagged_low_coverage"] and result["score"] is None
        assert (result["medical_accuracy"], result["key_point_coverage"],
                result["risk_interception"]) == (None, None, None)  # fmt: skip
