"""Versioned prompt templates: ``<name>.prompt`` files in this package.

A template has a ``[system]`` and a ``[user]`` section; the user section contains the
placeholder ``{{data}}``, replaced by the ``<data>...</data>`` JSON block of untrusted inputs
(``encode_payload``), so nothing from the data can forge a prompt section. The version of a
template is the hash of its file content: editing a prompt changes every cache key that
uses it (``CallRequest.prompt_version``) and can feed an asset's ``code_version``.

    tpl = load_prompt("judge_response")
    messages = tpl.messages({"query": ..., "response": ..., "items": [...]})
    CallRequest(role="judges", model=m, messages=messages, prompt_version=tpl.version, ...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from quarkmed_dagster.llm.types import DATA_CLOSE, DATA_OPEN, encode_payload, stable_hash

PROMPT_DIR = Path(__file__).resolve().parent
PLACEHOLDER = "{{data}}"
_SECTION = re.compile(r"^\[(system|user)\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    text: str
    version: str  # "<name>@<content hash>"
    system: str
    user: str

    def messages(self, payload: Any) -> tuple[dict[str, str], ...]:
        block = f"{DATA_OPEN}{encode_payload(payload)}{DATA_CLOSE}"
        user = self.user.replace(PLACEHOLDER, block)
        out = ({"role": "system", "content": self.system},) if self.system else ()
        return (*out, {"role": "user", "content": user})


def parse_template(name: str, text: str) -> PromptTemplate:
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    user = sections.get("user", "")
    if user.count(PLACEHOLDER) != 1:
        raise ValueError(f"prompt {name}: the [user] section needs exactly one {PLACEHOLDER}")
    version = f"{name}@{stable_hash(text, 12)}"
    return PromptTemplate(name, text, version, sections.get("system", ""), user)


@lru_cache(maxsize=128)
def load_prompt(name: str) -> PromptTemplate:
    path = PROMPT_DIR / f"{name}.prompt"
    return parse_template(name, path.read_text(encoding="utf-8"))


def prompt_names() -> list[str]:
    return sorted(p.stem for p in PROMPT_DIR.glob("*.prompt"))


def prompts_version(names: list[str]) -> str:
    """One hash over several templates (e.g. for an asset's ``code_version``)."""
    return stable_hash([load_prompt(n).version for n in sorted(names)], 12)
