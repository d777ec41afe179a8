"""Stage 10: alignment rewards (thin Dagster layer over ``quarkmed_dagster.rewards``).

The alignment matrix and policy checkpoints come from the ``alignment_matrix`` file
(settings). ``reward_normalization`` freezes Reference-Frozen Normalization statistics (a
versioned JSON artifact; an existing version is loaded, never refitted), ``reward_vectors``
scores every candidate response (vector, aggregate, safety gates), ``reward_weight_trajectory``
records Tri-Factor weights per model (compared), over each declared policy's checkpoints (in
order) and for a simulated checkpoint sequence (plots attached), ``reward_diagnosis``
attributes weaknesses to category, dimension, tag and item.
"""

import json
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.metadata import frame_to_markdown, save_plots, table_metadata
from quarkmed_dagster.report.html import baseline_labels
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.rewards.config import RewardsConfig, checkpoint_steps, load_rewards_config
from quarkmed_dagster.rewards.diagnosis import diagnose
from quarkmed_dagster.rewards.normalization import FrozenStatsStore, check_fits, fit_reference
from quarkmed_dagster.rewards.plots import (
    checkpoint_plots,
    dimension_spread_chart,
    model_plots,
    reference_stats_chart,
    reward_distribution,
    simulation_plots,
)
from quarkmed_dagster.rewards.simulation import SimulationSpec, simulate_steps
from quarkmed_dagster.rewards.tables import (
    compute_raw_vectors,
    model_weight_steps,
    reference_samples,
    scores_frame,
    shared_weight_step,
    vectors_frame,
    weight_trajectories,
)
from quarkmed_dagster.rewards.wiring import stats_store_root
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.skips import clear_skip, record_skip
from quarkmed_dagster.warehouse import Warehouse, load_sql

GROUP = "rewards"
OWNERS = ["team:quarkmed"]
KINDS = {"duckdb", "python"}
PLOT_KINDS = KINDS | {"svg"}
DEFAULT_STATS_VERSION = "rfn-v1"


class RewardStatsConfig(dg.Config):
    stats_version: str = Field(
        default=DEFAULT_STATS_VERSION,
        description="Frozen RFN statistics version; a new fit needs a new version name.",
    )
    reference_models: list[str] = Field(
        default_factory=list,
        description="candidate_model values whose responses are the frozen reference "
        "rollouts; empty = every response present at freeze time.",
    )


def _inputs(store: Warehouse) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    responses = store.read(load_sql("select_reward_responses"))
    verdicts = store.read(load_sql("select_reward_verdicts"))
    feedback = store.read(load_sql("select_reward_feedback"))
    return responses, verdicts, feedback


def _stats_store() -> FrozenStatsStore:
    return FrozenStatsStore(stats_store_root(get_settings().data_home))


def _rewards_config() -> RewardsConfig:
    return load_rewards_config(get_settings().alignment_matrix)


def _reports_dir() -> Path:
    return get_settings().reports_dir / "rewards"


def _plot_metadata(plots: dict[str, str]) -> dict[str, Any]:
    """Each SVG written to ``<reports_dir>/rewards/<name>.svg`` and inlined as a markdown
    image under its name; ``plots_dir`` says where the files are."""
    images = save_plots(plots, _reports_dir())
    return {"plots_dir": str(_reports_dir())} | {
        name: dg.MetadataValue.md(image) for name, image in images.items()
    }


