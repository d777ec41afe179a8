"""The analyst and audit CLI on a copy of a real main-job warehouse (the session's `main_job`):
a blinded sample stratified by category x tier x model, clinician labels imported into the
concordance table (per tier, category, model and judge), the K-QA concordance with its
progress bar, the exports and the report."""

from __future__ import annotations

import json
import shutil

import duckdb
import polars as pl

from tests.integration.main_job import run_quarkmed


def test_audit_and_export_commands_on_a_real_warehouse(main_job, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(main_job.home, home, ignore=shutil.ignore_patterns("dagster"))
    env = {**main_job.env, "QUARKMED_DATA_HOME": str(home)}

    def cli(*args: str) -> str:
        done = run_quarkmed(env, *args)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout + done.stderr

    out = cli("audit-sample", "--per-stratum", "1", "--out-dir", str(tmp_path / "audit"))
    clinician = (tmp_path / "audit" / "audit_sample.csv").read_text("utf-8")
    sample = pl.read_csv(tmp_path / "audit" / "audit_sample.csv", infer_schema_length=0)
    key = pl.read_csv(tmp_path / "audit" / "audit_sample.key.csv", infer_schema_length=0)
    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        strata, models = con.execute(
            "SELECT count(DISTINCT (q.category, i.tier, r.candidate_model)), "
            "list(DISTINCT r.candidate_model) "
            "FROM candidate_responses AS r JOIN queries AS q USING (query_id) "
            "JOIN current_rubric_items AS i USING (query_id)"
        ).fetchone()
    assert sample.height == strata and f"{strata} strata" in out  # one row per stratum
    assert "baseline/" not in clinician and "panel_level" not in clinician  # blinded
    assert set(key["sample_id"]) == set(sample["sample_id"])
    assert set(key["candidate_model"]) == set(models)  # the key unblinds every model

    # a clinician agrees with the panel except on Pitfall items, where they mark no error
    labels = sample.join(key.select("sample_id", "panel_level"), on="sample_id").with_columns(
        pl.when(pl.col("tier") == "Pitfall")
        .then(pl.lit("0"))
        .otherwise(pl.col("panel_level"))
        .alias("expert_level")
    )
    labels.drop("panel_level").write_csv(tmp_path / "labels.csv")
    cli(
        "audit-import",
        str(tmp_path / "labels.csv"),
        str(tmp_path / "audit" / "audit_sample.key.csv"),
    )
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT judge_model, is_baseline, group_by, group_value, n, concordance "
            "FROM judge_concordance WHERE audit_set = 'clinician_audit'"
        ).pl()
    assert {"all", "tier", "category", "candidate_model"} == set(stored["group_by"])
    panel = stored.filter(pl.col("judge_model") == "panel")
    assert panel["is_baseline"].all()  # the offline judges' panel is a baseline
    by_tier = dict(
        panel.filter(pl.col("group_by") == "tier").select("group_value", "concordance").rows()
    )
    pitfall_agree = (
        labels.filter(pl.col("tier") == "Pitfall")["panel_level"].cast(pl.Float64) == 0
    ).mean()
    assert by_tier["Pitfall"] == pitfall_agree and by_tier["Essential"] == 1.0

    out = cli("concordance", "--limit", "20")
    assert "K-QA statements judged" in out and "20/20" in out
    assert "kqa_nli_binary" in out

    cli("export", "--format", "parquet", "--out", str(tmp_path / "pq"))
    assert pl.read_parquet(tmp_path / "pq" / "query_scores.parquet").height > 0
    out = cli("export", "--format", "healthbench", "--out", str(tmp_path / "hb.jsonl"))
    examples = [json.loads(line) for line in (tmp_path / "hb.jsonl").read_text().splitlines()]
    assert examples and all(e["rubrics"] for e in examples)
    cli("report", "--out", str(tmp_path / "report.html"))
    assert "clinician_audit" in (tmp_path / "report.html").read_text("utf-8")
