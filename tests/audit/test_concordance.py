"""Concordance metrics, the real K-QA run with the offline judge, and the audit round trip."""

from __future__ import annotations

import json

import polars as pl
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from quarkmed_dagster.audit.kqa import flagged_judges, load_kqa, panel_label, physician_reference
from quarkmed_dagster.audit.metrics import concordance_stats, concordance_table
from quarkmed_dagster.audit.runner import run_kqa_concordance, store_concordance
from quarkmed_dagster.audit.sampling import (
    audit_concordance,
    read_labels,
    stratified_sample,
    write_sample,
)
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply, local_profile
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.settings import PROJECT_ROOT

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


def test_concordance_stats_known_values():
    expert = ["met", "met", "not_met", "not_met", "met", "not_met"]
    judge = ["met", "not_met", "not_met", "not_met", "met", None]
    s = concordance_stats(expert, judge)
    assert s["n"] == 5 and s["n_missing"] == 1
    assert s["concordance"] == pytest.approx(4 / 5)
    assert s["kappa"] == pytest.approx(cohen_kappa_score(expert[:5], judge[:5]))
    # macro F1: met (P=1, R=2/3 -> 0.8), not_met (P=2/3, R=1 -> 0.8)
    assert s["balanced_f1"] == pytest.approx(0.8)
    assert concordance_stats(["met"], [None])["concordance"] is None


def test_concordance_table_flags_below_threshold():
    frame = pl.DataFrame(
        {
            "judge_model": ["good"] * 4 + ["bad"] * 4,
            "tier": ["Essential", "Essential", "Pitfall", "Pitfall"] * 2,
            "expert_label": ["a", "b", "a", "b"] * 2,
            "judge_label": ["a", "b", "a", "b", "b", "a", "a", "a"],
        }
    )
    table = concordance_table(frame, "t", ["tier"], threshold=0.7)
    overall = {
        r["judge_model"]: r for r in table.filter(pl.col("group_by") == "all").iter_rows(named=True)
    }
    assert overall["good"]["concordance"] == 1.0 and not overall["good"]["flagged"]
    assert overall["bad"]["concordance"] == 0.25 and overall["bad"]["flagged"]
    assert set(table.filter(pl.col("group_by") == "tier")["group_value"]) == {
        "Essential",
        "Pitfall",
    }


def test_kqa_bundle_and_physician_reference():
    frame = load_kqa(SAMPLE_DIR / "audit" / "NLI_medical_annotator.csv")
    assert frame.height == 399
    assert set(frame["tier"]) == {"Essential", "Important"}
    ref = physician_reference(frame, 0.7).filter(pl.col("group_by") == "all")
    assert ref.height == 3 and (ref["concordance"] > 0.85).all()


def _kqa_folder(target, rows: int):
    """A sample folder whose K-QA annotator file is the bundled one's first ``rows`` rows."""
    (target / "audit").mkdir(parents=True)
    frame = pl.read_csv(SAMPLE_DIR / "audit" / "NLI_medical_annotator.csv", infer_schema_length=0)
    frame.head(rows).write_csv(target / "audit" / "NLI_medical_annotator.csv")
    assert load_kqa(target / "audit" / "NLI_medical_annotator.csv").height == rows
    return target


def test_kqa_concordance_with_offline_judge_is_stored(warehouse, tmp_path):
    profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
    gateway = LiteLLMGateway(profile, "kqa-test", CallCache(tmp_path / "c.sqlite"), warehouse)
    folder = _kqa_folder(tmp_path / "sample", 60)
    out = run_kqa_concordance(warehouse, gateway, folder, ["baseline/semantic-judge"], 0.7)
    stored = warehouse.read(
        "SELECT * FROM judge_concordance WHERE audit_set = 'kqa_nli_binary' AND group_by = 'all'"
    )
    assert stored.height == 1 and stored["n"].item() + stored["n_missing"].item() == 60
    assert stored["is_baseline"].item() and stored["prompt_version"].item().startswith(
        "judge_response@"
    )
    assert 0.0 <= stored["concordance"].item() <= 1.0
    assert set(out["audit_set"]) == {"kqa_nli_binary", "kqa_nli_3way", "kqa_nli_binary_physicians"}
    # Rerun replaces, never duplicates.
    run_kqa_concordance(warehouse, gateway, folder, ["baseline/semantic-judge"], 0.7)
    assert warehouse.count("concordance") == out.height


