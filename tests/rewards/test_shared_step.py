"""Rewards compared across models are weighted by one shared Tri-Factor step (issue 18
item 6): two responses with the same normalized vector get the same reward whichever model
wrote them, although each model, on its own batch, would weight other dimensions."""

import numpy as np
import polars as pl
import pytest

from quarkmed_dagster.rewards.tables import (
    model_weight_steps,
    scores_frame,
    shared_weight_step,
)
from quarkmed_dagster.rewards.vector import RawVector
from tests.rewards.test_weighting import _small_matrix

NAMES = ["a", "b", "c", "risk"]
PROBE = {"a": 1.0, "b": -1.0, "c": 0.0, "risk": 0.0}


def _frames(rng: np.random.Generator):
    """model-x is weak on a, model-y on b (40 responses each), plus one probe response per
    model with the same vector."""
    rows, responses, raw = [], [], {}
    for model, means in (("model-x", [-1.5, 0.5, 0.5, 0.5]), ("model-y", [0.5, -1.5, 0.5, 0.5])):
        values = rng.standard_normal((40, 4)) * 0.5 + np.array(means)
        vectors = [dict(zip(NAMES, v.tolist(), strict=True)) for v in values] + [PROBE]
        for n, vector in enumerate(vectors):
            rid = f"{model}-probe" if vector is PROBE else f"{model}-{n}"
            responses.append({"response_id": rid, "query_id": f"q{n}", "candidate_model": model})
            raw[rid] = RawVector(values=dict(vector))
            rows += [
                {"response_id": rid, "candidate_model": model, "dimension": d,
                 "normalized_value": z}
                for d, z in vector.items()
            ]  # fmt: skip
    return pl.DataFrame(responses), raw, pl.DataFrame(rows)


def test_same_vector_gets_the_same_reward_whichever_model_wrote_it():
    matrix = _small_matrix()
    responses, raw, vectors = _frames(np.random.default_rng(0))
    step = shared_weight_step(matrix, vectors)
    scores = scores_frame(matrix, responses, raw, vectors, step, "v")
    reward = dict(zip(scores["response_id"], scores["reward"], strict=True))
    assert reward["model-x-probe"] == pytest.approx(reward["model-y-probe"])
    # the shared step is the one fitted on both batches pooled
    assert sum(step.weights.values()) == pytest.approx(1.0)
    # what the per-model steps did: model-x (weak on a) weights a more, so the same vector
    # was rewarded differently by model; the test above would catch a return to that
    own = model_weight_steps(matrix, vectors)
    assert own["model-x"].weights["a"] > own["model-y"].weights["a"]
    per_model = {
        m: scores_frame(matrix, responses, raw, vectors, own[m], "v").filter(
            pl.col("response_id") == f"{m}-probe"
        )["reward"][0]
        for m in own
    }
    assert per_model["model-x"] != pytest.approx(per_model["model-y"])
