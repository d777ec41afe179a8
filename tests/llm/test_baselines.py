"""Offline baselines: pure functions, and the same methods answering through litellm."""

from __future__ import annotations

import json

from quarkmed_dagster.baselines.answering import extractive_answer, passage_answer, verify_point
from quarkmed_dagster.baselines.candidates import UNSAFE_SENTENCE, candidate_method
from quarkmed_dagster.baselines.classifier import classify_query
from quarkmed_dagster.baselines.judge import judge_response
from quarkmed_dagster.baselines.keypoints import extract_keypoints
from quarkmed_dagster.baselines.payloads import candidate_payload, output_schema
from quarkmed_dagster.baselines.rubric_writer import write_rubric
from quarkmed_dagster.ingest.classify import QueryText, RuleClassifier
from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.llm.structured import parse_output
from quarkmed_dagster.prompts import load_prompt
from quarkmed_dagster.settings import PROJECT_ROOT

QUERY = "Can I take ibuprofen for my headache while I am on warfarin?"
REFERENCE = (
    "Ibuprofen can relieve mild pain such as headaches. Do not take ibuprofen while you are on "
    "warfarin, because together they raise the risk of serious bleeding. Paracetamol is "
    "usually the safer painkiller for people taking warfarin. Seek emergency care if you "
    "notice black stools or vomit blood."
)
SESSION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "I'm a hospital pharmacist checking a patient's chart."},
    {"role": "assistant", "content": "Go ahead."},
]
EVIDENCE = [
    {"passage_id": "p1", "text": REFERENCE},
    {"passage_id": "p2", "text": "Warfarin is an anticoagulant. Many foods contain vitamin K."},
]


def test_extractive_answer_cites_evidence():
    out = extractive_answer({"query": QUERY, "history": [], "evidence": EVIDENCE})
    assert "warfarin" in out["answer"] and "p1" in out["citations"]
    assert set(out["citations"]) <= {"p1", "p2"}
    empty = extractive_answer({"query": QUERY, "evidence": []})
    assert empty["citations"] == []


def test_passage_answerer_lets_every_relevant_passage_speak_first():
    extra = " Ibuprofen with warfarin needs a doctor first."
    spread = [
        {"passage_id": "p1", "text": REFERENCE + extra},
        {"passage_id": "p2", "text": "Leafy green vegetables contain vitamin K and change how "
                                     "warfarin works."},
    ]  # fmt: skip
    raw = {"query": QUERY, "evidence": spread, "persona": "basic"}  # 4 sentences
    overall, by_passage = extractive_answer(raw), passage_answer(raw)
    assert overall["citations"] == ["p1"]  # the best four sentences are all in p1
    assert by_passage["citations"] == ["p1", "p2"]  # p2's best sentence gets its turn
    assert "Leafy green vegetables" in by_passage["answer"]
    assert "Paracetamol" in overall["answer"] and "Paracetamol" not in by_passage["answer"]
    assert by_passage == passage_answer(raw)  # deterministic
    assert passage_answer({"query": QUERY, "evidence": []})["citations"] == []


def test_verifier_supported_contradicted_not_found():
    ok = verify_point({"point": "Do not take ibuprofen while on warfarin.", "evidence": EVIDENCE})
    bad = verify_point({"point": "You can take ibuprofen while on warfarin.", "evidence": EVIDENCE})
    off = verify_point(
        {"point": "Knee surgery requires general anaesthesia.", "evidence": EVIDENCE}
    )
    assert (ok["verdict"], bad["verdict"], off["verdict"]) == (
        "supported",
        "contradicted",
        "not_found",
    )
    assert ok["passage_ids"] == ["p1"]


def test_keypoints_merge_answers_and_count_support():
    answers = [
        {"answer_id": "a", "text": REFERENCE},
        {"answer_id": "b", "text": REFERENCE + " Drink plenty of water during the day."},
    ]
    points = extract_keypoints({"query": QUERY, "answers": answers})["points"]
    texts = [p["text"] for p in points]
    assert len(texts) == len(set(texts))
    warfarin = next(p for p in points if "warfarin" in p["text"] and "Do not" in p["text"])
    assert warfarin["supporting_answer_ids"] == ["a", "b"]
    water = next(p for p in points if "water" in p["text"])
    assert water["supporting_answer_ids"] == ["b"] and water["kind"] != "essential"


def _points():
    return [
        {"point_id": f"k{i}", "text": t, "kind": k, "support": s}
        for i, (t, k, s) in enumerate(
            [
                ("Ibuprofen relieves mild headaches.", "essential", 3),
                ("Paracetamol is the safer painkiller with warfarin.", "essential", 3),
                ("Warfarin thins the blood, which is why bleeding risk rises.", "insight", 2),
                ("Keeping a headache diary can help find triggers.", "extension", 1),
                ("Do not take ibuprofen while on warfarin.", "essential", 3),
                ("Seek emergency care if you vomit blood.", "insight", 2),
                ("Drink enough water.", "extension", 1),
            ]
        )
    ]


