"""Loaders by name. Each turns one file into ``RawQuery`` and ``Rejection`` records.

The generic schema (JSONL, CSV or Parquet), one row per query or session:

- ``turns``: a list of ``{"role": "user"|"assistant"|"system", "content": str}`` (JSON text
  in CSV), or ``question``/``query``/``text``: a single user turn;
- optional ``id`` (source id), ``reference_answer``, ``department``, ``tags``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from quarkmed_dagster.ingest.loaders import (
    generic,
    healthbench,
    healthsearchqa,
    kqa,
    liveqa,
    medicationqa,
)
from quarkmed_dagster.ingest.records import RawQuery, Rejection

Loader = Callable[[Path], Iterator[RawQuery | Rejection]]

LOADERS: dict[str, Loader] = {
    "generic": generic.load,
    "healthbench": healthbench.load,
    "kqa": kqa.load,
    "liveqa": liveqa.load,
    "medicationqa": medicationqa.load,
    "healthsearchqa": healthsearchqa.load,
}


def detect_loader(path: Path) -> str:
    """Pick a loader from the file name, else from the first record's fields."""
    name = path.name.lower()
    for key in ("healthbench", "kqa", "liveqa", "medicationqa", "healthsearchqa"):
        if key in name.replace("-", "").replace("_", ""):
            return key
    if path.suffix in (".jsonl", ".json") or name.endswith(".jsonl.gz"):
        first = generic.first_record(path)
        if first is not None:
            if "prompt" in first and "rubrics" in first:
                return "healthbench"
            if "Question" in first:
                return "kqa"
            if "reference_answers" in first and "message" in first:
                return "liveqa"
            if "focus_drug" in first:
                return "medicationqa"
    return "generic"
