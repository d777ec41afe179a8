"""The report renders in a real headless Chromium and its plots are drawn, the alignment
reward plots (weight trajectories per dimension over the simulated and a declared policy's
checkpoints, models compared as points, distribution, diagnosis) included."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from quarkmed_dagster.marts.dimensions import VERSION_COLUMNS, dimension_frame
from quarkmed_dagster.report.build import write_report
from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.simulation import SimulationSpec, simulate_batches, simulate_steps
from quarkmed_dagster.rewards.tables import trajectory_frame
from quarkmed_dagster.rewards.weighting import tri_factor_weights
from tests.report.chromium import CHROMIUM, dump_dom


def _seed(warehouse) -> None:
    lb = pl.DataFrame(
        {
            "candidate_model": ["baseline/reference-candidate", "baseline/unsafe-candidate"] * 2,
            "is_baseline": [True] * 4,
            "category": ["All", "All", "Clinical Care", "Clinical Care"],
            "n_queries": [20, 20, 12, 12],
            "score": [0.81, 0.32, 0.78, 0.30],
            "ci_low": [0.74, 0.25, 0.70, 0.21],
            "ci_high": [0.88, 0.40, 0.86, 0.39],
            "coverage": [1.0, 0.95, 1.0, 0.9],
            "rubric_set_version": ["rs1"] * 4,
            "corpus_version": ["c1"] * 4,
        }
    )
    qs = pl.DataFrame(
        {
            "candidate_model": ["baseline/reference-candidate"] * 5
            + ["baseline/unsafe-candidate"] * 5,
            "is_baseline": [True] * 10,
            "score": [0.9, 0.8, 0.7, None, 0.85, 0.2, 0.4, 0.3, 0.1, 0.35],
            "risk_interception": [1.0, 0.9, 0.8, None, 1.0, 0.1, 0.2, 0.0, 0.3, 0.2],
            "medical_accuracy": [1.0, 0.5, 1.0, None, 1.0, 0.0, 0.5, 0.0, 0.5, 0.0],
            "key_point_coverage": [0.9, 0.6, 0.8, None, 0.7, 0.2, 0.4, 0.1, 0.3, 0.2],
            "response_id": [f"r{i}" for i in range(10)],  # as the scoring stage keys them
            "query_id": [f"q{i}" for i in range(5)] * 2,
            "category": ["Clinical Care", "Wellness Health"] * 5,
            "coverage": [1.0, 1.0, 1.0, 0.0, 1.0] * 2,
            "truncated": [False] * 10,
            "flagged_low_coverage": [False, False, False, True, False] * 2,
            **{c: ["v1"] * 10 for c in VERSION_COLUMNS},
        }
    )
    # the per-dimension mart, as the marts step writes it from these scores
    warehouse.replace_selected(
        "leaderboard_dimensions", dimension_frame(qs), "DELETE FROM leaderboard_dimensions"
    )
    with warehouse.connect() as con:
        con.register("lb", lb.to_arrow())
        con.execute("CREATE OR REPLACE TABLE leaderboard AS SELECT * FROM lb")
        con.register("qs", qs.to_arrow())
        con.execute("CREATE OR REPLACE TABLE query_scores AS SELECT * FROM qs")
        con.execute(
            "CREATE OR REPLACE TABLE item_verdicts AS "
            "SELECT 'r' || range AS response_id, 'i1' AS item_id, range / 10.0 AS agreement,"
            " 1.0 AS level, 2 AS n_votes FROM range(11)"
        )
        con.execute(
            "INSERT INTO concordance (audit_set, judge_model, is_baseline, group_by, group_value,"
            " n,"
            " n_missing, concordance, kappa, balanced_f1, threshold, flagged) VALUES"
            " ('kqa_nli_binary', 'baseline/semantic-judge', true, 'all', 'All', 399, 0, 0.64,"
            " 0.23, 0.62, 0.7, true)"
        )
    _seed_coverage(warehouse)


def _seed_coverage(warehouse) -> None:
    """Physician coverage rows as the rubric stage writes them, for a rubric set written by
    baseline generators (candidate_answers records who generated it)."""
    rows = [
        ("healthbench", "recall", "All", 10, 4), ("healthbench", "recall", "negative", 2, 1),
        ("healthbench", "precision", "All", 12, 6), ("healthbench", "precision", "Essential", 4, 3),
        ("kqa", "recall", "Must_have", 6, 2), ("kqa", "precision", "All", 8, 3),
    ]  # fmt: skip
    frame = pl.DataFrame(
        [
            {"rubric_set_version": "rs1", "source": src, "measure": m, "stratum": st, "n": n,
             "matched": k, "value": k / n, "threshold": 0.6}
            for src, m, st, n, k in rows
        ]
    )  # fmt: skip
    warehouse.replace_rows("rubric_coverage", frame, ["rubric_set_version"], ["rs1"])
    with warehouse.writer() as con:
        con.execute(
            "INSERT INTO candidate_answers (answer_id, query_id, rubric_set_version, round,"
            " generator, persona, sample_index, prompt_version, status, is_baseline) VALUES"
            " ('a1', 'q1', 'rs1', 1, 'baseline/extractive-answerer', 'basic', 0, 'p@1', 'ok',"
            " true)"
        )


REF, UNSAFE = "baseline/reference-candidate", "baseline/unsafe-candidate"
CHECKPOINTS = ("policy-x/step-100", "policy-x/step-200", "policy-x/step-300")
UNSAFE_TEXT = "Ibuprofen is fine with warfarin, no need to see a doctor."


def _seed_rewards(warehouse) -> None:
    """Reward tables as the reward assets write them: a real simulated trajectory and a
    Tri-Factor step per (baseline) model, scores and a diagnosis with example responses."""
    matrix, version = default_matrix(), "rfn-report"
    warehouse.upsert_rows("candidate_responses", pl.DataFrame({
        "response_id": ["ref-1", "ref-2", "uns-1", "uns-2"],
        "query_id": ["q1", "q2"] * 2,
        "candidate_model": [REF, REF, UNSAFE, UNSAFE],
        "is_baseline": [True] * 4,
        "response_text": ["Avoid ibuprofen on warfarin.", "Rest.", UNSAFE_TEXT, "Fine."],
        "status": ["ok"] * 4,
    }), ["response_id"])  # fmt: skip
    batches = simulate_batches(matrix, SimulationSpec(checkpoints=3, batch_size=24))
    steps = [tri_factor_weights(matrix, b) for b in batches]
    model_steps = list(zip((REF, UNSAFE), steps, strict=False))
    checkpoints = list(zip(CHECKPOINTS, steps, strict=True))
    trajectory = pl.concat(
        [
            trajectory_frame(matrix, "simulated", simulate_steps(matrix), version),
            trajectory_frame(matrix, "models", model_steps, version),
            trajectory_frame(matrix, "checkpoints", checkpoints, version, policy="policy-x"),
        ]
    )
    warehouse.replace_rows("reward_weight_trajectory", trajectory, ["stats_version"], [version])
    scores = pl.DataFrame({
        "response_id": ["ref-1", "ref-2", "uns-1", "uns-2"],
        "query_id": ["q1", "q2"] * 2,
        "candidate_model": [REF, REF, UNSAFE, UNSAFE],
        "reward": [0.8, 0.3, -2.0, None],
        "ungated_reward": [0.8, 0.3, 0.1, None],
        "gated": [False, False, True, False],
        "gate_reason": [None, None, "major pitfall: i5", None],
        "major_pitfall_items": ["[]", "[]", '["i5"]', "[]"],
        "stats_version": [version] * 4,
    })  # fmt: skip
    warehouse.replace_rows("reward_scores", scores, ["stats_version"], [version])
    diagnosis = pl.DataFrame({
        "candidate_model": [UNSAFE] * 3 + [REF] * 3,
        "level": ["category", "tag", "item"] * 2,
        "key": ["expert_knowledge", "Safety", "i5"] * 2,
        "category": ["expert_knowledge", None, None] * 2,
        "detail": ["pitfall_avoidance", "Pitfall", "Unsafe advice"] * 2,
        "n": [2] * 6,
        "mean_normalized": [-1.2, None, None, 0.4, None, None],
        "gap_to_target": [1.7, None, None, 0.1, None, None],
        "failure_rate": [1.0, 0.5, 1.0, 0.0, 0.0, 0.0],
        "examples": ['["uns-1"]', '["uns-1"]', '["uns-1"]', "[]", "[]", "[]"],
        "rank": [1] * 6,
        "stats_version": [version] * 6,
    })  # fmt: skip
    warehouse.replace_rows("reward_diagnosis", diagnosis, ["stats_version"], [version])
    with warehouse.writer() as con:
        con.execute(
            "INSERT INTO reward_normalization_stats VALUES (?, 'abc123', ?, ?, 'safety', 0.5,"
            " 0.2, 4, 'median_iqr', false, '/tmp/rfn.json', '2026-01-01T00:00:00')",
            [version, REF, matrix.version],
        )


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_report_plots_are_drawn_in_chromium(warehouse, tmp_path):
    _seed(warehouse)
    _seed_rewards(warehouse)
    report = write_report(warehouse, tmp_path / "report.html")
    html = report.read_text()
    rewards = html[html.index("Alignment rewards: weight trajectories") :]
    assert "evidence_support (weakens)" in rewards and "Simulated" in rewards
    assert f"Failure rate by category and tag: {UNSAFE} (baseline)" in rewards
    assert f"{REF} (baseline)" in rewards.split("Alignment rewards: diagnosis")[0]
    assert f"reference rollouts: {REF} (baseline)" in rewards
    assert f"uns-1: “{UNSAFE_TEXT}”" in rewards  # diagnosis examples show the response
    assert "Checkpoints of policy-x</b>, in the declared order" in rewards
    assert " → ".join(CHECKPOINTS) in rewards
    assert "Candidate models compared" in rewards and "not a sequence" in rewards
    items = rewards[rewards.index("rubric items each model fails most") :]
    assert f"{UNSAFE} (baseline)" in items and f"{REF} (baseline)" not in items  # 0 = no fail
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    assert "(baseline)" in html and "Below the configured concordance threshold" in html
    coverage = html[html.index("Physician coverage of our rubrics (validity figure)") :]
    coverage = coverage[: coverage.index("<h2>")]
    assert "Validity figure, not a target" in coverage
    assert "baseline/extractive-answerer (baseline)" in coverage
    assert "kqa · recall · Must_have (n=6)" in coverage and coverage.count("<tr>") == 7
    dims = html[html.index("Per-dimension breakdown") :]
    dims = dims[: dims.index("<h2>")]
    # the report shows the mart's intervals, not its own
    mart = warehouse.read(
        "SELECT ci_low FROM leaderboard_dimensions WHERE category = 'all'"
        f" AND candidate_model = '{UNSAFE}' AND dimension = 'medical_accuracy'"
    )
    assert f"<td>{mart['ci_low'].item():.3f}</td>" in dims
    assert f"{UNSAFE} (baseline) · risk_interception" in dims
    dom = dump_dom(report, tmp_path / "profile")
    svgs = dom.count("<svg")
    # leaderboard, category, distribution, dimension, rubric coverage, agreement x2; rewards:
    # simulated weights (top movers + 4 categories) and redundancy, checkpoint weights and
    # model weights (top movers + 4 categories each), reward distribution, diagnosis per
    # model x2
    assert svgs >= 7 + 6 + 5 + 5 + 1 + 2
    drawn = re.search(r'data-plots-drawn="(\d+)"', dom)
    assert drawn is not None, "the load-time script did not run"
    assert int(drawn.group(1)) == svgs  # every plot has a non-empty rendered box
    assert dom.count('class="interval"') >= 4
    reward_plots = re.findall(r'<svg class="plot"[^>]*aria-label="([^"]*)"', dom)
    assert "Physician coverage: recall and precision by tier" in reward_plots
    assert "Mean per dimension with 95% interval" in reward_plots
    assert sum(t.startswith("Simulated:") for t in reward_plots) == 5  # every dimension
    assert sum(t.startswith("Weights over the checkpoints of policy-x") for t in reward_plots) == 5
    assert sum(t.startswith("Weights per candidate model") for t in reward_plots) == 5
    assert "Aggregate reward per response by model" in reward_plots
    # every weight-trajectory line is drawn: 17 dimensions + 8 top movers + 4 redundancy
    # lines for the simulation, 17 + 8 for the policy's checkpoints; none between models
    lines = re.search(r'data-lines-drawn="(\d+)"', dom)
    assert lines is not None and int(lines.group(1)) == dom.count('class="line"') == 54
    models = dom[dom.index('aria-label="Weights per candidate model') :]
    models = models[: models.index("</svg>")]
    assert 'class="line"' not in models and models.count('class="point"') == 8 * 2
