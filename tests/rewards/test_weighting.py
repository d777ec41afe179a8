"""Tri-Factor Adaptive Dynamic Weighting: properties over seeded random batches."""

import itertools
import random

import numpy as np
import pytest

from quarkmed_dagster.rewards.matrix import AlignmentMatrix, Dimension, default_matrix
from quarkmed_dagster.rewards.simulation import SimulationSpec, simulate_steps
from quarkmed_dagster.rewards.tables import trajectory_frame
from quarkmed_dagster.rewards.weighting import aggregate, tri_factor_weights

SEEDS = range(20)


def _fmt(name: str, **kw) -> Dimension:
    return Dimension(
        name=name, category="format_specifications", source="format", check="length", **kw
    )


def _small_matrix() -> AlignmentMatrix:
    return AlignmentMatrix(
        dimensions=(
            _fmt("a"),
            _fmt("b"),
            _fmt("c"),
            _fmt("risk", risk_priority=3.0, floor=0.2),
        )
    )


def _batch(rng: np.random.Generator, names, means, n=200):
    data = rng.standard_normal((n, len(names))) * 0.7 + np.array(means)
    return [dict(zip(names, row.tolist(), strict=True)) for row in data]


@pytest.mark.parametrize("seed", SEEDS)
def test_weights_are_non_negative_sum_to_one_and_respect_floors(seed):
    rng = np.random.default_rng(seed)
    matrix = default_matrix()
    names = list(matrix.names)
    means = rng.uniform(-2, 2, len(names))
    batch = _batch(rng, names, means, n=int(rng.integers(5, 300)))
    # Some missing values, as in real data (no feedback, no citations).
    for row in batch:
        for name in random.Random(seed).sample(names, 3):
            row[name] = None
    step = tri_factor_weights(matrix, batch)
    weights = np.array(list(step.weights.values()))
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0)
    for dim in matrix.dimensions:
        assert step.weights[dim.name] >= dim.floor - 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_a_dimension_that_gets_weaker_gains_weight(seed):
    rng = np.random.default_rng(seed)
    matrix = _small_matrix()
    names = list(matrix.names)
    means = rng.uniform(-1, 1, len(names))
    batch = _batch(rng, names, means)
    drop = rng.uniform(0.2, 2.0)
    weaker = [{**row, "a": row["a"] - drop} for row in batch]
    before = tri_factor_weights(matrix, batch).weights["a"]
    after = tri_factor_weights(matrix, weaker).weights["a"]
    assert after >= before
    if means[0] - drop < matrix.dimension("a").target:  # a real gap, not floor-bound
        assert after > before


@pytest.mark.parametrize("seed", SEEDS)
def test_a_duplicated_or_correlated_dimension_loses_weight(seed):
    rng = np.random.default_rng(seed)
    matrix = _small_matrix()
    names = list(matrix.names)
    batch = _batch(rng, names, [0.0] * len(names))
    base = tri_factor_weights(matrix, batch).weights
    duplicated = [{**row, "b": row["a"]} for row in batch]
    dup = tri_factor_weights(matrix, duplicated).weights
    assert dup["b"] < base["b"]
    assert dup["a"] < base["a"]
    # Strongly (not perfectly) correlated: b = a + small noise.
    correlated = [{**row, "b": row["a"] + 0.1 * rng.standard_normal()} for row in batch]
    cor = tri_factor_weights(matrix, correlated).weights
    assert cor["b"] < base["b"]
    # The pair of duplicates together keeps about the say of one independent dimension.
    assert dup["a"] + dup["b"] == pytest.approx(dup["c"], rel=0.35)


def test_risk_priority_puts_safety_first_and_floors_hold_when_healthy():
    matrix = _small_matrix()
    names = list(matrix.names)
    rng = np.random.default_rng(0)
    batch = _batch(rng, names, [-1.0, -1.0, -1.0, -1.0])
    step = tri_factor_weights(matrix, batch)
    assert step.weights["risk"] > max(step.weights[n] for n in "abc")
    # Risk dimension far above target, others very weak: it keeps its floor.
    batch = _batch(rng, names, [-3.0, -3.0, -3.0, 4.0])
    assert tri_factor_weights(matrix, batch).weights["risk"] == pytest.approx(0.2)


def test_empty_batch_gives_prior_weights_from_risk_and_floors():
    step = tri_factor_weights(default_matrix(), [])
    assert sum(step.weights.values()) == pytest.approx(1.0)
    assert step.weights["pitfall_avoidance"] > step.weights["length"]


