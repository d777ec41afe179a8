"""Batch ids come from content: same content, same batch; changed content, a new batch."""

from pathlib import Path

from quarkmed_dagster.ingest.batches import batch_source, discover_batches, register_batch

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample" / "queries"


def test_discover_and_register_are_content_addressed(tmp_path, warehouse) -> None:
    found = discover_batches([SAMPLES])
    assert {loader for _, _, loader in found} == {"healthbench", "kqa"}
    copy = tmp_path / "kqa_sample.jsonl"
    copy.write_bytes((SAMPLES / "kqa_sample.jsonl").read_bytes())
    (again,) = discover_batches([copy])
    assert again[0] in {batch for batch, _, _ in found}  # same content, same id
    first = register_batch(warehouse, copy)
    assert register_batch(warehouse, copy) == first
    assert warehouse.count("ingest_batches") == 1
    assert batch_source(warehouse, first) == (copy.resolve(), "kqa")
    copy.write_bytes(copy.read_bytes() + b"\n")
    assert register_batch(warehouse, copy) != first
