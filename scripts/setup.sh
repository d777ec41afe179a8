#!/usr/bin/env bash
# Install everything the project needs into .venv from the lock file (fast, reproducible).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v uv >/dev/null 2>&1; then
  echo "[setup] installing uv from PyPI" >&2
  python3 -m pip install --quiet --user uv >&2 || python3 -m pip install --quiet uv >&2
  export PATH="$HOME/.local/bin:$PATH"
fi
UV_PYTHON_DOWNLOADS=never uv sync --frozen --compile-bytecode --python 3.11 >&2
