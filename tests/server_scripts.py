"""Servers the tests start through the project's own scripts (`start` prints the URL on its
last line, `status` is 0 when one already runs, `stop` is always safe)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def served_by(script: Path, what: str, start_timeout: int, stop_timeout: int) -> Iterator[str]:
    """Start ``script``'s server, yield its URL, stop it afterwards unless it ran before; a
    server that cannot start fails the test, never skips it."""
    running = subprocess.run(["bash", str(script), "status"], capture_output=True)
    started = subprocess.run(
        ["bash", str(script), "start"], capture_output=True, text=True, timeout=start_timeout
    )
    if started.returncode != 0:
        pytest.fail(f"could not start {what}:\n{started.stderr[-4000:]}", pytrace=False)
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        if running.returncode != 0:  # leave a server someone else started alone
            subprocess.run(["bash", str(script), "stop"], timeout=stop_timeout)
