import dagster as dg

from assets.responses import candidate_responses
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.resources import WarehouseResource


def test_candidate_responses_asset_on_empty_warehouse(warehouse, tmp_path):
    llm = LLMGatewayResource(
        models_config="models.yaml", profile="baseline", cache_path=str(tmp_path / "c.sqlite")
    )
    result = dg.materialize(
        [candidate_responses],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
    )
    assert result.success
    assert warehouse.count("candidate_responses") == 0
