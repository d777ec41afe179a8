"""Split documents into passages on sentence boundaries with a small overlap.

Tokens are counted as whitespace words: close enough to BM25's view of a passage and
independent of any model tokenizer. A sentence longer than the maximum is cut on words.
"""

from __future__ import annotations

import re

from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.retrieval.records import Document, Passage

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=\s*[-*•])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _word_pieces(sentence: str, max_tokens: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + max_tokens]) for i in range(0, len(words), max_tokens)]


def chunk_document(
    document: Document, max_tokens: int = 220, min_tokens: int = 100, overlap_sentences: int = 1
) -> list[Passage]:
    sentences = [
        piece for s in split_sentences(document.text) for piece in _word_pieces(s, max_tokens)
    ]
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        n = len(sentence.split())
        if current and size + n > max_tokens and size >= min(min_tokens, max_tokens):
            chunks.append(current)
            current = current[-overlap_sentences:] if overlap_sentences else []
            size = sum(len(s.split()) for s in current)
            if size + n > max_tokens:  # the overlap itself would overflow: drop it
                current, size = [], 0
        current.append(sentence)
        size += n
    if current:
        if chunks and size < min_tokens // 2 and len(chunks[-1]) > 0:
            merged = chunks[-1] + [s for s in current if s not in chunks[-1]]
            if sum(len(s.split()) for s in merged) <= max_tokens * 1.5:
                chunks[-1] = merged
                current = []
        if current:
            chunks.append(current)
    passages = []
    for ordinal, chunk in enumerate(chunks):
        body = " ".join(chunk)
        if document.title and ordinal == 0 and not body.startswith(document.title):
            body = f"{document.title}\n{body}"
        content_hash = stable_hash(body)
        passages.append(
            Passage(
                passage_id=stable_hash({"doc": document.doc_id, "text": content_hash}),
                doc_id=document.doc_id,
                ordinal=ordinal,
                text=body,
                content_hash=content_hash,
                n_tokens=len(body.split()),
            )
        )
    return passages


def corpus_version(passages: list[Passage]) -> str:
    """Hash of the passage set: any added, removed or edited passage changes it."""
    return stable_hash(sorted(p.passage_id for p in passages), length=12)
