"""Per-query incrementality: which queries need new rubrics, which can be carried forward.

- unchanged: a rubric set with this rubric_set_version and evidence fingerprint exists;
- carried: the configuration is the same and the evidence fingerprint is unchanged, only
  the corpus version moved: the rubric is re-labelled, no model calls;
- generate: everything else (new query, new evidence, new prompts/models/parameters).
Queries that went to review are regenerated only when their configuration or evidence
fingerprint changed: a new corpus version alone leaves them with the clinicians (a rerun
would differ only through the deeper retrieval of the closed loop, and spend calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from quarkmed_dagster.rubrics.records import QueryInput


@dataclass
class Plan:
    generate: list[QueryInput] = field(default_factory=list)
    carry: list[tuple[QueryInput, str]] = field(default_factory=list)  # (query, from_version)
    unchanged: list[QueryInput] = field(default_factory=list)

    def moves(self, version_of: dict[str, str]) -> pl.DataFrame:
        rows = [
            {
                "query_id": q.query_id,
                "from_version": source,
                "rubric_set_version": version_of[q.corpus_version],
                "corpus_version": q.corpus_version,
                "evidence_fingerprint": q.evidence_fingerprint,
            }
            for q, source in self.carry
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
        if r["config_hash"] == config_hash and r["status"] in ("ok", "carried")
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
        else:
            plan.generate.append(query)
    return plan
