"""`quarkmed run` on a sample folder of one's own: queries and a corpus only, no K-QA
annotator file, no reference answers. The steps that need those optional inputs record
"skipped: <reason>" (metadata, table skipped_steps, report) and everything else builds:
leaderboard, marts and report always come out. (On the old code the run ended with
`FAILED steps: kqa_judge_concordance, reward_normalization` and no marts or report.)"""

from __future__ import annotations

import json
import os

import duckdb

from tests.integration.main_job import run_quarkmed

QUERIES = [
    {"id": "own-1", "question": "Can I take ibuprofen for a tension headache?"},
    {"id": "own-2", "question": "How much water should an adult drink each day?"},
]
DOCUMENTS = [
    {
        "title": "Ibuprofen",
        "text": (
            "Ibuprofen is a nonsteroidal anti-inflammatory drug used for pain such as "
            "tension headache. Adults usually take 200 to 400 mg every 4 to 6 hours with "
            "food. Do not exceed 1200 mg a day without a doctor. People with stomach ulcers "
            "or kidney disease should avoid it."
        ),
    },
    {
        "title": "Water intake",
        "text": (
            "Most healthy adults need about 2 to 3 litres of fluid a day. Needs rise with "
            "heat, exercise and illness. Thirst and pale urine are good guides. People with "
            "heart or kidney failure may need to limit fluids as their doctor advises."
        ),
    },
    {
        "title": "Headache",
        "text": (
            "Tension headaches cause a band-like pressure around the head. Rest, fluids and "
            "simple painkillers such as paracetamol or ibuprofen usually help. See a doctor "
            "for a sudden severe headache or a headache with fever and stiff neck."
        ),
    },
]


def _jsonl(path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")


def test_a_sample_folder_of_ones_own_builds_everything_and_says_what_it_skipped(tmp_path):
    sample, home = tmp_path / "sample", tmp_path / "home"
    _jsonl(sample / "queries" / "my_queries.jsonl", QUERIES)
    _jsonl(sample / "corpus" / "my_documents.jsonl", DOCUMENTS)
    env = {
        **os.environ,
        "QUARKMED_DATA_HOME": str(home),
        "QUARKMED_SAMPLE_DATA_DIR": str(sample),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    env.pop("QUARKMED_ES_URL", None)
    done = run_quarkmed(env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "FAILED steps" not in done.stderr
    assert "LEADERBOARD" in done.stdout and "baseline/reference-candidate" in done.stdout

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        skips = dict(con.execute("SELECT asset_key, reason FROM skipped_steps").fetchall())
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        statuses = con.execute("SELECT DISTINCT status FROM candidate_responses").fetchall()
        leaderboard = con.execute("SELECT count(*) FROM leaderboard").fetchone()[0]
    assert set(skips) == {"kqa_judge_concordance", "reward_normalization", "reward_vectors"}
    assert skips["kqa_judge_concordance"].startswith("skipped: K-QA annotator file not found")
    assert skips["reward_normalization"].startswith("skipped: no responses with text")
    # the demo candidates decline a query without a reference answer: a missing value
    assert statuses == [("no_answer",)]
    assert leaderboard > 0  # every candidate listed (unscored), not an error
    assert {"leaderboard_breakdown", "query_drilldown", "judge_agreement"} <= tables  # marts

    report = (home / "reports" / "report.html").read_text("utf-8")
    assert "<h2>Skipped steps</h2>" in report
    for reason in skips.values():
        assert reason.replace("'", "&#x27;") in report
    assert (home / "warehouse_snapshot.duckdb").is_file()  # published by the marts step
