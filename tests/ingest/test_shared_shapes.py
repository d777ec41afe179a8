"""Every named loader reads its real upstream shape from ../shared/data."""

import itertools
from pathlib import Path

import pytest

from quarkmed_dagster.ingest.loaders import LOADERS, detect_loader
from quarkmed_dagster.ingest.records import RawQuery

CASES = [
    ("liveqa", "liveqa2017/liveqa_med2017_test_questions.jsonl"),
    ("medicationqa", "medicationqa/medicationqa_medinfo2019.jsonl"),
    ("healthsearchqa", "medlfqa/healthsearchqa_questions.jsonl"),
    ("kqa", "kqa/questions_w_answers.jsonl"),
]


@pytest.mark.parametrize(("loader", "relative"), CASES)
def test_loader_reads_real_shape(shared_data: Path, loader: str, relative: str) -> None:
    path = shared_data / relative
    assert detect_loader(path) == loader
    records = list(itertools.islice(LOADERS[loader](path), 50))
    queries = [r for r in records if isinstance(r, RawQuery)]
    assert len(queries) == 50
    assert all(q.source.startswith(loader) and q.turns[-1]["role"] == "user" for q in queries)
    assert all(q.turns[-1]["content"].strip() for q in queries)
