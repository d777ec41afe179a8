import pytest

from quarkmed_dagster.scoring.bootstrap import bootstrap_ci
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
