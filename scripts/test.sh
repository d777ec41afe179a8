#!/usr/bin/env bash
# The test command: install, start a real Elasticsearch, run the whole suite, always stop it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.local/bin:$PATH"
trap 'bash scripts/elasticsearch.sh stop' EXIT
QUARKMED_TEST_ES_URL="$(bash scripts/elasticsearch.sh start | tail -n 1)"
export QUARKMED_TEST_ES_URL
echo "[test] Elasticsearch ready at $QUARKMED_TEST_ES_URL"
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider -rs "$@"
