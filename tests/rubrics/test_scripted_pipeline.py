"""End to end through the real gateway and the local OpenAI-compatible server.

Scripted model outputs exercise consensus (support counts, tie rule), evidence
verification (contradicted dropped, not-found dropped), repair, the closed loop with deeper
retrieval, the review queue, and idempotent, cache-backed reruns.
"""

from __future__ import annotations

import json

import pytest

from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import parse_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig, RubricModels
from quarkmed_dagster.rubrics.frames import outcome_frames
from quarkmed_dagster.rubrics.incremental import plan_queries
from quarkmed_dagster.rubrics.pipeline import generate_rubrics
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.rubrics.records import Passage, QueryInput
from quarkmed_dagster.rubrics.store import rubric_sets, write_frames
from tests.rubrics.scripted_models import CONTRADICTED, NOT_FOUND, handler

EVIDENCE = (
    Passage("p-1", "Ibuprofen 200-400 mg every 4-6 hours; take with food."),
    Passage("p-2", "Black stools or vomiting blood need urgent care."),
)
DEEP = [*EVIDENCE, Passage("deep-1", "NSAIDs inhibit cyclooxygenase enzymes.")]


@pytest.fixture(scope="module")
def server():
    with LocalLLMServer(handler) as running:
        yield running


def _gateway(server: LocalLLMServer, monkeypatch: pytest.MonkeyPatch, cache=None) -> LiteLLMGateway:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    raw = {
        "profiles": {
            "scripted": {
                "defaults": {"api_base": server.url, "json_mode": "none", "max_attempts": 1,
                             "timeout_s": 20, "concurrency": 8},
                "roles": {},
            }
        }
    }  # fmt: skip
    return LiteLLMGateway(parse_profile(raw, "scripted"), run_label="rubric-test", cache=cache)


def _config() -> RubricConfig:
    models = RubricModels(
        generators=["openai/gen-a", "openai/gen-b"],
        aggregators=["openai/agg-1", "openai/agg-2"],
        verifiers=["openai/ver-1"],
        rubric_writer="openai/writer",
    )
    params = ConsensusParams(personas=["basic", "professional"], min_agreement=0.75)
    return RubricConfig(models=models, params=params)


def _query(prefix: str, **extra) -> QueryInput:
    return QueryInput(
        query_id=f"q-{prefix}",
        text=f"{prefix}: how much ibuprofen can I take?",
        evidence=EVIDENCE,
        corpus_version="c1",
        evidence_fingerprint=f"fp-{prefix}",
        **extra,
    )


def _deeper(query: QueryInput, k: int):
    return None if query.query_id == "q-stuck" else DEEP


