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


def json_mode(deployment: Deployment) -> str:
    """json_schema | json_object | none: the configured mode, or for ``auto`` what litellm
    knows the model supports (``json_schema`` where it can say so, else ``json_object``;
    offline baselines: none). llama.cpp, vLLM and OpenAI servers take ``json_schema``: set
    it for ``openai/<name>`` on such a server, litellm cannot know what serves the name."""
    mode = deployment.json_mode
    if mode == "auto":
        return "none" if is_baseline(deployment.model) else _auto_mode(deployment.model)
    if mode not in ("json_schema", "json_object", "none"):
        raise ValueError(f"{deployment.model}: unknown json_mode {mode!r}")
    return mode


def response_format(deployment: Deployment, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The litellm ``response_format`` for this deployment, or None (prompt-only JSON)."""
    mode = json_mode(deployment)
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
# A reasoning block never closed (the reply was cut at max_tokens while thinking).
_OPEN_THINK = re.compile(r"<(think|thinking|reasoning)>.*\Z", re.DOTALL | re.IGNORECASE)
# A lone closing tag: some chat templates put the opening tag into the prompt.
_CLOSE_ONLY = re.compile(r"\A.*?</(think|thinking|reasoning)>", re.DOTALL | re.IGNORECASE)


def strip_wrappers(text: str) -> str:
    """The reply without reasoning blocks (``<think>...</think>``, as reasoning models emit
    before their answer; an unclosed one runs to the end, a lone closing tag from the
    start) and without one surrounding Markdown code fence."""
    text = _OPEN_THINK.sub("", _THINK.sub("", text))
    return _strip_fence(_CLOSE_ONLY.sub("", text))


_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|i can(no|')t|i cannot|i am unable|i'?m unable|as an ai)\b",
    re.IGNORECASE,
)


def is_refusal(text: str | None, finish_reason: str | None, refusal: str | None) -> bool:
    """The model declined: an explicit refusal field, a content filter, or a reply that
    opens with a refusal formula (only asked of replies that are not the requested JSON)."""
    if refusal or finish_reason == "content_filter":
        return True
    return bool(text and _REFUSAL.match(strip_wrappers(text)))


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


TRUNCATED = "the reply was cut off at the token limit; answer much more briefly"


def reask_messages(
    messages: tuple[dict[str, str], ...], bad_text: str | None, problem: str
) -> tuple[dict[str, str], ...]:
    return (
        *messages,
        {"role": "assistant", "content": bad_text or ""},
        {"role": "user", "content": REASK.format(problem=problem)},
    )
