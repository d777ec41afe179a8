"""Stages 7-8: score marts, the HTML report and expert-audit concordance (thin layer over
``quarkmed_dagster.marts``, ``quarkmed_dagster.report`` and ``quarkmed_dagster.audit``).

``marts`` (re)creates the analyst views over scored results and publishes the read-only
analyst snapshot; ``html_report`` writes ``reports_dir/report.html``; ``kqa_judge_concordance``
grades K-QA's physician-labelled statement checks with the configured judge panel.
"""

import dagster as dg
from pydantic import Field

from quarkmed_dagster.audit.kqa import flagged_judges
from quarkmed_dagster.audit.runner import DEFAULT_THRESHOLD, KQA_FILE, run_kqa_concordance
from quarkmed_dagster.checks import suite_check_result
from quarkmed_dagster.leaderboard import leaderboard_text
from quarkmed_dagster.llm.resource import LLMGatewayResource
from quarkmed_dagster.marts.views import create_marts
from quarkmed_dagster.metadata import frame_metadata, frame_to_markdown, table_metadata
from quarkmed_dagster.report.build import report_outline, write_report
from quarkmed_dagster.resources import WarehouseResource
from quarkmed_dagster.settings import get_settings
from quarkmed_dagster.skips import clear_skip, record_skip
from quarkmed_dagster.viewer.build import VIEWER_DIR

GROUP = "marts"
OWNERS = ["team:quarkmed"]
KINDS = {"duckdb", "python"}


class ConcordanceConfig(dg.Config):
    threshold: float = Field(
        default=DEFAULT_THRESHOLD,
        description="A judge panel whose concordance with physicians is below this is flagged.",
    )
    limit: int = Field(
        default=0,
        description="Use only the first N K-QA rows (0 = all); such a run does not replace the "
        "stored full concordance.",
    )
    store_limited: bool = Field(
        default=False,
        description="With limit: store the rows under audit sets labelled '<set>@first<N>'.",
    )


