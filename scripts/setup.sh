#!/usr/bin/env bash
# Install everything the project needs into .venv from the lock file (fast, reproducible).
# Quiet by default (one line); QUARKMED_VERBOSE=1 shows the installer's package lines and
# pip's warnings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${QUARKMED_VERBOSE:-0}" = "1" ]; then
  QUIET=(); PIP_QUIET=(); NOTE=""
else
  QUIET=(--quiet); PIP_QUIET=(--quiet --root-user-action=ignore --disable-pip-version-check)
  NOTE=" (QUARKMED_VERBOSE=1 lists each package)"
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "[setup] installing uv from PyPI" >&2
  python3 -m pip install "${PIP_QUIET[@]}" --user uv >&2 || python3 -m pip install "${PIP_QUIET[@]}" uv >&2
  export PATH="$HOME/.local/bin:$PATH"
fi
echo "[setup] syncing .venv with uv.lock$NOTE" >&2
UV_PYTHON_DOWNLOADS=never uv sync --frozen --compile-bytecode --python 3.11 "${QUIET[@]}" >&2
