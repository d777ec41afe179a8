"""The shared-resample bootstrap: one column equals bootstrap_ci, columns share resamples,
NULLs are left out, memory blocks do not change the result."""

from __future__ import annotations

import numpy as np
import pytest

from quarkmed_dagster.scoring import bootstrap
from quarkmed_dagster.scoring.bootstrap import bootstrap_ci, bootstrap_intervals, bootstrap_means


def _values(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def test_a_column_among_others_has_the_interval_it_has_alone():
    a, b = _values(300), _values(300, seed=2)
    together = bootstrap_intervals(np.column_stack([a, b]), seed=5)
    assert together[0] == pytest.approx(bootstrap_ci(a.tolist(), seed=5), rel=1e-12)
    assert together[1] == pytest.approx(bootstrap_ci(b.tolist(), seed=5), rel=1e-12)


def test_duplicated_column_gets_the_same_interval():
    a = _values(200)
    first, second = bootstrap_intervals(np.column_stack([a, a]), seed=0)
    assert first == second


def test_missing_values_are_left_out_and_an_empty_column_is_none():
    a = _values(100)
    with_gaps = a.copy()
    with_gaps[::4] = np.nan
    empty = np.full(100, np.nan)
    gaps, none = bootstrap_intervals(np.column_stack([with_gaps, empty]), seed=0)
    mean, lo, hi = gaps
    assert mean == pytest.approx(np.nanmean(with_gaps))
    assert lo < mean < hi
    assert none == (None, None, None)
    assert bootstrap_ci([None, None]) == (None, None, None)


def test_interval_is_seeded_and_narrows_with_more_data():
    small, large = _values(50), _values(5000)
    assert bootstrap_ci(small.tolist(), seed=3) == bootstrap_ci(small.tolist(), seed=3)
    _, lo_s, hi_s = bootstrap_ci(small.tolist(), seed=3)
    _, lo_l, hi_l = bootstrap_ci(large.tolist(), seed=3)
    assert hi_l - lo_l < hi_s - lo_s
    # a mean of uniform(0, 1) values: the 95% interval of 5000 holds 0.5 within ~0.02
    assert lo_l < 0.5 < hi_l and hi_l - lo_l < 0.04


def test_memory_blocks_do_not_change_the_resamples(monkeypatch):
    matrix = np.column_stack([_values(120), _values(120, seed=4)])
    whole = bootstrap_means(matrix, n_boot=50, seed=9)
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_BLOCK", 120 * 7)  # 7 resamples per block
    assert np.allclose(bootstrap_means(matrix, n_boot=50, seed=9), whole, rtol=1e-12, atol=0)