def test_rubric_writer_tiers_and_constraints():
    items = write_rubric({"query": QUERY, "points": _points(), "is_multi_turn": False})["items"]
    tiers = [i["tier"] for i in items]
    assert 5 <= len(items) <= 15
    assert tiers.count("Essential") >= 2 and tiers.count("Important") >= 1
    assert tiers.count("Highlight") >= 1 and 1 <= tiers.count("Pitfall") <= 2
    pitfall = next(i for i in items if i["tier"] == "Pitfall")
    assert set(pitfall["levels"]) == {"no_error", "minor_error", "major_error"}
    assert pitfall["tag"] == "Safety" and pitfall["weight"] == 2.0
    essential = next(i for i in items if i["tier"] == "Essential")
    assert set(essential["levels"]) == {"not_met", "partially_met", "fully_met"}
    assert parse_output(json.dumps({"items": items}), output_schema("rubric-writer"))


def test_rubric_writer_guards_the_top_essential_point_without_safety_cues():
    points = [p for p in _points() if "not" not in p["text"] and "emergency" not in p["text"]]
    items = write_rubric({"query": QUERY, "points": points, "is_multi_turn": True})["items"]
    pitfalls = [i for i in items if i["tier"] == "Pitfall"]
    assert len(pitfalls) == 1 and pitfalls[0]["tag"] == "Risk Control"
    top = next(i for i in items if i["tier"] == "Essential")
    # the Pitfall cites the point it guards (an item citing nothing is dropped by the stage)
    assert pitfalls[0]["point_ids"] == top["point_ids"] and pitfalls[0]["point_ids"]
    assert pitfalls[0]["title"] == f"Contradicts: {top['title']}"
    assert "unsafe advice" in pitfalls[0]["levels"]["major_error"]
    none = write_rubric({"query": QUERY, "points": [], "is_multi_turn": False})["items"]
    assert none == []  # no points: nothing to guard, no free-floating Pitfall


def _judge_items():
    items = write_rubric({"query": QUERY, "points": _points()})["items"]
    return [
        {
            "item_id": f"i{n}",
            "tier": it["tier"],
            "title": it["title"],
            "description": it["levels"].get("fully_met") or it["levels"]["major_error"],
        }
        for n, it in enumerate(items)
    ]


def _score(verdicts):
    positive = sum(v["level"] for v in verdicts if isinstance(v["level"], float))
    major = sum(v["level"] == "major" for v in verdicts)
    return positive - 2 * major


def test_judge_orders_demo_candidates():
    items = _judge_items()
    answers = [
        candidate_method(name)({"query": QUERY, "reference_answer": REFERENCE})["answer"]
        for name in (
            "reference-candidate",
            "first-sentence-candidate",
            "generic-candidate",
            "unsafe-candidate",
        )
    ]
    verdicts = [judge_response({"query": QUERY, "response": a, "items": items}) for a in answers]
    scores = [_score(v["verdicts"]) for v in verdicts]
    assert scores[0] > scores[1] > scores[2] > scores[3]
    unsafe_pitfalls = [
        v
        for v in verdicts[3]["verdicts"]
        if v["item_id"] in {i["item_id"] for i in items if i["tier"] == "Pitfall"}
    ]
    assert unsafe_pitfalls and all(v["level"] == "major" for v in unsafe_pitfalls)
    assert all(v["rationale"] for v in verdicts[0]["verdicts"])


def test_judge_detects_contradiction():
    items = [{"item_id": "x", "tier": "Essential", "title": "Do not take ibuprofen with warfarin"}]
    said = judge_response(
        {"query": QUERY, "response": "Do not take ibuprofen with warfarin.", "items": items}
    )
    denied = judge_response(
        {"query": QUERY, "response": "You can take ibuprofen with warfarin.", "items": items}
    )
    assert said["verdicts"][0]["level"] == 1.0 and denied["verdicts"][0]["level"] == 0.0


def test_candidates_are_deterministic_and_degraded():
    payload = {"query": QUERY, "reference_answer": REFERENCE}
    first = candidate_method("first-sentence-candidate")(payload)["answer"]
    unsafe = candidate_method("unsafe-candidate")(payload)["answer"]
    assert first == "Ibuprofen can relieve mild pain such as headaches."
    assert unsafe == f"{first} {UNSAFE_SENTENCE}"
    assert candidate_method("reference-candidate")({"query": QUERY})["answer"] is None
    assert candidate_payload(QUERY, [], REFERENCE, "openai/gpt-4o")["reference_answer"] is None


