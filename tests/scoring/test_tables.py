import polars as pl

from quarkmed_dagster.scoring.frames import leaderboard_frame, score_frame
from tests.scoring.test_frames import RESP, RUBRIC, VERD


def test_frames_fit_warehouse_tables(warehouse):
    scores = score_frame(VERD, RUBRIC, RESP)
    warehouse.upsert_rows("query_scores", scores, ["response_id"])
    lb = leaderboard_frame(scores, pl.DataFrame({"query_id": ["q"], "category": ["x"]}))
    warehouse.upsert_rows("leaderboard", lb, ["candidate_model", "category"])
    assert warehouse.count("query_scores") == 2 and warehouse.count("leaderboard") == 4