def test_a_limited_kqa_run_never_replaces_the_full_concordance(warehouse, tmp_path):
    """`quarkmed concordance --limit N` once overwrote the stored full K-QA concordance with
    the N-row one. Now it is returned (printed) and stored only on request, under audit sets
    labelled '<set>@first<N>', which the judges' flags and the marts leave out."""
    profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
    gateway = LiteLLMGateway(profile, "kqa-test", CallCache(tmp_path / "c.sqlite"), warehouse)
    folder = _kqa_folder(tmp_path / "sample", 40)
    judge = ["baseline/semantic-judge"]
    full = run_kqa_concordance(warehouse, gateway, folder, judge, 0.7)
    query = "SELECT audit_set, judge_model, group_by, group_value, n, concordance FROM concordance"
    stored = warehouse.read(query).sort(pl.all())
    limited = run_kqa_concordance(warehouse, gateway, folder, judge, 0.7, limit=15)
    assert set(limited["audit_set"]) == {
        "kqa_nli_binary@first15", "kqa_nli_3way@first15", "kqa_nli_binary_physicians@first15"
    }  # fmt: skip
    overall = limited.filter((pl.col("group_by") == "all") & (pl.col("judge_model") == judge[0]))
    assert (overall["n"] + overall["n_missing"]).to_list() == [15, 15]
    assert warehouse.read(query).sort(pl.all()).equals(stored)  # printed only
    run_kqa_concordance(warehouse, gateway, folder, judge, 0.7, limit=15, store_limited=True)
    after = warehouse.read(query)
    assert after.filter(~pl.col("audit_set").str.contains("@first")).sort(pl.all()).equals(stored)
    assert after.height == full.height + limited.height
    # the limit at or above the file's rows is the full run: it replaces the full rows
    run_kqa_concordance(warehouse, gateway, folder, judge, 0.7, limit=40)
    assert warehouse.count("concordance") == full.height + limited.height


def _scored_frame() -> pl.DataFrame:
    rows = []
    for model in ("baseline/reference-candidate", "baseline/unsafe-candidate"):
        for cat in ("Clinical Care", "Wellness Health"):
            for tier in ("Essential", "Pitfall"):
                for k in range(4):
                    level = "1" if tier == "Essential" else "none"
                    rows.append(
                        {
                            "response_id": f"{model}-{cat}-{k}",
                            "item_id": f"{tier}-{k}",
                            "query_id": f"{cat}-{k}",
                            "category": cat,
                            "tier": tier,
                            "candidate_model": model,
                            "query_text": "q?",
                            "response_text": "r.",
                            "item_title": "t",
                            "levels": "{}",
                            "panel_level": level,
                            "judge_levels": json.dumps({"baseline/semantic-judge": level}),
                        }
                    )
    return pl.DataFrame(rows)


def test_blinded_sample_round_trip(warehouse, tmp_path):
    sample = stratified_sample(_scored_frame(), per_stratum=2, seed=1)
    assert sample.height == 2 * 2 * 2 * 2
    assert sample.group_by("category", "tier", "candidate_model").len()["len"].to_list() == [2] * 8
    paths = write_sample(sample, tmp_path, "audit")
    clinician = paths["csv"].read_text()
    assert "candidate" not in clinician and "semantic-judge" not in clinician
    assert clinician.startswith("sample_id,category,tier,history,query_text,")
    # A clinician agrees on Essential items and disagrees on Pitfall items (XLSX round trip).
    from openpyxl import load_workbook

    wb = load_workbook(paths["xlsx"])
    ws = wb.active
    header = [c.value for c in ws[1]]
    tier_col, level_col = header.index("tier") + 1, header.index("expert_level") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, level_col, 1 if ws.cell(r, tier_col).value == "Essential" else "major")
    wb.save(paths["xlsx"])
    key = pl.read_csv(paths["key"], infer_schema_length=0)
    table = audit_concordance(read_labels(paths["xlsx"]), key, "clinic", 0.7)
    overall = table.filter((pl.col("group_by") == "all") & (pl.col("judge_model") == "panel"))
    assert overall["concordance"].item() == 0.5 and overall["flagged"].item()
    assert overall["is_baseline"].item()  # a panel of baseline judges is a baseline
    assert set(table["group_by"]) == {"all", "tier", "category", "candidate_model"}
    per_tier = table.filter((pl.col("group_by") == "tier") & (pl.col("judge_model") == "panel"))
    assert dict(per_tier.select("group_value", "concordance").iter_rows()) == {
        "Essential": 1.0,
        "Pitfall": 0.0,
    }
    store_concordance(warehouse, table, ["clinic"])
    assert warehouse.count("concordance") == table.height


def test_cli_report_and_exports(tmp_path, monkeypatch):
    from quarkmed_dagster import settings as settings_module
    from quarkmed_dagster.cli import main

    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path))
    settings_module.get_settings.cache_clear()
    try:
        runner = CliRunner()
        res = runner.invoke(main, ["report", "--out", str(tmp_path / "r.html")])
        assert res.exit_code == 0, res.output
        assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
        res = runner.invoke(main, ["export", "--format", "parquet", "--out", str(tmp_path / "pq")])
        assert res.exit_code == 0, res.output
        assert (tmp_path / "pq" / "concordance.parquet").exists()
        res = runner.invoke(
            main, ["export", "--format", "healthbench", "--out", str(tmp_path / "hb.jsonl")]
        )
        assert res.exit_code == 0 and "0 HealthBench-format" in res.output
        res = runner.invoke(main, ["audit-sample"])
        assert res.exit_code != 0 and "run `quarkmed run` first" in res.output
    finally:
        settings_module.get_settings.cache_clear()


