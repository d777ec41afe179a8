"""Trainer adapters around a :class:`RewardScorer`.

The scorer's rewards are already on the frozen reference scale (Reference-Frozen
Normalization), so switch off the trainer's own reward scaling (see docs/rewards.md):
TRL ``GRPOConfig(scale_rewards="none")`` (older releases: ``scale_rewards=False``); verl
``algorithm.norm_adv_by_std_in_grpo=False``; OpenRLHF: leave ``--normalize_reward`` off.
Group mean-centering of advantages (GRPO) stays on: it does not rescale.

A missing aggregate (nothing could be scored) becomes ``None`` for TRL, which TRL treats as
"this reward function does not apply" (NaN); verl and OpenRLHF need a number, so they get
``missing_reward`` (default 0.0, the reference median) and the fact is logged in extras.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from quarkmed_dagster.rewards.scorer import RewardRequest, RewardScorer


def _column(kwargs: dict[str, Any], key: str, n: int) -> list[Any]:
    values = kwargs.get(key)
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{key} has {len(values)} values for {n} completions")
    return values


def make_trl_reward_func(
    scorer: RewardScorer, query_id_column: str = "query_id"
) -> Callable[..., list[float | None]]:
    """A TRL GRPOTrainer reward function ``(prompts, completions, **kwargs) -> list[float]``.

    TRL passes the dataset's extra columns as keyword lists: a ``query_id`` column links
    each prompt to its stored rubric.
    """

    def quarkmed_reward(
        prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any
    ) -> list[float | None]:
        ids = _column(kwargs, query_id_column, len(completions))
        requests = [
            RewardRequest(p, c, q) for p, c, q in zip(prompts, completions, ids, strict=True)
        ]
        return [r["reward"] for r in scorer.score_batch(requests)]

    quarkmed_reward.__name__ = "quarkmed_reward"
    return quarkmed_reward


def make_verl_compute_score(
    scorer: RewardScorer, missing_reward: float = 0.0
) -> Callable[..., dict[str, Any]]:
    """verl ``compute_score(data_source, solution_str, ground_truth, extra_info=None)``.

    ``extra_info`` may carry ``query_id`` and ``prompt``; returns a dict with ``score`` (verl
    logs the other numeric keys).
    """

    def compute_score(
        data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None
    ) -> dict[str, Any]:
        info = extra_info or {}
        result = scorer.score(info.get("prompt", ""), solution_str, info.get("query_id"))
        reward = result["reward"]
        extras = {
            f"dim/{k}": (v if v is not None else float("nan")) for k, v in result["vector"].items()
        }
        return {
            "score": missing_reward if reward is None else reward,
            "missing": reward is None,
            "gated": result["gated"],
            **extras,
        }

    return compute_score


def make_openrlhf_reward_func(
    scorer: RewardScorer, missing_reward: float = 0.0, as_tensor: bool = True
) -> Callable[..., dict[str, Any]]:
    """OpenRLHF ``reward_func(queries, prompts, labels)`` for ``--remote_rm_url file.py``.

    ``queries`` are prompt + response strings; the response is the text after the prompt.
    ``labels`` (from ``--label_key``) carry the query_id. Returns ``{"rewards", "scores",
    "extra_logs"}``; rewards are torch tensors when torch is importable (OpenRLHF's
    environment), plain lists otherwise.
    """

    def reward_func(
        queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]
    ) -> dict[str, Any]:
        requests = []
        for full, prompt, label in zip(queries, prompts, labels, strict=True):
            completion = full[len(prompt) :] if full.startswith(prompt) else full
            requests.append(RewardRequest(prompt, completion, label or None))
        results = scorer.score_batch(requests)
        rewards = [missing_reward if r["reward"] is None else r["reward"] for r in results]
        gated = [1.0 if r["gated"] else 0.0 for r in results]
        payload: dict[str, Any] = {
            "rewards": rewards,
            "scores": rewards,
            "extra_logs": {"gated": gated},
        }
        if as_tensor:
            try:
                import torch  # only present inside the trainer environment

                payload = {
                    "rewards": torch.tensor(rewards),
                    "scores": torch.tensor(rewards),
                    "extra_logs": {"gated": torch.tensor(gated)},
                }
            except ImportError:
                pass
        return payload

    return reward_func
