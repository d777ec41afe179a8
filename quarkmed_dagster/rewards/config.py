"""The alignment matrix and policy checkpoints, read from a YAML file.

The file (default ``alignment_matrix.yaml`` at the project root, chosen by the setting
``alignment_matrix``) holds the :class:`AlignmentMatrix` fields — ``version``,
``dimensions``, ``gates``, ``length`` — and an optional ``checkpoints`` mapping: policy
name -> the ``candidate_model`` names of its checkpoints in training order. Checkpoints
change no reward (only how weights are plotted over time), so they are not part of the
matrix version. Every error names the file, the place in it and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quarkmed_dagster.rewards.matrix import AlignmentMatrix

CHECKPOINTS_KEY = "checkpoints"


class RewardsConfigError(ValueError):
    """The alignment matrix file is missing, not YAML, or invalid (with every problem)."""


class _Checkpoints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoints: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("checkpoints")
    @classmethod
    def _ordered_sequences(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        problems = []
        for policy, models in value.items():
            if not policy.strip():
                problems.append("a policy name is empty")
            if len(models) < 2:
                problems.append(f"policy {policy!r}: a trajectory needs at least 2 checkpoints")
            if any(not m.strip() for m in models):
                problems.append(f"policy {policy!r}: a checkpoint model name is empty")
            repeated = sorted({m for m in models if models.count(m) > 1})
            if repeated:
                problems.append(f"policy {policy!r}: checkpoint(s) listed twice: {repeated}")
        if problems:
            raise ValueError("; ".join(problems))
        return value


@dataclass(frozen=True)
class RewardsConfig:
    matrix: AlignmentMatrix
    # policy -> candidate_model names of its checkpoints, in training order
    checkpoints: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _place(loc: Sequence[int | str], data: Any) -> str:
    """``dimensions[8] (safety).risk_priority`` from a pydantic error location."""
    out, node = "", data
    for key in loc:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            out += f"[{key}]" + (f" ({name})" if isinstance(name, str) else "")
            node = item
        else:
            out += ("." if out else "") + str(key)
            node = node.get(key) if isinstance(node, dict) else None
    return out or "(top level)"


def _problems(exc: ValidationError, data: Any) -> list[str]:
    return [
        f"{_place(err['loc'], data)}: {err['msg'].removeprefix('Value error, ')}"
        for err in exc.errors()
    ]


def parse_rewards_config(data: Any, where: str = "alignment matrix") -> RewardsConfig:
    """Validate a parsed YAML document; ``where`` names it in errors."""
    if not isinstance(data, Mapping):
        raise RewardsConfigError(f"{where}: expected a mapping with 'dimensions', got {data!r}")
    body = dict(data)
    plan = {CHECKPOINTS_KEY: body.pop(CHECKPOINTS_KEY)} if CHECKPOINTS_KEY in body else {}
    problems = []
    try:
        matrix = AlignmentMatrix.model_validate(body)
    except ValidationError as exc:
        problems += _problems(exc, body)
    try:
        checkpoints = _Checkpoints.model_validate(plan).checkpoints
    except ValidationError as exc:
        problems += _problems(exc, plan)
    if problems:
        raise RewardsConfigError(
            f"{where}: invalid alignment matrix:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return RewardsConfig(matrix, {p: tuple(models) for p, models in checkpoints.items()})


def load_rewards_config(path: Path) -> RewardsConfig:
    """The matrix and checkpoints of ``path`` (a clear error if it is missing or invalid)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RewardsConfigError(
            f"{path}: alignment matrix file not found (setting QUARKMED_ALIGNMENT_MATRIX)"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RewardsConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_rewards_config(data, str(path))


def checkpoint_steps(
    checkpoints: Mapping[str, Sequence[str]], available: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(policy -> its checkpoints that have responses, in order; policy -> missing ones)."""
    present = set(available)
    found = {p: [m for m in models if m in present] for p, models in checkpoints.items()}
    missing = {p: [m for m in models if m not in present] for p, models in checkpoints.items()}
    return found, {p: ms for p, ms in missing.items() if ms}