def test_scripted_consensus_verification_repair_loop_and_review(
    server, monkeypatch, warehouse, tmp_path
):
    server.script(handler)
    gateway = _gateway(server, monkeypatch, CallCache(tmp_path / "calls.duckdb"))
    config = _config()
    history = ({"role": "user", "content": "我胃疼"}, {"role": "assistant", "content": "多久了?"})
    queries = [
        _query("good"),
        _query("bad"),
        _query("split"),
        _query("stuck"),
        _query("good-zh", history=history, is_multi_turn=True, language="zh"),
    ]
    versions = prompt_versions()
    outcomes = generate_rubrics(
        queries, config, gateway, get_embedder().encode, versions, deeper=_deeper
    )
    good, bad, split, stuck = (outcomes[f"q-{p}"] for p in ("good", "bad", "split", "stuck"))

    # consensus: every generator/aggregator counted; the one-generator, one-aggregator
    # point sits exactly at the 0.5 threshold and the tie rule excludes it
    by_text = {c.text: c for c in good.clusters}
    dose = by_text["Adults may take 400 mg ibuprofen every six hours with food."]
    assert (dose.support_count, dose.support_ratio, dose.aggregator_count) == (2, 1.0, 2)
    assert len(dose.point_ids) == 2 and dose.included
    ginger = by_text["Ginger tea soothes nausea."]
    assert (ginger.support_ratio, ginger.decision) == (0.5, "tie_aggregator_minority")
    assert ginger.cluster_id not in good.verifications  # excluded before verification
    # verification: contradicted and not-found points never reach the rubric
    assert good.verifications[by_text[CONTRADICTED].cluster_id].status == "contradicted"
    assert good.verifications[by_text[NOT_FOUND].cluster_id].status == "not_found"
    item_clusters = {c for item in good.items for c in item.cluster_ids}
    assert by_text[CONTRADICTED].cluster_id not in item_clusters
    assert by_text[NOT_FOUND].cluster_id not in item_clusters
    # repair: the first rubric had no Highlight; the repaired one is valid and traceable
    assert good.repaired and good.review is None and len(good.items) == 6
    assert good.dropped_untraceable == ["Pitfall: Gives unsafe advice"]
    assert {i.tier for i in good.items} == {"Essential", "Important", "Highlight", "Pitfall"}
    assert all(i.evidence_passage_ids == ("p-2",) and i.support_count == 2 for i in good.items)
    # review after a failed repair; no items emitted
    assert bad.repaired and bad.review.reason == "constraint_violation" and bad.items == []
    assert bad.review.details["violations_after_repair"]
    # closed loop: deeper evidence makes generators agree in round 2
    assert split.rounds == 2 and split.review is None and split.agreement == 1.0
    assert {a.round for a in split.answers} == {0, 1} and len(split.answers) == 8
    assert stuck.rounds == 2 and stuck.review.reason == "low_agreement" and not stuck.items
    # multi-turn queries may use multi-turn tags
    assert "Short-term Memory" in {i.tag for i in outcomes["q-good-zh"].items}
    assert len(server.requests) > 0

    # rerun: every call comes from the cache, the outcome is identical
    server.script(handler)
    again = generate_rubrics(
        queries, config, gateway, get_embedder().encode, versions, deeper=_deeper
    )
    assert len(server.requests) == 0
    assert [i.item_id for i in again["q-good"].items] == [i.item_id for i in good.items]

    # the warehouse: written twice, never duplicated; reviews kept with their reason
    version = config.rubric_set_version(versions, "c1")
    frames = outcome_frames(list(outcomes.values()), {"c1": version}, "cfg", False)
    write_frames(warehouse, frames)
    write_frames(warehouse, frames)
    items = warehouse.read("SELECT * FROM rubric_items ORDER BY query_id")
    assert items.height == sum(len(o.items) for o in outcomes.values())
    assert set(items["query_id"]) == {"q-good", "q-split", "q-good-zh"}
    review = warehouse.read("SELECT query_id, reason FROM review_queue ORDER BY query_id")
    assert review.rows() == [("q-bad", "constraint_violation"), ("q-stuck", "low_agreement")]
    pitfall = items.filter(items["tier"] == "Pitfall").row(0, named=True)
    assert set(json.loads(pitfall["levels"])) == {"no_error", "minor_error", "major_error"}
    current = warehouse.read("SELECT count(*) AS n FROM current_rubric_items")
    assert current["n"][0] == items.height
    sets = warehouse.read("SELECT status, count(*) AS n FROM rubric_sets GROUP BY 1 ORDER BY 1")
    assert sets.rows() == [("ok", 3), ("review", 2)]


def test_failed_calls_are_missing_not_reviewed_and_retried(server, monkeypatch, warehouse):
    def flaky(request, attempt):
        if "gen-" in request["model"]:
            return Reply(status=500)  # every generator call fails
        return handler(request, attempt)

    server.script(flaky)
    gateway = _gateway(server, monkeypatch)
    config = _config()
    versions = prompt_versions()
    query = _query("good")
    outcomes = generate_rubrics([query], config, gateway, get_embedder().encode, versions)
    outcome = outcomes["q-good"]
    assert all(a.text is None and a.status == "failed" for a in outcome.answers)
    assert outcome.review.reason == "no_candidate_answers" and outcome.items == []
    assert outcome.rounds == 2  # the closed loop tried once more

    version = config.rubric_set_version(versions, "c1")
    frames = outcome_frames([outcome], {"c1": version}, "cfg", False)
    write_frames(warehouse, frames)
    assert warehouse.count("review_queue") == 0  # infrastructure failures are not for clinicians
    sets = rubric_sets(warehouse)
    assert sets.select("status", "is_current").rows() == [("failed", False)]
    plan = plan_queries([query], sets, "cfg", {"c1": version})
    assert [q.query_id for q in plan.generate] == ["q-good"]  # retried by the next run


