"""Stage 6: hierarchical scores per response and the leaderboard (from stored verdicts)."""

import dagster as dg
from pydantic import Field

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.frames import score_warehouse, store_scores
from quarkmed_dagster.scoring.hierarchical import ScoringConfig
from quarkmed_dagster.scoring.options import describe_config, scoring_config
from quarkmed_dagster.warehouse import load_sql

_DEFAULT = ScoringConfig()


class ScoringRunConfig(dg.Config):
    """Eq. 2 parameters for this run; the defaults are ``ScoringConfig``'s (reasons in
    docs/scoring.md). Re-scoring only reads the stored verdicts: no model is called."""

    essential_weight: float = Field(
        default=_DEFAULT.weights["Essential"], ge=0, description="Tier weight of Essential items."
    )
    important_weight: float = Field(
        default=_DEFAULT.weights["Important"], ge=0, description="Tier weight of Important items."
    )
    highlight_weight: float = Field(
        default=_DEFAULT.weights["Highlight"], ge=0, description="Tier weight of Highlight items."
    )
    pitfall_weight: float = Field(
        default=_DEFAULT.weights["Pitfall"], ge=0, description="Tier weight of Pitfall items."
    )
    essential_ratio: float = Field(
        default=_DEFAULT.essential_ratio, ge=0, le=1,
        description="Truncation: I+H credit is zeroed when Essential coverage is below this.",
    )  # fmt: skip
    pitfall_ratio: float = Field(
        default=_DEFAULT.pitfall_ratio, ge=0, le=1,
        description="Truncation: I+H credit is zeroed when the Pitfall penalty is above this.",
    )  # fmt: skip
    tag_cap: float = Field(
        default=_DEFAULT.tag_cap, ge=0,
        description="Saturation: cap on the weighted I+H credit of one tag.",
    )  # fmt: skip
    ih_cap_ratio: float = Field(
        default=_DEFAULT.ih_cap_ratio, ge=0,
        description="Saturation: total I+H credit is capped at this x Essential credit.",
    )  # fmt: skip
    min_coverage: float = Field(
        default=_DEFAULT.min_coverage, ge=0, le=1,
        description="Below this share of judged items a response is flagged and unscored.",
    )  # fmt: skip

    def scoring_config(self) -> ScoringConfig:
        fields = self.model_dump()
        weights = {t: fields.pop(f"{t.lower()}_weight") for t in _DEFAULT.weights}
        return scoring_config(weights, **fields)


def _spec(key: str, description: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name="scoring",
        kinds={"duckdb", "python"},
        owners=["team:quarkmed"],
        code_version="v2",  # v2: item weights count within their tier (docs/scoring.md)
    )


@dg.multi_asset(
    specs=[
        _spec(
            "query_scores",
            "QuarkMedBench Eq. 2 scores per response (NULL verdicts excluded, low coverage "
            "flagged and left unscored) with the medical accuracy, key-point coverage and risk "
            "interception dimensions.",
            ["item_verdicts", "query_rubrics"],
        ),
        _spec(
            "leaderboard",
            "Mean score per model, overall (category 'all') and per query category, with a "
            "seeded bootstrap 95% interval and the share of items judged (coverage).",
            ["query_scores"],
        ),
    ]
)
def query_scores(config: ScoringRunConfig, warehouse: WarehouseResource):
    wh = warehouse.get()
    cfg = config.scoring_config()
    scores, lb = score_warehouse(wh, cfg)
    store_scores(wh, scores, lb)
    yield dg.MaterializeResult(
        asset_key="query_scores",
        metadata=table_metadata(
            wh,
            "query_scores",
            {
                "dagster/row_count": scores.height,
                "scoring_config": describe_config(cfg),
                "unscored_low_coverage": int(scores["flagged_low_coverage"].sum())
                if scores.height
                else 0,
            },
        ),
    )
    yield dg.MaterializeResult(
        asset_key="leaderboard",
        metadata=table_metadata(
            wh,
            "leaderboard",
            {
                "dagster/row_count": lb.height,
                # overall, best first: the ranking the CLI prints
                "leaderboard": dg.MetadataValue.md(
                    frame_to_markdown(wh.read(load_sql("select_leaderboard_overall")))
                ),
            },
        ),
    )


@dg.asset_check(asset="query_scores", blocking=True, description="Scores and coverage in [0, 1].")
def query_scores_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return suite_check_result("query_scores", warehouse.get().read_table("query_scores"))


@dg.asset_check(
    asset="leaderboard",
    blocking=True,
    description="Every scored model has an overall row; scores in [0, 1] and inside their 95% "
    "interval; no more queries than scored responses.",
)
def leaderboard_consistent(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    problems = warehouse.get().read(load_sql("select_leaderboard_violations"))
    return dg.AssetCheckResult(
        passed=problems.is_empty(),
        metadata={
            "problems": problems.height,
            "examples": dg.MetadataValue.md(frame_to_markdown(problems, max_rows=10)),
        },
    )
