"""Stage 6: hierarchical scores per response and the leaderboard (from stored verdicts)."""

from __future__ import annotations

import dagster as dg

from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.scoring.frames import (
    leaderboard_frame,
    load_inputs,
    query_categories,
    score_frame,
)


@dg.asset(
    key="query_scores",
    deps=[dg.AssetKey("item_verdicts"), dg.AssetKey("query_rubrics")],
    group_name="scoring",
    kinds={"duckdb", "python"},
    owners=["team:quarkmed"],
    code_version="v1",
    description="QuarkMedBench Eq. 2 scores per response (NULL verdicts excluded, "
    "low coverage flagged), then the leaderboard with seeded bootstrap CIs.",
)
def query_scores(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    scores = score_frame(*load_inputs(wh))
    if scores.height:
        wh.upsert_rows("query_scores", scores, ["response_id"])
        lb = leaderboard_frame(scores, query_categories(wh))
        wh.upsert_rows("leaderboard", lb, ["candidate_model", "category"])
    else:
        lb = scores
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": scores.height,
            "leaderboard": dg.MetadataValue.md(
                lb.head(20).to_pandas().to_markdown() if lb.height else "(empty)"
            ),
        }
    )


@dg.asset_check(asset="query_scores", blocking=True, description="Scores and coverage in [0, 1].")
def query_scores_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return suite_check_result("query_scores", warehouse.get().read_table("query_scores"))
