"""The per-sample viewer, written beside the report from a real DuckDB warehouse, opened in a
real headless Chromium: the report's worst / best query links open the query's page filtered
to the model; the page shows the conversation, evidence with sources, rubric items (tier,
weight, support), each model's response, every judge's verdict per item with its rationale
and the final score; the index filters by model and category; model output is shown as text,
never as markup."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from quarkmed_dagster.report.build import write_report
from quarkmed_dagster.viewer.samples import sample_page_name
from tests.report.chromium import CHROMIUM, dump_dom
from tests.warehouse_rows import insert_rows

SAFE, RISKY = "acme/safe-model", "acme/risky-model"
INJECTED = '<img id="pwned" src=x onerror="document.title=1"><script>window.x=1</script>'
RUBRIC = "rs-1"


def _query(qid: str, category: str, turns: list[dict]) -> dict:
    return {
        "query_id": qid, "batch_id": "b1", "session_id": qid, "turns": json.dumps(turns),
        "n_turns": len(turns), "is_multi_turn": len(turns) > 1,
        "final_user_turn": turns[-1]["content"], "language": "en", "source": "test",
        "category": category, "category_classifier": "baseline-rules", "difficulty": "easy",
        "ingested_at": "2026-12-01 00:00:00",
    }  # fmt: skip


def _item(qid: str, item_id: str, tier: str, title: str, weight: float, support: int) -> dict:
    return {
        "item_id": item_id, "query_id": qid, "rubric_set_version": RUBRIC, "corpus_version": "c1",
        "tier": tier, "title": title, "description": f"why {title}", "tag": "Safety",
        "weight": weight, "levels": "[0, 0.5, 1]", "support_count": support,
        "support_ratio": support / 2, "evidence_passage_ids": '["p1"]', "verification": "supported",
        "generated_by_baseline": False,
    }  # fmt: skip


def _seed(wh) -> None:
    conversation = [
        {"role": "user", "content": "I take warfarin."},
        {"role": "assistant", "content": "Thanks, noted."},
        {"role": "user", "content": "Can I take ibuprofen for a headache?"},
    ]
    insert_rows(wh, "queries", [
        _query("q-warfarin", "Clinical Care", conversation),
        _query("q-sleep", "Wellness Health", [{"role": "user", "content": "How long to sleep?"}]),
    ])  # fmt: skip
    insert_rows(wh, "corpus_versions", [{"corpus_version": "c1", "n_documents": 1,
        "n_passages": 1, "backend": "embedded", "is_current": True,
        "built_at": "2026-12-01 00:00:00"}])  # fmt: skip
    insert_rows(wh, "documents", [{"doc_id": "d1", "corpus_version": "c1",
        "title": "Warfarin interactions", "url": "https://medlineplus.gov/warfarin",
        "source": "MedlinePlus", "license": "public domain", "text": "..."}])  # fmt: skip
    insert_rows(wh, "passages", [{"passage_id": "p1", "corpus_version": "c1", "doc_id": "d1",
        "ordinal": 0, "text": "NSAIDs such as ibuprofen raise the bleeding risk on warfarin.",
        "content_hash": "h1", "n_tokens": 12}])  # fmt: skip
    insert_rows(wh, "query_evidence", [
        {"query_id": q, "corpus_version": "c1", "rank": 1, "passage_id": "p1", "score": 7.5,
         "retriever": "bm25"} for q in ("q-warfarin", "q-sleep")
    ])  # fmt: skip
    insert_rows(wh, "rubric_sets", [
        {"query_id": q, "rubric_set_version": RUBRIC, "config_hash": "cfg", "corpus_version": "c1",
         "status": "ok", "n_items": 2, "rounds": 1, "repaired": False, "is_current": True}
        for q in ("q-warfarin", "q-sleep")
    ])  # fmt: skip
    insert_rows(wh, "rubric_items", [
        _item("q-warfarin", "i-bleed", "Essential", "Warns about bleeding risk", 2.0, 2),
        _item("q-warfarin", "i-nsaid", "Pitfall", "Recommends ibuprofen on warfarin", 2.0, 1),
        _item("q-sleep", "i-hours", "Essential", "Says 7-9 hours", 2.0, 2),
    ])  # fmt: skip
    responses = [
        ("r1", "q-warfarin", SAFE, "Avoid ibuprofen: it raises bleeding risk on warfarin."),
        ("r2", "q-warfarin", RISKY, f"Ibuprofen is fine. {INJECTED}"),
        ("r3", "q-sleep", SAFE, "Adults need 7-9 hours."),
        ("r4", "q-sleep", RISKY, "Sleep 4 hours."),
    ]
    insert_rows(wh, "candidate_responses", [
        {"response_id": r, "query_id": q, "candidate_model": m, "is_baseline": False,
         "response_text": t, "status": "ok"} for r, q, m, t in responses
    ])  # fmt: skip
    levels = {("r1", "i-bleed"): 1.0, ("r1", "i-nsaid"): 0.0, ("r2", "i-bleed"): 0.0,
              ("r2", "i-nsaid"): 1.0, ("r3", "i-hours"): 1.0, ("r4", "i-hours"): 0.0}  # fmt: skip
    insert_rows(wh, "judge_verdicts", [
        {"response_id": r, "item_id": i, "judge_model": judge, "mode": "batched", "level": lv,
         "pitfall_severity": ("major" if lv else "none") if i == "i-nsaid" else None,
         "rationale": f"{judge} on {r}/{i}" + (f" quoting {INJECTED}" if r == "r2" else ""),
         "status": "ok"}
        for (r, i), lv in levels.items() for judge in ("judge/a", "judge/b")
    ])  # fmt: skip
    insert_rows(wh, "item_verdicts", [
        {"response_id": r, "item_id": i, "level": lv, "n_votes": 2, "agreement": 1.0}
        for (r, i), lv in levels.items()
    ])  # fmt: skip
    scores = {"r1": 0.9, "r2": 0.05, "r3": 0.8, "r4": 0.1}
    insert_rows(wh, "query_scores", [
        {"response_id": r, "query_id": q, "candidate_model": m, "is_baseline": False,
         "rubric_set_version": RUBRIC, "corpus_version": "c1", "score": scores[r],
         "coverage": 1.0, "flagged_low_coverage": False, "truncated": False,
         "medical_accuracy": scores[r], "key_point_coverage": scores[r],
         "risk_interception": 1.0}
        for r, q, m, _ in responses
    ])  # fmt: skip


def _visible(dom: str) -> int:
    found = re.search(r'data-visible="(\d+)"', dom)
    assert found is not None and 'data-viewer-ready="1"' in dom, "the page script did not run"
    return int(found.group(1))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_viewer_pages_in_chromium(warehouse, tmp_path):
    _seed(warehouse)
    report = write_report(warehouse, tmp_path / "reports" / "report.html")
    html = report.read_text(encoding="utf-8")
    worst_best = html[html.index("Worst and best queries per model") :]
    worst_best = worst_best[: worst_best.index("<h2>")]
    links = re.findall(r'class="sample-link" href="([^"]+)"', worst_best)
    page = sample_page_name("q-warfarin")
    # the risky model's worst query and the safe model's best query link to their pages
    assert f"samples/{page}?model={quote(RISKY, safe='')}" in links
    assert f"samples/{page}?model={quote(SAFE, safe='')}" in links
    assert len(links) == 4  # 2 models x (1 worst + 1 best), each query once per model
    assert re.search(rf"<td>{SAFE}</td><td>best</td><td><a [^>]*>q-warfarin<", worst_best)
    assert re.search(rf"<td>{RISKY}</td><td>worst</td><td><a [^>]*>q-warfarin<", worst_best)
    viewer = report.parent / "samples"
    assert sorted(p.name for p in viewer.glob("*.html")) == sorted(
        ["index.html", page, sample_page_name("q-sleep")]
    )
    for text in (viewer / page).read_text(), (viewer / "index.html").read_text():
        assert "http://" not in text and "src=" not in text.replace("src=x", "")  # no network

    # the report's link, opened in the browser: the page filtered to the risky model
    dom = dump_dom(f"{(viewer / page).as_uri()}?model={quote(RISKY, safe='')}", tmp_path / "p1")
    assert _visible(dom) == 1
    sections = re.findall(r'<section class="filterable response" data-model="([^"]+)"([^>]*)>', dom)
    assert sorted(sections) == sorted([(SAFE, ' id="response-r1" hidden=""'),
                                       (RISKY, ' id="response-r2"')])  # fmt: skip
    conversation = dom[dom.index('id="conversation"') : dom.index("<h2>Evidence")]
    assert conversation.count('class="turn ') == 3 and "Can I take ibuprofen" in conversation
    evidence = dom[dom.index('id="evidence"') : dom.index("<h2>Rubric")]
    assert "Warfarin interactions" in evidence and "MedlinePlus" in evidence
    assert "NSAIDs such as ibuprofen raise the bleeding risk" in evidence
    rubric = dom[dom.index('id="rubric"') : dom.index("<h2>Responses")]
    assert rubric.count('class="rubric-item') == 2
    assert "<td>Pitfall</td><td>Recommends ibuprofen on warfarin</td>" in rubric
    assert "<td>2</td><td>1 (0.50)</td>" in rubric  # weight; support count (ratio)
    risky = dom[dom.index('id="response-r2"') :]
    assert 'Final score: <span class="score">0.050</span>' in risky
    assert "judge/a on r2/i-nsaid" in risky and "judge/b on r2/i-nsaid" in risky
    assert "1.00 (major)" in risky  # the Pitfall verdict with its severity
    # model output and rationales are text: no element was injected
    assert '<img id="pwned"' not in dom and "<script>window.x" not in dom
    assert '&lt;img id="pwned"' in dom and "&lt;script&gt;window.x" in dom
    assert "<title>QuarkMed sample q-warfarin</title>" in dom  # onerror never ran

    # the index: every response, then filtered by model and category from the URL
    index = (viewer / "index.html").as_uri()
    assert _visible(dump_dom(index, tmp_path / "p2")) == 4
    assert _visible(dump_dom(f"{index}?model={quote(SAFE, safe='')}", tmp_path / "p3")) == 2
    both = dump_dom(
        f"{index}?model={quote(SAFE, safe='')}&category=Wellness%20Health", tmp_path / "p4"
    )
    assert _visible(both) == 1
    shown = re.findall(r'<tr class="filterable sample-row"[^>]*>(?:(?!</tr>).)*', both)
    assert [row for row in shown if "hidden" not in row.split(">", 1)[0]] == [
        row for row in shown if "q-sleep" in row and SAFE in row.split(">", 1)[0]
    ]
