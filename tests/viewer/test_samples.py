"""Pure parts of the viewer and of the report's links into it (no database, no browser)."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.report.samples import extremes
from quarkmed_dagster.viewer.samples import sample_page_name


def test_extremes_per_model_worst_then_best_each_query_once():
    qs = pl.DataFrame({
        "candidate_model": ["a"] * 10 + ["b"] * 2 + ["c"],
        "score": [i / 10 for i in range(10)] + [0.2, 0.3, 0.5],
        "query_id": [f"q{i}" for i in range(10)] + ["q1", "q2", "q1"],
    })  # fmt: skip
    out = extremes(qs, k=3)
    a = out.filter(pl.col("candidate_model") == "a")
    assert a["query_id"].to_list() == ["q0", "q1", "q2", "q9", "q8", "q7"]
    assert a["end"].to_list() == ["worst"] * 3 + ["best"] * 3
    b = out.filter(pl.col("candidate_model") == "b")
    assert list(zip(b["query_id"], b["end"], strict=True)) == [("q1", "worst"), ("q2", "best")]
    assert out.filter(pl.col("candidate_model") == "c")["end"].to_list() == ["worst"]  # n=1


def test_extremes_leave_out_unscored_responses():
    qs = pl.DataFrame({"candidate_model": ["a", "a"], "score": [None, 0.4], "query_id": ["x", "y"]})
    assert extremes(qs)["query_id"].to_list() == ["y"]


def test_page_names_are_file_safe_and_distinct():
    assert sample_page_name("0ae8315") == "0ae8315.html"
    odd = [sample_page_name(q) for q in ("a/b", "a?b", "../x", "a b")]
    assert len(set(odd)) == 4
    assert all(not set(n) & set("/? ") and not n.startswith(".") for n in odd)
