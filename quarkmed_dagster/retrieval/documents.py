"""Evidence documents from the shapes in ../shared/data and from a user folder.

Each loader yields ``Document``s with a stable content-hash id. Records whose text was
withheld upstream for copyright (``answer`` null or empty) are skipped: there is nothing
to index. JSONL is split on "\\n" only (some records contain U+2028).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from quarkmed_dagster.llm.types import stable_hash
from quarkmed_dagster.retrieval.records import Document


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle.read().split("\n"):
            if line.strip():
                yield json.loads(line)


def make_document(
    title: str,
    text: str,
    url: str | None,
    source: str,
    license: str,
    reference_of: tuple[str, ...] = (),
) -> Document:
    text = text.strip()
    doc_id = stable_hash({"source": source, "url": url, "title": title, "text": text})
    return Document(doc_id, title.strip(), url, source, license, text, reference_of)


def medquad_documents(records: Iterator[dict[str, Any]]) -> Iterator[Document]:
    for record in records:
        if record.get("answer"):
            yield make_document(
                record.get("question") or record.get("focus") or "",
                record["answer"],
                record.get("url"),
                f"MedQuAD/{record.get('source', 'unknown')}",
                "CC BY 4.0",
            )


def medicationqa_documents(records: Iterator[dict[str, Any]]) -> Iterator[Document]:
    for record in records:
        if record.get("answer"):
            title = f"{record.get('focus_drug', '')}: {record.get('section_title', '')}".strip(": ")
            yield make_document(
                title, record["answer"], record.get("url"), "MedicationQA", "NLM research release"
            )


def liveqa_documents(records: Iterator[dict[str, Any]]) -> Iterator[Document]:
    for record in records:
        for answer in record.get("reference_answers") or []:
            if answer.get("answer"):
                yield make_document(
                    record.get("subject") or record.get("nlm_summary") or "",
                    answer["answer"],
                    answer.get("url"),
                    "LiveQA-2017",
                    "NLM research release",
                )


def pubmedqa_documents(path: Path) -> Iterator[Document]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    for pmid, record in data.items():
        contexts = record.get("CONTEXTS") or []
        if contexts:
            yield make_document(
                record.get("QUESTION", ""),
                " ".join(contexts),
                f"pmid:{pmid}",
                "PubMedQA",
                "MIT",
            )


def generic_documents(records: Iterator[dict[str, Any]], source: str) -> Iterator[Document]:
    """User documents: JSONL with ``text`` (required), ``title``, ``url``, ``license`` and
    ``reference_of`` (query ids whose reference answer this document is)."""
    for record in records:
        if record.get("text"):
            declared = record.get("reference_of") or []
            yield make_document(
                record.get("title") or "",
                record["text"],
                record.get("url"),
                record.get("source") or source,
                record.get("license") or "user-provided",
                tuple(declared if isinstance(declared, list) else [declared]),
            )


def _detect(record: dict[str, Any]) -> str:
    if "qtype" in record and "answer" in record:
        return "medquad"
    if "focus_drug" in record:
        return "medicationqa"
    if "reference_answers" in record:
        return "liveqa"
    return "generic"


def documents_from_path(path: Path) -> Iterator[Document]:
    """Any supported file: shape detected from the first record (or .txt = one document)."""
    name = path.name
    if name.endswith((".txt", ".md")):
        yield make_document(
            path.stem, path.read_text(encoding="utf-8"), None, "user", "user-provided"
        )
        return
    if "pubmedqa" in name and name.endswith((".json", ".json.gz")):
        yield from pubmedqa_documents(path)
        return
    if not name.endswith((".jsonl", ".jsonl.gz")):
        return
    records = list(read_jsonl(path))
    if not records:
        return
    shape = _detect(records[0])
    if shape == "medquad":
        yield from medquad_documents(iter(records))
    elif shape == "medicationqa":
        yield from medicationqa_documents(iter(records))
    elif shape == "liveqa":
        yield from liveqa_documents(iter(records))
    else:
        yield from generic_documents(iter(records), source=f"user:{path.stem}")


def documents_from_folders(folders: list[Path]) -> list[Document]:
    """Every document in the folders (sorted paths; duplicates by id kept once)."""
    seen: dict[str, Document] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.upper().startswith(("SOURCES", "README")):
                continue
            for document in documents_from_path(path):
                seen.setdefault(document.doc_id, document)
    return list(seen.values())
