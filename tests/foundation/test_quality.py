"""The GX adapter really validates: a clean frame passes, a broken one fails by name."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quarkmed_dagster import quality


@pytest.fixture()
def suite_dir(tmp_path, monkeypatch):
    suite = {
        "name": "toy",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "score", "min_value": 0, "max_value": 1},
                "meta": {"severity": "warn"},
            },
        ],
    }
    (tmp_path / "toy.json").write_text(json.dumps(suite))
    monkeypatch.setattr(quality, "EXPECTATIONS_DIR", tmp_path)
    return tmp_path


def test_clean_frame_passes(suite_dir) -> None:
    outcome = quality.validate_frame("toy", pl.DataFrame({"id": ["a", "b"], "score": [0.1, 1.0]}))
    assert outcome.passed and not outcome.failed_warnings
    assert len(outcome.outcomes) == 3


def test_duplicate_ids_fail_and_out_of_range_warns(suite_dir) -> None:
    frame = pl.DataFrame({"id": ["a", "a", None], "score": [0.1, 2.0, 0.5]})
    outcome = quality.validate_frame("toy", frame)
    assert not outcome.passed
    failed = {o.expectation: o.unexpected_count for o in outcome.failed_errors}
    assert failed == {
        "expect_column_values_to_not_be_null": 1,
        "expect_column_values_to_be_unique": 2,
    }
    assert [o.column for o in outcome.failed_warnings] == ["score"]
