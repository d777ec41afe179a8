"""Stage 6: hierarchical scores per response and the leaderboard (from stored verdicts)."""

import dagster as dg

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.metadata import frame_to_markdown, table_metadata
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.frames import (
    leaderboard_frame,
    load_inputs,
    query_categories,
    score_frame,
)
from quarkmed_dagster.warehouse import load_sql


def _spec(key: str, description: str, deps: list[str]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name="scoring",
        kinds={"duckdb", "python"},
        owners=["team:quarkmed"],
        code_version="v1",
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
def query_scores(warehouse: WarehouseResource):
    wh = warehouse.get()
    scores = score_frame(*load_inputs(wh))
    lb = scores.clear()
    if scores.height:
        wh.upsert_rows("query_scores", scores, ["response_id"])
        lb = leaderboard_frame(scores, query_categories(wh))
        wh.upsert_rows("leaderboard", lb, ["candidate_model", "category"])
    yield dg.MaterializeResult(
        asset_key="query_scores",
        metadata=table_metadata(
            wh,
            "query_scores",
            {
                "dagster/row_count": scores.height,
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