@dg.asset(
    deps=["item_verdicts", "candidate_responses", "user_feedback"],
    group_name=GROUP,
    kinds=PLOT_KINDS,
    owners=OWNERS,
    code_version="reward-normalization-v2",
    description="Reference-Frozen Normalization statistics (median / robust scale per reward "
    "dimension) fitted once on the reference rollouts and frozen as a versioned JSON artifact "
    "with a content hash; rematerializing with the same version loads the frozen artifact. "
    "Plot: the frozen location and scale per dimension. With no response text to fit on and "
    "no frozen artifact (a folder of one's own without reference answers) the step records "
    "'skipped: <reason>' (table skipped_steps), as does reward_vectors after it.",
)
def reward_normalization(
    context: dg.AssetExecutionContext, config: RewardStatsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    store = warehouse.get()
    matrix = _rewards_config().matrix
    frozen = _stats_store()
    responses, verdicts, feedback = _inputs(store)
    if config.reference_models:
        responses = responses.filter(pl.col("candidate_model").is_in(config.reference_models))
    if responses.is_empty() and not frozen.exists(config.stats_version):
        # an optional input: a user's own queries may have no answered response to fit on
        reason = record_skip(
            store,
            "reward_normalization",
            f"no responses with text to fit reward normalization {config.stats_version} on"
            + (f" (reference_models {config.reference_models})" if config.reference_models else ""),
        )
        context.log.warning(reason)
        return dg.MaterializeResult(metadata={"skipped": reason, "dagster/row_count": 0})
    clear_skip(store, "reward_normalization")

    def fit():
        raw = compute_raw_vectors(matrix, responses, verdicts, feedback)
        reference = ",".join(sorted(set(responses["candidate_model"]))) or "none"
        samples = reference_samples(matrix, raw, responses["response_id"].to_list())
        return fit_reference(samples, config.stats_version, reference, matrix.version)

    stats, newly_frozen = frozen.load_or_freeze(config.stats_version, fit)
    check_fits(stats, matrix.version, matrix.names)
    path = str(frozen.path(stats.version))
    rows = pl.DataFrame(
        [
            {
                "stats_version": stats.version,
                "content_hash": stats.content_hash,
                "reference": stats.reference,
                "matrix_version": stats.matrix_version,
                "dimension": name,
                "location": d.location,
                "scale": d.scale,
                "n": d.n,
                "method": d.method,
                "degenerate": d.degenerate,
                "artifact_path": path,
                "fitted_at": stats.fitted_at,
            }
            for name, d in stats.dimensions.items()
        ]
    )
    store.replace_rows("reward_normalization_stats", rows, ["stats_version"], [stats.version])
    if not newly_frozen:
        context.log.info("stats %s already frozen; loaded, not refitted", stats.version)
    plots = _plot_metadata({"plot_reference_stats": reference_stats_chart(rows)})
    return dg.MaterializeResult(
        metadata=table_metadata(
            store,
            "reward_normalization_stats",
            {
                "stats_version": stats.version,
                "content_hash": stats.content_hash,
                "newly_frozen": newly_frozen,
                "reference": stats.reference,
                "matrix_version": matrix.version,
                "artifact_path": path,
                "dagster/row_count": rows.height,
                "degenerate_dimensions": int(rows["degenerate"].sum()),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(rows.drop("artifact_path", "content_hash"), max_rows=30)
                ),
            }
            | plots,
        )
    )