def test_major_pitfall_caps_the_reward_last():
    matrix = _small_matrix()
    weights = {"a": 0.25, "b": 0.25, "c": 0.25, "risk": 0.25}
    z = {"a": 2.0, "b": 2.0, "c": 2.0, "risk": 2.0}
    free = aggregate(matrix, z, weights)
    assert free.reward == pytest.approx(2.0) and not free.gated
    capped = aggregate(matrix, z, weights, major_pitfalls=["item-9"])
    assert capped.reward == matrix.gates.major_pitfall_cap and capped.gated
    assert capped.ungated == pytest.approx(2.0)
    low = aggregate(matrix, {k: -4.0 for k in z}, weights, major_pitfalls=["x"])
    assert low.reward == pytest.approx(-4.0)  # already below the cap: unchanged
    partial = aggregate(matrix, {"a": 1.0, "b": None, "c": None, "risk": None}, weights)
    assert partial.reward == pytest.approx(1.0)  # weights renormalised over present dims
    assert aggregate(matrix, dict.fromkeys(z), weights).reward is None


def test_simulated_checkpoints_move_weight_to_weakest_and_away_from_redundant():
    matrix = default_matrix()
    spec = SimulationSpec()
    rows = trajectory_frame(matrix, "simulated", simulate_steps(matrix, spec), "v").to_dicts()
    last = max(r["step"] for r in rows)

    def weight(dim, k):
        return next(r["weight"] for r in rows if r["dimension"] == dim and r["step"] == k)

    weak = [weight(spec.weakening, k) for k in range(last + 1)]
    assert weak[-1] > 5 * weak[0]
    assert sum(b >= a for a, b in itertools.pairwise(weak)) >= last - 1
    final = {d: weight(d, last) for d in matrix.names}
    assert max(final, key=final.get) == spec.weakening
    # The redundant dimension ends below a comparable independent dimension that also
    # reached its target (highlight_insight: same mean path, no correlation).
    assert final[spec.redundant] < 0.6 * final["highlight_insight"]
    red = next(
        r["redundancy"] for r in rows if r["dimension"] == spec.redundant and r["step"] == last
    )
    assert red > 0.4


SMOOTHING_GRID = np.linspace(0.0, 1.0, 401)


def _smoothed(matrix, batch, previous) -> np.ndarray:
    """Weights over a fine grid of smoothing factors (rows: beta, columns: dimensions)."""
    return np.array(
        [
            list(tri_factor_weights(matrix, batch, previous, smoothing=beta).weights.values())
            for beta in SMOOTHING_GRID
        ]
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_smoothing_keeps_floors_sum_and_is_continuous_when_a_floor_binds(seed):
    """Previous weights below the current floors (a dimension new to the matrix file, a
    floor raised): smoothing pulls the risk weight under its floor. The floored weights used
    to fall back to the unsmoothed shape there - a jump - instead of keeping the smoothed one."""
    rng = np.random.default_rng(seed)
    matrix = _small_matrix()
    names = list(matrix.names)
    batch = _batch(rng, names, rng.uniform(-1, 1, len(names)))
    shares = rng.dirichlet(np.ones(3))
    previous = {"a": shares[0], "b": shares[1], "c": shares[2]}  # no "risk" weight yet
    grid = _smoothed(matrix, batch, previous)
    floors = np.array([d.floor for d in matrix.dimensions])
    assert (grid >= floors - 1e-12).all()
    assert grid.sum(axis=1) == pytest.approx(np.ones(len(SMOOTHING_GRID)))
    # Lipschitz in beta: no jump anywhere on the grid (a step of 1/400 moves a weight <= 1%).
    jumps = np.abs(np.diff(grid, axis=0)).max()
    assert jumps <= 4.0 / (len(SMOOTHING_GRID) - 1), jumps
    # Where the floor binds, the free dimensions keep the smoothed proportions.
    unsmoothed = tri_factor_weights(matrix, batch).weights
    prev = np.array([previous.get(n, 0.0) for n in names])
    for beta, weights in zip(SMOOTHING_GRID, grid, strict=True):
        mixed = (1 - beta) * np.array(list(unsmoothed.values())) + beta * prev
        if mixed[3] < floors[3]:
            assert weights[3] == pytest.approx(floors[3])
            assert weights[:3] / weights[:3].sum() == pytest.approx(mixed[:3] / mixed[:3].sum())
        else:
            assert weights == pytest.approx(mixed)  # floors not binding: plain smoothing
    assert grid[-1] == pytest.approx([*(prev[:3] * (1 - floors[3])), floors[3]])


def test_smoothing_with_previous_weights_that_respect_the_floors_is_plain_mixing():
    rng = np.random.default_rng(7)
    matrix = _small_matrix()
    names = list(matrix.names)
    first = tri_factor_weights(matrix, _batch(rng, names, [0.0, -1.0, 0.5, 1.0])).weights
    batch = _batch(rng, names, [-1.0, 0.0, 0.0, 0.0])
    fresh = np.array(list(tri_factor_weights(matrix, batch).weights.values()))
    grid = _smoothed(matrix, batch, first)
    expected = np.outer(1 - SMOOTHING_GRID, fresh) + np.outer(SMOOTHING_GRID, list(first.values()))
    assert grid == pytest.approx(expected)
