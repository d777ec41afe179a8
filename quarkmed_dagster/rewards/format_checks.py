"""Programmatic format checks: verifiable scores in [0, 1], no model involved.

Each check returns ``None`` when it does not apply (e.g. no citations in the response), so
the dimension is a missing value for that response rather than a made-up score.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

CITATION = re.compile(r"\[(\d+(?:\s*[,\-\u2013]\s*\d+)*)\]")
CITATION_ID = re.compile(r"\[(?:doc|source|ref|passage)[:=][^\[\]\s]+\]", re.IGNORECASE)
MALFORMED_CITATION = re.compile(
    r"\[\s*\]|\[\s*(?:citation needed|source|ref|\?)\s*\]|\[\d+(?![\d\s,\-\u2013]*\])"
    r"|\(\s*(?:source|citation)\s*\)",
    re.IGNORECASE,
)
URL = re.compile(r"https?://\S+")
CODE_FENCE = re.compile(r"^\s*```", re.MULTILINE)
LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S", re.MULTILINE)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")


def length_score(text: str, min_chars: int, max_chars: int) -> float:
    """1 inside [min_chars, max_chars]; linear decay below, inverse decay above."""
    n = len(text.strip())
    if n == 0:
        return 0.0
    if n < min_chars:
        return n / min_chars
    if n > max_chars:
        return max_chars / n
    return 1.0


def structure_score(text: str) -> float:
    """Mean of four verifiable properties of a readable answer.

    Balanced code fences; a long answer (> 600 chars) is broken into paragraphs or a list;
    no single line longer than 1,500 characters; no sentence repeated verbatim.
    """
    stripped = text.strip()
    if not stripped:
        return 0.0
    balanced = len(CODE_FENCE.findall(stripped)) % 2 == 0
    paragraphs = "\n\n" in stripped or len(LIST_LINE.findall(stripped)) >= 2
    broken_up = len(stripped) <= 600 or paragraphs
    short_lines = max(len(line) for line in stripped.splitlines()) <= 1500
    sentences = [s.strip().lower() for s in SENTENCE_SPLIT.split(stripped) if len(s.strip()) > 20]
    no_repeats = len(sentences) == len(set(sentences))
    return sum([balanced, broken_up, short_lines, no_repeats]) / 4.0


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        bounds = re.split(r"\s*[\-\u2013]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            out.extend(range(lo, hi + 1) if 0 < hi - lo < 50 else [lo, hi])
        elif part.isdigit():
            out.append(int(part))
    return out


def citation_score(text: str) -> float | None:
    """Share of well-formed citation markers; None when the response cites nothing.

    Well formed: ``[1]``, ``[1, 2]``, ``[2-4]`` or ``[doc:ID]``. Malformed: empty brackets,
    placeholders (``[citation needed]``, ``(source)``), unclosed ``[3``. Numeric citations
    must start at 1 and not skip numbers (a gap suggests an invented reference).
    """
    good = CITATION.findall(text)
    ids = CITATION_ID.findall(text)
    bad = MALFORMED_CITATION.findall(text)
    total = len(good) + len(ids) + len(bad)
    if total == 0:
        return None
    score = (len(good) + len(ids)) / total
    numbers = sorted({n for group in good for n in _numbers(group)})
    if numbers and numbers != list(range(1, numbers[-1] + 1)):
        score *= 0.5
    return score


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    code = ord(ch)
    if code < 0x80:
        return "latin"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3040 <= code <= 0x30FF:
        return "cjk"
    if 0xAC00 <= code <= 0xD7AF:
        return "hangul"
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "CYRILLIC", "ARABIC", "GREEK", "HEBREW", "DEVANAGARI", "THAI"):
        if name.startswith(script):
            return script.lower()
    return "other"


def script_profile(text: str) -> dict[str, int]:
    """Letter counts per writing system (URLs ignored)."""
    counts: dict[str, int] = {}
    for ch, n in Counter(URL.sub(" ", text)).items():
        script = _script(ch)
        if script:
            counts[script] = counts.get(script, 0) + n
    return counts


def dominant_script(text: str) -> str | None:
    counts = script_profile(text)
    return max(counts, key=lambda k: counts[k]) if counts else None


def language_consistency_score(query: str, response: str) -> float | None:
    """Share of the response's letters written in the query's dominant script.

    Drug names and abbreviations in Latin letters inside a Chinese answer cost a little;
    answering a Chinese question in English costs almost everything. None when the query
    has no letters to compare with.
    """
    expected = dominant_script(query)
    if expected is None:
        return None
    counts = script_profile(response)
    total = sum(counts.values())
    if total == 0:
        return 0.0
    # CJK characters carry roughly a word each; weight them like ~3 Latin letters.
    weight = {"cjk": 3.0, "hangul": 2.0}
    weighted = {k: v * weight.get(k, 1.0) for k, v in counts.items()}
    return weighted.get(expected, 0.0) / sum(weighted.values())
