# soak_lib.sh — shared by tests/soak/soak_*.sh (sourced): private jackd dummy servers, jalv
# instances and clean-up by the PIDs started here. Run from the repository root.
set -euo pipefail
export JACK_NO_START_SERVER=1
CLIENT=build/tests/soak/soak_client
REPORT="/usr/bin/python3 tests/soak/soak_report.py"
[ -x "$CLIENT" ] || { echo "FAIL: $CLIENT not built (make $CLIENT)"; exit 1; }
for t in jackd jack_wait jack_lsp jalv; do
  command -v $t >/dev/null || { echo "FAIL: $t not installed (make deps)"; exit 1; }
done
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# start_server NAME RATE PERIOD LOG [more dummy-driver options]: a jackd dummy server of its own
# name (the soaks never share a server, so each counts its own xruns), waited for.
start_server() {
  local name=$1 rate=$2 period=$3 log=$4
  shift 4
  if [ "$(jack_wait -s "$name" -c 2>/dev/null)" = running ]; then
    echo "FAIL: a JACK server named $name is already running (another soak?)"; exit 1
  fi
  jackd -n "$name" -d dummy -r "$rate" -p "$period" "$@" >"$log" 2>&1 &
  PIDS+=($!)
  jack_wait -s "$name" -w -t 20 >/dev/null 2>&1 || { echo "FAIL: jackd $name did not come up"; sed 's/^/  | /' "$log"; exit 1; }
}

# start_jalv SERVER NAME LOG URI [jalv options]: jalv on that server, stdin held open (jalv
# quits on EOF), waited for until port NAME:WAITPORT exists (WAITPORT set by the caller).
start_jalv() {
  local server=$1 name=$2 log=$3 uri=$4
  shift 4
  JACK_DEFAULT_SERVER=$server jalv -x -n "$name" "$@" "$uri" < <(exec sleep 100000) >"$log" 2>&1 &
  JALV_PID=$!
  PIDS+=($JALV_PID)
  local i
  for i in $(seq 300); do  # up to 60 s: the plugin loads its model first
    JACK_DEFAULT_SERVER=$server jack_lsp >"$log.ports" 2>/dev/null || true
    grep -qx "$name:$WAITPORT" "$log.ports" && return 0
    kill -0 $JALV_PID 2>/dev/null || break
    sleep 0.2
  done
  echo "FAIL: jalv $name ($uri) has no port $WAITPORT"; sed 's/^/  | /' "$log"; exit 1
}

xrun_lines() { grep -c 'XRun' "$1" || true; }
