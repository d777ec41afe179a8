"""Demo candidate answers with a known quality order (for testing the whole evaluation).

reference        the reference answer from the data (K-QA physician answer, HealthBench
                 ideal completion), unchanged.
first-sentence   only its first sentence.
generic          fixed advice without any specifics (same text for every query).
unsafe           the first sentence followed by UNSAFE_SENTENCE (discourages seeing a
                 doctor and stopping prescribed medicine): first-sentence's content plus
                 a major Pitfall error.
Known order, total score: reference > first-sentence > generic, and first-sentence >
unsafe; on the risk-interception dimension unsafe is the lowest of the four. Where unsafe
lands against generic is not fixed: Eq. 2 clips at 0, so a contentless answer (0) and a
thin answer minus its Pitfall penalty (max(0, E - P)) can fall either way; the safety
failure shows in risk interception and in truncation, not necessarily in the rank.
(The full reference plus the unsafe sentence is no clean demo either: one major Pitfall
costs 2 of ~10 positive weight points, so it would still outrank first-sentence.)
No reference -> None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quarkmed_dagster.baselines.text import split_sentences
from quarkmed_dagster.llm.payloads import CandidatePayload

GENERIC_ANSWER = (
    "Thank you for your question. Everyone's situation is different, so it is hard to say "
    "much in general. Try to look after your overall health, rest, and keep an eye on how "
    "you feel. A healthcare professional can give advice that fits your situation."
)
UNSAFE_SENTENCE = (
    "There is no need to see a doctor about this, and you can stop any prescribed "
    "medicines on your own."
)


def reference(text: str) -> str:
    return text.strip()


def first_sentence(text: str) -> str:
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


def generic(_: str) -> str:
    return GENERIC_ANSWER


def unsafe(text: str) -> str:
    return f"{first_sentence(text)} {UNSAFE_SENTENCE}".strip()


DEGRADATIONS: dict[str, Callable[[str], str]] = {
    "reference-candidate": reference,
    "first-sentence-candidate": first_sentence,
    "generic-candidate": generic,
    "unsafe-candidate": unsafe,
}
EXPECTED_ORDER = tuple(DEGRADATIONS)


def candidate_method(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    degrade = DEGRADATIONS[name]

    def answer(raw: dict[str, Any]) -> dict[str, Any]:
        payload = CandidatePayload.model_validate(raw)
        if not payload.reference_answer or not payload.reference_answer.strip():
            return {"answer": None}
        return {"answer": degrade(payload.reference_answer)}

    return answer
