"""Ingest files in a fresh process and report what happened and the process's peak memory.

``python -m tests.reliability.ingest_probe WARMUP FILE...`` prints one JSON object: the
peak RSS after ingesting WARMUP (imports and a normal small file: the baseline) and at the
end, and per file the rows read, kept and quarantined with the distinct reasons. A fresh
process, because ``getrusage`` reports a process's lifetime peak.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from quarkmed_dagster.ingest.pipeline import ingest_file


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def summary(path: Path) -> dict:
    result = ingest_file(path, f"probe-{path.name}")
    return {
        "rows_read": result.rows_read,
        "queries": result.queries.height,
        "quarantined": result.quarantine.height,
        "reasons": sorted(set(result.quarantine["reason"].to_list())),
        "raw_content_max_chars": max(
            (len(r) for r in result.quarantine["raw_content"].to_list()), default=0
        ),
    }


def main(warmup: str, files: list[str]) -> None:
    summary(Path(warmup))
    baseline = peak_rss_mb()
    report = {Path(f).name: summary(Path(f)) for f in files}
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak_rss_mb(), "files": report}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
