"""The validity harness computes the right numbers on hand-made cases (not whether the
instrument is good: that is `quarkmed validate`'s output)."""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import polars as pl
import pytest

from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.validity.agreement import (
    Threshold,
    binary_figures,
    fit_threshold,
    ordered_pair_share,
    within_group_spearman,
)
from quarkmed_dagster.validity.figures import Figure, figures_frame
from quarkmed_dagster.validity.healthbench import healthbench_figures
from quarkmed_dagster.validity.run import run_validation
from quarkmed_dagster.validity.statements import physician_ceiling
from quarkmed_dagster.validity.summary import with_baseline_comparison


def test_binary_figures_by_hand() -> None:
    stats = binary_figures([True, True, False, False], [True, False, False, False])
    # met: P 1, R 0.5 -> F1 2/3; not met: P 2/3, R 1 -> F1 0.8; kappa (0.75 - 0.5) / 0.5
    assert stats["balanced_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert stats["kappa"] == pytest.approx(0.5)
    assert stats["n"] == 4
    missing = binary_figures([True, True, False], [True, None, False])
    assert missing["n"] == 2 and missing["balanced_f1"] == pytest.approx(1.0)


def test_threshold_fit_finds_direction_and_cut() -> None:
    scores = np.array([0.9, 0.8, 0.2, 0.1])
    assert fit_threshold(scores, [True, True, False, False]) == Threshold(0.8, 1)
    lower = fit_threshold(scores, [False, False, True, True])
    assert lower.sign == -1 and lower.predict(scores) == [False, False, True, True]


def test_known_groups_and_within_query_rank_correlation() -> None:
    groups = ["a", "a", "a", "b", "b"]
    assert ordered_pair_share(groups, [0, 1, 2, 0, 1], [3, 2, 1, 1, 2]) == (0.75, 4)
    assert ordered_pair_share(["a", "a"], [0, 1], [1.0, 1.0]) == (0.5, 1)
    assert ordered_pair_share(["a", "a"], [0, 0], [1.0, 2.0]) == (None, 0)
    value, n = within_group_spearman(
        ["a"] * 3 + ["b"] * 3 + ["c"] * 2, [1, 2, 3, 1, 2, 3, 1, 2], [1, 2, 3, 3, 2, 1, 1, 2]
    )
    assert n == 2 and value == pytest.approx(0.0)  # +1 and -1; group c too small


def test_instrument_below_a_baseline_is_reported_as_such() -> None:
    figures = figures_frame(
        [
            Figure("t", "d", "report", "judge-x", "judge", "balanced_f1", 0.6, 10),
            Figure("t", "d", "report", "length", "baseline", "balanced_f1", 0.7, 10),
            Figure("t", "d", "report", "overlap", "baseline", "balanced_f1", 0.5, 10),
            Figure("t", "d", "report", "judge-x", "judge", "kappa", 0.4, 10),
            Figure("t", "d", "report", "length", "baseline", "kappa", 0.1, 10),
        ]
    )
    out = with_baseline_comparison(figures).filter(pl.col("kind") == "judge")
    rows = {r["metric"]: r for r in out.iter_rows(named=True)}
    assert rows["balanced_f1"]["beats_baselines"] is False
    assert rows["balanced_f1"]["best_baseline"] == "length"
    assert rows["kappa"]["beats_baselines"] is True


def test_physician_ceiling_leaves_each_physician_out() -> None:
    e, n = "Entailment", "Neutral"
    report = pl.DataFrame(
        {
            "label_0": [e, e, n, n],
            "label_1": [e, e, n, e],
            "label_2": [e, n, n, n],
        }
    )
    figures = {f.metric: f for f in physician_ceiling("t", "d", report)}
    # physician 0 vs (1, 2) where they agree: rows 0 and 2 -> both right;
    # physician 1 vs (0, 2): rows 0, 2, 3 -> row 3 wrong; physician 2 vs (0, 1): rows 0-2,
    # row 1 wrong. Balanced F1 per physician: 1.0, 2/3 (by hand below), 2/3.
    f1_one = (2 / 3 + 2 / 3) / 2  # met: P 1/2 R 1; not met: P 1 R 1/2
    assert figures["balanced_f1"].value == pytest.approx((1.0 + f1_one + f1_one) / 3)
    assert figures["balanced_f1"].kind == "ceiling"


def test_healthbench_figures_count_unscored_and_order_known_groups() -> None:
    frame = pl.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(6)],
            "query_id": ["q1"] * 3 + ["q2"] * 3,
            "candidate_model": [
                "baseline/reference-candidate",
                "baseline/first-sentence-candidate",
                "baseline/generic-candidate",
            ]
            * 2,
            "our_score": [0.9, 0.5, 0.0, 0.8, None, 0.1],
            "physician_criteria_score": [0.7, 0.4, 0.0, 0.6, 0.3, 0.05],
            "response_text": ["a b c d e f", "a b c", "", "a b c d", "a b", "x"],
            "question": ["a b c"] * 6,
        }
    )
    figures = healthbench_figures(frame)
    ours = {f.metric: f for f in figures if f.instrument == "our rubric score"}
    assert "1 of 6 responses unscored" in ours["spearman_pooled"].note
    assert ours["spearman_pooled"].value == pytest.approx(1.0)
    assert ours["ordered_pair_share"].value == pytest.approx(1.0)
    assert ours["ordered_pair_share"].n == 4  # the unscored response leaves two pairs out
    length = next(
        f for f in figures if f.instrument == "answer length" and f.metric == "ordered_pair_share"
    )
    assert length.kind == "baseline" and length.n == 6


