# Sourced by the server scripts (they define log): stop_pid_file PID_FILE TRIES INTERVAL
# stops the process in PID_FILE (TERM, up to TRIES waits of INTERVAL seconds, then KILL) and
# removes the file; always safe to call.
stop_pid_file() {
  local pid_file="$1" tries="$2" interval="$3"
  [ -f "$pid_file" ] || return 0
  local pid; pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 "$tries"); do kill -0 "$pid" 2>/dev/null || break; sleep "$interval"; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped pid $pid"
  fi
  rm -f "$pid_file"
}