@dg.asset(
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    code_version="v2",
    description=(
        "Judge concordance with physicians on K-QA statement checks (399 triples): rate, "
        "Cohen's kappa, balanced F1 per tier and judge; panels below the threshold flagged. "
        "A `limit` run is stored only with `store_limited`, under '<set>@first<N>' audit sets; "
        "without audit/NLI_medical_annotator.csv in the sample folder the step records "
        "'skipped: <reason>' (table skipped_steps) and writes nothing."
    ),
)
def kqa_judge_concordance(
    config: ConcordanceConfig, warehouse: WarehouseResource, llm: LLMGatewayResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    folder = get_settings().sample_data_dir
    if not (folder / KQA_FILE).is_file():  # an optional input of a user's own sample folder
        reason = record_skip(
            wh, "kqa_judge_concordance", f"K-QA annotator file not found: {folder / KQA_FILE}"
        )
        return dg.MaterializeResult(metadata={"skipped": reason, "dagster/row_count": 0})
    clear_skip(wh, "kqa_judge_concordance")
    judges = [m.model for m in llm.role_models("judges")]
    gateway = llm.gateway("kqa_concordance")
    # QUARKMED_CONCORDANCE_LIMIT: a slow real judge (tiny-local) checks the first N rows,
    # stored under '<set>@first<N>' so it never passes for the full concordance
    default_limit = get_settings().concordance_limit
    limit = config.limit or default_limit or None
    out = run_kqa_concordance(
        wh,
        gateway,
        folder,
        judges,
        config.threshold,
        limit,
        store_limited=config.store_limited or (not config.limit and bool(default_limit)),
    )
    gateway.flush_log()
    overall = out.filter(out["group_by"] == "all")
    return dg.MaterializeResult(
        metadata=table_metadata(
            wh,
            "concordance",
            {
                "dagster/row_count": out.height,
                # a run on the first N rows never replaces the full result
                "stored_as": "full"
                if not limit or out["audit_set"].str.contains("@first").sum() == 0
                else f"limited: <set>@first{limit}"
                if config.store_limited or default_limit
                else "not stored (limited run)",
                # judges (a panel included) below the threshold, physicians never counted
                "flagged_panels": dg.MetadataValue.int(len(flagged_judges(out))),
                "preview": dg.MetadataValue.md(
                    frame_to_markdown(
                        overall.select(
                            "audit_set",
                            "judge_model",
                            "n",
                            "n_missing",
                            "concordance",
                            "kappa",
                            "balanced_f1",
                            "flagged",
                        )
                    )
                ),
            },
        )
    )


@dg.asset(
    deps=[
        "leaderboard",
        "item_verdicts",
        "query_scores",
        "query_rubrics",
        "healthbench_scores",  # in the snapshot and the report, so built before them
        kqa_judge_concordance,
    ],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    code_version="v2",
    description=(
        "Analyst marts: leaderboard breakdowns with intervals, per-query drill-down, judge "
        "agreement (views over scored tables), the per-dimension leaderboard with bootstrap "
        "intervals (table leaderboard_dimensions); then publishes the read-only analyst "
        "snapshot."
    ),
)
def marts(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    created = create_marts(wh)
    snapshot = wh.publish_snapshot(get_settings().analyst_snapshot)
    metadata = {
        "views": dg.MetadataValue.json(created),
        "analyst_snapshot": dg.MetadataValue.path(str(snapshot)),
        "leaderboard_dimensions_rows": wh.count("leaderboard_dimensions"),
    }
    if "leaderboard_breakdown" not in created:  # the scoring tables are missing
        return dg.MaterializeResult(
            metadata={**metadata, "dagster/row_count": 0, "preview": dg.MetadataValue.md("(empty)")}
        )
    frame = wh.read(
        "SELECT candidate_model, is_baseline, category, tier, tag, n_judged, mean_level, ci_low,"
        " ci_high, rubric_set_version, corpus_version FROM leaderboard_breakdown"
        " ORDER BY candidate_model, category, tier, tag"
    )
    metadata["preview"] = dg.MetadataValue.md(frame_to_markdown(frame))
    return dg.MaterializeResult(metadata=table_metadata(wh, "leaderboard_breakdown", metadata))


@dg.asset(
    deps=[marts, "reward_weight_trajectory", "reward_diagnosis"],
    group_name=GROUP,
    kinds={"html", "python"},
    owners=OWNERS,
    code_version="v3",
    description="Self-contained HTML report (inline SVG plots) at reports_dir/report.html, "
    "alignment rewards included (weight trajectories, reward distribution, diagnosis), and "
    "beside it the per-sample viewer (reports_dir/samples/index.html) its worst / best "
    "queries link to.",
)
def html_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    wh = warehouse.get()
    path = write_report(wh, get_settings().reports_dir / "report.html")
    outline = report_outline(path.read_text(encoding="utf-8"))
    return dg.MaterializeResult(  # rows, schema and preview: the report's sections
        metadata=frame_metadata(
            outline,
            {
                "report_path": dg.MetadataValue.path(str(path)),
                "report_url": dg.MetadataValue.url(path.resolve().as_uri()),
                "sample_viewer_url": dg.MetadataValue.url(
                    (path.parent / VIEWER_DIR / "index.html").resolve().as_uri()
                ),
                "bytes": path.stat().st_size,
                "plots": int(outline["plots"].sum()),
                "leaderboard": dg.MetadataValue.md(f"```\n{leaderboard_text(wh)}\n```"),
            },
            preview_rows=40,
            table="report_outline",
        )
    )


@dg.asset_check(
    asset=kqa_judge_concordance,
    blocking=True,
    description="GX suite on the concordance table.",
    required_resource_keys={"warehouse"},
)
def concordance_suite(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    wh = context.resources.warehouse.get()
    return suite_check_result("concordance", wh.read_table("concordance"))
