"""Offline rule-based baseline for category, difficulty, department and language.

Keyword evidence per category, read from every user turn; the category with the most
evidence wins (ties: Professional Inquiry, then Clinical Care; Clinical Care on no evidence),
and the confidence is that category's share of the evidence. Stored with
classifier="baseline-rules" so it is never mistaken for a model's judgment. The one rule
implementation: the offline provider ``baseline/rule-classifier`` (role classifier) answers
with these same rules (``quarkmed_dagster.baselines.classifier``). Measured against the
labels the public data carries in ``benchmarks/bench_classifier.py``.

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

_ROLE = (
    r"(?:doctor|doc|physician|nurse|clinician|pharmacist|resident|surgeon|midwife|paramedic|"
    r"medical student|dietitian|therapist)"
)
# Regex fragments, matched as whole words in lowercased text; every match is one piece of
# evidence. Professional Inquiry: the asker is a health professional or asks about the
# evidence, mechanisms, coding or management of patients in general.
_CUE_FRAGMENTS: dict[str, tuple[str, ...]] = {
    "Professional Inquiry": (
        r"patients?",
        rf"as an? {_ROLE}",
        rf"i(?:['’]m| am) an? (?:[\w&-]+ ){{0,3}}{_ROLE}",
        r"clinicians?",
        r"differential",
        r"guidelines?",
        r"protocols?",
        r"mechanisms?",
        r"pathophysiolog\w*",
        r"pharmacokinetic\w*",
        r"pharmacodynamic\w*",
        r"contraindicat\w*",
        r"randomi[sz]ed",
        r"trials?",
        r"meta[- ]?analys[ie]s",
        r"cohort",
        r"prevalence",
        r"incidence",
        r"sensitivity and specificity",
        r"specificity",
        r"which of the following",
        r"mg/kg",
        r"receptors?",
        r"enzymes?",
        r"histolog\w*",
        r"management of",
        r"best management",
        r"next best step",
        r"indicated for",
        r"classification",
        r"evidence for",
        r"literature",
        r"first[- ]line",
        r"empiric\w*",
        r"regimens?",
        r"prophylaxis",
        r"dosing",
        r"icd(?:-?1[01])?",
        r"documentation",
        r"prognosis of",
        r"work-?up",
        r"in adults with",
    ),
    "Wellness Health": (
        r"diet\w*",
        r"nutrition\w*",
        r"exercis\w*",
        r"fitness",
        r"workouts?",
        r"weight loss",
        r"lose weight",
        r"sleep\w*",
        r"healthy",
        r"vitamins?",
        r"supplements?",
        r"protein",
        r"calories?",
        r"stress",
        r"meditat\w*",
        r"mindfulness",
        r"skin ?care",
        r"hydrat\w*",
        r"lifestyle",
        r"wellness",
        r"prevent\w*",
        r"immune system",
        r"energy",
        r"fasting",
        r"running",
        r"yoga",
    ),
    "Clinical Care": (
        r"pain",
        r"symptoms?",
        r"diagnosed",
        r"fever",
        r"rash",
        r"bleed\w*",
        r"swell\w*",
        r"swollen",
        r"infections?",
        r"hurts?",
        r"aches?",
        r"headaches?",
        r"cough\w*",
        r"dizzy",
        r"vomit\w*",
        r"allerg\w*",
        r"pregnan\w*",
        r"diabetes",
        r"cancer",
        r"blood pressure",
        r"test results",
        r"should i see",
        r"doctor",
        r"emergency",
        r"surgery",
        r"treat\w*",
        r"medications?",
        r"medicines?",
        r"prescri\w*",
        r"take",
        r"taking",
        r"dose",
        r"dosage",
        r"side effects?",
        r"i have",
        r"i['’]ve had",
        r"my (?:son|daughter|child|kid|baby|mother|mom|father|dad|wife|husband)",
    ),
}
_CUES = {
    category: re.compile(r"\b(?:" + "|".join(fragments) + r")\b")
    for category, fragments in _CUE_FRAGMENTS.items()
}
# Ties go to the first in this order (a professional cue is rarer than a clinical one).
_TIE_ORDER = ("Professional Inquiry", "Clinical Care", "Wellness Health")

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
    """The offline baseline, also served as the litellm provider ``baseline/rule-classifier``
    (``quarkmed_dagster.baselines.classifier``)."""

    def classify(self, query: QueryText) -> Classification:
        """Category from the cues of every user turn (the final one and the earlier ones, where
        an asker often says who they are); difficulty from the final turn and the turn count;
        department from the final turn."""
        user_turns = [t["content"] for t in query.history if t.get("role") == "user"]
        evidence = "\n".join([*user_turns, query.final_user_turn]).lower()
        scores = {c: len(_CUES[c].findall(evidence)) for c in CATEGORIES}
        total = sum(scores.values())
        if total == 0:
            category, confidence = "Clinical Care", 0.34
        else:
            category = max(_TIE_ORDER, key=lambda c: scores[c])
            confidence = round(scores[category] / total, 3)
        words = len(query.final_user_turn.split())
        if category == "Professional Inquiry" or query.n_turns > 3 or words > 150:
            difficulty = "hard"
        elif query.n_turns == 1 and words < 25:
            difficulty = "easy"
        else:
            difficulty = "medium"
        text = query.final_user_turn.lower()
        departments = {d: _count(text, cues) for d, cues in _DEPARTMENTS.items()}
        best = max(departments, key=lambda d: departments[d])
        department = best if departments[best] else "general"
        return Classification(category, confidence, difficulty, department)

    def classify_batch(self, queries: Sequence[QueryText]) -> list[Classification]:
        return [self.classify(q) for q in queries]
