"""Tiny warehouse rows and a real offline scorer (baseline judge through the gateway)."""

from __future__ import annotations

import json
from pathlib import Path

from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.config import load_profile
from quarkmed_dagster.llm.gateway import LiteLLMGateway
from quarkmed_dagster.rewards.matrix import default_matrix
from quarkmed_dagster.rewards.normalization import fit_reference
from quarkmed_dagster.rewards.scorer import RewardScorer
from quarkmed_dagster.rewards.vector import raw_vector
from quarkmed_dagster.rewards.wiring import gateway_grader, warehouse_rubrics
from quarkmed_dagster.settings import PROJECT_ROOT

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


def build_scorer(store, tmp_path: Path, adaptive: bool = False) -> RewardScorer:
    profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
    gateway = LiteLLMGateway(profile, "reward-test", CallCache(tmp_path / "c.sqlite"), store)
    lookup, rows = warehouse_rubrics(store)
    grader = gateway_grader(gateway, ["baseline/semantic-judge"], store, rows)
    matrix = default_matrix()
    reference = [GOOD, MEDIOCRE, GOOD + " Rest helps too.", MEDIOCRE + " Sleep well."]
    samples: dict[str, list] = {name: [] for name in matrix.names}
    items = lookup(QUERY_ID)
    for text in reference:
        raw = raw_vector(matrix, QUERY, text, items, grader(QUERY_ID, text))
        for name, value in raw.values.items():
            samples[name].append(value)
    stats = fit_reference(samples, "rfn-test", "reference", matrix.version)
    return RewardScorer(matrix, stats, grader=grader, rubric_lookup=lookup, adaptive=adaptive)
