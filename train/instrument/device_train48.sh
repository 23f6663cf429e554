#!/bin/sh
# The full band: move every shipped timbre to a 48 kHz training rate on one GPU (issue #12, item 4).
#   sh train/instrument/device_train48.sh DATA48 OUT A_MINUTES B_MINUTES [TIMBRES...]
# 1. DATA48/<timbre>_train.npz, _heldout.npz: built if missing (build_data.py --rate 48000, CPU,
#    about 20 s per timbre; the same phrases as the 24 kHz packs).
# 2. Stage A, all timbres side by side: train.py from presets/instruments/<timbre>.safetensors (its
#    noise bands re-placed on the 48 kHz grid, ddsp.remap_rate; vibrato and gain_db kept), 2 s crops,
#    batch 16, Adam 5e-4 cosine, A_MINUTES each -> OUT/<timbre>_a/<timbre>.safetensors.
# 3. Stage B (held notes), side by side, once a timbre's stage A is done: finetune_long.py --rate
#    48000 from stage A, 16 s phrases, batch 8, 24 long-note phrases, Adam 5e-4 cosine, B_MINUTES
#    each -> OUT/<timbre>_b/<timbre>.safetensors.
# Every stage is resumable: call again with the same arguments (e.g. after the accelerator's
# 10-minute command limit) and each run continues from its OUT/.../ckpt.pt (weights + optimizer);
# a finished stage only rewrites its model file. Logs: OUT/<timbre>_{a,b}.log.
# Then, on the CPU: re-match the loudness (expression.py --models OUT/final --set-gain -24) and
# measure (README "Spectrum of held notes", sustain.py, eval.py --rate 48000) before shipping.
set -eu
DATA=$1; OUT=$2; AMIN=$3; BMIN=$4; shift 4
TIMBRES=${*:-"violin flute trumpet cello"}
PY=${PYTHON:-python3}
mkdir -p "$OUT" "$DATA"
missing=""
for t in $TIMBRES; do [ -f "$DATA/${t}_heldout.npz" ] || missing="$missing${missing:+,}$t"; done
if [ -n "$missing" ]; then
  $PY train/instrument/build_data.py --out "$DATA" --rate 48000 --only "$missing" --skip-real
fi
run_stage() {   # stage A or B of every timbre whose input is there, side by side
  st=$1; pids=""
  for t in $TIMBRES; do
    mkdir -p "$OUT/${t}_$st"
    if [ "$st" = a ]; then
      $PY train/instrument/train.py --data "$DATA" --timbre "$t" --init "presets/instruments/$t.safetensors" \
          --minutes "$AMIN" --lr 5e-4 --out "$OUT/${t}_a" --resume >> "$OUT/${t}_a.log" 2>&1 &
    else
      [ -f "$OUT/${t}_a/$t.safetensors" ] || { echo "$t: stage A not finished" >&2; continue; }
      $PY train/instrument/finetune_long.py --data "$DATA" --rate 48000 --timbre "$t" \
          --init "$OUT/${t}_a/$t.safetensors" --minutes "$BMIN" --batch 8 --lr 5e-4 --long-phrases 24 \
          --out "$OUT/${t}_b" --resume >> "$OUT/${t}_b.log" 2>&1 &
    fi
    pids="$pids $!"
  done
  rc=0
  for p in $pids; do wait "$p" || rc=1; done
  return $rc
}
run_stage a
run_stage b
mkdir -p "$OUT/final"
for t in $TIMBRES; do
  [ -f "$OUT/${t}_b/$t.safetensors" ] && cp "$OUT/${t}_b/$t.safetensors" "$OUT/final/"
done
tail -n 2 "$OUT"/*_a.log "$OUT"/*_b.log
ls -l "$OUT/final"
