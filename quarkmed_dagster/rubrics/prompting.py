"""Versioned prompt templates of rubric generation and the messages built from them.

A template is a file ``quarkmed_dagster/prompts/<name>.prompt`` (the shared loader's
format); its version is ``<name>@<hash of its text>``, so editing a template changes every
cache key and the rubric-set version. Untrusted inputs (query, evidence, answers) never enter the
instructions: they go into the user message as the JSON ``<data>`` block only.
"""

from __future__ import annotations

from typing import Any

from quarkmed_dagster.prompts import load_prompt

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
# The batched re-check of the reverify refresh policy. Not in ALL_PROMPTS: it does not shape
# a rubric (only decides whether one is kept), so it stays out of the configuration hash
# and rubric_set_version; its version is in the cache key of every reverify call.
REVERIFY_PROMPT = "rubric_reverify"
ALL_PROMPTS = (
    *CANDIDATE_PROMPTS.values(),
    KEYPOINTS_PROMPT,
    VERIFY_PROMPT,
    WRITE_PROMPT,
    REPAIR_PROMPT,
    EQUIVALENCE_PROMPT,
)


def prompt_version(name: str) -> str:
    return load_prompt(name).version


def prompt_versions(names: tuple[str, ...] = ALL_PROMPTS) -> dict[str, str]:
    return {name: prompt_version(name) for name in names}


def build_messages(name: str, payload: dict[str, Any]) -> tuple[dict[str, str], ...]:
    """System = the instructions; user = the data block (read back by baselines)."""
    return load_prompt(name).messages(payload)
