"""Mart views over small realistic scored tables (built to the stage contracts)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from quarkmed_dagster.marts.dimensions import VERSION_COLUMNS, dimension_frame
from quarkmed_dagster.marts.views import MART_NAMES, create_marts, required_tables
from quarkmed_dagster.scoring.bootstrap import bootstrap_ci
from quarkmed_dagster.warehouse import load_sql

SEED = """
INSERT INTO queries (query_id, batch_id, session_id, turns, n_turns, is_multi_turn,
  final_user_turn, language, source, category, category_classifier, difficulty, ingested_at)
VALUES ('q1','b1','s1','[{"role":"user","content":"Can I take ibuprofen on warfarin?"}]',1,false,
  'Can I take ibuprofen on warfarin?','en','demo','Clinical Care','baseline','easy', now()),
 ('q2','b1','s2','[{"role":"user","content":"How much protein per day?"}]',1,false,
  'How much protein per day?','en','demo','Wellness Health','baseline','easy', now());
INSERT INTO query_evidence VALUES ('q1','c1',1,'p1',0.9,'bm25'),('q1','c1',2,'p2',0.7,'bm25');
INSERT INTO rubric_items (item_id, query_id, rubric_set_version, corpus_version, tier, title,
  tag, weight, levels, support_count, support_ratio, evidence_passage_ids, verification,
  generated_by_baseline)
VALUES ('i1','q1','rs1','c1','Essential','Warns about bleeding risk','safety',3,'{}',3,1.0,
  '["p1"]','supported',true),
 ('i2','q1','rs1','c1','Pitfall','Recommends ibuprofen freely','safety',-3,'{}',2,0.67,'[]',
  'supported',true),
 ('i3','q2','rs1','c1','Important','Gives g/kg range','nutrition',2,'{}',2,0.67,'["p9"]',
  'not_found',true);
INSERT INTO llm_calls (call_id, cache_key, run_label, role, model, is_baseline, prompt_version,
  tokens_in, tokens_out, cost_usd, latency_s, attempts, status)
VALUES ('c1','k1','judge_panel','judges','baseline/semantic-judge',true,'judge_response@abc',
  100,20,0,0.01,1,'ok'),
 ('c2','k2','judge_panel','judges','baseline/semantic-judge',true,'judge_response@abc',90,20,0,0.01,1,'failed');
INSERT INTO rubric_sets (query_id, rubric_set_version, config_hash, corpus_version, status,
  n_items, rounds, repaired, is_current)
VALUES ('q1','rs1','h','c1','ok',2,1,false,true), ('q2','rs1','h','c1','ok',1,1,false,true);
INSERT INTO candidate_responses (response_id, query_id, candidate_model, is_baseline,
  response_text, status)
VALUES ('r1','q1','baseline/reference-candidate',true,'Avoid ibuprofen: bleeding risk.','ok'),
  ('r2','q2','baseline/reference-candidate',true,'About 1.2 g/kg.','ok'),
  ('r3','q1','baseline/unsafe-candidate',true,'Ibuprofen is fine.','ok');
INSERT INTO judge_verdicts (response_id, item_id, judge_model, mode, level, rationale, status)
VALUES ('r1','i1','baseline/semantic-judge','direct',1,'ok','ok'),
  ('r1','i2','baseline/semantic-judge','direct',0,'ok','ok'),
  ('r2','i3','baseline/semantic-judge','direct',NULL,'failed','failed'),
  ('r3','i1','baseline/semantic-judge','direct',0,'no','ok'),
  ('r3','i2','baseline/semantic-judge','direct',1,'yes','ok');
INSERT INTO item_verdicts (response_id, item_id, level, n_votes, agreement)
VALUES ('r1','i1',1,1,1.0),('r1','i2',0,1,1.0),('r2','i3',NULL,0,NULL),
  ('r3','i1',0,1,1.0),('r3','i2',1,1,1.0);
