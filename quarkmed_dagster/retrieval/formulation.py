"""Turn a query (possibly a multi-turn session) into search text.

A follow-up turn often names its subject only earlier in the session ("what about for
my son?"), so the salient terms of the earlier user turns (content words not already in
the final turn, most recent turn first, capped) are added after the final turn. The final
turn leads, so it dominates; earlier context only adds the subject the follow-up omits.
Optional expansion adds clinical terms for common lay phrases.
"""

from __future__ import annotations

import re

from quarkmed_dagster.retrieval.terms import STOPWORDS

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

EARLIER_CONTEXT_TERMS = 30
_WORD = re.compile(r"\w+", re.UNICODE)


def expand_terms(text: str) -> str:
    lowered = text.lower()
    extra = [
        term
        for phrase, term in LAY_TO_CLINICAL.items()
        if re.search(rf"\b{re.escape(phrase)}\b", lowered)
    ]
    return f"{text} {' '.join(extra)}" if extra else text


def salient_terms(earlier_user_turns: list[str], final_user_turn: str, limit: int) -> list[str]:
    """Content words of earlier turns, newest turn first, minus words the final turn has."""
    seen = {w.lower() for w in _WORD.findall(final_user_turn)}
    terms: list[str] = []
    for turn in reversed(earlier_user_turns):
        for word in _WORD.findall(turn):
            key = word.lower()
            if len(key) < 3 or key in STOPWORDS or key in seen or key.isdigit():
                continue
            seen.add(key)
            terms.append(word)
            if len(terms) >= limit:
                return terms
    return terms


def search_text(
    final_user_turn: str,
    earlier_user_turns: list[str] | None = None,
    expand: bool = False,
    context_terms: int = EARLIER_CONTEXT_TERMS,
) -> str:
    final = final_user_turn.strip()
    context = salient_terms(earlier_user_turns or [], final, context_terms)
    text = " ".join([final, *context]).strip()
    return expand_terms(text) if expand else text
