"""Each personal-data type becomes its typed placeholder; clinical numbers stay."""

import time
from collections import Counter

import pytest

from quarkmed_dagster.ingest.pii import scrub

CASES = [
    ("write to jane.doe+x@example.org please", "[EMAIL]", "jane.doe"),
    ("call me at (555) 123-4567 tonight", "[PHONE]", "123-4567"),
    ("or +44 20 7946 0958", "[PHONE]", "7946"),
    ("my SSN is 123-45-6789", "[ID_NUMBER]", "6789"),
    ("MRN: A1234567 at the clinic", "[ID_NUMBER]", "A1234567"),
    ("date of birth: 03/14/1985, male", "[DOB]", "1985"),
    ("I live at 42 Maple Grove Road near the park", "[ADDRESS]", "Maple"),
    ("see https://portal.example.com/r?token=abc123 for labs", "[URL_PERSONAL]", "abc123"),
    ("(labs: https://x.example/r?page=2&user=jdoe)", "[URL_PERSONAL]", "jdoe"),
]


@pytest.mark.parametrize(("text", "placeholder", "secret"), CASES)
def test_personal_data_becomes_typed_placeholder(text: str, placeholder: str, secret: str) -> None:
    counts: Counter[str] = Counter()
    scrubbed = scrub(text, counts)
    assert placeholder in scrubbed and secret not in scrubbed
    assert counts[placeholder.strip("[]")] == 1


def test_clinical_numbers_are_not_personal_data() -> None:
    text = "BP 120/80, took 500 mg twice a day for 10 days, HbA1c 7.2%, see https://www.cdc.gov/flu"
    counts: Counter[str] = Counter()
    assert scrub(text, counts) == text
    assert not counts


def test_id_labels_without_an_id_are_kept() -> None:
    """Template text in reference answers names the fields; only an actual id is replaced."""
    text = "**Medical Record Number:** [Insert MRN]; the patient identifier is on the wristband"
    counts: Counter[str] = Counter()
    assert scrub(text, counts) == text
    assert not counts
    assert scrub("Medical record number: 00-4471-B") == "[ID_NUMBER]"


def test_scrubbing_time_grows_linearly_with_the_text() -> None:
    """Quarantine scrubs a rejected line whole before cutting it (up to 2 MB): no pattern may
    rescan a long word from each of its letters (that took minutes for a 1 MB word)."""
    for text in ("x" * 1_000_000, "1" * 1_000_000, "https://a" * 100_000, "a@" * 500_000):
        start = time.perf_counter()
        assert scrub(text) == text
        assert time.perf_counter() - start < 5, text[:20]
