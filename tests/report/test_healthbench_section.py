"""The report's HealthBench section on a hand-made healthbench_scores frame."""

import polars as pl

from quarkmed_dagster.report.scores import HEALTHBENCH_TITLE, healthbench_section


def test_healthbench_section_ranks_and_labels_baselines():
    hb = pl.DataFrame(
        {
            "candidate_model": ["baseline/generic-candidate", "model-x", "model-w"],
            "is_baseline": [True, False, False],
            "baseline_judges": [True, True, True],
            "n_responses": [4, 4, 4],
            "n_examples": [4, 3, 0],
            "score": [0.2, 0.6, None],
            "bootstrap_std": [0.05, 0.1, None],
            "coverage": [1.0, 0.75, 0.0],
            "judge_models": ["baseline/semantic-judge, openai/gpt"] * 3,
            "judge_prompt_version": ["judge_response@abc.batched"] * 3,
        }
    )
    (html,) = healthbench_section(hb)
    assert html.startswith(f"<h2>{HEALTHBENCH_TITLE}</h2>")
    rows = html.split("<tr>")[2:]
    assert rows[0].startswith("<td>model-x</td><td>0.600</td><td>0.100</td><td>3</td>")
    assert rows[1].startswith("<td>baseline/generic-candidate (baseline)</td><td>0.200</td>")
    assert rows[2].startswith("<td>model-w</td><td></td>")  # unscored, last, not 0
    assert "baseline/semantic-judge (baseline), openai/gpt</td>" in rows[0]
    assert healthbench_section(hb.clear()) == [
        f'<h2>{HEALTHBENCH_TITLE}</h2><p class="empty">No data yet.</p>'
    ]