def _tiny_shared(root):
    kqa = root / "kqa"
    kqa.mkdir(parents=True)
    e, n = "Entailment", "Neutral"
    rows = [
        (
            "How is flu treated?",
            "Rest and fluids help; oseltamivir shortens flu.",
            "Oseltamivir can shorten the flu",
            e,
        ),
        ("How is flu treated?", "Rest and fluids help.", "Oseltamivir can shorten the flu", n),
        (
            "What causes gout?",
            "Gout is caused by uric acid crystals in joints.",
            "Gout is caused by uric acid",
            e,
        ),
        ("What causes gout?", "Gout hurts.", "Gout is caused by uric acid", n),
    ]
    with (kqa / "NLI_medical_annotator.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "",
                "Question",
                "llm_x",
                "answer",
                "claim",
                "category_x",
                "majority_label",
                "label_0",
                "label_1",
                "label_2",
            ]
        )
        for i, (q, a, c, label) in enumerate(rows):
            writer.writerow([i, q, "gpt", a, c, "Must_have", label, label, label, label])
    dev = [
        {
            "Question": "Is ibuprofen safe with asthma?",
            "Free_form_answer": "Ibuprofen can trigger bronchospasm in some people with asthma.",
            "Must_have": ["Ibuprofen can trigger bronchospasm in asthma"],
            "Nice_to_have": [],
        },
        {
            "Question": "Is aspirin safe in children?",
            "Free_form_answer": "Aspirin is not recommended for children because of Reye syndrome.",
            "Must_have": "['Aspirin is linked to Reye syndrome in children']",
            "Nice_to_have": [],
        },
    ]
    (kqa / "questions_w_answers.jsonl").write_text("\n".join(json.dumps(r) for r in dev))
    expert = root / "expertqa"
    expert.mkdir()
    records = []
    for i, question in enumerate(
        ["Why is blood red?", "What does insulin do?", "What is anemia?", "How do vaccines work?"]
    ):
        claims = [
            {
                "claim_string": f"Claim {i} about {question}",
                "evidence": [f"Evidence {i}."],
                "support": "Complete" if i % 2 else "Missing",
                "correctness": "Definitely correct",
            }
        ]
        records.append({"question": question, "answers": {"m": {"claims": claims}}})
    with gzip.open(expert / "expertqa_medicine_subset.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in records))
    return root


def test_run_validation_end_to_end_on_a_tiny_folder(tmp_path, warehouse) -> None:
    shared = _tiny_shared(tmp_path / "shared")
    llm = LLMGatewayResource(
        models_config="models.yaml", profile="baseline", cache_path=str(tmp_path / "c.sqlite")
    )
    judges = [m.model for m in llm.role_models("judges")]
    frame = run_validation(
        warehouse, llm.gateway("test-validate"), judges, shared, tmp_path / "none", "baseline"
    )
    stored = warehouse.read("SELECT * FROM validity_metrics")
    assert stored.height == frame.height
    kqa = frame.filter(pl.col("dataset").str.starts_with("K-QA NLI"))
    assert set(kqa["kind"]) == {"judge", "baseline", "ceiling"}
    assert kqa.filter(pl.col("kind") == "judge")["n"].to_list() == [4, 4]
    ceiling = kqa.filter((pl.col("kind") == "ceiling") & (pl.col("metric") == "balanced_f1"))
    assert ceiling["value"].item() == pytest.approx(1.0)  # the physicians agree by hand
    baselines = kqa.filter(pl.col("kind") == "baseline")
    assert baselines["note"].str.starts_with("fitted on dev").all()
    assert baselines["instrument"].n_unique() == 6
    tasks = set(frame["task"])
    assert {"claim supported by its evidence", "claim correct (judged on its evidence)"} <= tasks
    skipped = frame.filter(pl.col("metric") == "skipped")
    assert set(skipped["task"]) == {"score vs physician-criteria score", "rubric coverage"}
    assert skipped["value"].null_count() == skipped.height


def test_expertqa_answer_figures_and_sample_folder(tmp_path) -> None:
    from quarkmed_dagster.validity.expertqa_answers import (
        usefulness_figures,
        write_sample_folder,
    )

    answers = pl.DataFrame(
        {
            "question": ["q one?", "q two?", "q three?", "q four?"],
            "model": ["expertqa/m"] * 4,
            "response": ["a b c d", "a b", "a", "a b c"],
            "usefulness": [2.0, 1.0, 0.0, 2.0],
        }
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text("text")
    responses = write_sample_folder(answers, corpus, tmp_path / "sample")
    assert pl.read_ndjson(responses).height == 4
    assert (tmp_path / "sample" / "corpus" / "doc.txt").is_file()
    assert pl.read_ndjson(tmp_path / "sample" / "queries" / "expertqa_questions.jsonl").height == 4
    scores = pl.DataFrame(
        {"question": ["q one?", "q two?", "q three?"], "our_score": [0.9, 0.5, 0.1]}
    )
    figures = {f.instrument: f for f in usefulness_figures(answers, scores)}
    ours = figures["our pipeline score"]
    assert ours.kind == "pipeline" and "1 of 4 answers unscored" in ours.note
    assert ours.value == pytest.approx(1.0)  # the three scored answers are in expert order
    assert figures["answer length"].kind == "baseline"
