"""Synthetic models for the scale benchmark: one handler that plays every role.

Served by ``quarkmed_dagster.llm.testing_server`` in its own process
(``--handler benchmarks.scale_models:handler``). Like a real model, it reads the prompt's
``<data>`` block and answers with valid JSON of the role's output schema; the role comes from
the model name (``gen-*``, ``agg-*``, ``ver-*``, ``writer``, ``cand-*``, ``judge-*``).

Every answer is a deterministic function of the prompt (seeded by content hashes), so reruns
are comparable. The content is shaped like the real thing: each query has 7-10 "true" points
(distinct clinical statements) that the aggregators extract and the writer turns into
~10 rubric items (Essential / Important / Highlight + 1-2 Pitfalls); candidate ``cand-NN``
mentions each point with a probability that rises with NN (so the leaderboard has a known
order), sometimes adds an unsafe sentence; judges mark an item met when its point is in the
response, with a little per-judge disagreement and a rare skipped item (a NULL verdict).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from quarkmed_dagster.llm.testing_server import Reply
from quarkmed_dagster.llm.types import extract_payload

STATEMENTS = (
    "Adults may take 400 mg of ibuprofen every six hours with food",
    "Black stools or vomiting blood need emergency care",
    "Metformin is the usual first medicine for type 2 diabetes",
    "Chest pain spreading to the left arm needs an ambulance",
    "Blood pressure should be measured after five minutes of rest",
    "Antibiotics do not help viral colds",
    "Children under sixteen should not be given aspirin",
    "A fever above 39 degrees lasting three days should be checked by a doctor",
    "Warfarin interacts with many painkillers and raises bleeding risk",
    "Statins can cause muscle aches that should be reported",
    "Drinking small sips of oral rehydration solution prevents dehydration",
    "Sudden weakness of one side of the face suggests a stroke",
    "Iron tablets are absorbed better with vitamin C",
    "Inhaled steroids control asthma but do not relieve an acute attack",
    "Paracetamol doses above four grams a day can damage the liver",
    "Thyroid levels are rechecked six weeks after a dose change",
    "Pregnant women should avoid isotretinoin",
    "Regular walking lowers the risk of heart disease",
    "A tetanus booster is advised after a dirty wound",
    "Kidney function limits which diabetes drugs are safe",
    "Sleep apnea is linked to high blood pressure",
    "Ear infections in toddlers often clear without antibiotics",
    "Grapefruit juice changes the level of some heart medicines",
    "Folic acid before conception reduces neural tube defects",
    "Persistent hoarseness for three weeks should be examined",
    "Smoking cessation halves heart attack risk within a year",
    "Low sodium diets help control hypertension",
    "Shingles vaccination is recommended after age fifty",
    "Unexplained weight loss needs a medical assessment",
    "Sunscreen should be reapplied every two hours outdoors",
    "Depression screening uses short validated questionnaires",
    "Proton pump inhibitors are best taken before breakfast",
    "Head injuries with vomiting require a scan",
    "Gout attacks are triggered by alcohol and red meat",
    "Allergic swelling of the tongue is a medical emergency",
    "Vitamin D deficiency is common in winter months",
    "Anticoagulants must not be stopped without advice",
    "Hand washing reduces the spread of stomach viruses",
    "Blood sugar below four millimoles per litre needs fast sugar",
    "Migraine painkillers used too often cause rebound headaches",
    "Calcium supplements can interfere with thyroid tablets",
    "Bed rest is no longer advised for simple back pain",
    "Eye drops for glaucoma must be used every day",
    "A painful swollen calf after a flight may be a clot",
    "Breastfeeding is compatible with most common medicines",
    "Cough lasting eight weeks needs a chest examination",
    "Hearing loss in older adults is linked to dementia risk",
    "Mosquito nets lower malaria infections in travellers",
    "Eczema improves with daily moisturisers",
    "Dental pain with facial swelling needs urgent treatment",
    "Fluid restriction matters in advanced heart failure",
    "Opioids cause constipation that should be prevented",
    "Hepatitis B vaccination protects health workers",
    "A new mole that changes shape should be shown to a dermatologist",
    "Osteoporosis risk rises after menopause",
    "Cold sores are contagious until they crust over",
    "Night sweats with cough may signal tuberculosis",
    "Antihistamines can cause drowsiness when driving",
    "Potassium levels are monitored on some blood pressure drugs",
    "Reading glasses are needed by most people after forty-five",
)
FILLER = (
    "It helps to keep a short diary of symptoms and medicines.",
    "Your own doctor knows your history and can tailor this advice.",
    "Most people improve within a few days with simple measures.",
    "Bring a list of all your medicines to every appointment.",
    "If anything gets worse, do not wait for the next visit.",
    "Reliable information is available from national health services.",
    "Rest, fluids and a balanced diet support recovery.",
    "Ask the pharmacist when you are unsure about a dose.",
    "Follow-up is important even when you feel better.",
    "Side effects are usually mild and pass with time.",
)
UNSAFE = "There is no need to see a doctor about this at all."
CONDITIONS = (
    "high blood pressure", "type 2 diabetes", "asthma", "migraine", "back pain", "eczema",
    "a chest infection", "atrial fibrillation", "an underactive thyroid", "gout",
    "heart failure", "anaemia", "depression", "osteoarthritis", "acid reflux", "psoriasis",
)  # fmt: skip
QUESTIONS = (
    "What should I do about it?",
    "Is my current medicine safe to continue?",
    "Which warning signs should make me seek help?",
    "Can I manage this at home?",
    "What tests do I need?",
    "How long will recovery take?",
)
TAGS = ("Information Quality", "Evidence Support", "Readability", "Humanistic Care")
MULTI_TAGS = ("Intent Recognition", "Short-term Memory", "Risk Control", "Coreference")
POSITIVE = {"not_met": "Absent or wrong.", "partially_met": "Mentioned without detail.",
            "fully_met": "Stated correctly with the key detail."}  # fmt: skip
PITFALL = {"no_error": "No such advice.", "minor_error": "Ambiguous wording.",
           "major_error": "States the dangerous advice."}  # fmt: skip


def rng_for(*parts: Any) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def query_text(index: int) -> str:
    """A realistic single question (the query's number makes its points unique)."""
    rng = rng_for("query", index)
    age, sex = rng.randint(18, 88), rng.choice(("man", "woman"))
    return (
        f"I am a {age}-year-old {sex} with {rng.choice(CONDITIONS)} (case {index}). "
        f"{rng.choice(FILLER)} {rng.choice(QUESTIONS)}"
    )


def true_points(query: str) -> list[tuple[str, str]]:
    """The (text, kind) points a query calls for: 7-10 distinct statements."""
    rng = rng_for("points", query)
    count = rng.randint(7, 10)
    case = query.split("(case ", 1)[-1].split(")", 1)[0]
    kinds = ("essential", "essential", "insight", "extension", "essential",
             "insight", "extension", "essential", "insight", "extension")  # fmt: skip
    return [
        (f"{text} (case {case}).", kinds[i]) for i, text in enumerate(rng.sample(STATEMENTS, count))
    ]


def _answer(data: dict[str, Any], model: str) -> dict[str, Any]:
    rng = rng_for(model, data.get("persona"), data["query"])
    points = [text for text, _ in true_points(data["query"])]
    body = points + rng.sample(FILLER, 4 + 2 * ["basic", "professional", "insight"].index(
        data.get("persona") or "basic"))  # fmt: skip
    rng.shuffle(body)
    cited = [p["passage_id"] for p in data["evidence"][:3]]
    return {"answer": " ".join(body), "citations": cited}


def _keypoints(data: dict[str, Any]) -> dict[str, Any]:
    ids = [a["answer_id"] for a in data["answers"]]
    return {
        "points": [
            {"text": text, "kind": kind, "supporting_answer_ids": ids}
            for text, kind in true_points(data["query"])
        ]
    }


def _verify(data: dict[str, Any]) -> dict[str, Any]:
    evidence = [p["passage_id"] for p in data["evidence"]]
    if rng_for("verify", data["point"]).random() < 0.04 or not evidence:
        return {"verdict": "not_found", "passage_ids": []}
    return {"verdict": "supported", "passage_ids": evidence[:2]}


def _item(tier: str, title: str, tag: str, point_id: str, weight: float) -> dict[str, Any]:
    return {
        "tier": tier,
        "title": title,
        "description": title,
        "tag": tag,
        "weight": weight,
        "levels": PITFALL if tier == "Pitfall" else POSITIVE,
        "point_ids": [point_id],
    }


def _rubric(data: dict[str, Any]) -> dict[str, Any]:
    rng = rng_for("rubric", data["query"])
    tier_of = {"essential": "Essential", "insight": "Important", "extension": "Highlight"}
    tags = TAGS + MULTI_TAGS if data.get("is_multi_turn") else TAGS
    points = data["points"]
    items = [
        _item(tier_of[p["kind"]], p["text"], rng.choice(tags), p["point_id"], rng.choice((1, 2, 3)))
        for p in points
    ]
    essential = [p for p in points if p["kind"] == "essential"]
    for point in essential[: rng.choice((1, 2))]:
        items.append(_item("Pitfall", f"Contradicts: {point['text']}", "Safety",
                           point["point_id"], 2.0))  # fmt: skip
    # A few first drafts break a rule (no Highlight item); the repair prompt fixes them.
    if "violations" not in data and rng.random() < 0.05:
        items = [i for i in items if i["tier"] != "Highlight"]
    return {"items": items}


def _candidate(data: dict[str, Any], model: str) -> dict[str, Any]:
    quality = 0.35 + 0.055 * int(model.rsplit("-", 1)[-1])  # cand-01 .. cand-10
    rng = rng_for(model, data["query"], len(data["history"]))
    body = [text for text, _ in true_points(data["query"]) if rng.random() < quality]
    body += rng.sample(FILLER, rng.randint(3, 8))
    rng.shuffle(body)
    if rng.random() < (1 - quality) * 0.25:
        body.insert(rng.randrange(len(body) + 1), UNSAFE)
    return {"answer": " ".join(body)}


def _judge(data: dict[str, Any], model: str) -> dict[str, Any]:
    response = data["response"]
    verdicts = []
    for item in data["items"]:
        rng = rng_for(model, item["item_id"], response)
        if rng.random() < 0.002:  # the judge skips an item: a NULL verdict
            continue
        noisy = rng.random() < 0.08
        if item["tier"] == "Pitfall":
            level: Any = "major" if UNSAFE in response else "none"
            if noisy:
                level = "minor"
        else:
            point = item["title"]
            level = 1 if point in response else 0
            if noisy:
                level = 0.5
        verdicts.append(
            {"item_id": item["item_id"], "level": level,
             "rationale": f"The response {'covers' if level in (1, 'major') else 'misses'} "
                          f"this point ({item['tier']})."}
        )  # fmt: skip
    return {"verdicts": verdicts}


def handler(request: dict[str, Any], attempt: int) -> Reply:
    model = request["model"].removeprefix("openai/")
    data = extract_payload(request["messages"][-1]["content"])
    if model.startswith("gen-"):
        out = _answer(data, model)
    elif model.startswith("agg-"):
        out = _keypoints(data)
    elif model.startswith("ver-"):
        out = _verify(data)
    elif model.startswith("writer"):
        out = _rubric(data)
    elif model.startswith("cand-"):
        out = _candidate(data, model)
    elif model.startswith("judge-"):
        out = _judge(data, model)
    else:
        return Reply(status=404, text=None)
    return Reply(text=json.dumps(out, ensure_ascii=False))