def test_budget_stop_is_over_budget_not_failed(server, monkeypatch):
    from quarkmed_dagster.llm.budget import Budget

    server.script(handler)
    gateway = _gateway(server, monkeypatch)
    gateway.budget = Budget(max_calls=0)  # the budget is spent before the first call
    query = _query("good")
    outcome = generate_rubrics(
        [query], _config(), gateway, get_embedder().encode, prompt_versions()
    )["q-good"]
    assert outcome.answers and {a.status for a in outcome.answers} == {"over_budget"}
    assert outcome.review.reason == "over_budget" and not server.requests


def test_equivalence_model_merges_near_clusters(server, monkeypatch):
    def with_equivalence(request, attempt):
        if request["model"].endswith("eq"):
            data = extract_payload(request["messages"][-1]["content"])
            same = "ibuprofen" in data["a"].lower() and "ibuprofen" in data["b"].lower()
            return Reply(text=json.dumps({"equivalent": same}))
        return handler(request, attempt)

    server.script(with_equivalence)
    config = _config()
    config.models.equivalence = "openai/eq"
    # every pair of clusters is "near" (band 2.0), so the model decides all merges
    config.params.similarity_threshold = 0.99
    config.params.equivalence_band = 2.0
    outcomes = generate_rubrics(
        [_query("split")], config, _gateway(server, monkeypatch), get_embedder().encode,
        prompt_versions(),
    )  # fmt: skip
    clusters = outcomes["q-split"].clusters
    asked = [r for r in server.requests if r["model"].endswith("eq")]
    assert asked  # the equivalence model was consulted
    ibuprofen = [c for c in clusters if "ibuprofen" in c.text.lower()]
    assert len(ibuprofen) == 1 and len(ibuprofen[0].point_ids) == 4  # 2 texts x 2 aggregators
    assert len(clusters) == 5  # 6 scripted points, two of them merged by the model


def test_equivalence_role_in_models_config_issues_equivalence_calls(server, monkeypatch):
    """The optional role flows models config -> models_from_roles -> calls via the server."""
    from quarkmed_dagster.llm.config import load_profile
    from quarkmed_dagster.rubrics.cost import planned_calls
    from quarkmed_dagster.rubrics.stage import models_from_roles
    from quarkmed_dagster.settings import PROJECT_ROOT

    def with_equivalence(request, attempt):
        if request["model"].endswith("eq"):
            return Reply(text=json.dumps({"equivalent": False}))
        return handler(request, attempt)

    roles = {
        "generators": ["openai/gen-a", "openai/gen-b"], "aggregators": ["openai/agg-1"],
        "verifiers": ["openai/ver-1"], "rubric_writer": ["openai/writer"],
        "equivalence": ["openai/eq"],
    }  # fmt: skip
    raw = {"profiles": {"p": {"defaults": {"api_base": server.url, "json_mode": "none",
                                           "max_attempts": 1}, "roles": roles}}}  # fmt: skip
    profile = parse_profile(raw, "p")
    models = models_from_roles(lambda role: [m.model for m in profile.models(role)])
    assert models.equivalence == "openai/eq"
    params = ConsensusParams(personas=["basic"], similarity_threshold=0.99, equivalence_band=2.0)
    config = RubricConfig(models=models, params=params)
    assert planned_calls(1, config)[("equivalence", "openai/eq")] > 0  # in the cost guard
    server.script(with_equivalence)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-secret")
    gateway = LiteLLMGateway(profile, run_label="rubric-test")
    outcome = generate_rubrics(
        [_query("split")], config, gateway, get_embedder().encode, prompt_versions()
    )["q-split"]
    asked = [r for r in server.requests if r["model"].endswith("eq")]
    assert len(asked) >= 1
    pair = extract_payload(asked[0]["messages"][-1]["content"])
    assert pair["a"] != pair["b"] and pair["query"].startswith("split")
    assert len(outcome.clusters) == 6  # the model said "not equivalent": nothing merged

    # models.yaml: off in the baseline profile, on in the local profile
    def role_models(name: str):
        loaded = load_profile(PROJECT_ROOT / "models.yaml", name)
        return models_from_roles(lambda role: [m.model for m in loaded.models(role)])

    assert role_models("baseline").equivalence is None
    assert role_models("local").equivalence == "openai/Qwen/Qwen2.5-7B-Instruct"