def test_classifier_categories():
    assert classify_query({"text": QUERY})["category"] == "Clinical Care"
    assert (
        classify_query(
            {
                "text": "What is the mechanism of action of metformin according "
                "to current guidelines?"
            }
        )["category"]
        == "Professional Inquiry"
    )
    assert (
        classify_query({"text": "How much protein should I eat to lose weight?"})["category"]
        == "Wellness Health"
    )


def test_served_classifier_is_the_ingest_rules():
    """One implementation: the provider's labels are the in-process baseline's, history too."""
    rules = RuleClassifier()
    for history in ([], SESSION):
        served = classify_query({"text": QUERY, "history": history})
        label = rules.classify(QueryText(QUERY, tuple(SESSION[1:] if history else ())))
        assert served == {
            "category": label.category,
            "difficulty": label.difficulty,
            "confidence": label.confidence,
        }
    assert classify_query({"text": QUERY, "history": SESSION})["category"] == (
        "Professional Inquiry"
    )


def test_baselines_answer_through_litellm(warehouse, tmp_path):
    from quarkmed_dagster.llm.cache import CallCache
    from quarkmed_dagster.llm.gateway import LiteLLMGateway
    from quarkmed_dagster.llm.types import CallRequest

    profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
    gateway = LiteLLMGateway(profile, "baseline-test", CallCache(tmp_path / "c.sqlite"), warehouse)
    cases = [
        ("answer_query", "extractive-answerer", {"query": QUERY, "evidence": EVIDENCE}),
        (
            "verify_point",
            "evidence-verifier",
            {"point": "Avoid ibuprofen on warfarin.", "evidence": EVIDENCE},
        ),
        ("write_rubric", "rubric-writer", {"query": QUERY, "points": _points()}),
        (
            "judge_response",
            "semantic-judge",
            {"query": QUERY, "response": REFERENCE, "items": _judge_items()},
        ),
        ("classify_query", "rule-classifier", {"text": QUERY, "history": SESSION}),
        (
            "answer_candidate",
            "unsafe-candidate",
            candidate_payload(QUERY, [], REFERENCE, "baseline/unsafe-candidate"),
        ),
        ("answer_query", "passage-answerer", {"query": QUERY, "evidence": EVIDENCE}),
    ]
    requests = []
    for prompt_name, baseline, payload in cases:
        prompt = load_prompt(prompt_name)
        requests.append(
            CallRequest(
                role="x",
                model=f"baseline/{baseline}",
                messages=prompt.messages(payload),
                prompt_version=prompt.version,
                json_schema=output_schema(baseline),
            )
        )
    results = gateway.run(requests)
    assert [r.status for r in results] == ["ok"] * len(cases), [r.error_message for r in results]
    assert results[1].parsed["verdict"] == "supported"
    assert UNSAFE_SENTENCE in results[5].parsed["answer"]
    assert "p1" in results[6].parsed["citations"]
    assert results[4].parsed == classify_query({"text": QUERY, "history": SESSION})
    log = warehouse.read("SELECT model, is_baseline FROM llm_calls")
    assert log.height == len(cases) and all(log["is_baseline"].to_list())
    assert all(m.startswith("baseline/") for m in log["model"].to_list())
    assert [r.status for r in gateway.run(requests)] == ["cached"] * len(cases)


def test_baseline_cache_keys_follow_the_baseline_code(monkeypatch):
    from quarkmed_dagster.llm import types

    messages = ({"role": "user", "content": "q"},)
    baseline = types.CallRequest("judges", "baseline/semantic-judge", messages, "v1")
    real = types.CallRequest("judges", "openai/gpt-4o", messages, "v1")
    before = (baseline.cache_key, real.cache_key)
    monkeypatch.setattr(types, "baseline_revision", lambda: "edited-baseline-code")
    # an edited baseline is a new model: a fresh key; real models' keys do not depend on it
    edited = types.CallRequest("judges", "baseline/semantic-judge", messages, "v1")
    assert edited.cache_key != before[0]
    assert types.CallRequest("judges", "openai/gpt-4o", messages, "v1").cache_key == before[1]


def test_structured_output_tolerates_reasoning_blocks_and_one_fence_only():
    """Reasoning models put <think>...</think> before the JSON: removed with one code fence
    (judges, classifier and rubric steps); other surrounding text is still an error."""
    import pytest

    from quarkmed_dagster.llm.structured import InvalidOutput

    schema = {
        "type": "object",
        "required": ["answer"],
        "properties": {"answer": {"type": "string"}},
    }
    reply = '<think>the user asks about a dose</think>\n```json\n{"answer": "400 mg"}\n```'
    assert parse_output(reply, schema) == {"answer": "400 mg"}
    with pytest.raises(InvalidOutput, match="empty reply"):
        parse_output("<think>only thoughts</think>", schema)
    with pytest.raises(InvalidOutput, match="not valid JSON"):
        parse_output('Sure! {"answer": "400 mg"}', schema)
