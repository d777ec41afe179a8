import polars as pl
import pytest

from quarkmed_dagster.scoring.frames import leaderboard_frame, score_frame
from quarkmed_dagster.scoring.hierarchical import ScoringConfig

RUBRIC = pl.DataFrame(
    {
        "item_id": ["e1", "i1", "p1"],
        "query_id": ["q"] * 3,
        "tier": ["Essential", "Important", "Pitfall"],
        "tag": ["", "a", ""],
        "rubric_set_version": ["r1"] * 3,
        "corpus_version": ["c1"] * 3,
    }
)
RESP = pl.DataFrame(
    {
        "response_id": ["good", "bad"],
        "query_id": ["q", "q"],
        "candidate_model": ["m1", "m2"],
        "is_baseline": [True, True],
    }
)
VERD = pl.DataFrame(
    {
        "response_id": ["good", "good", "good", "bad", "bad"],
        "item_id": ["e1", "i1", "p1", "e1", "p1"],
        "level": [1.0, 1.0, 0.0, 1.0, 1.0],
    }
)


def test_score_frame_missing_verdict_is_null_and_rescore_weights():
    s = score_frame(VERD, RUBRIC, RESP).sort("response_id")
    good = s.filter(pl.col("response_id") == "good").row(0, named=True)
    bad = s.filter(pl.col("response_id") == "bad").row(0, named=True)
    assert good["score"] == 1.0
    assert bad["coverage"] == pytest.approx(2 / 3)  # i1 has no verdict -> NULL
    # E=2, P=2, max=2 -> 0; with a lighter pitfall weight the score rises
    assert bad["score"] == 0.0
    light = ScoringConfig(weights={"Essential": 2, "Important": 1, "Highlight": 1, "Pitfall": 1})
    assert (
        score_frame(VERD, RUBRIC, RESP, light).filter(pl.col("response_id") == "bad")["score"][0]
        == 0.5
    )


def test_leaderboard_order_and_ci():
    s = score_frame(VERD, RUBRIC, RESP)
    lb = leaderboard_frame(s, pl.DataFrame({"query_id": ["q"], "category": ["Clinical Care"]}))
    overall = lb.filter(pl.col("category") == "all")
    assert overall["candidate_model"].to_list() == ["m1", "m2"]
    assert (overall["ci_low"] <= overall["score"]).all()
