"""The JSON schema of a judge's reply, built for the items of one request.

The gateway sends it as ``response_format`` where the deployment supports it, validates
every reply against it and re-asks once when a reply does not follow it; a reply that still
does not is a failed call (NULL verdicts). The schema names the request's item keys and
ties each to its tier's levels: 0 / 0.5 / 1 for positive tiers, "none" / "minor" /
"major" for Pitfall, so "0.7", "yes", or a Pitfall graded 1 is re-asked, never stored. It
does not demand every item: items missing from an otherwise valid reply are NULL
(``parse.parse_verdicts``).
"""

from __future__ import annotations

from typing import Any

from quarkmed_dagster.judging.parse import PITFALL_LEVELS, POSITIVE_LEVELS

# JSON numbers as a judge writes them (1, not 1.0); JSON Schema compares them by value.
_POSITIVE = [int(v) if v.is_integer() else v for v in sorted(POSITIVE_LEVELS)]


def _verdict(item_ids: list[str], level_type: str, levels: list[Any]) -> dict[str, Any]:
    # Typed enums: providers that take only string enums (Gemini) keep the type at least.
    return {
        "type": "object",
        "properties": {
            "item_id": {"type": "string", "enum": item_ids},
            "level": {"type": level_type, "enum": levels},
            "rationale": {"type": "string"},
        },
        "required": ["item_id", "level", "rationale"],
        "additionalProperties": False,
    }


def verdict_schema(items: list[dict]) -> dict[str, Any]:
    """Schema of ``{"verdicts": [{"item_id", "level", "rationale"}]}`` for these items
    (dicts with ``item_id`` and ``tier``, as the prompt shows them)."""
    positive = sorted(it["item_id"] for it in items if it["tier"] != "Pitfall")
    pitfall = sorted(it["item_id"] for it in items if it["tier"] == "Pitfall")
    branches = [
        _verdict(ids, level_type, levels)
        for ids, level_type, levels in (
            (positive, "number", _POSITIVE),
            (pitfall, "string", list(PITFALL_LEVELS)),
        )
        if ids
    ]
    verdicts: dict[str, Any] = {"type": "array", "maxItems": 0}  # no items: nothing to grade
    if branches:
        verdicts = {
            "type": "array",
            "items": branches[0] if len(branches) == 1 else {"anyOf": branches},
        }
    return {
        "title": "judge_verdicts",
        "type": "object",
        "properties": {"verdicts": verdicts},
        "required": ["verdicts"],
        "additionalProperties": False,
    }
