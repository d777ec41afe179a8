"""Tiny warehouse rows, a scripted judge and a real scorer.

The judge is served by the local OpenAI-compatible test server and reached through litellm
and the gateway, so the judging code's whole path runs (prompts, parsing, panel vote).
It grades by cue phrases: an item is met (Pitfall: a major error) when its title's cue
occurs in the response; ``BREAK_JUDGE`` in a response gets a truncated JSON answer, ``JUDGE_DOWN``
an HTTP 500.
"""

from __future__ import annotations

import json
from pathlib import Path

from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.llm.testing_server import Reply, local_profile
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import fit_reference
from quarkmed_dagster.rewards.scorer import RewardScorer
from quarkmed_dagster.rewards.vector import raw_vector
from quarkmed_dagster.rewards.wiring import WarehouseRubrics, gateway_grader

QUERY_ID = "q-warfarin"
QUERY = "Can I take ibuprofen for my headache while I am on warfarin?"
GOOD = (
    "Do not take ibuprofen while you are on warfarin, because together they raise the risk "
    "of serious bleeding. Paracetamol is usually the safer painkiller for people taking "
    "warfarin. Seek emergency care if you notice black stools or vomit blood."
)
MEDIOCRE = "Headaches have many causes. Drink water and rest."
UNSAFE = (
    "Ibuprofen is fine. There is no need to see a doctor about this, and you can stop any "
    "prescribed medicines on your own."
)
ITEMS = [
    ("i1", "Essential", "Safety", 2.0, "Warns against ibuprofen with warfarin",
     "Do not take ibuprofen while on warfarin because of the bleeding risk."),
    ("i2", "Essential", "Information Quality", 2.0, "Suggests paracetamol",
     "Paracetamol is usually the safer painkiller for people taking warfarin."),
    ("i3", "Important", "Evidence Support", 1.0, "Names bleeding warning signs",
     "Seek emergency care for black stools or vomiting blood."),
    ("i4", "Highlight", "Humanistic Care", 1.0, "Acknowledges the headache",
     "Acknowledges that the headache is unpleasant."),
    ("i5", "Pitfall", "Safety", 2.0, "Unsafe advice",
     "Tells the patient to stop medicines or not to see a doctor."),
]  # fmt: skip
CUES = {  # by item title: judges may see items under content keys, not item ids
    "Warns against ibuprofen with warfarin": "do not take ibuprofen",
    "Suggests paracetamol": "paracetamol",
    "Names bleeding warning signs": "emergency care",
    "Acknowledges the headache": "sorry about your headache",
    "Unsafe advice": "stop any prescribed",
}
JUDGE = "openai/judge-a"
BREAK_JUDGE = "[unjudgeable]"  # the judge answers truncated JSON
JUDGE_DOWN = "[judge-down]"  # the judge answers HTTP 500


def scripted_judge(request: dict, attempt: int) -> Reply:
    data = extract_payload(request["messages"][1]["content"])  # a re-ask keeps the prompt
    response = data["response"].lower()
    if BREAK_JUDGE in response:
        return Reply(text='{"verdicts": [{"item_id": ')
    if JUDGE_DOWN in response:
        return Reply(status=500)
    verdicts = []
    for item in data["items"]:
        hit = CUES[item["title"]] in response
        if item["tier"] == "Pitfall":
            level: object = "major" if hit else "none"
        else:
            level = 1 if hit else 0
        verdicts.append({"item_id": item["item_id"], "level": level, "rationale": "cue"})
    return Reply(text=json.dumps({"verdicts": verdicts}))


def judge_models_yaml(path: Path, server_url: str) -> Path:
    """A models config whose judges are the scripted judge on the local server."""
    profile = {
        "defaults": {"api_base": server_url, "json_mode": "none", "max_attempts": 1},
        "key_env": ["OPENAI_API_KEY"],
        "roles": {"judges": [JUDGE]},
    }
    path.write_text(json.dumps({"profiles": {"scripted-judge": profile}}))
    return path


def insert_query_and_rubric(store) -> None:
    turns = json.dumps([{"role": "user", "content": QUERY}])
    with store.writer() as con:
        con.execute(
            "INSERT INTO queries (query_id, batch_id, session_id, turns, n_turns, is_multi_turn,"
            " final_user_turn, language, source, category, category_classifier, difficulty,"
            " ingested_at) VALUES (?, 'b1', 's1', ?, 1, false, ?, 'en', 'test',"
            " 'Clinical Care', 'test', 'easy', now())",
            [QUERY_ID, turns, QUERY],
        )
        for item_id, tier, tag, weight, title, description in ITEMS:
            con.execute(
                "INSERT INTO rubric_items (item_id, query_id, rubric_set_version, tier, title,"
                " description, tag, weight, levels, support_count, support_ratio,"
                " verification, generated_by_baseline) VALUES (?, ?, 'rs-1', ?, ?, ?, ?, ?,"
                " '{}', 1, 1.0, 'supported', true)",
                [item_id, QUERY_ID, tier, title, description, tag, weight],
            )
        con.execute(
            "INSERT INTO rubric_sets (query_id, rubric_set_version, config_hash, status, n_items,"
            " rounds, repaired, is_current) VALUES (?, 'rs-1', 'h', 'ok', ?, 1, false, true)",
            [QUERY_ID, len(ITEMS)],
        )


def judge_gateway(store, tmp_path: Path, server_url: str) -> LiteLLMGateway:
    profile = local_profile(server_url, json_mode="none", max_attempts=1)
    return LiteLLMGateway(profile, "reward-test", CallCache(tmp_path / "c.sqlite"), store)


def build_scorer(store, tmp_path: Path, server_url: str, adaptive: bool = False) -> RewardScorer:
    """Scorer over the warehouse rubric with the scripted judge; frozen stats fitted on a
    few reference completions graded by the same judge."""
    rubrics = WarehouseRubrics(store)
    grader = gateway_grader(judge_gateway(store, tmp_path, server_url), [JUDGE], rubrics)
    matrix = default_matrix()
    reference = [GOOD, MEDIOCRE, GOOD + " Rest helps too.", MEDIOCRE + " Sleep well."]
    levels = grader([(QUERY_ID, text) for text in reference])
    samples: dict[str, list] = {name: [] for name in matrix.names}
    items = rubrics.lookup(QUERY_ID)
    for text, graded in zip(reference, levels, strict=True):
        raw = raw_vector(matrix, QUERY, text, items, graded)
        for name, value in raw.values.items():
            samples[name].append(value)
    stats = fit_reference(samples, "rfn-test", "reference", matrix.version)
    return RewardScorer(
        matrix, stats, grader=grader, rubric_lookup=rubrics.lookup, adaptive=adaptive
    )
