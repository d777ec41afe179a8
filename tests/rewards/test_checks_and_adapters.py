"""Format checks, raw vectors and the trainer adapters (real scorer, scripted judge on the
local OpenAI-compatible server)."""

import inspect

import pytest

from quarkmed_dagster.rewards import format_checks as fc
from quarkmed_dagster.rewards.adapters import (
    make_openrlhf_reward_func,
    make_trl_reward_func,
    make_verl_batch_compute_score,
    make_verl_compute_score,
    response_after_prompt,
)
from quarkmed_dagster.rewards.matrix import AlignmentMatrix, default_matrix
from quarkmed_dagster.rewards.normalization import fit_reference
from quarkmed_dagster.rewards.scorer import RewardScorer
from quarkmed_dagster.rewards.vector import Feedback, RubricItem, raw_vector
from quarkmed_dagster.rewards.wiring import WarehouseRubrics, gateway_grader
from tests.rewards.helpers import (
    GOOD,
    JUDGE,
    JUDGE_DOWN,
    QUERY,
    QUERY_ID,
    UNSAFE,
    build_scorer,
    insert_query_and_rubric,
    judge_gateway,
)


def test_length_score():
    assert fc.length_score("", 10, 100) == 0.0
    assert fc.length_score("x" * 5, 10, 100) == 0.5
    assert fc.length_score("x" * 50, 10, 100) == 1.0
    assert fc.length_score("x" * 200, 10, 100) == 0.5


def test_structure_score():
    wall = " ".join(f"Sentence number {i} explains one more thing." for i in range(30))
    assert fc.structure_score(wall) == 0.75  # long and not broken up
    paragraphs = wall[:400] + "\n\n" + wall[400:]
    assert fc.structure_score(paragraphs) == 1.0
    assert fc.structure_score("```python\nx = 1\n") == 0.75  # unbalanced fence
    repeated = "Take it with food every day. Take it with food every day."
    assert fc.structure_score(repeated) == 0.75


def test_citation_score():
    assert fc.citation_score("No citations here.") is None
    assert fc.citation_score("Warfarin raises bleeding risk [1]. See also [2, 3].") == 1.0
    assert fc.citation_score("Use [doc:medquad-12] for details.") == 1.0
    assert fc.citation_score("Bleeding risk [1] and dosing [3].") == 0.5  # skipped [2]
    assert fc.citation_score("Bleeding [1] and [citation needed].") == 0.5
    assert fc.citation_score("Dosing [2-3] and [1].") == 1.0


def test_language_consistency():
    assert fc.language_consistency_score("Is aspirin safe?", "Aspirin is usually safe.") == 1.0
    zh_query = "布洛芬和华法林可以一起吃吗？"
    assert fc.language_consistency_score(zh_query, "不建议同时服用，出血风险增加。") == 1.0
    assert fc.language_consistency_score(zh_query, "No, the bleeding risk increases.") == 0.0
    mixed = fc.language_consistency_score(zh_query, "不建议同时服用 NSAID，出血风险增加。")
    assert 0.6 < mixed < 1.0
    assert fc.language_consistency_score("12345 ?", "anything") is None
    assert fc.language_consistency_score("Is it safe?", "https://example.org") == 0.0


def test_raw_vector_attribution_missing_values_and_pitfalls():
    matrix = default_matrix()
    items = [
        RubricItem("e1", "Essential", "Safety", 2.0),
        RubricItem("e2", "Essential", "Information Quality", 1.0),
        RubricItem("p1", "Pitfall", "Safety", 2.0),
        RubricItem("p2", "Pitfall", "Readability", 1.0),
    ]
    levels = {"e1": 1.0, "e2": 0.0, "p1": 1.0, "p2": None}
    raw = raw_vector(matrix, QUERY, GOOD, items, levels, Feedback(rating=4.0))
    assert raw.values["essential_coverage"] == pytest.approx(2 / 3)
    assert raw.sources["essential_coverage"] == ["e1", "e2"]
    assert raw.values["safety"] == 1.0 and raw.sources["safety"] == ["e1"]
    assert raw.values["pitfall_avoidance"] == 0.0  # p2 failed: missing, not "no error"
    assert raw.major_pitfalls == ["p1"] and raw.minor_pitfalls == []
    assert raw.values["user_rating"] == 0.75 and raw.values["user_thumbs"] is None
    assert raw.values["highlight_insight"] is None  # no Highlight item: missing
    assert raw.values["readability"] is None  # Pitfall items do not feed tag dimensions