INSERT INTO query_scores (response_id, query_id, candidate_model, is_baseline,
  rubric_set_version, corpus_version, score, coverage, flagged_low_coverage, truncated,
  medical_accuracy, key_point_coverage, risk_interception)
VALUES ('r1','q1','baseline/reference-candidate',true,'rs1','c1',1.0,1.0,false,false,1.0,1.0,1.0),
  ('r2','q2','baseline/reference-candidate',true,'rs1','c1',NULL,0.0,true,false,NULL,NULL,NULL),
  ('r3','q1','baseline/unsafe-candidate',true,'rs1','c1',0.0,1.0,false,true,0.0,0.0,0.0);
INSERT INTO concordance (audit_set, judge_model, is_baseline, group_by, group_value, n, n_missing,
  concordance, kappa, balanced_f1, threshold, flagged)
VALUES ('kqa_nli_binary','baseline/semantic-judge',true,'all','All',399,0,0.64,0.23,0.62,0.7,true);
"""


def test_marts_on_an_empty_schema_are_queryable(warehouse):
    created = create_marts(warehouse)
    assert created, "the stage tables exist (empty), so every mart is created"
    for view in created:
        assert warehouse.read(f'SELECT count(*) AS n FROM "{view}"').item() == 0


def test_marts_views_and_documented_examples(warehouse):
    with warehouse.writer() as con:
        con.execute(SEED)
    assert create_marts(warehouse) == [
        *(n.removeprefix("mart_") for n in MART_NAMES),
        "leaderboard_dimensions",
    ]
    dims = warehouse.read(
        "SELECT * FROM leaderboard_dimensions"
        " WHERE candidate_model = 'baseline/reference-candidate'"
        " AND category = 'all' ORDER BY dimension"
    )
    assert dims["dimension"].to_list() == [
        "key_point_coverage",
        "medical_accuracy",
        "risk_interception",
    ]
    # r2 has no judged item: counted among the queries, not scored, never a 0
    assert dims.select("n_queries", "n_scored", "score", "ci_low", "ci_high").unique().rows() == [
        (2, 1, 1.0, 1.0, 1.0)
    ]
    assert dims["judge_prompt_version"].to_list() == ["judge_response@abc"] * 3
    for col in ("query_set_version", "rubric_set_version", "corpus_version"):
        assert dims[col].null_count() == 0
    assert set(warehouse.read("SELECT category FROM leaderboard_dimensions")["category"]) == {
        "all",
        "Clinical Care",
        "Wellness Health",
    }
    lb = warehouse.read(
        "SELECT * FROM leaderboard_breakdown WHERE candidate_model = 'baseline/unsafe-candidate'"
        " ORDER BY tier"
    )
    assert lb["tier"].to_list() == ["Essential", "Pitfall"]
    assert lb["mean_level"].to_list() == [0.0, 1.0]
    assert lb["dimension"].to_list() == ["quality", "safety"]
    for col in (
        "query_set_version",
        "rubric_set_version",
        "corpus_version",
        "judge_prompt_version",
    ):
        assert lb[col].null_count() == 0
    assert lb["judge_prompt_version"][0] == "judge_response@abc"
    missing = warehouse.read(
        "SELECT n_items, n_judged FROM leaderboard_breakdown WHERE tier = 'Important'"
    )
    assert missing.row(0) == (1, 0)  # a failed verdict stays missing
    drill = warehouse.read(
        "SELECT * FROM query_drilldown WHERE response_id = 'r1' ORDER BY item_id"
    )
    assert drill.height == 2 and drill["evidence"][0][0]["passage_id"] == "p1"
    assert drill["judge_verdicts"][0][0]["judge_model"] == "baseline/semantic-judge"
    agree = warehouse.read("SELECT * FROM judge_agreement ORDER BY tier")
    assert agree["flagged"].all() and agree["expert_concordance"][0] == 0.64
    assert warehouse.read("SELECT calls_failed FROM cost_by_model_stage").item() == 1
    stats = warehouse.read("SELECT * FROM rubric_statistics WHERE tier = 'Essential'")
    assert stats["share_supported"].item() == 1.0
    # Every ```sql block in docs/marts.md runs against this warehouse.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "marts.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```sql\n")[1:]]
    assert len(blocks) >= 9
    for sql in blocks:
        warehouse.read(sql)


def test_dimension_frame_uses_the_scoring_bootstrap():
    """The mart's interval is the scoring bootstrap; a dimension's NULLs are left out."""
    values = [0.2, 0.9, None, 0.6, 0.4, 1.0, 0.7]
    coverage_dim = [0.5, 0.1, 0.8, 0.3, 0.9, 0.6, 0.2]
    scores = pl.DataFrame(
        {
            "query_id": [f"q{i}" for i in range(7)],
            "category": ["A", "B"] * 3 + ["A"],
            "candidate_model": ["m"] * 7,
            "is_baseline": [False] * 7,
            "coverage": [1.0] * 6 + [0.5],
            "medical_accuracy": values,
            "key_point_coverage": coverage_dim,
            "risk_interception": [None] * 7,
            **{c: ["v"] * 7 for c in VERSION_COLUMNS},
        }
    )
    out = dimension_frame(scores, seed=3)
    assert out.height == 3 * 3  # (all, A, B) x three dimensions
    assert out.equals(dimension_frame(scores, seed=3))  # seeded
    every = pl.col("category") == "all"
    kpc = out.filter(every & (pl.col("dimension") == "key_point_coverage"))
    assert kpc.select("score", "ci_low", "ci_high").row(0) == bootstrap_ci(coverage_dim, seed=3)
    row = out.filter(every & (pl.col("dimension") == "medical_accuracy"))
    score, lo, hi = row.select("score", "ci_low", "ci_high").row(0)
    assert score == pytest.approx(sum(v for v in values if v is not None) / 6)
    assert 0.2 <= lo < score < hi <= 1.0
    assert row.select("n_queries", "n_scored").row(0) == (7, 6)
    assert row["coverage"].item() == pytest.approx(6.5 / 7)
    risk = out.filter(pl.col("dimension") == "risk_interception")
    assert risk["score"].null_count() == 3 and (risk["n_scored"] == 0).all()
    cat_a = out.filter((pl.col("category") == "A") & (pl.col("dimension") == "medical_accuracy"))
    assert cat_a["score"].item() == pytest.approx((0.2 + 0.4 + 0.7) / 3)  # q2 is NULL
    assert dimension_frame(scores.head(0)).is_empty()


def test_required_tables_header():
    assert "judge_verdicts" in required_tables(load_sql("mart_query_drilldown"))


def test_healthbench_export(warehouse, tmp_path):
    import json

    from quarkmed_dagster.marts.export import export_healthbench

    with warehouse.writer() as con:
        con.execute(SEED)
    out = tmp_path / "hb.jsonl"
    assert export_healthbench(warehouse, out) == 2
    first = json.loads(out.read_text().split("\n")[0])
    assert first["prompt"] == [{"role": "user", "content": "Can I take ibuprofen on warfarin?"}]
    points = {r["criterion"]: r["points"] for r in first["rubrics"]}
    assert points == {"Warns about bleeding risk": 3.0, "Recommends ibuprofen freely": -3.0}
    assert "rubric_set:rs1" in first["example_tags"] and "corpus:c1" in first["example_tags"]


def test_parquet_export_writes_every_mart(warehouse, tmp_path):
    """leaderboard_dimensions and healthbench_scores were missing from the export."""
    from quarkmed_dagster.marts.export import export_parquet
    from quarkmed_dagster.marts.views import create_marts

    created = create_marts(warehouse)
    names = {p.stem for p in export_parquet(warehouse, tmp_path / "pq")}
    assert {"leaderboard_dimensions", "healthbench_scores", "model_evaluations"} <= names
    assert set(created) <= names  # every analyst mart view
