# jack_lib.sh — a private jackd -d dummy server for the app's live tests (sourced after
# lib.sh). Uses RATE and PERIOD (set them before start_jackd).
#
# Server names: JACK keeps a registry of at most 8 server names in /dev/shm. A server that
# dies by SIGKILL keeps its entry until a server of the same name starts again, so unique
# names (sw-app-test-$$) leak a slot per "server disappears" test until no server at all
# can start ("Too many servers already active"). The tests therefore take a name from a
# small fixed pool (sw-app-test-0..3, the first one not running), and kill_jackd_hard
# re-registers the killed server's name at once (start + clean stop), which frees its slot.
# JACK_DEFAULT_SERVER is exported, so the app and the jack_* tools talk to that server and
# a JACK server run by anything else on the machine is neither used nor disturbed.

for t in jackd jack_wait; do
  command -v $t >/dev/null || { echo "FAIL: $t not installed (make deps)"; exit 1; }
done
export JACK_NO_START_SERVER=1
JPID=""

jack_running() { [ "$(jack_wait -s "$1" -c 2>/dev/null)" = running ]; }

# start_jackd LOG [jackd dummy-driver options...]: start a server (RATE, PERIOD) and wait for it.
start_jackd() {
  local log=$1 i name
  shift
  for i in 0 1 2 3; do
    name="sw-app-test-$i"
    jack_running "$name" && continue  # another test run holds this one
    export JACK_DEFAULT_SERVER=$name
    jackd -n "$name" -d dummy -r "$RATE" -p "$PERIOD" "$@" >"$log" 2>&1 &
    JPID=$!
    if jack_wait -s "$name" -w -t 10 >/dev/null 2>&1; then return 0; fi
    kill "$JPID" 2>/dev/null || true
    wait "$JPID" 2>/dev/null || true
    JPID=""
    grep -q 'already active' "$log" && continue  # lost a race for this name
    break
  done
  echo "FAIL: jackd did not come up; its log:"; sed 's/^/  | /' "$log"
  exit 1
}

stop_jackd() {
  if [ -n "$JPID" ]; then
    kill -TERM "$JPID" 2>/dev/null || true
    wait "$JPID" 2>/dev/null || true
    JPID=""
  fi
}

# Kill the server with SIGKILL (a crash), then give its registry slot and shared memory back.
kill_jackd_hard() {
  kill -KILL "$JPID" 2>/dev/null || true
  wait "$JPID" 2>/dev/null || true
  JPID=""
}
reclaim_jackd_name() {
  start_jackd_named "$JACK_DEFAULT_SERVER" "$1"
  stop_jackd
  rm -f /dev/shm/jack_sem.0_"$JACK_DEFAULT_SERVER"_* 2>/dev/null || true
}
start_jackd_named() { # NAME LOG: like start_jackd, but this exact name
  jackd -n "$1" -d dummy -r "$RATE" -p "$PERIOD" >"$2" 2>&1 &
  JPID=$!
  jack_wait -s "$1" -w -t 10 >/dev/null 2>&1 || { echo "FAIL: jackd '$1' did not come up again"; sed 's/^/  | /' "$2"; }
}

summary_field() { sed -n "s/^summary:.*\b$1=\([^ ]*\).*/\1/p" "$2"; }
xrun_lines() { grep -c 'XRun' "$1" || true; }

# The skip policy for a loaded machine: after runs that all had xruns, run the server alone
# (no client) for SECONDS; if even that logs XRun lines, the machine cannot run JACK
# xrun-free right now and the check is skipped (status 0), else it fails (status 1).
# $1 = what, $2 = seconds, $3 = a jackd log of a failed run (to show).
xrun_verdict() {
  start_jackd "$TMP/jackd.base.log"
  sleep "$2"
  stop_jackd
  local base
  base=$(xrun_lines "$TMP/jackd.base.log")
  if [ "$base" -gt 0 ]; then
    skip "$1: jackd alone, with no client, logged $base XRun lines in $2 s (machine too loaded for real-time right now; load: $(cut -d' ' -f1-3 /proc/loadavg))"
    return 0
  fi
  fail "$1: xruns in every attempt although jackd alone runs clean"
  grep XRun "$3" | head -5 | sed 's/^/  | /'
  return 1
}