@pytest.fixture
def scorer(warehouse, tmp_path, judge_server):
    insert_query_and_rubric(warehouse)
    return build_scorer(warehouse, tmp_path, judge_server.url)


def test_trainer_adapters_share_one_scorer(scorer):
    trl = make_trl_reward_func(scorer)
    params = inspect.signature(trl).parameters
    assert list(params)[:2] == ["prompts", "completions"]
    assert params["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    conversational = [
        [{"role": "assistant", "content": GOOD}],
        [{"role": "assistant", "content": UNSAFE}],
    ]
    rewards = trl(
        prompts=[[{"role": "user", "content": QUERY}]] * 2,
        completions=conversational,
        query_id=[QUERY_ID, QUERY_ID],
        completion_ids=[[1], [2]],  # other TRL kwargs are ignored
    )
    assert rewards[0] > rewards[1] and rewards[1] <= scorer.matrix.gates.major_pitfall_cap
    with pytest.raises(ValueError):
        trl(prompts=[QUERY], completions=[GOOD], query_id=[QUERY_ID, QUERY_ID])

    verl = make_verl_compute_score(scorer)
    out = verl("quarkmed", GOOD, None, {"query_id": QUERY_ID, "prompt": QUERY})
    assert out["score"] == pytest.approx(rewards[0])
    assert out["dim/essential_coverage"] == pytest.approx(
        scorer.score(QUERY, GOOD, QUERY_ID)["vector"]["essential_coverage"]
    )
    assert isinstance(verl("quarkmed", "", None)["score"], float)

    openrlhf = make_openrlhf_reward_func(scorer, as_tensor=False)
    result = openrlhf([QUERY + GOOD, QUERY + UNSAFE], [QUERY, QUERY], [QUERY_ID, QUERY_ID])
    assert result["rewards"] == pytest.approx(rewards)
    assert result["extra_logs"]["gated"] == [0.0, 1.0]


def _signature(fn) -> list[tuple[str, str, object]]:
    return [
        (name, p.kind.name, None if p.default is None else p.default is inspect.Parameter.empty)
        for name, p in inspect.signature(fn).parameters.items()
    ]


POSITIONAL = "POSITIONAL_OR_KEYWORD"
REQUIRED = True  # no default


def test_adapter_signatures_match_the_trainers_documented_ones(scorer):
    """The documented signatures (docs/rewards.md, section 5, names the versions)."""
    assert _signature(make_trl_reward_func(scorer)) == [
        ("prompts", POSITIONAL, REQUIRED),
        ("completions", POSITIONAL, REQUIRED),
        ("kwargs", "VAR_KEYWORD", REQUIRED),
    ]
    assert _signature(make_verl_compute_score(scorer)) == [
        ("data_source", POSITIONAL, REQUIRED),
        ("solution_str", POSITIONAL, REQUIRED),
        ("ground_truth", POSITIONAL, REQUIRED),
        ("extra_info", POSITIONAL, None),  # extra_info=None
        ("kwargs", "VAR_KEYWORD", REQUIRED),  # the config's reward_kwargs
    ]
    assert _signature(make_verl_batch_compute_score(scorer))[:3] == [
        ("data_sources", POSITIONAL, REQUIRED),
        ("solution_strs", POSITIONAL, REQUIRED),
        ("ground_truths", POSITIONAL, REQUIRED),
    ]
    assert _signature(make_openrlhf_reward_func(scorer)) == [
        ("queries", POSITIONAL, REQUIRED),
        ("prompts", POSITIONAL, REQUIRED),
        ("labels", POSITIONAL, None),  # absent without --label_key
        ("kwargs", "VAR_KEYWORD", REQUIRED),
    ]


