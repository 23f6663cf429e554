#!/bin/bash
# test_lv2_meta.sh — the bundle as hosts discover it: lv2ls, lv2info (denoisers: ports, latency,
# presets; generator: instrument class, MIDI port, control ranges),
# lv2_validate and sord_validate against the LV2 spec files of Debian's lv2-dev,
# and the exported symbols of the binary. Run from the repo root after `make`.
set -euo pipefail
cd "$(dirname "$0")/../.."

B=build/statewave.lv2
MONO="https://statewave.dev/plugins/denoise#mono"
STEREO="https://statewave.dev/plugins/denoise#stereo"
GEN="https://statewave.dev/plugins/generate"
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -f "$B/manifest.ttl" ] && [ -f "$B/statewave.so" ] || { echo "FAIL: $B not built (run make)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# 1. discovery, with only our build folder on the path (lilv also scans build/'s other
#    sub-folders and complains that they have no manifest: harmless, so stderr is dropped)
LV2_PATH="$PWD/build" lv2ls > "$tmp/ls" 2>/dev/null || true
if grep -qxF "$MONO" "$tmp/ls" && grep -qxF "$STEREO" "$tmp/ls" && grep -qxF "$GEN" "$tmp/ls"; then
    pass "lv2ls lists the three plugins (denoise mono, stereo; generate)"
else
    fail "lv2ls output: $(tr '\n' ' ' < "$tmp/ls")"
fi

# 2. lv2info (spec bundles on the path so classes resolve)
for uri in "$MONO" "$STEREO"; do
    LV2_PATH="$PWD/build:/usr/lib/lv2" lv2info "$uri" > "$tmp/info" 2>/dev/null || true
    ok=1
    grep -q "Class: *Filter Plugin" "$tmp/info" || { ok=0; echo "  no Filter Plugin class"; }
    grep -q "Has latency: *yes, reported by port 5" "$tmp/info" || { ok=0; echo "  latency port not reported"; }
    for sym in control notify enabled mix limit_db latency; do
        grep -q "Symbol: *$sym\$" "$tmp/info" || { ok=0; echo "  port $sym missing"; }
    done
    grep -q "Designation: *http://lv2plug.in/ns/lv2core#enabled" "$tmp/info" || { ok=0; echo "  no lv2:enabled port"; }
    grep -q "Designation: *http://lv2plug.in/ns/lv2core#latency" "$tmp/info" || { ok=0; echo "  no lv2:latency port"; }
    grep -q "http://lv2plug.in/ns/ext/state#interface" "$tmp/info" || { ok=0; echo "  no state interface"; }
    grep -q "http://lv2plug.in/ns/ext/worker#interface" "$tmp/info" || { ok=0; echo "  no worker interface"; }
    if [ "$uri" = "$STEREO" ]; then audio="in_l out_l in_r out_r"; else audio="in out"; fi
    for sym in $audio; do grep -q "Symbol: *$sym\$" "$tmp/info" || { ok=0; echo "  audio port $sym missing"; }; done
    # every preset file of presets/lv2 is listed by name
    for f in presets/lv2/*.ttl; do
        label=$(sed -n 's/.*rdfs:label "\(.*\)".*/\1/p' "$f" | head -1)
        grep -qF "$label" "$tmp/info" || { ok=0; echo "  preset '$label' ($f) not listed"; }
    done
    if [ $ok = 1 ]; then pass "lv2info $uri: class, ports, latency, designations, presets"
    else fail "lv2info $uri"; sed 's/^/    /' "$tmp/info" | head -40; fi
done

# 2b. lv2info of the generator: instrument class, MIDI input, ports with ranges and defaults
LV2_PATH="$PWD/build:/usr/lib/lv2" lv2info "$GEN" > "$tmp/info" 2>/dev/null || true
ok=1
grep -q "Class: *Instrument Plugin" "$tmp/info" || { ok=0; echo "  no Instrument Plugin class"; }
grep -q "Has latency: *no" "$tmp/info" || { ok=0; echo "  latency line"; }
grep -q "Required Features: *http://lv2plug.in/ns/ext/urid#map" "$tmp/info" || { ok=0; echo "  urid:map not required"; }
# port symbol, then its minimum/maximum/default as lv2info prints them
while read -r sym lo hi def; do
    blk=$(awk -v s="$sym" '/^\tPort [0-9]+:/{p=0} $0 ~ "Symbol: *"s"$"{p=1} p' "$tmp/info")
    [ -n "$blk" ] || { ok=0; echo "  port $sym missing"; continue; }
    if [ "$lo" != "-" ]; then
        echo "$blk" | grep -q "Minimum: *$lo" && echo "$blk" | grep -q "Maximum: *$hi" && echo "$blk" | grep -q "Default: *$def" \
            || { ok=0; echo "  port $sym: range/default not $lo..$hi ($def)"; }
    fi
done <<'PORTS'
midi_in - - -
out - - -
temperature 0.500000 1.500000 1.000000
top_p 0.500000 1.000000 1.000000
seed 0.000000 16777215.000000 1.000000
latch 0.000000 1.000000 0.000000
gain -60.000000 12.000000 0.000000
transport 0.000000 1.000000 0.000000
PORTS
# the MIDI port: an atom:Sequence input that supports midi:MidiEvent (how hosts find it).
# sordi's output goes to a file first: piped into `grep -q` under pipefail, grep exits at the
# match and sordi, still writing its 11 KB, dies of SIGPIPE on a loaded machine, which made
# the pipeline fail (8 of 300 tries with 4 busy loops on 2 cores).
sordi "$B/generate.ttl" > "$tmp/gen.nt" 2>/dev/null || true
if ! grep -q "<http://lv2plug.in/ns/ext/atom#supports> <http://lv2plug.in/ns/ext/midi#MidiEvent>" "$tmp/gen.nt"; then
    ok=0; echo "  midi_in does not declare atom:supports midi:MidiEvent"
fi
grep -q "http://lv2plug.in/ns/ext/atom#AtomPort" "$tmp/info" || { ok=0; echo "  no atom port"; }
if [ $ok = 1 ]; then pass "lv2info $GEN: instrument class, MIDI atom port, controls with ranges and defaults"
else fail "lv2info $GEN"; sed 's/^/    /' "$tmp/info" | head -60; fi

# 3. lv2_validate (all spec schemas) over every TTL file of the bundle
ttl=("$B"/*.ttl "$B"/presets/*.ttl)
if lv2_validate "${ttl[@]}" > "$tmp/val" 2>&1 && grep -q "Found 0 errors" "$tmp/val"; then
    pass "lv2_validate: $(grep 'Found' "$tmp/val")"
else
    fail "lv2_validate"; grep -v '^Skipping' "$tmp/val" | sed 's/^/    /' | head -40
fi

# 4. sord_validate against the spec files shipped by lv2-dev (the list dpkg has for it)
mapfile -t spec < <(dpkg -L lv2-dev 2>/dev/null | grep '^/usr/lib/lv2/.*\.ttl$' || true)
if [ ${#spec[@]} -lt 40 ]; then
    fail "lv2-dev spec files not found (${#spec[@]}); install lv2-dev (make deps)"
elif sord_validate "${spec[@]}" "${ttl[@]}" > "$tmp/sv" 2>&1 && grep -q "Found 0 errors" "$tmp/sv"; then
    pass "sord_validate with ${#spec[@]} lv2-dev spec files: $(grep 'Found' "$tmp/sv")"
else
    fail "sord_validate"; sed 's/^/    /' "$tmp/sv" | head -40
fi

# 5. the binary exports lv2_descriptor only
syms=$(nm -D --defined-only "$B/statewave.so" | awk '{print $3}' | sort | tr '\n' ' ')
if [ "$syms" = "lv2_descriptor " ]; then pass "statewave.so exports only lv2_descriptor"
else fail "statewave.so exports: $syms"; fi

# 6. every preset is in the manifest (hosts list presets from it)
for f in presets/lv2/*.ttl; do
    subj=$(grep -m1 '^<' "$f" | tr -d '[:space:]')
    grep -qF "$subj" "$B/manifest.ttl" || fail "preset $f ($subj) missing from manifest.ttl"
done

# 7. `make install-lv2 LV2DIR=...` installs a bundle hosts find there
make -s install-lv2 LV2DIR="$tmp/inst" > "$tmp/inst.log" 2>&1 || { fail "make install-lv2"; cat "$tmp/inst.log"; }
LV2_PATH="$tmp/inst" lv2ls > "$tmp/ls2" 2>/dev/null || true
if grep -qxF "$MONO" "$tmp/ls2" && grep -qxF "$STEREO" "$tmp/ls2" && grep -qxF "$GEN" "$tmp/ls2" \
   && cmp -s "$B/statewave.so" "$tmp/inst/statewave.lv2/statewave.so" \
   && cmp -s presets/generate.safetensors "$tmp/inst/statewave.lv2/generate.safetensors" \
   && [ -f "$tmp/inst/statewave.lv2/generate.ttl" ] \
   && [ "$(ls "$tmp/inst/statewave.lv2/presets" | wc -l)" = "$(ls presets/lv2/*.ttl | wc -l)" ] \
   && [ -f "$tmp/inst/statewave.lv2/denoise.safetensors" ]; then
    pass "make install-lv2 LV2DIR=...: installed bundle is found by lv2ls"
else
    fail "installed bundle: $(ls -R "$tmp/inst" | tr '\n' ' ')"
fi

if [ $fails -ne 0 ]; then echo "FAIL: test_lv2_meta.sh: $fails failure(s)"; exit 1; fi
echo "PASS: test_lv2_meta.sh"
