"""Checks made before an evaluation does any work: the provider's key variable is set and
the endpoint answers a TCP connect. Cheap on purpose (no litellm import: it takes seconds),
so a missing key or a dead server fails in well under 5 s with one line that names it."""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

# litellm provider prefix -> the variable litellm reads the key from. Providers not listed
# (ollama, hosted_vllm, baseline/...) need no key; unknown ones are left to litellm.
KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "text-completion-openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "cohere": "COHERE_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "xai": "XAI_API_KEY",
    "azure": "AZURE_API_KEY",
}
NO_KEY = {"ollama", "ollama_chat", "hosted_vllm", "lm_studio", "baseline"}
# Default endpoints of hosted providers (checked when no --api-base is given).
DEFAULT_BASE = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "mistral": "https://api.mistral.ai",
    "groq": "https://api.groq.com",
    "deepseek": "https://api.deepseek.com",
    "openrouter": "https://openrouter.ai",
    "ollama": "http://127.0.0.1:11434",
    "ollama_chat": "http://127.0.0.1:11434",
}
CONNECT_TIMEOUT_S = 2.0


class PreflightError(Exception):
    """One line for the user: what is missing and where to set it."""


def provider_of(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else "openai"


def key_variable(model: str) -> str | None:
    provider = provider_of(model)
    return None if provider in NO_KEY else KEY_ENV.get(provider)


def check_key(model: str, api_base: str | None) -> None:
    name = key_variable(model)
    if name is None or os.environ.get(name):
        return
    hint = " (any value works for a local OpenAI-compatible server)" if api_base else ""
    raise PreflightError(f"{name} is not set: litellm needs it to call {model}{hint}")


def _host_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise PreflightError(f"--api-base {url} is not a URL (e.g. http://127.0.0.1:8000/v1)")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.hostname, port


def check_reachable(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """A TCP connect within ``timeout_s`` (name resolution included: run in a thread)."""
    host, port = _host_port(url)
    error: list[str] = ["timed out"]

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            error.clear()
        except OSError as exc:
            error[:] = [exc.strerror or type(exc).__name__]

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)
    if error:
        raise PreflightError(f"cannot reach {url} ({error[0]}): is the model server running?")


def endpoint_of(model: str, api_base: str | None) -> str | None:
    return api_base or DEFAULT_BASE.get(provider_of(model))


def preflight(model: str, api_base: str | None, judge_key_env: tuple[str, ...] = ()) -> None:
    """Raise ``PreflightError`` on a missing key (the model's or the judges') or an
    unreachable endpoint. Keys are only tested for presence, never logged."""
    check_key(model, api_base)
    for name in judge_key_env:
        if not os.environ.get(name):
            raise PreflightError(f"{name} is not set: the judges' profile needs it")
    endpoint = endpoint_of(model, api_base)
    if endpoint is not None:
        check_reachable(endpoint)


def public_url(url: str | None) -> str | None:
    """``url`` without user:password and query string (what may be stored and logged)."""
    if not url:
        return url
    parsed = urlparse(url)
    netloc = parsed.hostname or ""
    if parsed.port:
        netloc = f"{netloc}:{parsed.port}"
    return parsed._replace(netloc=netloc, query="", fragment="").geturl()
