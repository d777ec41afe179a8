"""The inbox sensor registers a new file once, adds its partition and requests one run."""

from pathlib import Path

import dagster as dg

from assets.queries import query_inbox_sensor
from quarkmed_dagster.ingest.batches import PARTITIONS_NAME
from quarkmed_dagster.settings import get_settings

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "sample" / "queries"


def test_inbox_sensor_picks_up_new_files_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("QUARKMED_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("QUARKMED_WAREHOUSE_PATH", raising=False)
    get_settings.cache_clear()
    try:
        inbox = get_settings().inbox_dir
        inbox.mkdir(parents=True)
        (inbox / "kqa_drop.jsonl").write_bytes((SAMPLES / "kqa_sample.jsonl").read_bytes())
        instance = dg.DagsterInstance.ephemeral()
        result = query_inbox_sensor(dg.build_sensor_context(instance=instance))
        assert len(result.run_requests) == 1
        batch = result.run_requests[0].partition_key
        assert batch.startswith("kqa-drop-")
        instance.add_dynamic_partitions(PARTITIONS_NAME, [batch])
        again = query_inbox_sensor(dg.build_sensor_context(instance=instance))
        assert not again.run_requests  # same content: nothing new
    finally:
        get_settings.cache_clear()
