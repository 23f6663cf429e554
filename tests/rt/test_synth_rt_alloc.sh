#!/bin/bash
# The synth --live callback (app_stream_callback around app_synth_block: song player +
# sw_synth_process) allocates nothing, takes no lock and plays what the file render plays,
# whatever the host's block sizes: build/tests/rt/synth_rt_alloc_test drives it under a
# malloc/mutex-counting interposer with a generated phrase and a real polyphonic piano file (7 tracks, pedal).
set -euo pipefail
source "$(dirname "$0")/../app/lib.sh"
require_built
make_tmp
BIN="$ROOT/$BUILD/tests/rt/synth_rt_alloc_test"
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
if [ -n "${SW_SYNTH_MODEL:-}" ]; then M=$SW_SYNTH_MODEL
elif [ -f "$ROOT/presets/instruments/violin.safetensors" ]; then M="$ROOT/presets/instruments/violin.safetensors"
else M="$ROOT/tests/data/synth_test.safetensors"; fi
[ -f "$M" ] || { echo "FAIL: no instrument model ($M)"; exit 1; }
/usr/bin/python3 "$ROOT/tests/app/synth_check.py" mkmidi short "$TMP/short.mid" >/dev/null
set +e
"$BIN" "$M" "$TMP/short.mid" "$SHARED/midi/piano/midis/Chopin/chpn-p10.mid" | tee "$TMP/log"
rc=${PIPESTATUS[0]}
set -e
if grep -q '^SKIP' "$TMP/log"; then
  skip "synth_rt_alloc_test skipped itself"
else
  check "synth --live callback: no allocation or lock over $(grep -c ' Hz, ' "$TMP/log") configurations, output = file render (exit $rc)" [ "$rc" = 0 ]
fi
finish
