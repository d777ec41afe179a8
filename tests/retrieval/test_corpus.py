"""Chunking, corpus versions and evidence fingerprints (pure)."""

from __future__ import annotations

import itertools
import json

from quarkmed_dagster.retrieval import build_corpus
from quarkmed_dagster.retrieval.chunking import chunk_document, split_sentences
from quarkmed_dagster.retrieval.documents import make_document
from quarkmed_dagster.retrieval.evidence import query_search_text
from quarkmed_dagster.retrieval.formulation import search_text
from quarkmed_dagster.retrieval.fusion import evidence_fingerprint, reciprocal_rank_fusion
from quarkmed_dagster.retrieval.records import Hit
from tests.retrieval.helpers import sample_documents


def test_passages_respect_size_bounds_and_sentence_boundaries() -> None:
    documents = sample_documents(400)
    passages = [p for d in documents for p in chunk_document(d, max_tokens=220)]
    assert len(passages) > len(documents)
    assert max(p.n_tokens for p in passages) <= 330  # 220 + title + a merged short tail
    long_docs = [d for d in documents if len(d.text.split()) > 600]
    assert long_docs, "the sample has long documents"
    for document in long_docs[:20]:
        chunks = chunk_document(document, max_tokens=220)
        assert len(chunks) >= 3
        for chunk in chunks:
            assert chunk.text.rstrip()[-1] in ".!?:)\"'" or chunk.text.endswith(
                document.text.strip()[-10:]
            )


def test_consecutive_passages_overlap_by_one_sentence() -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i} in some detail." for i in range(80))
    document = make_document("Title", text, None, "test", "CC0")
    chunks = chunk_document(document, max_tokens=60, min_tokens=30)
    assert len(chunks) > 3
    for first, second in itertools.pairwise(chunks):
        last_sentence = split_sentences(first.text)[-1]
        assert second.text.startswith(last_sentence)


def test_version_changes_iff_passage_set_changes() -> None:
    documents = sample_documents(50)
    base = build_corpus(documents)
    assert build_corpus(list(reversed(documents))).version == base.version
    edited = [
        *documents[:-1],
        make_document(documents[-1].title, documents[-1].text + " Extra.", None, "x", "y"),
    ]
    assert build_corpus(edited).version != base.version
    assert build_corpus(documents[:-1]).version != base.version


def test_fingerprint_tracks_ids_order_and_content() -> None:
    pairs = [("p1", "h1"), ("p2", "h2")]
    assert evidence_fingerprint(pairs) == evidence_fingerprint(list(pairs))
    assert evidence_fingerprint(pairs) != evidence_fingerprint(pairs[::-1])
    assert evidence_fingerprint(pairs) != evidence_fingerprint([("p1", "h1"), ("p2", "h9")])


def test_rrf_rewards_agreement() -> None:
    a = [Hit("x", 9, "bm25"), Hit("y", 8, "bm25"), Hit("z", 7, "bm25")]
    b = [Hit("y", 0.9, "dense"), Hit("w", 0.8, "dense")]
    fused = reciprocal_rank_fusion([a, b], k=3)
    assert next(h.passage_id for h in fused) == "y"
    assert len(fused) == 3 and all(h.retriever == "hybrid" for h in fused)


def test_session_search_text_keeps_earlier_user_context() -> None:
    text = search_text("What dose is safe for him?", ["My son is 4 and has a high fever."])
    assert "fever" in text and text.startswith("What dose is safe for him?")
    assert " and " not in text and " has " not in text  # function words are not salient
    assert "hypertension" in search_text("high blood pressure at night", expand=True)
    assert search_text("Is ibuprofen safe?", []) == "Is ibuprofen safe?"


def test_query_rows_with_json_or_struct_turns_give_the_same_search_text() -> None:
    turns = [
        {"role": "user", "content": "I have had migraines for years."},
        {"role": "assistant", "content": "Tell me more about your triptan prescription."},
        {"role": "user", "content": "Can I take it while pregnant?"},
    ]
    as_json = {"turns": json.dumps(turns), "final_user_turn": turns[-1]["content"]}
    as_structs = {"turns": turns, "final_user_turn": turns[-1]["content"], "is_multi_turn": True}
    text = query_search_text(as_json)
    assert text == query_search_text(as_structs)
    assert text.startswith("Can I take it while pregnant?") and "migraines" in text
    assert "triptan" not in text  # assistant turns are not the user's context
    single = {"turns": turns[-1:], "final_user_turn": turns[-1]["content"], "is_multi_turn": False}
    assert query_search_text(single) == "Can I take it while pregnant?"
