"""Queries given only as text in imported responses become query files in the query inbox.

Each file is generic-schema JSONL (``{"query": text, "source": ...}`` per line) named by the
hash of its content, so the inbox sensor (or ``quarkmed run``) ingests it as one batch.
A text already waiting in an earlier such file is not written again: re-running the import
with the same responses writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

PREFIX = "imported-queries-"
SOURCE = "imported-responses"


def waiting_texts(inbox: Path) -> set[str]:
    """Query texts in the pending query files already written to ``inbox``."""
    texts: set[str] = set()
    for path in sorted(inbox.glob(f"{PREFIX}*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                texts.add(json.loads(line)["query"])
    return texts


def write_pending_queries(inbox: Path, texts: Iterable[str]) -> tuple[Path | None, int]:
    """(new file or None, number of new query texts in it)."""
    new = sorted(set(texts) - waiting_texts(inbox))
    if not new:
        return None, 0
    content = "".join(
        json.dumps({"query": text, "source": SOURCE}, ensure_ascii=False) + "\n" for text in new
    )
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]
    target = inbox / f"{PREFIX}{digest}.jsonl"
    inbox.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")  # the sensor never sees a half-written file
    partial.write_text(content, "utf-8")
    partial.replace(target)
    return target, len(new)
