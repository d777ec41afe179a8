"""The vectorized ``score_frame`` equals the readable reference ``score_query`` (Eq. 2) on many
seeded random cases and on the edge cases: all NULL, only Pitfall, missing verdict rows,
truncation and saturation boundaries, NULL tags, unusual configurations. Both end in the same
``hierarchical.eq2``, so this checks the two ways of summing a response's items; the rules
themselves are checked against docs/scoring.md in ``test_formulas.py``."""

import random

import polars as pl
import pytest

from quarkmed_dagster.scoring.frames import score_frame
from quarkmed_dagster.scoring.hierarchical import Item, ScoringConfig, score_query

TIERS = ["Essential", "Important", "Highlight", "Pitfall"]
TAGS = ["Safety", "Readability", "Humanistic Care", "", None]
LEVELS = [None, 0.0, 0.5, 1.0]
FIELDS = [
    "score",
    "coverage",
    "flagged_low_coverage",
    "truncated",
    "medical_accuracy",
    "key_point_coverage",
    "risk_interception",
]


def _frames(cases: list[tuple[list[tuple], list[list[float | None]]]]):
    """cases: (items as (tier, tag) or (tier, tag, item weight), per response the item levels;
    'skip' = no verdict row). The weight column is there only when some item has a weight."""
    items, responses, verdicts, expected_items = [], [], [], {}
    weighted = any(len(item) == 3 for rubric, _ in cases for item in rubric)
    for q, (rubric, answers) in enumerate(cases):
        rubric = [(*item, 1.0)[:3] for item in rubric]
        for i, (tier, tag, weight) in enumerate(rubric):
            item_id, query_id = f"q{q}-i{i}", f"q{q}"
            items.append({"item_id": item_id, "query_id": query_id, "tier": tier, "tag": tag,
                          "rubric_set_version": "rs", "corpus_version": "cv"}
                         | ({"weight": weight} if weighted else {}))  # fmt: skip
        for r, levels in enumerate(answers):
            rid = f"q{q}-r{r}"
            responses.append({"response_id": rid, "query_id": f"q{q}",
                              "candidate_model": f"m{r}", "is_baseline": False})  # fmt: skip
            expected_items[rid] = []
            for i, ((tier, tag, weight), level) in enumerate(zip(rubric, levels, strict=True)):
                if level != "skip":
                    verdicts.append({"response_id": rid, "item_id": f"q{q}-i{i}", "level": level})
                lv = None if level == "skip" else level
                expected_items[rid].append(Item(tier, lv, tag or "", weight))
    schema_v = {"response_id": pl.String, "item_id": pl.String, "level": pl.Float64}
    return (
        pl.DataFrame(verdicts, schema=schema_v),
        pl.DataFrame(items, schema_overrides={"tag": pl.String}),
        pl.DataFrame(responses),
        expected_items,
    )


def _assert_matches(cases, cfg: ScoringConfig) -> int:
    verdicts, items, responses, expected_items = _frames(cases)
    got = {
        row["response_id"]: row for row in score_frame(verdicts, items, responses, cfg).to_dicts()
    }
    assert set(got) == set(expected_items)
    for rid, its in expected_items.items():
        want = score_query(its, cfg)
        row = got[rid]
        for name in FIELDS:
            expected = getattr(want, name)
            if isinstance(expected, bool) or expected is None:
                assert row[name] == expected, (rid, name, its, row)
            else:
                assert row[name] == pytest.approx(expected, abs=1e-12), (rid, name, its, row)
        assert (row["candidate_model"], row["rubric_set_version"]) == (f"m{rid[-1]}", "rs")
    return len(expected_items)


def _random_case(rng: random.Random, item_weights: bool = False):
    shape = rng.random()
    n = rng.randint(1, 12)
    if shape < 0.1:
        rubric = [("Pitfall", rng.choice(TAGS)) for _ in range(rng.randint(1, 3))]
    else:
        rubric = [(rng.choice(TIERS), rng.choice(TAGS)) for _ in range(n)]
    if item_weights:
        rubric = [(*item, rng.choice([0.5, 1.0, 2.5, 7.0, 10.0])) for item in rubric]
    answers = []
    for _ in range(rng.randint(1, 3)):
        null_rate = rng.choice([0.0, 0.2, 0.6, 1.0])
        answers.append(
            [
                rng.choice(["skip", None]) if rng.random() < null_rate else rng.choice(LEVELS[1:])
                for _ in rubric
            ]
        )
    return rubric, answers


