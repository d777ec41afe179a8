"""Turn a query (possibly a multi-turn session) into search text.

A follow-up turn often names its subject only earlier in the session ("what about for
my son?"), so the last earlier user turns are added, shortened, after the final turn.
Optional expansion adds clinical terms for common lay phrases.
"""

from __future__ import annotations

import re

LAY_TO_CLINICAL: dict[str, str] = {
    "heart attack": "myocardial infarction",
    "high blood pressure": "hypertension",
    "low blood pressure": "hypotension",
    "stroke": "cerebrovascular accident",
    "sugar": "diabetes glucose",
    "kidney": "renal",
    "liver": "hepatic",
    "stomach flu": "gastroenteritis",
    "pink eye": "conjunctivitis",
    "heartburn": "gastroesophageal reflux",
    "shingles": "herpes zoster",
    "blood thinner": "anticoagulant",
    "water pill": "diuretic",
    "cold sore": "herpes simplex",
    "period": "menstruation",
    "pregnant": "pregnancy",
    "fever": "pyrexia",
    "rash": "dermatitis",
}

EARLIER_TURN_WORDS = 40


def expand_terms(text: str) -> str:
    lowered = text.lower()
    extra = [
        term
        for phrase, term in LAY_TO_CLINICAL.items()
        if re.search(rf"\b{re.escape(phrase)}\b", lowered)
    ]
    return f"{text} {' '.join(extra)}" if extra else text


def search_text(
    final_user_turn: str,
    earlier_user_turns: list[str] | None = None,
    expand: bool = False,
    earlier_turns_kept: int = 2,
) -> str:
    parts = [final_user_turn.strip()]
    for turn in (earlier_user_turns or [])[-earlier_turns_kept:]:
        words = turn.split()
        parts.append(" ".join(words[:EARLIER_TURN_WORDS]))
    text = " ".join(p for p in parts if p)
    return expand_terms(text) if expand else text
