"""HealthBench mode over frames, on hand-computed cases (no Dagster, no network)."""

import polars as pl
import pytest

from quarkmed_dagster.judging.run import judged_items
from quarkmed_dagster.scoring.healthbench_stage import (
    criteria_items,
    example_scores,
    is_met,
    model_scores,
    verdict_frame,
)

CRITERIA = pl.DataFrame(
    {
        "reference_item_id": ["c1", "c2", "c3", "d1"],
        "query_id": ["q1", "q1", "q1", "q2"],
        "criterion": ["Advises rest", "Mentions fluids", "Recommends antibiotics", "See a GP"],
        "points": [5.0, 3.0, -4.0, 2.0],
    }
)
RESPONSES = pl.DataFrame(
    {
        "response_id": ["x1", "x2", "y1", "y2"],
        "query_id": ["q1", "q2", "q1", "q2"],
        "candidate_model": ["model-x", "model-x", "model-y", "model-y"],
        "is_baseline": [False, False, True, True],
    }
)


def _verdicts(levels: dict[tuple[str, str], list[float | None]]) -> pl.DataFrame:
    rows = [
        {"response_id": rid, "item_id": cid, "judge_model": f"judge-{n}", "mode": "batched",
         "level": level, "rationale": "", "status": "ok" if level is not None else "failed"}
        for (rid, cid), votes in levels.items()
        for n, level in enumerate(votes)
    ]  # fmt: skip
    return verdict_frame(rows)


def test_met_is_level_one_and_null_stays_null():
    assert [is_met(v) for v in (1.0, 0.5, 0.0, None)] == [True, False, False, None]
    frame = _verdicts({("x1", "c1"): [1.0, 0.5, None]})
    assert frame["met"].to_list() == [True, False, None]
    assert frame["criterion_id"].to_list() == ["c1"] * 3


def test_negative_criterion_met_lowers_the_score_and_nulls_are_excluded():
    verdicts = _verdicts({
        # x1: rest met (+5), fluids not met, antibiotics met (-4): (5 - 4) / 8
        ("x1", "c1"): [1.0], ("x1", "c2"): [0.0], ("x1", "c3"): [1.0],
        ("x2", "d1"): [1.0],
        # y1: fluids NULL -> excluded from both sums: 5 / 5; antibiotics not met
        ("y1", "c1"): [1.0], ("y1", "c2"): [None], ("y1", "c3"): [0.0],
        # y2: every criterion NULL -> missing, never 0
        ("y2", "d1"): [None],
    })  # fmt: skip
    examples = {
        r["response_id"]: r
        for r in example_scores(verdicts, CRITERIA, RESPONSES).iter_rows(named=True)
    }
    assert examples["x1"]["score"] == pytest.approx(1 / 8)
    assert examples["x2"]["score"] == 1.0
    assert examples["y1"]["score"] == 1.0 and examples["y1"]["n_judged"] == 2
    assert examples["y2"]["score"] is None and examples["y2"]["n_judged"] == 0

    scores = {
        r["candidate_model"]: r
        for r in model_scores(
            example_scores(verdicts, CRITERIA, RESPONSES), ["judge-0"], True, "v1"
        ).iter_rows(named=True)
    }
    x, y = scores["model-x"], scores["model-y"]
    assert x["score"] == pytest.approx((1 / 8 + 1) / 2) and x["n_examples"] == 2
    assert x["coverage"] == 1.0 and x["bootstrap_std"] > 0 and not x["is_baseline"]
    # y2 is missing: one example, not a mean with a zero in it
    assert y["score"] == 1.0 and y["n_examples"] == 1 and y["n_responses"] == 2
    assert y["coverage"] == pytest.approx(2 / 4) and y["is_baseline"]
    assert y["baseline_judges"] and y["judge_prompt_version"] == "v1"


def test_met_negative_criteria_can_take_an_example_below_zero_and_the_mean_is_clipped():
    verdicts = _verdicts({
        ("x1", "c1"): [0.0], ("x1", "c2"): [0.0], ("x1", "c3"): [1.0],  # -4 / 8
        ("x2", "d1"): [0.0],  # 0 / 2
    })  # fmt: skip
    examples = example_scores(verdicts, CRITERIA, RESPONSES.filter(pl.col("response_id") < "y"))
    assert examples.sort("response_id")["score"].to_list() == [-0.5, 0.0]
    row = model_scores(examples, ["judge-0"], False, "v1").row(0, named=True)
    assert row["score"] == 0.0 and row["n_examples"] == 2  # mean -0.25, clipped


def test_panel_majority_with_the_lower_level_on_ties_decides_met():
    verdicts = _verdicts({
        ("x2", "d1"): [1.0, 1.0, 0.0],  # majority met
        ("y2", "d1"): [1.0, 0.0, None],  # tie -> lower level -> not met
    })  # fmt: skip
    examples = {
        r["response_id"]: r["score"]
        for r in example_scores(verdicts, CRITERIA, RESPONSES).iter_rows(named=True)
    }
    assert examples["x2"] == 1.0 and examples["y2"] == 0.0
    assert examples["x1"] is None  # no verdict row at all: unscored


def test_criteria_are_judged_items_with_content_keys():
    items = criteria_items(CRITERIA)
    assert sorted(items) == ["q1", "q2"]
    keyed = judged_items(items["q1"])
    assert {it["rubric_item_id"] for it in keyed} == {"c1", "c2", "c3"}
    assert all(it["item_id"].startswith("it-") for it in keyed)
    assert {it["description"] for it in items["q1"]} == set(CRITERIA["criterion"][:3])


def test_panel_tie_on_a_negative_criterion_resolves_to_met_the_severe_side():
    # c3 (-4 points, "Recommends antibiotics") tied 1 : 0 between two judges: the response
    # may do the harmful thing, and a tie resolves to the more severe side, as for Pitfall
    # items: met, its points subtracted. A tied positive criterion (c2) stays not met.
    verdicts = _verdicts({
        ("x1", "c1"): [1.0, 1.0], ("x1", "c2"): [1.0, 0.0], ("x1", "c3"): [1.0, 0.0],
    })  # fmt: skip
    examples = example_scores(verdicts, CRITERIA, RESPONSES.filter(pl.col("response_id") == "x1"))
    assert examples["score"].to_list() == [pytest.approx((5 - 4) / 8)]  # lenient: 5 / 8
