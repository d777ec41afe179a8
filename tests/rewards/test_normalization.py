"""Reference-Frozen Normalization: properties over seeded random draws (no hypothesis)."""

import json
import math
import random

import numpy as np
import pytest

from quarkmed_dagster.rewards.normalization import (
    FrozenArtifactError,
    FrozenStatsStore,
    fit_reference,
    normalize_value,
    robust_location_scale,
)

SEEDS = range(25)


def _draw(rng: random.Random, n: int) -> list[float]:
    kind = rng.choice(["normal", "skewed", "bounded"])
    if kind == "normal":
        return [rng.gauss(rng.uniform(-3, 3), rng.uniform(0.1, 4)) for _ in range(n)]
    if kind == "skewed":
        return [rng.expovariate(rng.uniform(0.2, 3)) for _ in range(n)]
    return [rng.betavariate(2, 5) for _ in range(n)]


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_rollouts_have_intended_location_and_scale(seed):
    rng = random.Random(seed)
    values = _draw(rng, rng.randint(50, 400))
    stats = fit_reference({"d": values}, "v1", "ref", "matrix-v1", clip=1e9)
    z = [normalize_value(stats, "d", v) for v in values]
    refit = robust_location_scale(z)
    assert refit.location == pytest.approx(0.0, abs=1e-9)
    assert refit.scale == pytest.approx(1.0, rel=1e-9)
    assert refit.method == "iqr"


@pytest.mark.parametrize("seed", SEEDS)
def test_affine_rescaled_signal_gives_same_normalized_reward(seed):
    rng = random.Random(seed)
    values = _draw(rng, 200)
    a, b = rng.uniform(0.01, 50), rng.uniform(-100, 100)
    stats = fit_reference({"d": values}, "v1", "ref", "matrix-v1")
    stats_scaled = fit_reference({"d": [a * v + b for v in values]}, "v1", "ref", "matrix-v1")
    probes = [rng.uniform(min(values), max(values)) for _ in range(30)]
    for x in probes:
        assert normalize_value(stats_scaled, "d", a * x + b) == pytest.approx(
            normalize_value(stats, "d", x), abs=1e-7
        )


def test_binary_like_dimension_falls_back_to_a_scale_equivariant_statistic():
    values = [1.0] * 90 + [0.0] * 10  # IQR and MAD are 0
    stats = robust_location_scale(values)
    assert stats.method == "std" and not stats.degenerate
    scaled = robust_location_scale([3 * v + 1 for v in values])
    assert scaled.scale == pytest.approx(3 * stats.scale)
    constant = robust_location_scale([0.7] * 20)
    assert constant.degenerate and constant.scale == 1.0


def test_missing_values_stay_missing_and_are_ignored_when_fitting():
    stats = fit_reference({"d": [None, 1.0, 2.0, 3.0, float("nan")]}, "v1", "r", "m")
    assert stats.dimensions["d"].n == 3
    assert normalize_value(stats, "d", None) is None
    assert normalize_value(stats, "unknown", 1.0) is None


def test_clipping_bounds_extreme_values():
    stats = fit_reference({"d": list(np.linspace(0, 1, 101))}, "v1", "r", "m", clip=3.0)
    assert normalize_value(stats, "d", 1e6) == 3.0
    assert normalize_value(stats, "d", -1e6) == -3.0


def test_stats_artifact_is_versioned_hashed_and_frozen(tmp_path):
    rng = random.Random(1)
    store = FrozenStatsStore(tmp_path)
    reference = fit_reference({"d": _draw(rng, 100)}, "rfn-v1", "reference-policy", "m")
    frozen = store.freeze(reference)
    body = json.loads((tmp_path / "rfn-v1.json").read_text())
    assert body["version"] == "rfn-v1" and body["content_hash"] == frozen.content_hash

    # Refitting on a different policy's rollouts does not change the frozen artifact ...
    other = fit_reference({"d": [v + 5 for v in _draw(rng, 100)]}, "rfn-v1", "policy-step-9", "m")
    with pytest.raises(FrozenArtifactError):
        store.freeze(other)
    loaded, fresh = store.load_or_freeze("rfn-v1", lambda: other)
    assert not fresh and loaded.content_hash == frozen.content_hash
    assert loaded.dimensions == frozen.dimensions
    # ... unless explicitly re-frozen under a new version.
    renamed = fit_reference({"d": [v + 5 for v in _draw(rng, 100)]}, "rfn-v2", "policy", "m")
    assert store.freeze(renamed).version == "rfn-v2"
    assert store.load("rfn-v1").content_hash == frozen.content_hash
    # Re-freezing identical content is idempotent.
    assert store.freeze(reference).content_hash == frozen.content_hash


def test_tampered_artifact_is_rejected(tmp_path):
    store = FrozenStatsStore(tmp_path)
    store.freeze(fit_reference({"d": [0.0, 1.0, 2.0, 3.0]}, "v1", "r", "m"))
    path = tmp_path / "v1.json"
    body = json.loads(path.read_text())
    body["dimensions"]["d"]["location"] = 42.0
    path.write_text(json.dumps(body))
    with pytest.raises(FrozenArtifactError):
        store.load("v1")
    with pytest.raises(ValueError):
        store.path("../escape")


def test_location_out_and_scale_out_set_the_intended_scale():
    values = list(np.linspace(0, 10, 201))
    stats = fit_reference({"d": values}, "v1", "r", "m", clip=1e9)
    shifted = type(stats)(**{**stats.__dict__, "location_out": 0.5, "scale_out": 0.2})
    z = [normalize_value(shifted, "d", v) for v in values]
    refit = robust_location_scale(z)
    assert refit.location == pytest.approx(0.5) and refit.scale == pytest.approx(0.2)
    assert not math.isnan(refit.scale)


def test_dimension_without_reference_data_is_missing_not_normalised():
    # no reference value for "rare": no statistics to normalise against, so every value of
    # it stays missing (it used to get location 0, scale 1: z = the raw value, made up)
    stats = fit_reference({"rare": [None, None], "d": [0.0, 1.0, 2.0, 3.0]}, "v1", "r", "m")
    rare = stats.dimensions["rare"]
    assert (rare.n, rare.method, rare.location, rare.scale) == (0, "empty", None, None)
    assert normalize_value(stats, "rare", 0.8) is None
    assert normalize_value(stats, "d", 1.5) is not None


def test_artifact_without_content_hash_is_refused(tmp_path):
    store = FrozenStatsStore(tmp_path)
    store.freeze(fit_reference({"d": [0.0, 1.0, 2.0, 3.0]}, "v1", "r", "m"))
    path = tmp_path / "v1.json"
    body = json.loads(path.read_text())
    del body["content_hash"]
    path.write_text(json.dumps(body))
    with pytest.raises(FrozenArtifactError, match="content_hash"):
        store.load("v1")