@dg.asset(
    deps=[reward_normalization, "user_feedback"],
    group_name=GROUP,
    kinds=PLOT_KINDS,
    owners=OWNERS,
    code_version="reward-vectors-v3",  # v3: one shared weighting step
    description="Per-response reward vector over the alignment matrix (raw and RFN-normalized, "
    "each value traced to its rubric items / check / feedback), and in `reward_scores` the "
    "Tri-Factor weighted aggregate per response (one weighting step fitted on all models' "
    "vectors pooled, shared by every model so rewards compare) with the safety gates applied "
    "last. Plots: raw value per dimension (median, interquartile range), aggregate reward per "
    "model.",
)
def reward_vectors(config: RewardStatsConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
    store = warehouse.get()
    matrix = _rewards_config().matrix
    if not _stats_store().exists(config.stats_version):  # reward_normalization was skipped
        reason = record_skip(
            store, "reward_vectors", f"no frozen reward statistics {config.stats_version}"
            " (reward_normalization skipped: no responses to fit them on)",
        )  # fmt: skip
        return dg.MaterializeResult(metadata={"skipped": reason, "dagster/row_count": 0})
    clear_skip(store, "reward_vectors")
    stats = _stats_store().load(config.stats_version)
    check_fits(stats, matrix.version, matrix.names)
    responses, verdicts, feedback = _inputs(store)
    raw = compute_raw_vectors(matrix, responses, verdicts, feedback)
    vectors = vectors_frame(matrix, responses, raw, stats)
    shared = shared_weight_step(matrix, vectors)  # one step for all: rewards are compared
    scores = scores_frame(matrix, responses, raw, vectors, shared, stats.version)
    store.replace_rows("reward_vectors", vectors, ["stats_version"], [stats.version])
    store.replace_rows("reward_scores", scores, ["stats_version"], [stats.version])
    by_model = (
        scores.group_by("candidate_model")
        .agg(
            pl.len().alias("responses"),
            pl.col("reward").mean().round(3).alias("mean_reward"),
            pl.col("gated").sum().alias("gated"),
        )
        .sort("mean_reward", descending=True, nulls_last=True)
    )
    labels = baseline_labels(store)
    plots = _plot_metadata(
        {
            "plot_raw_by_dimension": dimension_spread_chart(vectors),
            "plot_reward_by_model": reward_distribution(scores, lambda m: labels.get(m, m)),
        }
    )
    return dg.MaterializeResult(
        metadata=table_metadata(
            store,
            "reward_vectors",
            {
                "stats_version": stats.version,
                "dagster/row_count": vectors.height,
                "responses": scores.height,
                "gated_responses": int(scores["gated"].sum()),
                "missing_values": int(vectors["normalized_value"].null_count()),
                # the one Tri-Factor step (all models' vectors pooled) weighting every reward
                "shared_weights": dg.MetadataValue.json(
                    {d: round(w, 4) for d, w in sorted(shared.weights.items())}
                ),
                "mean_reward_by_model": dg.MetadataValue.md(frame_to_markdown(by_model)),
            }
            | plots,
        )
    )


@dg.asset_check(
    asset=reward_vectors,
    blocking=True,
    description="GX suite on the reward vectors.",
    required_resource_keys={"warehouse"},
)
def reward_vectors_suite(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    store: Warehouse = context.resources.warehouse.get()
    return suite_check_result("reward_vectors", store.read_table("reward_vectors"))


@dg.asset(
    deps=[reward_vectors],
    group_name=GROUP,
    kinds=PLOT_KINDS,
    owners=OWNERS,
    code_version="reward-weight-trajectory-v2",
    description="Tri-Factor weights (weakness x risk priority x (1 - redundancy), risk floors) "
    "per candidate model (compared side by side, no order implied), over each policy's "
    "checkpoints in the order declared under `checkpoints` in the alignment matrix file, and "
    "for a seeded simulated checkpoint sequence with one weakening and one redundant "
    "dimension; plots attached.",
)
def reward_weight_trajectory(
    context: dg.AssetExecutionContext, config: RewardStatsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    store = warehouse.get()
    rewards = _rewards_config()
    matrix = rewards.matrix
    vectors = store.read(load_sql("select_reward_vectors"), [config.stats_version])
    model_steps = model_weight_steps(matrix, vectors)
    sequences, missing = checkpoint_steps(rewards.checkpoints, list(model_steps))
    for policy, models in missing.items():
        context.log.warning("policy %s: no reward vectors for checkpoints %s", policy, models)
    spec = SimulationSpec()
    simulated = simulate_steps(matrix, spec) if spec.fits(matrix) else []
    frame = weight_trajectories(
        matrix,
        config.stats_version,
        simulated,
        model_steps,
        {p: m for p, m in sequences.items() if m},
    )
    store.replace_rows("reward_weight_trajectory", frame, ["stats_version"], [config.stats_version])
    labels = baseline_labels(store)

    def label(model: str) -> str:
        return labels.get(model, model)

    plots: dict[str, str] = {}
    if simulated:
        plots |= simulation_plots(frame.filter(pl.col("source") == "simulated"), spec)
    if model_steps:
        plots |= model_plots(frame.filter(pl.col("source") == "models"), label)
    plots |= checkpoint_plots(frame.filter(pl.col("source") == "checkpoints"), label)
    metadata: dict = {
        "dagster/row_count": frame.height,
        "simulated": bool(simulated),
        "checkpoint_policies": json.dumps(
            {p: len(m) for p, m in sequences.items()}, sort_keys=True
        ),
        "missing_checkpoints": json.dumps(missing, sort_keys=True),
    }
    metadata |= _plot_metadata(plots)
    return dg.MaterializeResult(
        metadata=table_metadata(store, "reward_weight_trajectory", metadata)
    )


@dg.asset(
    deps=[reward_vectors],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    code_version="reward-diagnosis-v1",
    description="Diagnosis mart: per model, weaknesses attributed to alignment category, "
    "reward dimension, rubric tag and rubric item, ranked worst first, with example responses.",
)
def reward_diagnosis(
    config: RewardStatsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    store = warehouse.get()
    matrix = _rewards_config().matrix
    vectors = store.read(load_sql("select_reward_vectors"), [config.stats_version])
    verdicts = store.read(load_sql("select_reward_verdicts"))
    mart = diagnose(matrix, vectors, verdicts).with_columns(
        pl.lit(config.stats_version).alias("stats_version")
    )
    store.replace_rows("reward_diagnosis", mart, ["stats_version"], [config.stats_version])
    worst = mart.filter(pl.col("level").is_in(["category", "tag"]) & (pl.col("rank") <= 2))
    labels = baseline_labels(store)
    model = pl.col("candidate_model").replace_strict(labels, default=pl.col("candidate_model"))
    section = "## Reward diagnosis (worst categories and tags per model)\n\n" + frame_to_markdown(
        worst.select(model, "level", "key", "detail", "gap_to_target", "failure_rate", "examples"),
        max_rows=60,
    )
    _reports_dir().mkdir(parents=True, exist_ok=True)
    (_reports_dir() / "diagnosis.md").write_text(section + "\n")
    return dg.MaterializeResult(
        metadata=table_metadata(
            store,
            "reward_diagnosis",
            {
                "dagster/row_count": mart.height,
                "models": mart["candidate_model"].n_unique() if mart.height else 0,
                "report_section": dg.MetadataValue.md(section),
            },
        )
    )