def _random_config(rng: random.Random) -> ScoringConfig:
    dyadic = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]  # exact sums: boundaries compare identically
    return ScoringConfig(
        weights={t: rng.choice(dyadic) for t in TIERS},
        essential_ratio=rng.choice([0.25, 0.5, 0.75]),
        pitfall_ratio=rng.choice([0.0, 0.25, 0.5]),
        tag_cap=rng.choice([0.5, 1.0, 2.0, 3.0]),
        ih_cap_ratio=rng.choice([0.5, 1.0, 2.0]),
        min_coverage=rng.choice([0.0, 0.5, 0.75]),
    )


def test_random_cases_match_reference():
    rng = random.Random(20260101)
    checked = 0
    for _ in range(40):
        cases = [_random_case(rng) for _ in range(60)]
        checked += _assert_matches(cases, _random_config(rng))
    assert checked > 4000


def test_random_item_weights_match_reference():
    rng = random.Random(11)
    checked = 0
    for _ in range(10):
        cases = [_random_case(rng, item_weights=True) for _ in range(60)]
        checked += _assert_matches(cases, _random_config(rng))
    assert checked > 1000


def test_non_dyadic_weights_match_reference():
    rng = random.Random(7)
    cfg = ScoringConfig(weights={"Essential": 1.3, "Important": 0.7, "Highlight": 0.9,
                                 "Pitfall": 2.2})  # fmt: skip
    assert _assert_matches([_random_case(rng) for _ in range(500)], cfg) > 500


E, IM, H, P = "Essential", "Important", "Highlight", "Pitfall"


@pytest.mark.parametrize(
    ("rubric", "levels"),
    [
        ([(E, None), (IM, "Safety"), (P, None)], [None, None, None]),  # all NULL -> flagged
        ([(E, None), (IM, "Safety")], ["skip", "skip"]),  # no verdict rows at all
        ([(P, "Safety"), (P, "Safety")], [0.0, 0.0]),  # only Pitfall, none committed -> 1
        ([(P, "Safety"), (P, "Safety")], [1.0, 0.5]),  # only Pitfall, committed
        ([(P, "Safety")], [None]),  # only Pitfall, NULL
        ([(E, None), (E, None), (IM, "a"), (H, "b")], [1.0, 0.0, 1.0, 1.0]),  # E cov = 0.5
        ([(E, None), (E, None), (IM, "a")], [0.5, 0.0, 1.0]),  # E cov < 0.5: truncated
        ([(E, None), (P, None), (P, None), (IM, "a")], [1.0, 1.0, 0.0, 1.0]),  # P pen = 0.5
        ([(E, None), (P, None), (IM, "a")], [1.0, 1.0, 1.0]),  # P pen > 0.5: truncated
        ([(E, None)] + [(IM, "same")] * 5, [1.0] + [1.0] * 5),  # tag saturation cap
        ([(E, None)] + [(H, t) for t in "abcdef"], [0.5] + [1.0] * 6),  # IH <= 2 x E
        ([(IM, "a"), (H, None)], [1.0, 0.5]),  # no Essential: no IH cap, no truncation
        ([(E, None), (IM, "a"), (H, "b"), (P, None)], [None, 1.0, None, 0.0]),  # cov = 0.5
        ([(E, None), (IM, "a"), (H, "b"), (P, None)], [None, 1.0, None, "skip"]),  # cov < 0.5
    ],
)
def test_edge_cases_match_reference(rubric, levels):
    for cfg in (ScoringConfig(), ScoringConfig(min_coverage=0.0, pitfall_ratio=0.0)):
        assert _assert_matches([(rubric, [levels])], cfg) == 1


def test_response_without_rubric_items_has_no_score_row():
    verdicts, items, responses, _ = _frames([([(E, None)], [[1.0]])])
    extra = pl.DataFrame([{"response_id": "lonely", "query_id": "q-none",
                           "candidate_model": "m", "is_baseline": False}])  # fmt: skip
    out = score_frame(verdicts, items, pl.concat([responses, extra]))
    assert out["response_id"].to_list() == ["q0-r0"]
