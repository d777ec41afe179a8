"""Remove credentials from anything the gateway stores or reports (errors, raw outputs)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),  # OpenAI / DeepSeek / DashScope style
    re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),  # Google
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{6,}"),
    re.compile(r"(?i)(api[_-]?key|x-api-key|authorization)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
]
REDACTED = "[REDACTED]"
MAX_ERROR_CHARS = 500


def scrub(text: str | None, secrets: Iterable[str] = ()) -> str | None:
    """Text with known secret values and key-shaped strings replaced by [REDACTED]."""
    if text is None:
        return None
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def error_summary(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """Short, scrubbed one-line description of an exception."""
    message = " ".join(str(exc).split())[:MAX_ERROR_CHARS]
    return scrub(f"{type(exc).__name__}: {message}", secrets) or ""
