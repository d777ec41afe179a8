"""Keeping every prompt inside the served context window (pure, no I/O).

A request fits when its estimated prompt tokens plus its completion bound (``max_tokens``)
stay within the deployment's ``context_window``. The estimate counts characters divided by
a deliberately low characters-per-token ratio plus a per-message overhead for the chat
template, so it over-counts (the tiny-model test checks it against the server's own count).
A request that does not fit loses evidence passages from the least relevant end (evidence
is sent in rank order) until it fits; the number dropped is recorded on the request. One
that cannot fit even without evidence is marked ``context_overflow``: the gateway never
sends it and returns a missing value with that reason.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from quarkmed_dagster.llm.config import Deployment
from quarkmed_dagster.llm.types import DATA_CLOSE, DATA_OPEN, CallRequest, encode_payload

MESSAGE_OVERHEAD = 8  # role markers and separators of a chat template, per message
REPLY_OVERHEAD = 8  # the assistant header the template appends
TRIMMABLE = "evidence"  # the payload list that may be shortened (least relevant last)


def estimate_tokens(messages: tuple[dict[str, str], ...], chars_per_token: float) -> int:
    chars = sum(math.ceil(len(str(m.get("content") or "")) / chars_per_token) for m in messages)
    return chars + MESSAGE_OVERHEAD * len(messages) + REPLY_OVERHEAD


def completion_bound(request: CallRequest) -> int:
    value = request.params.get("max_tokens")
    return int(value) if value else 0


def _with_payload(request: CallRequest, index: int, payload: Any) -> CallRequest:
    content = request.messages[index]["content"]
    start = content.index(DATA_OPEN) + len(DATA_OPEN)
    end = content.index(DATA_CLOSE, start)
    message = {**request.messages[index], "content": content[:start] + encode_payload(payload)
               + content[end:]}  # fmt: skip
    messages = (*request.messages[:index], message, *request.messages[index + 1 :])
    return replace(request, messages=messages)


def _data_message(request: CallRequest) -> tuple[int, dict[str, Any]] | None:
    """Index and payload of the last user message with a data block holding evidence."""
    from quarkmed_dagster.llm.types import extract_payload

    for index in range(len(request.messages) - 1, -1, -1):
        message = request.messages[index]
        content = str(message.get("content") or "")
        if message.get("role") != "user" or DATA_OPEN not in content:
            continue
        try:
            payload = extract_payload(content)
        except ValueError:
            return None
        if isinstance(payload, dict) and isinstance(payload.get(TRIMMABLE), list):
            return index, payload
        return None
    return None


def fit_request(request: CallRequest, deployment: Deployment) -> CallRequest:
    """The request as it will be sent: within the window, or marked ``context_overflow``."""
    window = deployment.context_window
    if not window:
        return request
    budget = window - completion_bound(request)
    used = estimate_tokens(request.messages, deployment.chars_per_token)
    if used <= budget:
        return replace(request, prompt_tokens_est=used)
    found = _data_message(request)
    if found is not None:
        index, payload = found
        passages = list(payload[TRIMMABLE])
        for keep in range(len(passages) - 1, -1, -1):
            trimmed = _with_payload(request, index, {**payload, TRIMMABLE: passages[:keep]})
            used = estimate_tokens(trimmed.messages, deployment.chars_per_token)
            if used <= budget:
                return replace(
                    trimmed, prompt_tokens_est=used, evidence_trimmed=len(passages) - keep
                )
    return replace(request, prompt_tokens_est=used, context_overflow=True)
