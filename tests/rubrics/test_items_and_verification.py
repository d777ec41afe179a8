"""Verification votes and policy, item building, constraint validation, version hashing."""

from __future__ import annotations

import pytest

from quarkmed_dagster.llm.payloads import VerifierOutput
from quarkmed_dagster.rubrics.config import ConsensusParams, RubricConfig, RubricModels
from quarkmed_dagster.rubrics.items import build_items, canonical_tag, validate_items
from quarkmed_dagster.rubrics.prompting import prompt_versions
from quarkmed_dagster.rubrics.records import Cluster, Verification
from quarkmed_dagster.rubrics.verification import combine_votes, keeps

EVIDENCE = {"p1", "p2"}


def _votes(*verdicts):
    return {
        f"v{i}": None if v is None else VerifierOutput(verdict=v, passage_ids=["p1", "zz"])
        for i, v in enumerate(verdicts)
    }


@pytest.mark.parametrize(
    ("verdicts", "status"),
    [
        (("supported", "supported"), "supported"),
        (("supported", "not_found"), "supported"),
        (("supported", "contradicted"), "contradicted"),  # tie goes to safety
        (("contradicted", None), "contradicted"),
        (("not_found", "not_found", "supported"), "not_found"),
        (("not_found", None), "not_found"),
        ((None, None), "flagged"),  # no verifier answered: missing, not a verdict
    ],
)
def test_vote_combination(verdicts, status):
    result = combine_votes("c1", _votes(*verdicts), EVIDENCE)
    assert result.status == status
    if status in ("supported", "contradicted"):
        assert result.passage_ids == ("p1",)  # ids outside the evidence set are dropped
    else:
        assert result.passage_ids == ()


def test_policy_drops_contradicted_always_and_not_found_unless_flagging():
    contradicted = Verification("c", "contradicted", ())
    not_found = Verification("c", "not_found", ())
    assert not keeps(contradicted, "flag") and not keeps(contradicted, "drop")
    assert keeps(not_found, "flag") and not keeps(not_found, "drop")
    assert keeps(Verification("c", "flagged", ()), "drop")


def _cluster(cid: str, ratio: float) -> Cluster:
    return Cluster(cid, "q", "t", "essential", [], [], [], 1, ratio, 1, 1.0, 1.0, True, "x")


def _raw(tier: str, title: str, tag: str = "Information Quality", points=("c1",)) -> dict:
    levels = (
        {"no_error": "a", "minor_error": "b", "major_error": "c"}
        if tier == "Pitfall"
        else {"not_met": "a", "partially_met": "b", "fully_met": "c"}
    )
    return {"tier": tier, "title": title, "tag": tag, "weight": 1.0, "levels": levels,
            "point_ids": list(points)}  # fmt: skip


def _build(raws, ratio=1.0, passages=("p1",)):
    clusters = {"c1": _cluster("c1", ratio), "c2": _cluster("c2", 0.2)}
    checks = {"c1": Verification("c1", "supported", passages)}
    return build_items("q", "rs-1", raws, clusters, checks)


VALID = [
    _raw("Essential", "States the usual dose"),
    _raw("Essential", "Names the red-flag symptoms", tag="Safety"),
    _raw("Important", "Explains the mechanism"),
    _raw("Highlight", "Acknowledges the worry", tag="humanistic care"),
    _raw("Pitfall", "Recommends doubling the dose", tag="Safety"),
]


def test_valid_set_has_provenance_and_no_violations():
    items, malformed = _build(VALID)
    assert malformed == []
    assert validate_items(items, False, ConsensusParams()) == []
    assert items[3].tag == "Humanistic Care"
    assert items[0].evidence_passage_ids == ("p1",) and items[0].verification == "supported"
    assert items[0].cluster_ids == ("c1",) and items[0].support_ratio == 1.0
    assert len({i.item_id for i in items}) == 5


def test_constraint_violations_are_listed():
    raws = [*VALID[:2], VALID[2], VALID[4], VALID[4], _raw("Pitfall", "Another error")]
    items, _ = _build(raws)
    problems = validate_items(items, False, ConsensusParams())
    assert any("Highlight items 0 < 1" in p for p in problems)
    assert any("Pitfall items 3 > 2" in p for p in problems)
    assert any("duplicate title" in p for p in problems)


