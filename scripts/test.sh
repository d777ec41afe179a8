#!/usr/bin/env bash
# The test command: install, start a real Elasticsearch, run the whole suite, always stop it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The report test renders the HTML report in a real headless Chromium (Debian package).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "[test] installing Debian's chromium for the report test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
fi
export PATH="$HOME/.local/bin:$PATH"
trap 'bash scripts/elasticsearch.sh stop' EXIT
QUARKMED_TEST_ES_URL="$(bash scripts/elasticsearch.sh start | tail -n 1)"
export QUARKMED_TEST_ES_URL
echo "[test] Elasticsearch ready at $QUARKMED_TEST_ES_URL"
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider -rs "$@"
