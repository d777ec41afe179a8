#!/usr/bin/env bash
# The Dagster UI on 127.0.0.1 with the daemon running (schedules and sensors really run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
DAGSTER_HOME="$(.venv/bin/python -c 'from quarkmed_dagster.orchestration import install_instance_config; from quarkmed_dagster.settings import get_settings; print(install_instance_config(get_settings()).parent)')"
export DAGSTER_HOME
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${QUARKMED_UI_PORT:-3000}"
