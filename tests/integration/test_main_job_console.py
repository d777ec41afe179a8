"""What the main job prints (the session's `main_job` fixture: `quarkmed run` in a
subprocess on a slice with one broken K-QA line): progress through each Dagster run (steps
done / total, a line per finished stage with its rows, a summary per run), how many rows
were quarantined and why, and what to do next; the per-sample viewer written beside the
report has a page for every query with a current rubric, and the report's links open them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import duckdb


def test_console_shows_progress_quarantine_and_next_steps(main_job):
    out, err = main_job.first.stdout, main_job.first.stderr
    assert re.search(r"^ingest_job \S+: done, 3/3 steps, \d+ rows written", err, re.M), err
    steps = re.findall(r"^  \[(\d+)/(\d+)\] (\w+): done", err, re.M)
    names = [name for _, _, name in steps]
    assert {"candidate_responses", "judge_panel", "query_scores", "html_report"} <= set(names)
    done = [int(k) for k, _, _ in steps]
    assert done == sorted(done) and len({total for _, total, _ in steps}) == 1
    total = int(steps[0][1])
    assert re.search(rf"^benchmark_job: done, {total}/{total} steps, \d+ rows written", err, re.M)
    assert "Traceback" not in err and "DEBUG" not in err  # no Dagster event noise
    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        (n, reason), *_ = con.execute(
            "SELECT count(*), any_value(reason) FROM quarantine GROUP BY stage"
        ).fetchall()
    assert n >= 1  # the broken K-QA line
    assert f"Quarantine: {n} imported row(s) set aside" in out and reason in out
    tail = out[out.index("\nNext:") :]
    assert "quarkmed eval --model" in tail and "bash scripts/ui.sh" in tail
    report = main_job.home / "reports" / "report.html"
    assert report.resolve().as_uri() in tail
    assert (report.parent / "samples" / "index.html").resolve().as_uri() in tail


def test_viewer_pages_for_every_rubric_query_and_report_links_resolve(main_job):
    reports = main_job.home / "reports"
    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        found = con.execute("SELECT DISTINCT query_id FROM current_rubric_items").fetchall()
        queries = {q for (q,) in found}
        responses = con.execute(
            "SELECT count(*) FROM candidate_responses WHERE query_id IN "
            "(SELECT query_id FROM current_rubric_items)"
        ).fetchone()[0]
    pages = {p.stem for p in (reports / "samples").glob("*.html")} - {"index"}
    assert pages == queries  # ids are file-safe hashes: a page per query, named by its id
    index = (reports / "samples" / "index.html").read_text(encoding="utf-8")
    assert index.count('class="filterable sample-row"') == responses
    html = (reports / "report.html").read_text(encoding="utf-8")
    links = re.findall(r'class="sample-link" href="([^"]+)"', html)
    assert links and all((reports / urlsplit(link).path).is_file() for link in links)


def test_pipeline_runs_records_what_each_run_wrote(main_job):
    runs = re.search(r"^Dagster runs: (.+) \(DAGSTER_HOME", main_job.first.stdout, re.M)
    assert runs is not None
    run_ids = runs.group(1).split(", ")
    with duckdb.connect(str(main_job.warehouse), read_only=True) as con:
        recorded = dict(con.execute(
            "SELECT run_id, count(*) FROM pipeline_runs WHERE code_version IS NOT NULL "
            "GROUP BY run_id"
        ).fetchall())  # fmt: skip
        scores = con.execute(
            "SELECT rows_written FROM pipeline_runs WHERE asset_key = 'query_scores' "
            "AND run_id = ?",
            [run_ids[-1]],
        ).fetchone()
        n_scores = con.execute("SELECT count(*) FROM query_scores").fetchone()[0]
    assert set(run_ids) <= set(recorded)  # every run of this main job, every asset versioned
    assert scores is not None and scores[0] == n_scores
