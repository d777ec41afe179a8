#!/usr/bin/env bash
# The main job: install, then materialize the whole DAG on the bundled sample data with the
# embedded defaults (offline baselines, embedded search index), print the leaderboard.
#
# QUARKMED_MODEL_PROFILE=tiny-local: real models instead. A tiny model (SmolLM2-135M on
# llama.cpp, CPU) plays every role: the server is built once and started here
# (scripts/llm_server.sh; always stopped at the end), on a small subset of the queries
# (QUARKMED_QUERY_LIMIT per file, default 2; QUARKMED_RETRIEVAL_TOP_K default 3; K-QA judge
# concordance on QUARKMED_CONCORDANCE_LIMIT rows, default 6) in a data home of its own (.quarkmed-tiny-local). Its figures are labelled tiny, not a measurement.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if [ "${QUARKMED_MODEL_PROFILE:-baseline}" = "tiny-local" ]; then
  export QUARKMED_QUERY_LIMIT="${QUARKMED_QUERY_LIMIT:-2}"
  export QUARKMED_RETRIEVAL_TOP_K="${QUARKMED_RETRIEVAL_TOP_K:-3}"
  export QUARKMED_CONCORDANCE_LIMIT="${QUARKMED_CONCORDANCE_LIMIT:-6}"
  export QUARKMED_DATA_HOME="${QUARKMED_DATA_HOME:-$PWD/.quarkmed-tiny-local}"
  if [ -z "${QUARKMED_LOCAL_API_BASE:-}" ]; then
    trap 'bash scripts/llm_server.sh stop' EXIT
    QUARKMED_LOCAL_API_BASE="$(bash scripts/llm_server.sh start | tail -n 1)"
    export QUARKMED_LOCAL_API_BASE
  fi
  echo "[main job] tiny-local: llama.cpp at $QUARKMED_LOCAL_API_BASE, $QUARKMED_QUERY_LIMIT queries per file" >&2
  .venv/bin/quarkmed run "$@"
  exit $?
fi
exec .venv/bin/quarkmed run "$@"
