"""Leak-free evidence: the documents that are a query's own reference are never its evidence.

A document is the reference of a query when it declares so (``reference_of``, a list of
query ids in the corpus record) or when its text and one of the query's stored reference
answers (K-QA physician answer, HealthBench ideal completion, MedQuAD / LiveQA / MedicationQA
answer) share most of their word shingles: at least ``MIN_CONTAINMENT`` of the reference's
shingles appear in the document (the document quotes the answer) or of the document's in
the reference (the document is a piece of the answer). Retrieval then drops every passage of
those documents for that query only; other queries may still cite them.

A passage is excluded on its own too when it is mostly a piece of the query's reference
answer although its document as a whole is not (a page that shares one paragraph with the
answer): the same containment, passage by passage.

The same shingle containment checks a stored evidence set from the outside, passage by
passage (``leaked_evidence``): it does not trust the links it is meant to verify.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import polars as pl

SHINGLE_WORDS = 6
MIN_CONTAINMENT = 0.5
MIN_REFERENCE_WORDS = 8  # shorter answers ("Yes.") match anything that shares a phrase
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff_]+")

LINK_SCHEMA = {
    "query_id": pl.String,
    "doc_id": pl.String,
    "reason": pl.String,
    "containment": pl.Float64,
}


def tokens(text: str) -> list[str]:
    """Lower-cased words; each CJK character is a token of its own."""
    return _TOKEN.findall((text or "").lower())


def shingles(text: str) -> set[int]:
    words = tokens(text)
    if len(words) < SHINGLE_WORDS:
        return {hash(tuple(words))} if words else set()
    return {hash(tuple(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - 5)}


def containment(inner: set[int], outer: set[int]) -> float:
    return len(inner & outer) / len(inner) if inner else 0.0


def _overlap(a: set[int], b: set[int]) -> float:
    """The larger containment of the two texts' shingles in each other."""
    return max(containment(a, b), containment(b, a))


def _references(references: pl.DataFrame) -> dict[str, list[set[int]]]:
    out: dict[str, list[set[int]]] = defaultdict(list)
    for query_id, text in references.select("query_id", "answer_text").iter_rows():
        if len(tokens(text)) >= MIN_REFERENCE_WORDS:
            out[query_id].append(shingles(text))
    return out


def reference_links(
    documents: pl.DataFrame, references: pl.DataFrame, query_ids: Iterable[str]
) -> pl.DataFrame:
    """(query_id, doc_id, reason, containment) for every document that is the reference of
    one of ``query_ids``. ``documents`` has doc_id, text and optionally reference_of (list of
    query ids); ``references`` has query_id and answer_text."""
    wanted = set(query_ids)
    rows: dict[tuple[str, str], dict[str, object]] = {}
    if "reference_of" in documents.columns:
        for doc_id, declared in documents.select("doc_id", "reference_of").iter_rows():
            for query_id in declared or []:
                if query_id in wanted:
                    rows[(query_id, doc_id)] = {"reason": "declared", "containment": None}
    doc_ids = documents["doc_id"].to_list()
    doc_shingles = [shingles(text) for text in documents["text"].to_list()]
    index: dict[int, list[int]] = defaultdict(list)
    for position, found in enumerate(doc_shingles):
        for shingle in found:
            index[shingle].append(position)
    own = references.filter(pl.col("query_id").is_in(list(wanted)))
    for query_id, answers in _references(own).items():
        for answer in answers:
            candidates = {p for s in answer for p in index.get(s, ())}
            for position in candidates:
                value = _overlap(answer, doc_shingles[position])
                key = (query_id, doc_ids[position])
                if value >= MIN_CONTAINMENT and key not in rows:
                    rows[key] = {"reason": "content", "containment": round(value, 4)}
    return pl.DataFrame(
        [{"query_id": q, "doc_id": d, **v} for (q, d), v in sorted(rows.items())],
        schema=LINK_SCHEMA,
    )


EXCLUSION_SCHEMA = {
    "query_id": pl.String,
    "doc_id": pl.String,
    "passage_id": pl.String,
    "reason": pl.String,
    "containment": pl.Float64,
    "n_passages": pl.Int32,
}


def exclusions(
    documents: pl.DataFrame,
    passages: pl.DataFrame,
    references: pl.DataFrame,
    query_ids: Iterable[str],
) -> tuple[pl.DataFrame, dict[str, set[str]]]:
    """The exclusion table (one row per reference document, or per passage that is mostly a
    piece of the reference on its own: ``passage_id`` set, reason ``passage``) and, per
    query, every passage it must not get. ``passages``: passage_id, doc_id, text."""
    query_ids = list(query_ids)
    doc_links = reference_links(documents, references, query_ids)
    counts = passages.group_by("doc_id").agg(pl.len().cast(pl.Int32).alias("n_passages"))
    doc_rows = doc_links.join(counts, on="doc_id", how="left").with_columns(
        pl.lit(None, dtype=pl.String).alias("passage_id"), pl.col("n_passages").fill_null(0)
    )
    units = passages.select(pl.col("passage_id").alias("doc_id"), "text")
    passage_links = reference_links(units, references, query_ids).rename({"doc_id": "passage_id"})
    doc_of = passages.select("passage_id", "doc_id")
    passage_rows = (
        passage_links.join(doc_of, on="passage_id")
        .join(doc_rows.select("query_id", "doc_id"), on=["query_id", "doc_id"], how="anti")
        .with_columns(
            pl.lit("passage").alias("reason"), pl.lit(1, dtype=pl.Int32).alias("n_passages")
        )
    )
    table = pl.concat(
        [doc_rows.select(list(EXCLUSION_SCHEMA)), passage_rows.select(list(EXCLUSION_SCHEMA))]
    ).sort("query_id", "doc_id", "passage_id", nulls_last=False)
    excluded = excluded_passages(doc_links, passages)
    for query_id, passage_id in passage_rows.select("query_id", "passage_id").iter_rows():
        excluded.setdefault(query_id, set()).add(passage_id)
    return table, excluded


def excluded_passages(links: pl.DataFrame, passages: pl.DataFrame) -> dict[str, set[str]]:
    """Per query, the passage ids of its reference documents (``passages``: passage_id,
    doc_id)."""
    joined = links.select("query_id", "doc_id").join(
        passages.select("passage_id", "doc_id"), on="doc_id"
    )
    out: dict[str, set[str]] = defaultdict(set)
    for query_id, passage_id in joined.select("query_id", "passage_id").iter_rows():
        out[query_id].add(passage_id)
    return dict(out)


def drop_excluded(hits: list, excluded: set[str], k: int) -> list:
    """The first ``k`` hits whose passage is not excluded (hits carry ``passage_id``)."""
    return [hit for hit in hits if hit.passage_id not in excluded][:k]


def leaked_evidence(
    evidence: pl.DataFrame, references: pl.DataFrame, threshold: float = MIN_CONTAINMENT
) -> pl.DataFrame:
    """Evidence rows (query_id, passage_id, text) whose passage text is mostly a piece of
    the same query's reference answer (or contains most of it), with the containment."""
    answers: Mapping[str, list[set[int]]] = _references(references)
    leaked = []
    for row in evidence.select("query_id", "passage_id", "text").iter_rows(named=True):
        refs = answers.get(row["query_id"])
        if not refs:
            continue
        passage = shingles(row["text"])
        value = max(_overlap(passage, answer) for answer in refs)
        if value >= threshold:
            leaked.append({**row, "containment": round(value, 4)})
    schema = {"query_id": pl.String, "passage_id": pl.String, "text": pl.String}
    return pl.DataFrame(leaked, schema={**schema, "containment": pl.Float64})
