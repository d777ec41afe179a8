"""A scripted model world for whole-pipeline tests, and seeded faults on top of it.

``answer`` plays every role of the pipeline by reading the prompt's data block, like a real
model reads its prompt: the rubric roles come from ``tests/rubrics/scripted_models.py``; the
classifier, the candidates and the judges are added here. ``Faults`` wraps it with 429
storms, 500s, timeouts, malformed and truncated JSON and slow answers, decided at random
from a seed per (model, prompt, attempt), so a run's faults do not depend on arrival order.
It counts every attempt per (model, prompt), so tests can check that retries stay bounded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from quarkmed_dagster.llm.structured import REASK
from quarkmed_dagster.llm.testing_server import Handler, Reply
from quarkmed_dagster.llm.types import extract_payload
from tests.rubrics.scripted_models import handler as rubric_roles

ROLES = {
    "classifier": ["openai/classifier"],
    "generators": ["openai/gen-a", "openai/gen-b"],
    "aggregators": ["openai/agg-1"],
    "verifiers": ["openai/ver-1"],
    "rubric_writer": ["openai/writer"],
    "candidates": ["openai/cand-good", "openai/cand-vague"],
    "judges": ["openai/judge-a", "openai/judge-b"],
}
GOOD_ANSWER = (
    "Adults may take 400 mg ibuprofen every six hours with food. Seek emergency care for "
    "black stools or vomiting blood."
)
VAGUE_ANSWER = "Drink plenty of water and rest."
_REASK_START = REASK.split("{", 1)[0]


def original_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The prompt without the gateway's re-ask turns (assistant reply + re-ask request)."""
    if len(messages) >= 3 and str(messages[-1].get("content", "")).startswith(_REASK_START):
        return messages[:-2]
    return messages


def _judge(model: str, data: dict[str, Any]) -> dict[str, Any]:
    good = "ibuprofen" in data["response"].lower()
    verdicts = []
    for item in data["items"]:
        if item["tier"] == "Pitfall":
            level: Any = "none" if good else ("minor" if model == "judge-a" else "major")
        else:
            level = 1 if good else (0 if model == "judge-a" else 0.5)
        verdicts.append({"item_id": item["item_id"], "level": level, "rationale": model})
    return {"verdicts": verdicts}


def answer(request: dict[str, Any], attempt: int) -> Reply:
    """The correct answer of every role (no faults)."""
    request = {**request, "messages": original_messages(request["messages"])}
    model = request["model"].removeprefix("openai/")
    if model == "classifier":
        out: dict[str, Any] = {"category": "Clinical Care", "difficulty": "medium",
                               "confidence": 0.8}  # fmt: skip
    elif model.startswith("cand-"):
        out = {"answer": GOOD_ANSWER if model == "cand-good" else VAGUE_ANSWER}
    elif model.startswith("judge-"):
        out = _judge(model, extract_payload(request["messages"][-1]["content"]))
    else:
        return rubric_roles(request, attempt)
    return Reply(text=json.dumps(out))


def with_delay(handler: Handler, delay_s: float) -> Handler:
    """The same answers, each after ``delay_s`` (a slow model server)."""

    def slow(request: dict[str, Any], attempt: int) -> Reply:
        reply = handler(request, attempt)
        reply.delay_s = max(reply.delay_s, delay_s)
        return reply

    return slow


def _uniform(*parts: object) -> float:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def call_key(request: dict[str, Any]) -> str:
    """Identity of one logical call as the gateway sends it (model and full messages)."""
    return hashlib.sha256(
        json.dumps([request.get("model"), request.get("messages")], sort_keys=True).encode()
    ).hexdigest()


# Prompts that always fail, whatever the seed, so every stage has failures to account for:
# (model, words of the prompt) -> fault kind. The words are the queries' own wording.
TARGETED = {
    ("cand-vague", "early signs of type 2 diabetes"): "dead_429",
    ("judge-b", "Around my belly button"): "dead_truncated",
    ("gen-b", "if I have high blood pressure"): "dead_truncated",
}


@dataclass
class Faults:
    """Seeded faults around a handler. Rates are per attempt; ``dead`` prompts always fail,
    as do the ``targeted`` ones.

    ``storm``: (first, last) request numbers, counted over the whole run, that all get 429.
    """

    inner: Handler = answer
    seed: int = 0
    rates: dict[str, float] = field(
        default_factory=lambda: {
            "429": 0.06, "500": 0.06, "timeout": 0.05, "truncated": 0.05,
            "malformed_body": 0.05, "slow": 0.12,
        }
    )  # fmt: skip
    dead_429: float = 0.05  # share of prompts answered 429 on every attempt
    dead_truncated: float = 0.08  # share of prompts (re-asks included) always truncated
    targeted: dict[tuple[str, str], str] = field(default_factory=lambda: dict(TARGETED))
    storm: tuple[int, int] = (40, 70)
    timeout_delay_s: float = 2.5  # longer than the profile's timeout
    slow_delay_s: float = 0.3  # shorter than the profile's timeout
    injected: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    n_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: dict[str, Any], attempt: int) -> Reply:
        key = call_key(request)
        original = original_messages(request["messages"])
        prompt = call_key({**request, "messages": original})
        with self._lock:
            self.attempts[key] += 1
            self.n_requests += 1
            n_attempt, n_request = self.attempts[key], self.n_requests
        model = request["model"].removeprefix("openai/")
        text = " ".join(str(m.get("content", "")) for m in original)
        targeted = [k for (m, words), k in self.targeted.items() if m == model and words in text]
        kind = targeted[0] if targeted else self._kind(key, prompt, n_attempt, n_request)
        if kind != "none":
            with self._lock:
                self.injected[kind] += 1
        return self._reply(kind, request, attempt)

    def _kind(self, key: str, prompt: str, attempt: int, n_request: int) -> str:
        if self.storm[0] <= n_request <= self.storm[1]:
            return "storm_429"
        dead = _uniform(self.seed, "prompt", prompt)
        if dead < self.dead_429:
            return "dead_429"
        if dead < self.dead_429 + self.dead_truncated:
            return "dead_truncated"
        draw, edge = _uniform(self.seed, key, attempt), 0.0
        for kind, rate in self.rates.items():
            edge += rate
            if draw < edge:
                return kind
        return "none"

    def _reply(self, kind: str, request: dict[str, Any], attempt: int) -> Reply:
        if kind in ("storm_429", "dead_429", "429"):
            return Reply(status=429, headers={"retry-after": "0"})
        if kind == "500":
            return Reply(status=500)
        if kind == "timeout":
            return Reply(text="{}", delay_s=self.timeout_delay_s)
        if kind == "malformed_body":
            return Reply(raw_body='{"id": "x", "choices": [{"message": ')
        reply = self.inner(request, attempt)
        if kind in ("truncated", "dead_truncated") and reply.text:
            reply.text = reply.text[: len(reply.text) // 2]
        if kind == "slow":
            reply.delay_s = self.slow_delay_s
        return reply
