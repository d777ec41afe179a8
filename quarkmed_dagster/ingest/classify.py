"""Offline rule-based baseline for category, difficulty, department and language.

Keyword evidence per category; the category with the most evidence wins (Clinical Care on
no evidence), and the confidence is that category's share of the evidence. Stored with
classifier="baseline-rules" so it is never mistaken for a model's judgment.

Classifiers label a whole batch at once (``QueryClassifier.classify_batch``), so that a model
classifier (``llm_classifier.LLMClassifier``) can send its calls through the gateway together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

CATEGORIES = ("Clinical Care", "Wellness Health", "Professional Inquiry")
DIFFICULTIES = ("easy", "medium", "hard")
BASELINE_CLASSIFIER = "baseline-rules"

_CUES: dict[str, tuple[str, ...]] = {
    "Professional Inquiry": (
        "my patient",
        "patients with",
        "as a physician",
        "as a nurse",
        "as a doctor",
        "clinician",
        "differential",
        "guideline",
        "mechanism of action",
        "pharmacokinetic",
        "contraindication",
        "randomized",
        "trial",
        "meta-analysis",
        "evidence for",
        "first-line",
        "management of",
        "dosing",
        "icd",
        "sensitivity and specificity",
        "prognosis of",
        "pathophysiology",
        "workup",
        "in adults with",
        "literature",
    ),
    "Wellness Health": (
        "diet",
        "exercise",
        "workout",
        "sleep",
        "weight loss",
        "lose weight",
        "nutrition",
        "vitamin",
        "supplement",
        "healthy",
        "stress",
        "meditation",
        "skin care",
        "skincare",
        "fitness",
        "prevent",
        "hydration",
        "calories",
        "protein",
        "fasting",
        "lifestyle",
        "wellness",
        "mindfulness",
        "running",
        "yoga",
    ),
    "Clinical Care": (
        "pain",
        "symptom",
        "diagnosed",
        "fever",
        "rash",
        "bleeding",
        "should i see",
        "doctor",
        "medication",
        "taking",
        "prescribed",
        "swelling",
        "infection",
        "hurts",
        "cough",
        "dizzy",
        "vomit",
        "my son",
        "my daughter",
        "my child",
        "my mother",
        "my father",
        "emergency",
        "treatment",
        "side effect",
        "blood pressure",
        "test results",
    ),
}

_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "cardiology": ("heart", "chest pain", "blood pressure", "cholesterol", "cardiac", "arrhythm"),
    "endocrinology": ("diabetes", "thyroid", "insulin", "glucose", "hormone"),
    "pediatrics": ("baby", "infant", "toddler", "my son", "my daughter", "child", "newborn"),
    "dermatology": ("rash", "skin", "acne", "eczema", "mole", "itch"),
    "psychiatry": ("depress", "anxiety", "panic", "suicid", "bipolar", "adhd", "mental"),
    "gastroenterology": ("stomach", "bowel", "diarrhea", "constipation", "liver", "reflux"),
    "neurology": ("headache", "migraine", "seizure", "stroke", "numbness", "dementia"),
    "obstetrics_gynecology": ("pregnan", "period", "menstrua", "ovar", "uterus", "contracept"),
    "oncology": ("cancer", "tumor", "tumour", "chemo", "lymphoma", "leukemia"),
    "infectious_disease": ("infection", "virus", "covid", "flu", "antibiotic", "vaccine"),
    "pharmacy": ("dose", "dosage", "mg", "interaction", "side effect", "pill", "tablet"),
}

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    difficulty: str
    department: str
    classifier: str = BASELINE_CLASSIFIER


@dataclass(frozen=True)
class QueryText:
    """What a classifier reads of one query: the final user turn and the dialogue before it
    (system turns excluded, oldest first), all already scrubbed."""

    final_user_turn: str
    history: tuple[dict[str, str], ...] = ()

    @property
    def n_turns(self) -> int:
        return len(self.history) + 1


class QueryClassifier(Protocol):
    def classify_batch(self, queries: Sequence[QueryText]) -> list[Classification]:
        """One label per query, in order."""
        ...


def detect_language(text: str) -> str:
    if _CJK.search(text):
        return "zh"
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.6:
        return "other"
    return "en"


def _count(text: str, cues: tuple[str, ...]) -> int:
    return sum(text.count(cue) for cue in cues)


class RuleClassifier:
    """The offline baseline."""

    def classify(self, final_user_turn: str, n_turns: int) -> Classification:
        text = final_user_turn.lower()
        scores = {c: _count(text, _CUES[c]) for c in CATEGORIES}
        total = sum(scores.values())
        if total == 0:
            category, confidence = "Clinical Care", 0.34
        else:
            category = max(CATEGORIES, key=lambda c: (scores[c], c == "Clinical Care"))
            confidence = round(scores[category] / total, 3)
        words = len(final_user_turn.split())
        if category == "Professional Inquiry" or n_turns > 3 or words > 150:
            difficulty = "hard"
        elif n_turns == 1 and words < 25:
            difficulty = "easy"
        else:
            difficulty = "medium"
        departments = {d: _count(text, cues) for d, cues in _DEPARTMENTS.items()}
        best = max(departments, key=lambda d: departments[d])
        department = best if departments[best] else "general"
        return Classification(category, confidence, difficulty, department)

    def classify_batch(self, queries: Sequence[QueryText]) -> list[Classification]:
        return [self.classify(q.final_user_turn, q.n_turns) for q in queries]
