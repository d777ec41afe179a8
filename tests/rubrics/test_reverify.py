"""The ``reverify`` refresh policy end to end: the rubric stage over a DuckDB file, the real
gateway and the local scripted server (every request the models see is recorded).

A new corpus version changes the evidence of q-good and q-split (a new passage p-3);
q-bad stays in review with unchanged evidence. Under ``reverify`` each affected query costs
one batched verifier call and its rubric is carried forward when every point still holds;
a contradicted point or a failed call regenerates it the normal way.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from quarkmed_dagster.baselines.answering import verify_point
from quarkmed_dagster.embeddings import get_embedder
from quarkmed_dagster.judging.run import judged_items
from quarkmed_dagster.llm.cache import CallCache
from quarkmed_dagster.llm.testing_server import LocalLLMServer, Reply
from quarkmed_dagster.llm.types import extract_payload
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.rubrics.stage import run_rubric_stage
from tests.rubrics.scripted_models import handler
from tests.rubrics.seed import seed
from tests.rubrics.test_calibration import MODELS, _deeper
from tests.rubrics.test_scripted_pipeline import _gateway
from tests.warehouse_rows import insert_rows

NEW_PASSAGE = "Ibuprofen doses above 1200 mg a day need a doctor's advice (2026 revision)."
CHANGED = ("q-good", "q-split")
SEEK_CARE = "Seek emergency care for black stools or vomiting blood."


def _is_batch(request: dict, data: dict) -> bool:
    return "ver-" in request["model"] and "points" in data


def _params(policy: str) -> ConsensusParams:
    return ConsensusParams(personas=["basic", "professional"], refresh_policy=policy)


@pytest.fixture()
def server():
    with LocalLLMServer(handler) as running:
        yield running


def _new_corpus_version(warehouse) -> None:
    """c2 becomes current; q-good and q-split retrieve a new passage (new fingerprints),
    q-bad (in review) keeps the same evidence."""
    insert_rows(warehouse, "passages", [
        {"passage_id": "p-3", "corpus_version": "c2", "doc_id": "d2", "ordinal": 0,
         "text": NEW_PASSAGE, "content_hash": "p-3", "n_tokens": 14}
    ])  # fmt: skip
    for query_id in ("q-good", "q-split", "q-bad"):
        passages = ("p-1", "p-2", "p-3") if query_id in CHANGED else ("p-1", "p-2")
        insert_rows(warehouse, "query_evidence", [
            {"query_id": query_id, "corpus_version": "c2", "rank": rank, "passage_id": pid,
             "score": 1.0 / rank, "retriever": "bm25"}
            for rank, pid in enumerate(passages, start=1)
        ])  # fmt: skip
        fingerprint = f"fp2-{query_id}" if query_id in CHANGED else f"fp-{query_id}"
        insert_rows(warehouse, "evidence_fingerprints", [
            {"query_id": query_id, "corpus_version": "c2", "fingerprint": fingerprint,
             "n_passages": len(passages)}
        ])  # fmt: skip
    with warehouse.writer() as con:
        con.execute("UPDATE corpus_versions SET is_current = (corpus_version = 'c2')")


def _current(warehouse, query_id: str) -> dict:
    return warehouse.read(
        "SELECT * FROM rubric_sets WHERE query_id = ? AND is_current", [query_id]
    ).row(0, named=True)


def _items(warehouse, query_id: str, version: str) -> list[dict]:
    return warehouse.read(
        "SELECT item_id, query_id, tier, title, description, levels, evidence_passage_ids "
        "FROM rubric_items WHERE query_id = ? AND rubric_set_version = ? ORDER BY item_id",
        [query_id, version],
    ).to_dicts()


def _content_keys(items: list[dict]) -> set[str]:
    return {item["item_id"] for item in judged_items(items)}


def _requests(server, kind: str) -> list[dict]:
    """Recorded requests of one kind: 'gen-', 'agg-', 'batch' (reverify) or 'point'."""
    out = []
    for request in server.requests:
        data = extract_payload(request["messages"][-1]["content"])
        if kind in ("batch", "point"):
            if "ver-" in request["model"] and _is_batch(request, data) == (kind == "batch"):
                out.append(data)
        elif kind in request["model"]:
            out.append(data)
    return out


def _build(server, monkeypatch, warehouse, tmp_path, policy: str, script=handler):
    """First build on c1, then the corpus change; returns a runner for later runs."""
    seed(warehouse)
    gateway = _gateway(server, monkeypatch, CallCache(tmp_path / "calls.duckdb"))

    def run(script=handler):
        server.script(script)  # also clears the recorded requests
        return run_rubric_stage(
            warehouse, gateway, MODELS, _params(policy), get_embedder().encode,
            deeper=_deeper, log=lambda _: None,
        )  # fmt: skip

    first = run()
    assert first.generated == 3 and _current(warehouse, "q-good")["status"] == "ok"
    before = {q: _current(warehouse, q) for q in CHANGED}
    _new_corpus_version(warehouse)
    return run, before


def test_reverify_keeps_supported_rubrics_with_one_batched_call_each(
    server, monkeypatch, warehouse, tmp_path
):
    run, before = _build(server, monkeypatch, warehouse, tmp_path, "reverify")
    report = run()
    assert (report.reverified, report.generated, report.reverify_regenerated) == (2, 0, {})
    assert report.unchanged == 1  # q-bad waits for the clinicians with the same evidence
    # exactly one batched verifier call per affected query, nothing else
    batches = _requests(server, "batch")
    assert len(server.requests) == len(batches) == len(CHANGED)
    assert sorted(b["query"].split(":")[0] for b in batches) == ["good", "split"]
    assert not _requests(server, "gen-") and not _requests(server, "agg-")
    for batch in batches:  # all points of the rubric and the new top-k passages, in one prompt
        assert [p["passage_id"] for p in batch["evidence"]] == ["p-1", "p-2", "p-3"]
        assert len(batch["points"]) >= 4
    regenerate_version = RubricConfig(models=MODELS, params=_params("regenerate"))
    for query_id in CHANGED:
        now, old = _current(warehouse, query_id), before[query_id]
        assert now["status"] == "reverified" and now["refresh_policy"] == "reverify"
        assert now["carried_from"] == old["rubric_set_version"]
        assert now["evidence_fingerprint"] == f"fp2-{query_id}"
        assert now["corpus_version"] == "c2"
        # the policy is not part of the version: switching it regenerates nothing
        assert now["rubric_set_version"] == regenerate_version.rubric_set_version(
            prompt_versions(), "c2"
        )
        # the last full generation stays the original one (what the age refresh reads)
        assert now["generated_at"] == old["generated_at"] == old["created_at"]
        assert isinstance(now["generated_at"], datetime)
        new_items = _items(warehouse, query_id, now["rubric_set_version"])
        old_items = _items(warehouse, query_id, old["rubric_set_version"])
        assert _content_keys(new_items) == _content_keys(old_items)  # judges' cache hits stay
        # provenance: the supporting passages of the new evidence (the scripted verifier
        # cites the last passage)
        assert {json.dumps(["p-3"])} == {i["evidence_passage_ids"] for i in new_items}
    usable = warehouse.read("SELECT DISTINCT query_id FROM current_rubric_items ORDER BY 1")[
        "query_id"
    ].to_list()
    assert usable == list(CHANGED)

    # nothing changed: zero calls
    again = run()
    assert not server.requests and (again.reverified, again.generated, again.unchanged) == (0, 0, 3)


def test_regenerate_policy_regenerates_changed_evidence(server, monkeypatch, warehouse, tmp_path):
    run, before = _build(server, monkeypatch, warehouse, tmp_path, "regenerate")
    report = run()
    assert (report.reverified, report.generated) == (0, 2)
    assert not _requests(server, "batch") and _requests(server, "gen-")
    for query_id in CHANGED:
        now = _current(warehouse, query_id)
        assert now["status"] == "ok" and now["carried_from"] is None
        assert now["refresh_policy"] == "regenerate" and now["generated_at"] is not None
        assert now["generated_at"] > before[query_id]["generated_at"]


def test_contradicted_point_regenerates_the_query(server, monkeypatch, warehouse, tmp_path):
    def contradicting(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        reply = handler(request, attempt)
        if _is_batch(request, data) and data["query"].startswith("good"):  # new evidence: no
            verdicts = json.loads(reply.text)["verdicts"]
            for verdict in verdicts:
                if (
                    next(p for p in data["points"] if p["point_id"] == verdict["point_id"])["text"]
                    == SEEK_CARE
                ):
                    verdict.update(verdict="contradicted", passage_ids=["p-3"])
            return Reply(text=json.dumps({"verdicts": verdicts}))
        return reply

    run, _ = _build(server, monkeypatch, warehouse, tmp_path, "reverify")
    report = run(contradicting)
    assert report.reverified == 1 and report.reverify_regenerated == {"contradicted": 1}
    assert report.generated == 1
    good, split = _current(warehouse, "q-good"), _current(warehouse, "q-split")
    assert good["status"] == "ok" and good["carried_from"] is None  # fully regenerated
    assert split["status"] == "reverified"
    generated = {g["query"].split(":")[0] for g in _requests(server, "gen-")}
    assert generated == {"good"}  # the full pipeline ran for q-good only
    # (the scripted answers do not quote the evidence, so the aggregators' calls are cache
    # hits; the per-point verification runs against the new evidence)
    assert {p["point"] for p in _requests(server, "point")} >= {SEEK_CARE}


def test_failed_or_incomplete_verifier_call_regenerates(server, monkeypatch, warehouse, tmp_path):
    def failing(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        if _is_batch(request, data) and data["query"].startswith("good"):
            return Reply(status=500)  # the call fails: never a pass
        if _is_batch(request, data):  # q-split: a valid reply that leaves one point out
            verdicts = json.loads(handler(request, attempt).text)["verdicts"][1:]
            return Reply(text=json.dumps({"verdicts": verdicts}))
        return handler(request, attempt)

    run, _ = _build(server, monkeypatch, warehouse, tmp_path, "reverify")
    report = run(failing)
    assert report.reverified == 0 and report.reverify_regenerated == {"verifier_failed": 2}
    assert report.generated == 2 and report.failed == 0
    for query_id in CHANGED:
        now = _current(warehouse, query_id)
        assert now["status"] == "ok" and now["carried_from"] is None
    assert {g["query"].split(":")[0] for g in _requests(server, "gen-")} == {"good", "split"}


def test_baseline_verifier_answers_the_batched_prompt_like_single_points(warehouse, tmp_path):
    """``baseline/evidence-verifier`` through litellm and the gateway: the batched prompt
    gets the verdict the single-point method gives each point."""
    from quarkmed_dagster.llm.config import load_profile
    from quarkmed_dagster.llm.gateway import LiteLLMGateway
    from quarkmed_dagster.llm.payloads import BatchVerifierOutput
    from quarkmed_dagster.rubrics.records import Passage, QueryInput
    from quarkmed_dagster.rubrics.requests import parse_output, reverify_request
    from quarkmed_dagster.settings import PROJECT_ROOT

    evidence = (
        Passage("p1", "Do not take ibuprofen while on warfarin. It raises the bleeding risk."),
        Passage("p2", "Ibuprofen should be taken with food to protect the stomach."),
    )
    points = {
        "a": "Do not take ibuprofen while on warfarin.",
        "b": "You can take ibuprofen while on warfarin.",
        "c": "Ibuprofen should be taken with food.",
        "d": "Bananas are rich in potassium.",
    }
    query = QueryInput("q", "Can I take ibuprofen?", evidence=evidence)
    profile = load_profile(PROJECT_ROOT / "models.yaml", "baseline")
    gateway = LiteLLMGateway(profile, "reverify-test", CallCache(tmp_path / "c.sqlite"))
    request = reverify_request(query, "baseline/evidence-verifier", points, ConsensusParams())
    assert request.prompt_version.startswith("rubric_reverify@") and request.json_schema
    [result] = gateway.run([request])
    output = parse_output(result, BatchVerifierOutput)
    assert output is not None
    got = {v.point_id: (v.verdict, v.passage_ids) for v in output.verdicts}
    payload_evidence = [{"passage_id": p.passage_id, "text": p.text} for p in evidence]
    single = {
        pid: verify_point({"point": text, "evidence": payload_evidence})
        for pid, text in points.items()
    }
    assert got == {pid: (v["verdict"], v["passage_ids"]) for pid, v in single.items()}
    assert [got[p][0] for p in "abcd"] == ["supported", "contradicted", "supported", "not_found"]


def _losing_support(point_text: str):
    """A batched verifier that finds no support for one point of q-good in the new evidence."""

    def script(request, attempt):
        data = extract_payload(request["messages"][-1]["content"])
        reply = handler(request, attempt)
        if _is_batch(request, data) and data["query"].startswith("good"):
            verdicts = json.loads(reply.text)["verdicts"]
            texts = {p["point_id"]: p["text"] for p in data["points"]}
            for verdict in verdicts:
                if texts[verdict["point_id"]].startswith(point_text):
                    verdict.update(verdict="not_found", passage_ids=[])
            return Reply(text=json.dumps({"verdicts": verdicts}))
        return reply

    return script


def test_item_whose_point_lost_support_is_dropped_when_the_rest_holds(
    server, monkeypatch, warehouse, tmp_path
):
    run, before = _build(server, monkeypatch, warehouse, tmp_path, "reverify")
    report = run(_losing_support("Ibuprofen blocks cyclooxygenase"))
    # q-good keeps 5 of its 6 items (2 Essential, 1 Important, 1 Highlight, 1 Pitfall):
    # still a valid rubric, so no regeneration, one batched call per affected query
    assert (report.reverified, report.generated, report.pruned_items) == (2, 0, 1)
    assert len(server.requests) == len(_requests(server, "batch")) == len(CHANGED)
    now, old = _current(warehouse, "q-good"), before["q-good"]
    assert now["status"] == "reverified" and now["carried_from"] == old["rubric_set_version"]
    new_items = _items(warehouse, "q-good", now["rubric_set_version"])
    old_items = _items(warehouse, "q-good", old["rubric_set_version"])
    dropped = {i["title"] for i in old_items} - {i["title"] for i in new_items}
    assert len(new_items) == len(old_items) - 1 and len(dropped) == 1
    assert next(iter(dropped)).startswith("Important: Ibuprofen blocks")
    assert _content_keys(new_items) < _content_keys(old_items)  # the rest: cached verdicts


def test_pruning_that_breaks_a_constraint_regenerates(server, monkeypatch, warehouse, tmp_path):
    run, _ = _build(server, monkeypatch, warehouse, tmp_path, "reverify")
    # the emergency point carries an Essential and the Pitfall: 4 items and 1 Essential left
    report = run(_losing_support("Seek emergency care"))
    assert report.reverified == 1 and report.reverify_regenerated == {"unsupported": 1}
    assert report.generated == 1 and report.pruned_items == 0
    good = _current(warehouse, "q-good")
    assert good["status"] == "ok" and good["carried_from"] is None
