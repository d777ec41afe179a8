#!/usr/bin/env bash
# The main job: install, then materialize the whole DAG on the bundled sample data with the
# embedded defaults (offline baselines, embedded search index), print the leaderboard.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/quarkmed run "$@"
