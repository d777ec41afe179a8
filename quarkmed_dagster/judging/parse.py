"""Strict verdict parsing: anything malformed becomes NULL (None), never a default."""

from __future__ import annotations

import json
from typing import Any

PITFALL_LEVELS = {"none": 0.0, "minor": 0.5, "major": 1.0}
POSITIVE_LEVELS = {0.0, 0.5, 1.0}


def parse_level(tier: str, raw: Any) -> tuple[float | None, str | None]:
    """Return (level, pitfall_severity); (None, None) when invalid."""
    if tier == "Pitfall":
        if isinstance(raw, str) and raw in PITFALL_LEVELS:
            return PITFALL_LEVELS[raw], raw
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, None
    return (float(raw), None) if float(raw) in POSITIVE_LEVELS else (None, None)


def parse_verdicts(
    output: Any, items: list[dict]
) -> dict[str, tuple[float | None, str | None, str]]:
    """item_id -> (level, pitfall_severity, rationale) for every expected item."""
    result = {it["item_id"]: (None, None, "") for it in items}
    tiers = {it["item_id"]: it["tier"] for it in items}
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except ValueError:
            return result
    verdicts = output.get("verdicts") if isinstance(output, dict) else None
    if not isinstance(verdicts, list):
        return result
    seen: set[str] = set()
    for v in verdicts:
        if not isinstance(v, dict) or v.get("item_id") not in tiers:
            continue
        iid = v["item_id"]
        if iid in seen:  # duplicate verdicts for one item are ambiguous -> NULL
            result[iid] = (None, None, "")
            continue
        seen.add(iid)
        level, sev = parse_level(tiers[iid], v.get("level"))
        result[iid] = (level, sev, str(v.get("rationale", ""))[:500])
    return result
