"""Loaders for each evidence source in ../shared/data and for a user folder."""

from __future__ import annotations

import json
from pathlib import Path

from quarkmed_dagster.retrieval import build_corpus_from_folders
from quarkmed_dagster.retrieval.documents import documents_from_folders, documents_from_path


def test_shared_sources_load_with_source_and_license(shared_data: Path) -> None:
    expected = {
        "medicationqa/medicationqa_medinfo2019.jsonl": ("MedicationQA", 377),
        "liveqa2017/liveqa_med2017_test_questions.jsonl": ("LiveQA-2017", 47),
        "exam_qa/pubmedqa_pqal_1000.json.gz": ("PubMedQA", 1000),
    }
    for relative, (source, count) in expected.items():
        documents = list(documents_from_path(shared_data / relative))
        assert len(documents) == count, relative  # withheld (null) answers are skipped
        assert {d.source for d in documents} == {source}
        assert all(d.text and d.license and d.doc_id for d in documents)
        # Ids are content hashes: records repeating the same page text share one id, and
        # the folder loader keeps each id once.
        assert len({d.doc_id for d in documents}) >= 0.9 * len(documents)


def test_user_folder_of_text_and_jsonl_documents(tmp_path: Path) -> None:
    (tmp_path / "guideline.txt").write_text("Adults need 150 minutes of activity a week.")
    records = [
        {"title": "Iron", "text": "Iron deficiency causes anemia.", "url": "https://x.gov/iron"},
        {"title": "Empty", "text": ""},
    ]
    (tmp_path / "notes.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (tmp_path / "SOURCES.md").write_text("not a document")
    documents = documents_from_folders([tmp_path, tmp_path / "missing"])
    assert sorted(d.title for d in documents) == ["Iron", "guideline"]
    assert {d.source for d in documents} == {"user", "user:notes"}
    build = build_corpus_from_folders([tmp_path])
    assert len(build.passages) == 2
    assert build.passages_frame()["corpus_version"].unique().to_list() == [build.version]
