"""Every validity figure of `quarkmed validate`, on a fresh data home, with timings.

Runs the main job (leak-free evidence, offline baselines by default; any profile through
QUARKMED_MODEL_PROFILE) in a temporary data home, then the validity harness, and prints
each figure beside the trivial baselines and the physicians' ceiling, plus the time of
both steps. ``--data-home`` reuses an existing run instead.

    .venv/bin/python benchmarks/bench_validity.py [--data-home DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.data_home or Path(tmp) / "home"
        env = {**os.environ, "QUARKMED_DATA_HOME": str(home)}
        quarkmed = str(Path(sys.executable).parent / "quarkmed")
        timings = {}
        if args.data_home is None:
            started = time.perf_counter()
            subprocess.run([quarkmed, "run"], env=env, check=True, stdout=subprocess.DEVNULL)
            timings["main job"] = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([quarkmed, "validate", "--no-run"], env=env, check=True)
        timings["validate"] = time.perf_counter() - started
        for step, seconds in timings.items():
            print(f"{step}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
