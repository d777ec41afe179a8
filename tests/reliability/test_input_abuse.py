"""Abusive input files: very large files (plain, and a gzip bomb), binary garbage, deeply
nested JSON and huge single messages. Every bad row is quarantined with a reason that says
what is wrong, the good rows are still ingested, and memory stays bounded: ingestion runs
in a fresh process whose peak RSS (``resource.getrusage``) may grow only by a small
fraction of the input's size. The bound is far above normal use, never a timing."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20
LONG_LINE = 5 * MB // 2  # above the 2,000,000-byte line limit
GROWTH_LIMIT_MB = 64  # reading whole files into memory takes 2x their size (over 300 MB here)


def _good(text: str) -> bytes:
    return json.dumps({"turns": [{"role": "user", "content": text}]}).encode() + b"\n"


def _message_line(size: int) -> bytes:
    return b'{"turns": [{"role": "user", "content": "' + b"a" * size + b'"}]}\n'


GOOD = [_good("Is ibuprofen safe with lisinopril?"), _good("How much water should I drink?")]


def _write_inputs(folder: Path) -> list[Path]:
    files = {
        "warmup.jsonl": GOOD,
        "very_large.jsonl": [GOOD[0], *[_message_line(LONG_LINE)] * 40, GOOD[1]],  # 100 MB
        "huge_messages.jsonl": [GOOD[0], _message_line(1_500_000), GOOD[1]],
        "deeply_nested.jsonl": [
            GOOD[0],
            b'{"turns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
            b'{"turns": [{"role": "user", "content": ' + b"[" * 500 + b"]" * 500 + b"}]}\n",
            GOOD[1],
        ],
        "binary_garbage.jsonl": [GOOD[0], random.Random(0).randbytes(MB // 4), b"\n", GOOD[1]],
    }
    for name, lines in files.items():
        (folder / name).write_bytes(b"".join(lines))
    with gzip.open(folder / "bomb.jsonl.gz", "wb", compresslevel=1) as bomb:
        bomb.write(GOOD[0])
        zeros = b"0" * MB
        for _ in range(160):  # one 160 MB line from a file of under 1 MB
            bomb.write(zeros)
        bomb.write(b"\n" + GOOD[1])
    (folder / "garbage.parquet").write_bytes(random.Random(1).randbytes(MB // 8))
    names = [*files, "bomb.jsonl.gz", "garbage.parquet"]
    return [folder / name for name in names]


def test_abusive_files_are_quarantined_with_bounded_memory(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)
    probe = subprocess.run(
        [sys.executable, "-m", "tests.reliability.ingest_probe", *map(str, paths)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    files = report["files"]

    line_limit = "line longer than 2000000 bytes"
    assert files["very_large.jsonl"]["reasons"] == [line_limit]
    assert files["very_large.jsonl"]["quarantined"] == 40
    assert files["bomb.jsonl.gz"]["reasons"] == [line_limit]
    assert files["huge_messages.jsonl"]["reasons"] == [
        "message 1 is 1,500,000 characters long (limit 20,000)"
    ]
    assert files["deeply_nested.jsonl"]["reasons"] == [
        "JSON nested too deeply to read",
        "message 1 has no text content",
    ]
    garbage = files["binary_garbage.jsonl"]
    assert garbage["quarantined"] > 100
    assert all(r.startswith(("not valid UTF-8", "malformed JSON", "expected a JSON object"))
               for r in garbage["reasons"])  # fmt: skip
    assert files["garbage.parquet"]["quarantined"] == 1
    assert files["garbage.parquet"]["reasons"][0].startswith("cannot read garbage.parquet")
    for name, result in files.items():
        if name != "garbage.parquet":  # unreadable as a whole: nothing to keep
            assert result["queries"] == 2, name  # the good rows around the bad ones survive
        assert result["raw_content_max_chars"] <= 2000, name  # quarantine keeps a preview

    growth = report["peak_mb"] - report["baseline_mb"]
    assert growth < GROWTH_LIMIT_MB, f"peak RSS grew {growth:.0f} MB over {report}"
