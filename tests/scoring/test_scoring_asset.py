import dagster as dg

from assets.scoring import query_scores, query_scores_valid
from quarkmed_dagster.resources import WarehouseResource


def test_query_scores_asset_on_empty_warehouse(warehouse):
    result = dg.materialize(
        [query_scores, query_scores_valid],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path))},
    )
    assert result.success
    mats = result.asset_materializations_for_node("query_scores")
    assert mats[0].metadata["dagster/row_count"].value == 0
    assert warehouse.count("query_scores") == 0
