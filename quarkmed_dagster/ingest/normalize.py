"""Validate and normalise turns; every problem becomes a clear rejection reason."""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

from quarkmed_dagster.llm.types import stable_hash

ROLES = ("system", "user", "assistant")
MAX_MESSAGE_CHARS = 20_000
MAX_TURNS = 40
_SPACES = re.compile(r"[ \t\u00a0]+")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\u2028", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def validate_turns(turns: list[Any]) -> tuple[list[dict[str, str]], str | None]:
    """Normalised turns, or an empty list and the reason they are rejected."""
    if not turns:
        return [], "no messages"
    if len(turns) > MAX_TURNS:
        return [], f"{len(turns)} messages (limit {MAX_TURNS})"
    out: list[dict[str, str]] = []
    for index, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict):
            return [], f"message {index} is not an object with role and content"
        role = turn.get("role")
        content = turn.get("content")
        if role not in ROLES:
            return [], f"unknown role {role!r} in message {index} (allowed: {', '.join(ROLES)})"
        if not isinstance(content, str):
            return [], f"message {index} has no text content"
        if len(content) > MAX_MESSAGE_CHARS:
            return [], (
                f"message {index} is {len(content):,} characters long (limit {MAX_MESSAGE_CHARS:,})"
            )
        text = normalise_text(content)
        if not text:
            return [], f"message {index} is empty"
        if role == "system" and index != 1:
            return [], f"system message at position {index} (only the first may be system)"
        out.append({"role": role, "content": text})
    dialogue = [t["role"] for t in out if t["role"] != "system"]
    if not dialogue or dialogue[-1] != "user":
        return [], "the last message is not from the user: nothing to answer"
    for position, (previous, current) in enumerate(itertools.pairwise(dialogue), 2):
        if previous == current:
            return (
                [],
                f"two {current} messages in a row at position {position}: turns must alternate",
            )
    return out, None


def query_id_of(turns: list[dict[str, str]]) -> str:
    """Content id of a validated, scrubbed session: the ``query_id`` ingestion stores."""
    return stable_hash([[t["role"], t["content"]] for t in turns], length=20)
