"""Named jobs, as the UI lists them (no `__ephemeral_asset_job__` / anonymous jobs):

ingest_job           one query batch (partition) through ingestion and its checks
benchmark_job        every unpartitioned stage: corpus, evidence, rubrics, responses,
                     judging, scoring, rewards, marts, report (`quarkmed run` runs
                     ingest_job per batch, then benchmark_job)
rubric_refresh_job   regenerate stale rubrics (the rubric refresh schedule)
report_job           marts, analyst snapshot and HTML report (the report schedule)
eval_job             a user's model graded with the current rubrics (assets/evaluation.py)
"""

import dagster as dg

from assets.queries import queries

INGEST = dg.AssetSelection.assets(queries)
# The eval assets are in it too: without a configured model they write nothing, and the
# judge panel depends on evaluated_responses, so they must have been materialized.
BENCHMARK = dg.AssetSelection.all() - INGEST
RUBRIC_KEYS = ("candidate_answers", "knowledge_points", "query_rubrics")
REPORT_KEYS = ("marts", "html_report")

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=INGEST,
    description="Ingest one query batch (a partition of the inbox / bundled query files).",
)
benchmark_job = dg.define_asset_job(
    "benchmark_job",
    selection=BENCHMARK,
    description="The main job's downstream run: every unpartitioned stage, in dependency order.",
)
rubric_refresh_job = dg.define_asset_job(
    "rubric_refresh_job",
    selection=dg.AssetSelection.assets(*RUBRIC_KEYS),
    description="Regenerate rubrics (run config: ops.rubric_generation.config.query_ids).",
)
report_job = dg.define_asset_job(
    "report_job",
    selection=dg.AssetSelection.assets(*REPORT_KEYS),
    description="Rebuild the analyst marts, the analyst snapshot and the HTML report.",
)
JOBS = [ingest_job, benchmark_job, rubric_refresh_job, report_job]
