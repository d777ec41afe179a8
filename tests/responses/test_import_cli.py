"""`quarkmed import-responses` copies files into the responses inbox; `quarkmed run`
registers the query inbox's files (new queries from imported responses) as batches."""

import json

from click.testing import CliRunner

from quarkmed_dagster import cli, cli_run
from quarkmed_dagster.warehouse import Warehouse


def test_import_responses_copies_into_the_inbox_and_says_what_next(home, tmp_path):
    source = tmp_path / "elsewhere.jsonl"
    source.write_text(json.dumps({"query": "Fever?", "model": "acme/m", "response": "r"}) + "\n")
    runner = CliRunner()
    first = runner.invoke(cli.main, ["import-responses", str(source)])
    assert first.exit_code == 0, first.output
    copied = home.responses_inbox_dir / "elsewhere.jsonl"
    assert copied.read_text() == source.read_text()
    assert "(added)" in first.output and "quarkmed run" in first.output
    again = runner.invoke(cli.main, ["import-responses", str(source)])
    assert "(unchanged)" in again.output
    assert sorted(p.name for p in home.responses_inbox_dir.iterdir()) == ["elsewhere.jsonl"]

    unsupported = tmp_path / "notes.txt"
    unsupported.write_text("x")
    refused = runner.invoke(cli.main, ["import-responses", str(unsupported)])
    assert refused.exit_code != 0 and "unsupported file type" in refused.output


def test_run_registers_the_query_inbox_files(home):
    home.inbox_dir.mkdir(parents=True)
    (home.inbox_dir / "imported-queries-abc.jsonl").write_text('{"query": "Fever?"}\n')
    batches = [key for _, key in cli_run.register_batches()]
    registered = Warehouse(home.warehouse).read("SELECT batch_id, source_file FROM ingest_batches")
    inbox_batch = registered.filter(
        registered["source_file"].str.ends_with("imported-queries-abc.jsonl")
    )
    assert inbox_batch.height == 1 and inbox_batch["batch_id"][0] in batches
    assert len(batches) == registered.height > 1  # the bundled sample files too
