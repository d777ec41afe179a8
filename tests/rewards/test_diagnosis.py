"""Diagnosis: weaknesses attributed to category, dimension, tag and item, with examples."""

import json

import polars as pl
import pytest

from quarkmed_dagster.rewards.diagnosis import diagnose
from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import fit_reference
from quarkmed_dagster.rewards.scorer import RewardScorer


def _vectors() -> pl.DataFrame:
    rows = []
    for model, evidence in (("m-good", 1.0), ("m-bad", -2.0)):
        for k in range(4):
            for dim, category, value in (
                ("evidence_support", "expert_knowledge", evidence - 0.1 * k),
                ("essential_coverage", "expert_knowledge", 0.6),
                ("length", "format_specifications", 0.5),
                ("user_rating", "online_feedback", None),
            ):
                rows.append(
                    {
                        "response_id": f"{model}-{k}",
                        "candidate_model": model,
                        "dimension": dim,
                        "category": category,
                        "normalized_value": value,
                    }
                )
    return pl.DataFrame(rows)


def _verdicts() -> pl.DataFrame:
    rows = []
    for k in range(4):
        for item_id, tier, tag, level in (
            ("e1", "Essential", "Evidence Support", 0.0 if k < 3 else 1.0),
            ("p1", "Pitfall", "Safety", 0.5),
            ("h1", "Highlight", "Readability", None),
        ):
            rows.append(
                {
                    "response_id": f"m-bad-{k}",
                    "candidate_model": "m-bad",
                    "item_id": item_id,
                    "tier": tier,
                    "tag": tag,
                    "title": f"title {item_id}",
                    "level": level,
                }
            )
    return pl.DataFrame(rows)


def test_weaknesses_are_attributed_with_examples():
    mart = diagnose(default_matrix(), _vectors(), _verdicts())
    bad = mart.filter(pl.col("candidate_model") == "m-bad")
    top_dim = bad.filter((pl.col("level") == "dimension") & (pl.col("rank") == 1)).row(
        0, named=True
    )
    assert top_dim["key"] == "evidence_support" and top_dim["failure_rate"] == 1.0
    assert json.loads(top_dim["examples"])[0] == "m-bad-3"  # lowest z first
    top_cat = bad.filter((pl.col("level") == "category") & (pl.col("rank") == 1)).row(0, named=True)
    assert top_cat["key"] == "expert_knowledge" and top_cat["detail"] == "evidence_support"
    items = bad.filter(pl.col("level") == "item").sort("rank")
    assert items["key"].to_list() == ["e1", "p1"]  # h1 never judged: absent, not failed
    assert items["failure_rate"].to_list() == [0.75, 0.5]
    assert json.loads(items["examples"][0]) == ["m-bad-0", "m-bad-1", "m-bad-2"]
    tags = bad.filter(pl.col("level") == "tag").sort("rank")["key"].to_list()
    assert tags == ["Evidence Support", "Safety"]
    good = mart.filter((pl.col("candidate_model") == "m-good") & (pl.col("level") == "dimension"))
    assert good.filter(pl.col("key") == "evidence_support")["gap_to_target"].item() == 0.0
    assert "user_rating" not in good["key"].to_list()  # no feedback: nothing to diagnose


def test_scorer_refuses_stats_of_another_matrix():
    stats = fit_reference({"length": [0.1, 0.5, 0.9]}, "v1", "ref", "matrix-v0")
    with pytest.raises(ValueError, match="matrix-v0"):
        RewardScorer(default_matrix(), stats)
