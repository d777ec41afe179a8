"""Name -> method of every offline baseline (served as ``baseline/<name>`` via litellm)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quarkmed_dagster.baselines.answering import (
    evidence_verifier,
    extractive_answer,
    passage_answer,
)
from quarkmed_dagster.baselines.candidates import DEGRADATIONS, candidate_method
from quarkmed_dagster.baselines.classifier import classify_query
from quarkmed_dagster.baselines.judge import judge_response
from quarkmed_dagster.baselines.keypoints import extract_keypoints
from quarkmed_dagster.baselines.rubric_writer import write_rubric

Method = Callable[[dict[str, Any]], dict[str, Any]]

METHODS: dict[str, Method] = {
    "extractive-answerer": extractive_answer,
    "passage-answerer": passage_answer,
    "keypoint-extractor": extract_keypoints,
    "evidence-verifier": evidence_verifier,
    "rubric-writer": write_rubric,
    "semantic-judge": judge_response,
    "rule-classifier": classify_query,
    **{name: candidate_method(name) for name in DEGRADATIONS},
}
