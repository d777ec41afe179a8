"""Keyword-rule query classifier: category (Clinical Care / Wellness Health / Professional
Inquiry) and difficulty (easy / medium / hard), with a margin-based confidence."""

from __future__ import annotations

import re
from typing import Any

from quarkmed_dagster.baselines.payloads import ClassifierPayload
from quarkmed_dagster.baselines.text import words

_CUES = {
    "Professional Inquiry": re.compile(
        r"\b(mechanism|pathophysiolog\w*|pharmacokinetic\w*|pharmacodynamic\w*|guideline\w*|"
        r"differential diagnos\w*|first[- ]line|randomi[sz]ed|trial|meta-analysis|cohort|"
        r"prevalence|incidence|sensitivity|specificity|which of the following|mg/kg|"
        r"receptor|enzyme|histolog\w*|management of|indicated for|classification)\b",
        re.IGNORECASE,
    ),
    "Wellness Health": re.compile(
        r"\b(diet\w*|nutrition\w*|exercis\w*|fitness|workout|weight loss|lose weight|sleep\w*|"
        r"healthy|vitamin\w*|supplement\w*|protein|calorie\w*|stress|meditat\w*|skin ?care|"
        r"hydrat\w*|lifestyle|wellness|prevent\w*|immune system|energy)\b",
        re.IGNORECASE,
    ),
    "Clinical Care": re.compile(
        r"\b(pain|symptom\w*|diagnos\w*|treat\w*|medication\w*|medicine\w*|dose|dosage|"
        r"side effects?|infection|fever|rash|doctor|surgery|prescri\w*|my (?:son|daughter|"
        r"wife|husband|mother|father|child|baby)|i have|i've had|hurts?|swollen|bleed\w*|"
        r"headaches?|aches?|take|taking|pregnan\w*|blood pressure|diabetes|cancer|"
        r"allerg\w*|cough\w*|vomit\w*)\b",
        re.IGNORECASE,
    ),
}


def classify_query(raw: dict[str, Any]) -> dict[str, Any]:
    payload = ClassifierPayload.model_validate(raw)
    text = payload.text or ""
    hits = {category: len(pattern.findall(text)) for category, pattern in _CUES.items()}
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], list(_CUES).index(kv[0])))
    (top, top_hits), (_, second_hits) = ranked[0], ranked[1]
    if top_hits == 0:
        top = "Clinical Care"  # consumer health questions are the common default
    confidence = (
        0.34 if top_hits == 0 else round(0.5 + 0.5 * (top_hits - second_hits) / top_hits, 3)
    )
    n_words = len(words(text))
    questions = max(1, text.count("?"))
    score = n_words / 40 + (questions - 1) * 0.5 + (1 if top == "Professional Inquiry" else 0)
    difficulty = "easy" if score < 0.6 else "medium" if score < 1.5 else "hard"
    return {"category": top, "difficulty": difficulty, "confidence": confidence}
