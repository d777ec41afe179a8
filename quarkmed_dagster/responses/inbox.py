"""The responses inbox: files of models run elsewhere, imported by ``imported_responses``.

The inbox holds one version per file name: copying a changed file of the same name replaces
the old one (its rows are upserted by (query, model) on the next run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from quarkmed_dagster.ingest.batches import QUERY_FILE_SUFFIXES, file_sha256


def copy_to_inbox(source: Path, inbox: Path) -> tuple[Path, str]:
    """(path in the inbox, 'added' | 'replaced' | 'unchanged')."""
    if not source.name.endswith(QUERY_FILE_SUFFIXES):  # what the inbox listing reads
        raise ValueError(
            f"{source.name}: unsupported file type (use {', '.join(QUERY_FILE_SUFFIXES)})"
        )
    target = inbox / source.name
    state = "added"
    if target.exists():
        if file_sha256(target) == file_sha256(source):
            return target, "unchanged"
        state = "replaced"
    inbox.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # never read half-copied
    shutil.copyfile(source, partial)
    partial.replace(target)
    return target, state
