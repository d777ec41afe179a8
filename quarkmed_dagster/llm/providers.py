"""Offline baselines as a litellm custom provider: model strings ``baseline/<method>``.

The gateway calls them exactly like a hosted model (``litellm.acompletion``), so caching,
budgets, call logging and JSON parsing run the same code path. Each method reads its
inputs from the ``<data>`` block of the last user message and returns JSON text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from quarkmed_dagster import settings as _settings  # noqa: F401  (offline cost map first)
from quarkmed_dagster.llm.loop import in_pool

PROVIDER = "baseline"
_registered = False
_lock = threading.Lock()


def _methods() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    from quarkmed_dagster.baselines import registry

    return registry.METHODS


def answer(model: str, messages: list[dict[str, Any]]) -> str:
    """Run baseline ``model`` (with or without the ``baseline/`` prefix) on a message list."""
    from quarkmed_dagster.llm.types import extract_payload

    name = model.split("/", 1)[1] if model.startswith(f"{PROVIDER}/") else model
    method = _methods().get(name)
    if method is None:
        raise ValueError(f"unknown baseline model {name!r}")
    user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    if user is None:
        raise ValueError("baseline models need a user message with a <data> block")
    payload = extract_payload(str(user.get("content", "")))
    return json.dumps(method(payload), ensure_ascii=False, sort_keys=True)


def _fill(model_response: Any, model: str, messages: list[dict[str, Any]], text: str) -> Any:
    from litellm.types.utils import Usage

    model_response.choices[0].message.content = text
    model_response.choices[0].finish_reason = "stop"
    model_response.model = f"{PROVIDER}/{model}"
    tokens_in = max(1, sum(len(str(m.get("content", ""))) for m in messages) // 4)
    tokens_out = max(1, len(text) // 4)
    model_response.usage = Usage(
        prompt_tokens=tokens_in, completion_tokens=tokens_out, total_tokens=tokens_in + tokens_out
    )
    return model_response


def _handler_class() -> type:
    from litellm import CustomLLM

    class BaselineLLM(CustomLLM):
        """Deterministic non-LLM methods behind litellm's custom-provider interface."""

        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            response = kwargs.get("model_response")
            return _fill(response, model, messages, answer(model, messages))

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            response = kwargs.get("model_response")
            # CPU-bound (embeddings, which release the GIL): keep the gateway's loop free.
            text = await in_pool("baselines", answer, model, messages)
            return _fill(response, model, messages, text)

    return BaselineLLM


def register_baselines() -> None:
    """Add the ``baseline`` provider to ``litellm.custom_provider_map`` (idempotent)."""
    global _registered
    with _lock:
        if _registered:
            return
        import litellm

        if not any(item["provider"] == PROVIDER for item in litellm.custom_provider_map):
            handler = _handler_class()()
            litellm.custom_provider_map = [
                *litellm.custom_provider_map,
                {"provider": PROVIDER, "custom_handler": handler},
            ]
        from litellm.utils import custom_llm_setup

        custom_llm_setup()
        _registered = True
