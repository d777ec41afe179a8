"""An imported response is graded exactly like a generated one: imported_responses ->
judge_panel -> query_scores, three scripted judges on the real local OpenAI-compatible
server through litellm (the judging tests' seed and fixture)."""

import json

import dagster as dg
import polars as pl

from assets import judging as judging_assets
from assets.responses import imported_responses
from assets.scoring import query_scores, query_scores_valid
from quarkmed_dagster.resources import WarehouseResource
from tests.judging import test_judging_asset as judging_case

judge_llm = judging_case.judge_llm  # fixture: models.yaml profile pointing at the test server
IMPORTED = "acme/imported-model"
TEXT = "Yes, with food (answered elsewhere)."


def test_imported_response_gets_the_same_verdicts_and_score(warehouse, home, judge_llm):
    server, llm = judge_llm
    judging_case._seed(warehouse)  # q-single / q-multi, current rubric items, model-x answers
    home.responses_inbox_dir.mkdir(parents=True)
    rows = [  # q-single by text, q-multi by id
        {"query": "can I take  ibuprofen for a headache?", "model": IMPORTED, "response": TEXT},
        {"query_id": "q-multi", "model": IMPORTED, "response": TEXT},
    ]
    (home.responses_inbox_dir / "elsewhere.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )
    result = dg.materialize(
        [
            imported_responses,
            judging_assets.judge_panel,
            judging_assets.judge_verdicts_complete,
            query_scores,
            query_scores_valid,
        ],
        resources={"warehouse": WarehouseResource(path=str(warehouse.path)), "llm": llm},
    )
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())

    imported = warehouse.read(
        "SELECT response_id, query_id FROM candidate_responses WHERE candidate_model = ?",
        [IMPORTED],
    )
    # text matching only considers single-turn queries: q-multi ends with the same question
    assert sorted(imported["query_id"]) == ["q-multi", "q-single"]
    # one batched call per (answered response, judge): model-x and the imported model; the
    # imported multi-turn answer is judged with the session's full history; judge-c's
    # truncated replies on the two multi-turn answers are re-asked once each
    assert len(server.requests) == 2 * 2 * len(judging_case.JUDGES) + 2
    prompts = [r["messages"][-1]["content"] for r in server.requests]
    imported_prompts = [p for p in prompts if TEXT in p]
    assert len(imported_prompts) == 2 * len(judging_case.JUDGES)
    assert sum(judging_case.HISTORY_MARK in p for p in imported_prompts) == len(judging_case.JUDGES)

    def graded(response_ids: dict[str, str]) -> tuple[list, list]:
        """Verdict and score rows of these responses, keyed by query instead of response."""

        def rows(table: str, columns: list[str]) -> list:
            return (
                warehouse.read_table(table)
                .filter(pl.col("response_id").is_in(list(response_ids)))
                .with_columns(pl.col("response_id").replace(response_ids).alias("query_id"))
                .select("query_id", *columns)
                .sort(["query_id", *columns[:2]])
                .rows()
            )

        return (
            rows("judge_verdicts", ["item_id", "judge_model", "level", "status"]),
            rows("query_scores", ["score", "coverage", "truncated"]),
        )

    mine = graded(dict(imported.iter_rows()))
    theirs = graded({"q-single-model-x": "q-single", "q-multi-model-x": "q-multi"})
    verdicts, scores = mine
    assert len(verdicts) == 2 * 3 * len(judging_case.JUDGES)  # 2 queries x 3 items x judges
    assert len(scores) == 2 and all(s[1] is not None for s in scores)
    assert mine == theirs
