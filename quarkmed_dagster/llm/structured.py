"""Structured output: how to ask for JSON, strict parsing, and the one re-ask message."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jsonschema

from quarkmed_dagster.llm.config import Deployment, is_baseline

REASK = (
    "Your previous reply could not be used: {problem}. Reply again with only one JSON value "
    "that follows the required schema, with no other text."
)


class InvalidOutput(ValueError):
    """The model's text is not JSON of the requested schema."""


def response_format(deployment: Deployment, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The litellm ``response_format`` for this deployment, or None (prompt-only JSON)."""
    mode = deployment.json_mode
    if mode == "auto":
        mode = "none" if is_baseline(deployment.model) else _auto_mode(deployment.model)
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": schema.get("title", "output"), "schema": schema},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


@lru_cache(maxsize=256)
def _auto_mode(model: str) -> str:
    import litellm

    try:
        if litellm.supports_response_schema(model=model):
            return "json_schema"
    except Exception:
        pass
    return "json_object"


_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)


def strip_wrappers(text: str) -> str:
    """The reply without reasoning blocks (``<think>...</think>``, as reasoning models emit
    before their answer) and without one surrounding Markdown code fence."""
    return _strip_fence(_THINK.sub("", text))


def _strip_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        body = stripped[3:-3]
        first_newline = body.find("\n")
        # Drop a language tag such as ```json.
        if first_newline >= 0 and body[:first_newline].strip().isalpha():
            body = body[first_newline + 1 :]
        return body.strip()
    return stripped


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def parse_output(text: str | None, schema: dict[str, Any]) -> Any:
    """The JSON value in ``text`` if it validates against ``schema``; else InvalidOutput.

    Only reasoning blocks and one surrounding Markdown code fence are tolerated
    (``strip_wrappers``); any other text is an error.
    """
    if not text or not strip_wrappers(text):
        raise InvalidOutput("empty reply")
    try:
        value = json.loads(strip_wrappers(text))
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not valid JSON ({exc.msg} at char {exc.pos})") from None
    schema_json = json.dumps(schema, sort_keys=True)
    errors = sorted(_validator(schema_json).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "top level"
        raise InvalidOutput(f"schema violation at {where}: {errors[0].message[:200]}")
    return value


def reask_messages(
    messages: tuple[dict[str, str], ...], bad_text: str | None, problem: str
) -> tuple[dict[str, str], ...]:
    return (
        *messages,
        {"role": "assistant", "content": bad_text or ""},
        {"role": "user", "content": REASK.format(problem=problem)},
    )