def test_item_rules_tags_levels_provenance_and_safety_support():
    raws = [
        _raw("Essential", "Uses a multi-turn tag", tag="Coreference"),
        _raw("Important", "Cites nothing", points=("unknown",)),
        _raw("Pitfall", "Unsupported pitfall", points=("c2",)),
        {**_raw("Highlight", "Bad levels"), "levels": {"met": "x"}},
        {"tier": "Critical", "title": "Unknown tier"},
    ]
    items, malformed = _build(raws, passages=())
    assert len(malformed) == 1 and "item 5 malformed" in malformed[0]
    problems = " | ".join(validate_items(items, False, ConsensusParams()))
    assert "tag 'Coreference' not allowed" in problems
    assert "cites no knowledge point" in problems
    assert "without evidence or consensus support" in problems
    assert "levels must be" in problems
    multi = " | ".join(validate_items(items[:1], True, ConsensusParams()))
    assert "not allowed" not in multi
    assert canonical_tag("short-term MEMORY") == "Short-term Memory"


def _config(**params) -> RubricConfig:
    models = RubricModels(
        generators=["g1", "g2"], aggregators=["a"], verifiers=["v"], rubric_writer="w"
    )
    return RubricConfig(models=models, params=ConsensusParams(**params))


def test_rubric_set_version_changes_with_each_ingredient():
    prompts = prompt_versions()
    base = _config().rubric_set_version(prompts, "corpus-1")
    assert base == _config().rubric_set_version(dict(prompts), "corpus-1")
    assert base.startswith("rs-")
    assert base != _config().rubric_set_version(prompts, "corpus-2")
    assert base != _config(support_threshold=0.6).rubric_set_version(prompts, "corpus-1")
    changed = {**prompts, "rubric_write": "rubric_write@other"}
    assert base != _config().rubric_set_version(changed, "corpus-1")
    other_models = _config()
    other_models.models.generators = ["g1"]
    assert base != other_models.rubric_set_version(prompts, "corpus-1")
    # the corpus-free hash stays, so unchanged evidence can be carried across corpora
    assert _config().config_hash(prompts) == _config().config_hash(prompts)


def test_deeper_retrieval_merges_phrasings_and_keeps_original_evidence():
    from quarkmed_dagster.rubrics.deeper import make_deeper, reformulate
    from quarkmed_dagster.rubrics.records import Passage, QueryInput

    corpus = {"a": "aspirin", "b": "bleeding", "c": "children", "d": "dose"}
    seen = []

    def search(text: str, k: int):
        seen.append(text)
        ids = ["b", "c", "a"] if "child" in text else ["d", "b"]
        return [(i, corpus[i]) for i in ids][:k]

    query = QueryInput(
        "q", "what dose?", history=({"role": "user", "content": "my child has a fever"},),
        evidence=(Passage("a", "aspirin"),),
    )  # fmt: skip
    assert reformulate(query) == "my child has a fever what dose?"
    passages = make_deeper(search)(query, 3)
    assert [p.passage_id for p in passages] == ["a", "b", "d"]  # b found by both phrasings
    assert seen == ["what dose?", "my child has a fever what dose?"]
    nothing_new = make_deeper(lambda text, k: [("a", "aspirin")])
    assert nothing_new(query, 3) is None


def test_deeper_retrieval_counts_backend_outages_and_lets_bugs_through():
    """A search the backend cannot serve is counted (the round keeps its evidence), not
    passed off as "no more evidence"; any other exception is a bug and propagates."""
    import pytest

    from quarkmed_dagster.retrieval.records import RetrievalBackendError
    from quarkmed_dagster.rubrics.deeper import make_deeper
    from quarkmed_dagster.rubrics.records import Passage, QueryInput

    query = QueryInput("q", "what dose?", evidence=(Passage("a", "aspirin"),))

    def outage(text: str, k: int):
        raise RetrievalBackendError("Elasticsearch at http://127.0.0.1:1 is unreachable")

    deeper = make_deeper(outage)
    assert deeper(query, 3) is None and deeper(query, 3) is None
    assert deeper.failures == 2
    assert "unreachable" in deeper.first_error
    nothing_new = make_deeper(lambda text, k: [("a", "aspirin")])
    assert nothing_new(query, 3) is None and nothing_new.failures == 0

    def broken(text: str, k: int):
        return {}["passage"]  # a bug in the search code, not an outage

    with pytest.raises(KeyError):
        make_deeper(broken)(query, 3)
