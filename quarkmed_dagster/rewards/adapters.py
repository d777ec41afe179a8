"""Trainer adapters around a :class:`RewardScorer`.

The scorer's rewards are already on the frozen reference scale (Reference-Frozen
Normalization), so switch off the trainer's own reward scaling (see docs/rewards.md):
TRL ``GRPOConfig(scale_rewards="none")`` (older releases: ``scale_rewards=False``); verl
``algorithm.norm_adv_by_std_in_grpo=False``; OpenRLHF: leave ``--normalize_reward`` off.
Group mean-centering of advantages (GRPO) stays on: it does not rescale.

A missing aggregate (nothing could be scored) becomes ``None`` for TRL, which TRL treats as
"this reward function does not apply" (NaN); verl and OpenRLHF need a number, so they get
``missing_reward`` (default 0.0, the reference median) and the fact is flagged: verl's
``missing`` key per sample, OpenRLHF's ``extra_logs["missing"]`` (1.0 = missing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

    TRL calls it with keywords only: ``prompts`` and ``completions`` (strings, or for
    conversational data message lists such as ``[{"role": "assistant", "content": ...}]``),
    ``completion_ids``, ``trainer_state`` (newer releases also ``log_extra`` /
    ``log_metric``) and every dataset column but ``prompt`` as a list aligned with the
    completions: a ``query_id`` column links each prompt to its stored rubric. The rest is
    ignored. ``None`` (nothing scorable) is TRL's "does not apply" (NaN).
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


def _verl_row(result: dict[str, Any], missing_reward: float) -> dict[str, Any]:
    """verl's dict form: ``score`` is the reward, every other key is logged per sample (so
    every row carries the same keys)."""
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


def _verl_request(solution_str: str, extra_info: Mapping[str, Any] | None) -> RewardRequest:
    info = extra_info or {}
    return RewardRequest(info.get("prompt", ""), solution_str, info.get("query_id"))


def make_verl_compute_score(
    scorer: RewardScorer, missing_reward: float = 0.0
) -> Callable[..., dict[str, Any]]:
    """verl ``compute_score(data_source, solution_str, ground_truth, extra_info=None)``.

    verl's reward managers call it with those keywords (``NaiveRewardManager``), adding the
    ``custom_reward_function.reward_kwargs`` of the config as further keywords (accepted and
    ignored). ``extra_info`` (the dataset's ``extra_info`` column; verl adds ``num_turns``)
    may carry ``query_id`` and ``prompt``; returns a dict with ``score`` (verl logs the other
    keys). One completion per call: prefer :func:`make_verl_batch_compute_score`.
    """

    def compute_score(
        data_source: str,
        solution_str: str,
        ground_truth: Any,
        extra_info: dict | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        (result,) = scorer.score_batch([_verl_request(solution_str, extra_info)])
        return _verl_row(result, missing_reward)

    return compute_score


def make_verl_batch_compute_score(
    scorer: RewardScorer, missing_reward: float = 0.0
) -> Callable[..., list[dict[str, Any]]]:
    """verl ``BatchRewardManager`` (``reward_model.reward_manager=batch``): ``compute_score(
    data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs)`` -> one dict
    per sample, as :func:`make_verl_compute_score`; the whole batch is graded together, so
    its judge calls run concurrently."""

    def compute_score(
        data_sources: Sequence[str],
        solution_strs: Sequence[str],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[dict | None] | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
        if len(infos) != len(solution_strs):
            raise ValueError(f"{len(infos)} extra_infos for {len(solution_strs)} solutions")
        requests = [_verl_request(s, i) for s, i in zip(solution_strs, infos, strict=True)]
        return [_verl_row(r, missing_reward) for r in scorer.score_batch(requests)]

    return compute_score


def response_after_prompt(query: str, prompt: str) -> str:
    """The response part of an OpenRLHF query (prompt + response, decoded with special
    tokens): the text after the prompt, wherever it starts (a BOS token may precede it)."""
    start = query.find(prompt) if prompt else -1
    return query[start + len(prompt) :] if start >= 0 else query


def make_openrlhf_reward_func(
    scorer: RewardScorer, missing_reward: float = 0.0, as_tensor: bool = True
) -> Callable[..., dict[str, Any]]:
    """OpenRLHF ``reward_func(queries, prompts, labels, **kwargs)`` for ``--remote_rm_url
    file.py``, called positionally with lists.

    ``queries`` are prompt + response strings; the response is the text after the prompt.
    ``labels`` (from ``--label_key``; absent without it) carry the query_id. Returns
    ``{"rewards", "scores", "extra_logs"}``; rewards are torch tensors when torch is
    importable (OpenRLHF's environment), plain lists otherwise. A response with no scorable
    dimension gets ``missing_reward`` and ``extra_logs["missing"]`` = 1.0 (else 0.0), as verl's
    rows carry ``missing``. ``scores`` are the same
    RFN-scale rewards (not [0, 1]): set any ``--dynamic_filtering_reward_range`` in those units.
    """

    def reward_func(
        queries: Sequence[str],
        prompts: Sequence[str],
        labels: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        labels = list(labels) if labels is not None else [None] * len(queries)
        requests = [
            RewardRequest(prompt, response_after_prompt(full, prompt), label or None)
            for full, prompt, label in zip(queries, prompts, labels, strict=True)
        ]
        results = scorer.score_batch(requests)
        rewards = [missing_reward if r["reward"] is None else r["reward"] for r in results]
        gated = [1.0 if r["gated"] else 0.0 for r in results]
        # 1.0 where nothing could be scored and ``missing_reward`` stands in for the reward
        missing = [1.0 if r["reward"] is None else 0.0 for r in results]
        payload: dict[str, Any] = {
            "rewards": rewards,
            "scores": rewards,
            "extra_logs": {"gated": gated, "missing": missing},
        }
        if as_tensor:
            try:
                import torch  # only present inside the trainer environment

                payload = {
                    "rewards": torch.tensor(rewards),
                    "scores": torch.tensor(rewards),
                    "extra_logs": {
                        "gated": torch.tensor(gated),
                        "missing": torch.tensor(missing),
                    },
                }
            except ImportError:
                pass
        return payload

    return reward_func
