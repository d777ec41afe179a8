"""Typed records of the LLM gateway: what a stage asks for and what it gets back.

A stage builds ``CallRequest``s (role, model, messages, prompt version), hands them to the
gateway and receives one ``CallResult`` per request, in order. A failed call is a result
with ``status="failed"`` and ``parsed=None``: callers store it as a missing value.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

CallStatus = Literal["ok", "cached", "failed", "over_budget"]

# Untrusted text (queries, responses, evidence) enters prompts only as JSON inside this
# block, with '<' and '>' escaped, so nothing inside it can close or forge a section.
DATA_OPEN = "<data>"
DATA_CLOSE = "</data>"


def encode_payload(payload: Any) -> str:
    """JSON for a prompt's data block; no '<' or '>' survives, so the block cannot be closed."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def extract_payload(prompt_text: str) -> Any:
    """Inverse of ``encode_payload`` for a prompt that contains one data block."""
    start = prompt_text.index(DATA_OPEN) + len(DATA_OPEN)
    end = prompt_text.index(DATA_CLOSE, start)
    return json.loads(prompt_text[start:end])


def stable_hash(value: Any, length: int = 16) -> str:
    """Content hash of any JSON-serialisable value (sorted keys)."""
    blob = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:length]


BASELINE_PREFIX = "baseline/"
_BASELINE_SOURCES = Path(__file__).resolve().parent.parent / "baselines"


@cache
def baseline_revision() -> str:
    """Hash of the offline baselines' source and fitted weights (and the embedding code and
    call schemas they use): an edited baseline is a new model, so its cached answers must
    not be served for it."""
    package = _BASELINE_SOURCES.parent
    files = [
        *sorted(_BASELINE_SOURCES.glob("*.py")),
        *sorted(_BASELINE_SOURCES.glob("*.json")),  # fitted weights (entailment model)
        package / "embeddings.py",
        package / "multilingual.py",
        package / "embedding_centering.txt",
        package / "llm" / "payloads.py",
    ]
    return stable_hash([f.read_text("utf-8") for f in files if f.is_file()])


@dataclass(frozen=True)
class CallRequest:
    role: str
    model: str
    messages: tuple[dict[str, str], ...]
    prompt_version: str
    params: dict[str, Any] = field(default_factory=dict)
    sample_index: int = 0
    json_schema: dict[str, Any] | None = None
    # Set by the gateway's context-window guard (``llm.context``); not part of the cache
    # key (the messages are): the estimate, passages dropped, and "cannot fit at all".
    prompt_tokens_est: int | None = field(default=None, compare=False)
    evidence_trimmed: int = field(default=0, compare=False)
    context_overflow: bool = field(default=False, compare=False)
    # A stage's own re-ask of an unusable reply (candidates): counted as a re-ask in the log.
    reask: bool = field(default=False, compare=False)

    @cached_property
    def cache_key(self) -> str:
        # Computed once per request object (hashing is a visible share of per-call CPU).
        return stable_hash(
            {
                "model": self.model,
                "messages": list(self.messages),
                "params": self.params,
                "prompt_version": self.prompt_version,
                "sample_index": self.sample_index,
                "json_schema": self.json_schema,
                **(
                    {"revision": baseline_revision()}
                    if self.model.startswith(BASELINE_PREFIX)
                    else {}
                ),
            },
            length=32,
        )


@dataclass(frozen=True)
class CallResult:
    cache_key: str
    role: str
    model: str
    status: CallStatus
    text: str | None = None
    parsed: Any | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 0
    error_class: str | None = None
    # Scrubbed (no credentials) one-line reason of a failure; None when the call worked.
    error_message: str | None = None
    reasks: int = 0  # 1 when the first reply was unusable and the model was asked again
    finish_reason: str | None = None  # of the last completion ("length": cut at max_tokens)
    refused: bool = False  # the model declined (refusal field, content filter, or wording)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "cached") and (
            self.parsed is not None or self.text is not None
        )


class Gateway(Protocol):
    def run(self, requests: list[CallRequest]) -> list[CallResult]:
        """One result per request, in request order; never raises for a single failed call."""
        ...
