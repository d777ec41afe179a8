"""Per-query incrementality: which queries need new rubrics, which can be carried forward.

- unchanged: a rubric set with this rubric_set_version and evidence fingerprint exists;
- carried: the configuration is the same and the evidence fingerprint is unchanged, only
  the corpus version moved: the rubric is re-labelled, no model calls;
- reverify (refresh policy ``reverify`` only): the configuration is the same, the evidence
  fingerprint changed and the query has a current usable rubric: that rubric is re-checked
  against the new evidence (``rubrics.reverify``), carried forward when it still holds,
  regenerated otherwise;
- generate: everything else (new query, new prompts/models/parameters, and changed evidence
  under the ``regenerate`` policy).
Queries that went to review are regenerated only when their configuration or evidence
fingerprint changed: a new corpus version alone leaves them with the clinicians (a rerun
would differ only through the deeper retrieval of the closed loop, and spend calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from quarkmed_dagster.rubrics.config import RefreshPolicy
from quarkmed_dagster.rubrics.records import QueryInput

USABLE = ("ok", "carried", "reverified")  # statuses whose items are a valid rubric


@dataclass
class Plan:
    generate: list[QueryInput] = field(default_factory=list)
    carry: list[tuple[QueryInput, str]] = field(default_factory=list)  # (query, from_version)
    unchanged: list[QueryInput] = field(default_factory=list)
    reverify: list[tuple[QueryInput, str]] = field(default_factory=list)  # (query, current)

    def moves(
        self, version_of: dict[str, str], carry: list[tuple[QueryInput, str]] | None = None
    ) -> pl.DataFrame:
        """Rows that re-label rubrics under the queries' new version (default: ``carry``)."""
        rows = [
            {
                "query_id": q.query_id,
                "from_version": source,
                "rubric_set_version": version_of[q.corpus_version],
                "corpus_version": q.corpus_version,
                "evidence_fingerprint": q.evidence_fingerprint,
            }
            for q, source in (self.carry if carry is None else carry)
        ]
        schema = dict.fromkeys(
            ["query_id", "from_version", "rubric_set_version", "corpus_version",
             "evidence_fingerprint"],
            pl.Utf8,
        )  # fmt: skip
        return pl.DataFrame(rows, schema=schema, orient="row")


def plan_queries(
    queries: list[QueryInput],
    existing: pl.DataFrame,
    config_hash: str,
    version_of: dict[str, str],
    force: bool = False,
    policy: RefreshPolicy = "regenerate",
) -> Plan:
    """``existing`` = rubric_sets rows (query_id, rubric_set_version, config_hash,
    evidence_fingerprint, status, is_current)."""
    plan = Plan()
    done = {
        (r["query_id"], r["rubric_set_version"], r["evidence_fingerprint"])
        for r in existing.iter_rows(named=True)
        if r["status"] != "failed"  # failed calls / budget: retried on the next run
    }
    carriable = {
        (r["query_id"], r["evidence_fingerprint"]): r["rubric_set_version"]
        for r in existing.iter_rows(named=True)
        if r["config_hash"] == config_hash and r["status"] in USABLE
    }
    current = {  # the query's current usable rubric of this configuration
        r["query_id"]: r["rubric_set_version"]
        for r in existing.iter_rows(named=True)
        if r["config_hash"] == config_hash and r["status"] in USABLE and r["is_current"]
    }
    in_review = {
        (r["query_id"], r["evidence_fingerprint"])
        for r in existing.iter_rows(named=True)
        if r["config_hash"] == config_hash and r["status"] == "review" and r["is_current"]
    }
    for query in queries:
        version = version_of[query.corpus_version]
        if force:
            plan.generate.append(query)
        elif (query.query_id, version, query.evidence_fingerprint) in done or (
            query.evidence_fingerprint and (query.query_id, query.evidence_fingerprint) in in_review
        ):  # already generated here, or waiting for review with the same evidence
            plan.unchanged.append(query)
        elif query.evidence_fingerprint and (
            (query.query_id, query.evidence_fingerprint) in carriable
        ):
            plan.carry.append((query, carriable[(query.query_id, query.evidence_fingerprint)]))
        elif (
            policy == "reverify"
            and query.evidence_fingerprint
            and current.get(query.query_id, version) != version  # a new corpus version
        ):
            plan.reverify.append((query, current[query.query_id]))
        else:
            plan.generate.append(query)
    return plan
