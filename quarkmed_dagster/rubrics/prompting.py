"""Versioned prompt templates of rubric generation and the messages built from them.

A template is a file ``quarkmed_dagster/prompts/<name>.md`` holding the system instructions;
its version is ``<name>@<hash of its text>``, so editing a template changes every cache key
and the rubric-set version. Untrusted inputs (query, evidence, answers) never enter the
instructions: they go into the user message as the JSON ``<data>`` block only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from quarkmed_dagster.llm.types import DATA_CLOSE, DATA_OPEN, encode_payload, stable_hash

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

CANDIDATE_PROMPTS = {
    "basic": "rubric_candidate_answer_basic",
    "professional": "rubric_candidate_answer_professional",
    "insight": "rubric_candidate_answer_insight",
}
KEYPOINTS_PROMPT = "rubric_keypoints"
VERIFY_PROMPT = "rubric_verify"
WRITE_PROMPT = "rubric_write"
REPAIR_PROMPT = "rubric_repair"
EQUIVALENCE_PROMPT = "rubric_equivalence"
ALL_PROMPTS = (
    *CANDIDATE_PROMPTS.values(),
    KEYPOINTS_PROMPT,
    VERIFY_PROMPT,
    WRITE_PROMPT,
    REPAIR_PROMPT,
    EQUIVALENCE_PROMPT,
)


@lru_cache(maxsize=64)
def template_text(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8")


def prompt_version(name: str) -> str:
    return f"{name}@{stable_hash(template_text(name), length=12)}"


def prompt_versions(names: tuple[str, ...] = ALL_PROMPTS) -> dict[str, str]:
    return {name: prompt_version(name) for name in names}


def build_messages(name: str, payload: dict[str, Any]) -> tuple[dict[str, str], ...]:
    """System = the template; user = only the data block (read back by baselines)."""
    return (
        {"role": "system", "content": template_text(name)},
        {"role": "user", "content": f"{DATA_OPEN}{encode_payload(payload)}{DATA_CLOSE}"},
    )
