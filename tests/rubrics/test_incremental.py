"""Per-query planning across corpus versions: unchanged, carried, in review, generated."""

from __future__ import annotations

import polars as pl

from quarkmed_dagster.rubrics.incremental import plan_queries
from quarkmed_dagster.rubrics.records import QueryInput

VERSIONS = {"c1": "rs-c1", "c2": "rs-c2"}


def _sets(rows: list[tuple[str, str, str, str, str, bool]]) -> pl.DataFrame:
    names = ["query_id", "rubric_set_version", "config_hash", "evidence_fingerprint", "status",
             "is_current"]  # fmt: skip
    return pl.DataFrame(rows, schema=names, orient="row")


def _query(query_id: str, fingerprint: str, corpus: str = "c2") -> QueryInput:
    return QueryInput(query_id, "text", corpus_version=corpus, evidence_fingerprint=fingerprint)


def _ids(queries) -> list[str]:  # type: ignore[no-untyped-def]
    return [q[0].query_id if isinstance(q, tuple) else q.query_id for q in queries]


def test_new_corpus_version_carries_ok_keeps_review_and_regenerates_changed_evidence():
    existing = _sets([
        ("q-ok", "rs-c1", "cfg", "fp-a", "ok", True),
        ("q-review", "rs-c1", "cfg", "fp-b", "review", True),
        ("q-review-moved", "rs-c1", "cfg", "fp-c", "review", True),
        ("q-changed", "rs-c1", "cfg", "fp-d", "ok", True),
        ("q-failed", "rs-c1", "cfg", "fp-e", "failed", False),
    ])  # fmt: skip
    queries = [
        _query("q-ok", "fp-a"),
        _query("q-review", "fp-b"),
        _query("q-review-moved", "fp-c2"),  # its evidence changed: regenerate
        _query("q-changed", "fp-d2"),
        _query("q-failed", "fp-e"),  # infrastructure failures are retried
        _query("q-new", "fp-f"),
    ]
    plan = plan_queries(queries, existing, "cfg", VERSIONS)
    assert _ids(plan.carry) == ["q-ok"]
    assert _ids(plan.unchanged) == ["q-review"]
    assert _ids(plan.generate) == ["q-review-moved", "q-changed", "q-failed", "q-new"]


def test_new_configuration_regenerates_reviews_and_force_regenerates_everything():
    existing = _sets([("q-review", "rs-c1", "old", "fp-b", "review", True)])
    plan = plan_queries([_query("q-review", "fp-b")], existing, "cfg", VERSIONS)
    assert _ids(plan.generate) == ["q-review"]
    same = _sets([("q-ok", "rs-c2", "cfg", "fp-a", "ok", True)])
    assert _ids(plan_queries([_query("q-ok", "fp-a")], same, "cfg", VERSIONS).unchanged) == ["q-ok"]
    forced = plan_queries([_query("q-ok", "fp-a")], same, "cfg", VERSIONS, force=True)
    assert _ids(forced.generate) == ["q-ok"]


def test_reverify_policy_rechecks_current_usable_rubrics_whose_evidence_changed():
    existing = _sets([
        ("q-ok", "rs-c1", "cfg", "fp-a", "ok", True),
        ("q-reverified", "rs-c1", "cfg", "fp-b", "reverified", True),
        ("q-review", "rs-c1", "cfg", "fp-c", "review", True),
        ("q-old-config", "rs-c1", "old", "fp-d", "ok", True),
        ("q-same", "rs-c1", "cfg", "fp-e", "ok", True),
        ("q-here", "rs-c2", "cfg", "fp-f", "ok", True),
    ])  # fmt: skip
    queries = [
        _query("q-ok", "fp-a2"),
        _query("q-reverified", "fp-b2"),  # a reverified rubric can be re-checked again
        _query("q-review", "fp-c2"),  # no usable rubric to re-check
        _query("q-old-config", "fp-d2"),  # another configuration: regenerated
        _query("q-same", "fp-e"),  # same evidence: carried
        _query("q-here", "fp-f2"),  # evidence changed within the same corpus version
    ]
    plan = plan_queries(queries, existing, "cfg", VERSIONS, policy="reverify")
    assert [(q.query_id, v) for q, v in plan.reverify] == [
        ("q-ok", "rs-c1"), ("q-reverified", "rs-c1")
    ]  # fmt: skip
    assert _ids(plan.carry) == ["q-same"]
    assert _ids(plan.generate) == ["q-review", "q-old-config", "q-here"]
    regenerate = plan_queries(queries, existing, "cfg", VERSIONS, policy="regenerate")
    assert not regenerate.reverify
    assert _ids(regenerate.generate) == ["q-ok", "q-reverified", "q-review", "q-old-config",
                                         "q-here"]  # fmt: skip
    forced = plan_queries(queries, existing, "cfg", VERSIONS, force=True, policy="reverify")
    assert not forced.reverify and len(forced.generate) == len(queries)
