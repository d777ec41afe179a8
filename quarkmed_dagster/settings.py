"""The one place that reads environment variables.

Every setting has an embedded default so the main job runs with no keys and no servers.
Setting ``QUARKMED_ES_URL`` switches retrieval from the embedded index to Elasticsearch.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SAMPLE_DATA_DIR = PROJECT_ROOT / "data" / "sample"

# litellm must never try to fetch its cost map from the internet; set before it is imported.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


class Settings(BaseSettings):
    """Runtime configuration, read from ``QUARKMED_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="QUARKMED_", extra="ignore")

    data_home: Path = Field(
        default=PROJECT_ROOT / ".quarkmed",
        description="Root for the warehouse, call cache, indexes, inbox and reports.",
    )
    warehouse_path: Path | None = Field(
        default=None, description="DuckDB file; defaults to <data_home>/warehouse.duckdb."
    )
    sample_data_dir: Path = Field(default=SAMPLE_DATA_DIR)
    shared_data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Expert-labelled third-party data read by `quarkmed validate`.",
    )
    es_url: str | None = Field(default=None, description="Set -> Elasticsearch backend.")
    es_api_key: SecretStr | None = Field(default=None)
    es_index_prefix: str = "quarkmed-passages"
    models_config: Path = Field(default=PROJECT_ROOT / "models.yaml")
    model_profile: str = Field(default="baseline", description="Profile in models_config.")
    # One budget per Dagster run (every asset, gateway and step process of the run draw on
    # it; outside Dagster: per process); a re-ask counts as a call, a cache hit is free.
    budget_max_calls: int | None = Field(default=None, description="Model calls per run.")
    budget_max_tokens: int | None = Field(default=None, description="Tokens per run.")
    budget_max_cost_usd: float | None = Field(default=None, description="USD per run.")
    near_duplicate_threshold: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="MinHash Jaccard similarity from which an ingested query is a near duplicate.",
    )
    query_limit: int | None = Field(
        default=None,
        ge=1,
        description="Keep only the first n valid queries of each ingested file (a small "
        "subset for slow real models, e.g. the tiny-local profile); None = all.",
    )
    concordance_limit: int | None = Field(
        default=None,
        ge=1,
        description="The main job's K-QA judge concordance uses only the first n statement "
        "rows (stored as '<set>@first<n>'); None = all 399.",
    )
    retrieval_top_k: int = 8
    retrieval_mode: str = Field(default="bm25", description="bm25, dense or hybrid")
    rubric_refresh_cron: str = Field(
        default="0 3 * * *", description="When the rubric refresh looks for stale rubrics."
    )
    rubric_refresh_max_age_days: float = Field(
        default=90.0, description="Rubrics generated longer ago are re-asked with fresh calls."
    )
    rubric_refresh_batch_size: int = Field(
        default=50, ge=1, description="At most this many queries per scheduled refresh run."
    )
    rubric_refresh_policy: Literal["regenerate", "reverify"] = Field(
        default="reverify",
        description="After a corpus change, a query whose evidence changed (same rubric "
        "configuration) either has its current rubric re-checked against the new evidence, "
        "one batched verifier call per query, and carried forward when every point still "
        "holds ('reverify'; else it is regenerated), or is always regenerated "
        "('regenerate'). Not part of rubric_set_version: switching regenerates nothing. The "
        "scheduled refresh (rubric_refresh_max_age_days) still regenerates every rubric "
        "whose last full generation is older than the maximum age.",
    )
    rubric_min_calibration_score: float | None = Field(
        default=None,
        description="Closed loop: a rubric whose scored candidates average below this gets "
        "one calibration round on the next rubric run, then review (low_calibration). Off by "
        "default: the degraded demo candidates fail by design (baseline median mean ~0.15), "
        "and a rerun of an unchanged pipeline makes no model call.",
    )
    report_cron: str = Field(default="0 6 * * *", description="Periodic marts + report build.")
    alignment_matrix: Path = Field(
        default=PROJECT_ROOT / "alignment_matrix.yaml",
        description="YAML file with the reward alignment matrix and policy checkpoints.",
    )
    verbose: bool = Field(
        default=False,
        description="Console of the main job and scripts: every step of every run and the "
        "installer's package lines (default: a progress bar, finished stages, summaries).",
    )
    run_log_level: str = Field(
        default="WARNING",
        description="Console log level of the main job's Dagster runs (every event is still "
        "stored in the Dagster instance and shown in the UI); DEBUG shows each step event.",
    )

    @property
    def warehouse(self) -> Path:
        return self.warehouse_path or self.data_home / "warehouse.duckdb"

    @property
    def analyst_snapshot(self) -> Path:
        return self.data_home / "warehouse_snapshot.duckdb"

    @property
    def cache_dir(self) -> Path:
        return self.data_home / "cache"

    @property
    def index_dir(self) -> Path:
        return self.data_home / "index"

    @property
    def inbox_dir(self) -> Path:
        return self.data_home / "inbox"

    @property
    def responses_inbox_dir(self) -> Path:
        """Response files of models run elsewhere (``quarkmed import-responses``)."""
        return self.data_home / "responses_inbox"

    @property
    def feedback_inbox_dir(self) -> Path:
        """User feedback files (ratings, thumbs, complaints) read by ``user_feedback``."""
        return self.data_home / "feedback_inbox"

    @property
    def corpus_inbox_dir(self) -> Path:
        return self.data_home / "corpus_inbox"

    @property
    def reports_dir(self) -> Path:
        return self.data_home / "reports"

    @property
    def releases_dir(self) -> Path:
        return self.data_home / "releases"

    @property
    def dagster_home(self) -> Path:
        return self.data_home / "dagster"

    @property
    def retrieval_backend(self) -> str:
        return "elasticsearch" if self.es_url else "embedded"


def config_environment() -> dict[str, str]:
    """The variables ``models.yaml`` may reference (``${QUARKMED_...}``): read here only."""
    return {k: v for k, v in os.environ.items() if k.startswith("QUARKMED_")}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