def test_physician_reference_is_leave_one_out():
    """Each physician is compared with the other two, never with a majority they are in."""
    frame = pl.DataFrame(
        {
            "tier": ["Essential", "Essential"],
            "label_0": ["Entailment", "Neutral"],
            "label_1": ["Entailment", "Neutral"],
            "label_2": ["Neutral", "Contradiction"],
            "majority_label": ["Entailment", "Neutral"],
        }
    )
    ref = physician_reference(frame, 0.7).filter(pl.col("group_by") == "all")
    rows = {r["judge_model"]: r for r in ref.iter_rows(named=True)}
    # statement 1: the others of physician_0 split (Entailment / Neutral): no majority there;
    # statement 2: Neutral and Contradiction are both "not met", so the others agree
    assert (rows["physician_0"]["n"], rows["physician_0"]["n_missing"]) == (1, 1)
    assert rows["physician_0"]["concordance"] == 1.0
    assert (rows["physician_2"]["n"], rows["physician_2"]["concordance"]) == (2, 0.5)


def test_panel_label_majority_and_tie_rule():
    assert panel_label(["Entailment", "Neutral", "Entailment"]) == "Entailment"
    assert panel_label(["Entailment", "Neutral", None]) == "Neutral"  # tie: less credit
    assert panel_label(["met", "not_met"]) == "not_met"
    assert panel_label([None, None]) is None


def _verdict(support: object, contradiction: str) -> Reply:
    verdicts = [
        {"item_id": "support", "level": support},
        {"item_id": "contradiction", "level": contradiction},
    ]
    return Reply(text=json.dumps({"verdicts": verdicts}))


def _three_judges(request: dict, attempt: int) -> Reply:
    """judge-a: always fully met; judge-b: never met; judge-c: met on claims of even length,
    a failed call (HTTP 500, missing label) otherwise."""
    claim = extract_payload(request["messages"][-1]["content"])["items"][0]["title"]
    if request["model"].endswith("judge-a"):
        return _verdict(1, "none")
    if request["model"].endswith("judge-b"):
        return _verdict(0, "none")
    return _verdict(1, "none") if len(claim) % 2 == 0 else Reply(status=500)


def test_kqa_concordance_of_a_judge_panel(warehouse, tmp_path, monkeypatch):
    """With several judges the K-QA concordance grades their majority vote as judge 'panel'
    (a failed call does not vote; a tie gives less credit), so a panel can be gated."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    judges = ["openai/judge-a", "openai/judge-b", "openai/judge-c"]
    with LocalLLMServer(_three_judges) as server:
        gateway = LiteLLMGateway(
            local_profile(server.url), "kqa-panel", CallCache(tmp_path / "c.sqlite"), warehouse
        )
        out = run_kqa_concordance(
            warehouse, gateway, SAMPLE_DIR, judges, 0.7, limit=40, store_limited=True
        )
    frame = load_kqa(SAMPLE_DIR / "audit" / "NLI_medical_annotator.csv").head(40)
    # judge-c met -> 2 of 3 say met; judge-c failed -> a 1:1 tie -> not met
    expected = ["met" if len(c) % 2 == 0 else "not_met" for c in frame["claim"]]
    expert = ["met" if m == "Entailment" else "not_met" for m in frame["majority_label"]]
    panel = out.filter(
        (pl.col("audit_set") == "kqa_nli_binary@first40")
        & (pl.col("judge_model") == "panel")
        & (pl.col("group_by") == "all")
    )
    assert panel.height == 1 and (panel["n"].item(), panel["n_missing"].item()) == (40, 0)
    assert panel["concordance"].item() == pytest.approx(
        sum(e == p for e, p in zip(expert, expected, strict=True)) / 40
    )
    assert not panel["is_baseline"].item()  # its judges are not offline baselines
    judge_c = out.filter(
        (pl.col("audit_set") == "kqa_nli_binary@first40")
        & (pl.col("judge_model") == "openai/judge-c")
        & (pl.col("group_by") == "all")
    )
    assert judge_c["n_missing"].item() == expected.count("not_met")  # failed, not a verdict
    stored = warehouse.read(
        "SELECT DISTINCT audit_set FROM concordance WHERE judge_model = 'panel' ORDER BY 1"
    )
    assert stored["audit_set"].to_list() == ["kqa_nli_3way@first40", "kqa_nli_binary@first40"]
    overall = out.filter(pl.col("group_by") == "all")
    judged = overall.filter(pl.col("audit_set") != "kqa_nli_binary_physicians@first40")
    assert flagged_judges(out) == sorted(set(judged.filter(pl.col("flagged"))["judge_model"]))


def test_flagged_judges_leave_the_physician_reference_out():
    """The asset's flagged-panel count once counted flagged physician reference rows."""
    rows = pl.DataFrame(
        {
            "audit_set": ["kqa_nli_binary", "kqa_nli_3way", "kqa_nli_binary_physicians"] * 2,
            "judge_model": ["j", "j", "physician_0", "panel", "panel", "physician_1"],
            "group_by": ["all", "tier", "all", "all", "all", "all"],
            "flagged": [False, True, True, True, False, True],
        }
    )
    assert flagged_judges(rows) == ["panel"]  # j is flagged on a tier only