def test_chinese_query_and_points_through_the_pipeline(server, monkeypatch, warehouse):
    """A Chinese query whose aggregators return Chinese points: the text survives the
    gateway and the warehouse unchanged; clustering is the English MiniLM's (see
    test_consensus: unknown-character points merge, paraphrases without shared known
    characters split)."""
    from tests.rubrics.test_consensus import ZH_POINTS

    def chinese(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        if "agg-" in request["model"]:
            by_generator = {
                key: [a["answer_id"] for a in data["answers"] if f"[openai/gen-{g}]" in a["text"]]
                for key, g in (("a1", "a"), ("b1", "b"))
            }
            mine = [p for p in ZH_POINTS if request["model"].endswith(p[1])]
            points = [
                {"text": text, "kind": "essential",
                 "supporting_answer_ids": [i for key in support for i in by_generator[key]]}
                for text, _, support in mine
            ]  # fmt: skip
            return Reply(text=json.dumps({"points": points}, ensure_ascii=False))
        return handler(request, attempt)

    server.script(chinese)
    query = QueryInput(
        query_id="q-zh", text="布洛芬一次能吃多少?", language="zh", evidence=EVIDENCE,
        corpus_version="c1", evidence_fingerprint="fp-zh",
    )  # fmt: skip
    config = _config()
    outcome = generate_rubrics(
        [query], config, _gateway(server, monkeypatch), get_embedder().encode, prompt_versions()
    )["q-zh"]
    assert {p.text for p in outcome.points} == {t for t, _, _ in ZH_POINTS}
    by_text = {c.text: c for c in outcome.clusters}
    dose = by_text[ZH_POINTS[0][0]]
    assert (dose.support_count, dose.aggregator_count, len(dose.point_ids)) == (2, 2, 2)
    assert len(outcome.clusters) == 4  # 6 points: the dose paraphrases and a false merge
    merged = next(c for c in outcome.clusters if c.text in ("孕妇禁用。", "避免饮酒。"))
    assert len(merged.point_ids) == 2  # pregnancy and alcohol: one cluster
    version = config.rubric_set_version(prompt_versions(), "c1")
    write_frames(warehouse, outcome_frames([outcome], {"c1": version}, "cfg", False))
    stored = warehouse.read("SELECT text FROM knowledge_points WHERE query_id = 'q-zh'")
    assert set(stored["text"]) == {t for t, _, _ in ZH_POINTS}


def test_failed_regeneration_round_is_retried_not_reviewed(server, monkeypatch):
    """Round 0 answered, every call of the deeper round failed: an infrastructure failure
    (retried next run), not low agreement for the clinicians."""

    def deep_fails(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        evidence = [p["passage_id"] for p in data.get("evidence", [])]
        if "gen-" in request["model"] and "deep-1" in evidence:
            return Reply(status=500)
        return handler(request, attempt)

    server.script(deep_fails)
    outcome = generate_rubrics(
        [_query("split")], _config(), _gateway(server, monkeypatch), get_embedder().encode,
        prompt_versions(), deeper=_deeper,
    )["q-split"]  # fmt: skip
    assert outcome.rounds == 2 and any(a.text for a in outcome.answers if a.round == 0)
    assert outcome.review.reason == "no_candidate_answers" and not outcome.items
