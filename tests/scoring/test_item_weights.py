"""Rubric item weights count within their tier: effective weight = tier weight x item weight /
mean item weight of that tier in the query's rubric, in the reference (score_query) and in the
vectorized score_frame; the tiers keep their 2:1:1:2 balance and equal item weights give the
scores of tier weights alone."""

import polars as pl
import pytest

from quarkmed_dagster.scoring.frames import score_frame
from quarkmed_dagster.scoring.hierarchical import (
    DEFAULT_WEIGHTS,
    Item,
    ScoringConfig,
    effective_weights,
    score_query,
)

E, IM, P = "Essential", "Important", "Pitfall"
# e1 met, e2 missed, i1 met. Positive max is 2 x 2 + 1 = 5 whatever the item weights.
LEVELS = (1.0, 0.0, 1.0)


def _items(e1: float, e2: float, i1: float = 1.0) -> list[Item]:
    return [Item(E, LEVELS[0], "", e1), Item(E, LEVELS[1], "", e2), Item(IM, LEVELS[2], "a", i1)]


def _frame_score(items: list[Item], cfg: ScoringConfig | None = None) -> float | None:
    rubric = pl.DataFrame(
        {
            "item_id": [f"i{n}" for n in range(len(items))],
            "query_id": ["q"] * len(items),
            "tier": [it.tier for it in items],
            "tag": [it.tag for it in items],
            "weight": [it.weight for it in items],
            "rubric_set_version": ["rs"] * len(items),
            "corpus_version": ["cv"] * len(items),
        }
    )
    verdicts = pl.DataFrame(
        {
            "response_id": ["r"] * len(items),
            "item_id": rubric["item_id"],
            "level": [it.level for it in items],
        }
    )
    responses = pl.DataFrame(
        {"response_id": ["r"], "query_id": ["q"], "candidate_model": ["m"], "is_baseline": [False]}
    )
    return score_frame(verdicts, rubric, responses, cfg)["score"][0]


@pytest.mark.parametrize(
    ("weights", "expected", "truncated"),
    [
        # equal item weights (any value): E = 2, coverage 0.5, I = 1 -> (2 + 1) / 5
        ((1.0, 1.0), 3 / 5, False),
        ((7.5, 7.5), 3 / 5, False),
        # the met Essential item weighs 3, the missed 1 (mean 2): effective 3 and 1,
        # E = 3, coverage 0.75, I = 1 -> (3 + 1) / 5
        ((3.0, 1.0), 4 / 5, False),
        # swapped: E = 1, coverage 0.25 < 0.5 -> truncated, I+H zeroed -> 1 / 5
        ((1.0, 3.0), 1 / 5, True),
    ],
)
def test_unequal_item_weights_change_the_score_as_hand_computed(weights, expected, truncated):
    items = _items(*weights)
    reference = score_query(items)
    assert reference.score == pytest.approx(expected)
    assert reference.truncated is truncated
    assert _frame_score(items) == pytest.approx(expected)


def test_equal_item_weights_give_the_tier_weight_result():
    plain = [Item(it.tier, it.level, it.tag) for it in _items(1.0, 1.0)]
    for value in (0.5, 1.0, 4.0, 10.0):
        weighted = _items(value, value, value)
        assert score_query(weighted) == score_query(plain)
        assert _frame_score(weighted) == pytest.approx(score_query(plain).score)
    # with no weight column score_frame uses the tier weights alone
    assert effective_weights(plain, DEFAULT_WEIGHTS) == [2.0, 2.0, 1.0]


def test_tier_balance_is_kept():
    items = [Item(E, 1.0, "", 3.0), Item(E, 1.0, "", 1.0), Item(IM, 1.0, "a", 9.0),
             Item(P, 0.0, "", 0.5), Item(P, 0.0, "", 1.5), Item(P, 0.0, "", 4.0)]  # fmt: skip
    w = effective_weights(items, DEFAULT_WEIGHTS)
    assert w == pytest.approx([3.0, 1.0, 1.0, 0.5, 1.5, 4.0])
    # per tier: sum = tier weight x item count, as with equal item weights
    assert (sum(w[:2]), w[2], sum(w[3:])) == pytest.approx((4.0, 1.0, 6.0))


def test_item_weight_changes_a_pitfall_penalty():
    # one light pitfall committed (weight 1 of mean 2.5 -> effective 0.8 of 4): penalty 0.2
    items = [Item(E, 1.0), Item(P, 1.0, "", 1.0), Item(P, 0.0, "", 4.0)]
    s = score_query(items)
    assert s.risk_interception == pytest.approx(0.8)
    assert s.score == pytest.approx((2 - 0.8) / 2)
    assert _frame_score(items) == pytest.approx(s.score)
