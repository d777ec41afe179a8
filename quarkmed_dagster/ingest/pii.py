"""Replace personal data by typed placeholders before anything is stored.

Conservative by design: dates count as birth dates only next to a birth cue, and numbers
only as phone or id numbers in phone / id shapes, so doses ("500 mg"), blood pressures
("120/80") and ages survive. Every pattern runs in linear time (no start inside a word
can rescan it), so even a megabyte-long quarantined line is scrubbed whole.
"""

from __future__ import annotations

import re
from collections import Counter

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}"
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
)
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|parkway|pkwy|highway|hwy)"
)

# A URL runs to the next space; it is personal when a query parameter names a person.
_PERSONAL_PARAMETER = re.compile(
    r"[?&](?:token|key|auth|session|sid|sig|signature|email|user|uid|patient|id|access_token)"
    r"=[^\s&]",
    re.I,
)

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # the local part starts a token: a long word is not rescanned from each of its letters
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)),
    ("URL_PERSONAL", re.compile(r"https?://\S+", re.I)),  # if _PERSONAL_PARAMETER in it
    ("DOB", re.compile(rf"(?:date of birth|d\.?o\.?b\.?|born on|birthday)[:\s]*{_DATE}", re.I)),
    ("ID_NUMBER", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),  # US SSN shape
    (  # an id after its cue has a digit: "Medical Record Number: [Insert MRN]" is a label
        "ID_NUMBER",
        re.compile(
            r"\b(?:mrn|medical record(?: number)?|patient id|insurance id|member id|"
            r"passport(?: number)?|nhs number|ssn)[\s:#no.]*(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]{4,}\b",
            re.I,
        ),
    ),
    ("ID_NUMBER", re.compile(r"\b\d{17}[\dXx]\b")),  # 18-character national id shape
    (
        "PHONE",
        re.compile(
            r"(?<![\w/])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"
        ),
    ),
    ("PHONE", re.compile(r"(?<![\w/])\+\d{1,3}(?:[\s-]?\d{2,4}){3,5}\b")),
    (
        "ADDRESS",
        re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][a-z]+\s+){{1,3}}{_STREET}\b\.?", re.I),
    ),
]


def scrub(text: str, counts: Counter[str] | None = None) -> str:
    """Text with each personal datum replaced by ``[TYPE]``; ``counts`` gets the tallies."""
    for label, pattern in PATTERNS:
        if label == "URL_PERSONAL":
            text, n = _scrub_personal_urls(pattern, text)
        else:
            text, n = pattern.subn(f"[{label}]", text)
        if n and counts is not None:
            counts[label] += n
    return text


def _scrub_personal_urls(pattern: re.Pattern[str], text: str) -> tuple[str, int]:
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        if _PERSONAL_PARAMETER.search(match.group()) is None:
            return match.group()
        found += 1
        return "[URL_PERSONAL]"

    return pattern.sub(replace, text), found