def test_adapters_accept_the_calls_the_trainers_make(scorer):
    good = scorer.score(QUERY, GOOD, QUERY_ID)
    unsafe = scorer.score(QUERY, UNSAFE, QUERY_ID)
    # TRL GRPOTrainer: keywords only, conversational data, every extra column as a list.
    trl = make_trl_reward_func(scorer)
    rewards = trl(
        prompts=[[{"role": "system", "content": "Be careful."}, {"role": "user", "content": QUERY}]]
        * 2,
        completions=[[{"role": "assistant", "content": t}] for t in (GOOD, UNSAFE)],
        completion_ids=[[1, 2], [3]],
        trainer_state=None,
        log_extra=lambda *args: None,
        log_metric=lambda *args: None,
        query_id=[QUERY_ID, QUERY_ID],
        source=["k-qa", "k-qa"],
    )
    assert rewards == pytest.approx([good["reward"], unsafe["reward"]])

    # verl NaiveRewardManager: keywords, extra_info with verl's num_turns, reward_kwargs.
    verl = make_verl_compute_score(scorer)
    row = verl(
        data_source="quarkmed",
        solution_str=GOOD,
        ground_truth=None,
        extra_info={"query_id": QUERY_ID, "prompt": QUERY, "num_turns": None},
        some_reward_kwarg=1,
    )
    assert row["score"] == pytest.approx(good["reward"]) and row["missing"] is False
    assert verl(data_source="x", solution_str=GOOD, ground_truth=None)["missing"] is False

    # verl BatchRewardManager: lists by keyword, plus reward_kwargs; the same rows.
    batch = make_verl_batch_compute_score(scorer)
    rows = batch(
        data_sources=["quarkmed"] * 2,
        solution_strs=[GOOD, UNSAFE],
        ground_truths=[None, None],
        extra_infos=[{"query_id": QUERY_ID, "prompt": QUERY}] * 2,
        some_reward_kwarg=1,
    )
    assert [r["score"] for r in rows] == pytest.approx([good["reward"], unsafe["reward"]])
    assert rows[0].keys() == rows[1].keys() == row.keys()  # verl logs every key per sample
    assert rows[1]["gated"] and not rows[0]["gated"]
    with pytest.raises(ValueError):
        batch(data_sources=["q"], solution_strs=[GOOD], ground_truths=[None], extra_infos=[])

    # OpenRLHF: positional lists; queries decoded with special tokens (a BOS before the
    # prompt); without --label_key there are no labels (format dimensions only).
    openrlhf = make_openrlhf_reward_func(scorer, as_tensor=False)
    queries = [f"<s>{QUERY}{GOOD}", f"<s>{QUERY}{UNSAFE}"]
    result = openrlhf(queries, [QUERY, QUERY], [QUERY_ID, QUERY_ID])
    assert result["rewards"] == pytest.approx([good["reward"], unsafe["reward"]])
    unlabelled = openrlhf(queries, [QUERY, QUERY], None)
    assert unlabelled["rewards"] == pytest.approx(
        [scorer.score(QUERY, t)["reward"] for t in (GOOD, UNSAFE)]
    )
    assert response_after_prompt("<s>abc", "a") == "bc"
    assert response_after_prompt("xyz", "a") == "xyz"  # prompt not found: the whole query
    assert response_after_prompt("xyz", "") == "xyz"


def test_adaptive_scorer_renormalises_weights_every_batch(scorer):
    scorer.adaptive = True
    before = dict(scorer.weights)
    scorer.score_batch([])  # an empty batch is not a step
    assert scorer.step == 0
    trl = make_trl_reward_func(scorer)
    trl(prompts=[QUERY] * 3, completions=[GOOD, UNSAFE, GOOD + " ok"], query_id=[QUERY_ID] * 3)
    assert scorer.step == 1 and scorer.weights != before
    assert sum(scorer.weights.values()) == pytest.approx(1.0)


def test_openrlhf_flags_a_missing_reward(warehouse, tmp_path, judge_server):
    # a matrix of rubric dimensions only and a judge that fails (HTTP 500): nothing of the
    # second completion is scorable, so its reward is missing_reward and flagged as missing
    insert_query_and_rubric(warehouse)
    rubrics = WarehouseRubrics(warehouse)
    gateway = judge_gateway(warehouse, tmp_path, judge_server.url)
    grader = gateway_grader(gateway, [JUDGE], rubrics)
    dims = tuple(d for d in default_matrix().dimensions if d.source == "rubric")
    matrix = AlignmentMatrix(version="rubric-only", dimensions=dims)
    stats = fit_reference({n: [0.0, 0.5, 1.0] for n in matrix.names}, "v", "r", matrix.version)
    scorer = RewardScorer(matrix, stats, grader=grader, rubric_lookup=rubrics.lookup)
    reward_func = make_openrlhf_reward_func(scorer, missing_reward=0.0, as_tensor=False)
    out = reward_func([QUERY + GOOD, QUERY + JUDGE_DOWN], [QUERY, QUERY], [QUERY_ID, QUERY_ID])
    assert out["rewards"][1] == 0.0
    assert out["extra_logs"]["missing"] == [0.0, 1.0]
