#!/bin/sh
# Train every shipped timbre (SSM, exported) and its GRU baseline side by side on one GPU.
#   sh train/instrument/device_train.sh DATA OUT MINUTES [TIMBRES...]
# Each run is resumable: a second call with the same OUT continues from OUT/<timbre>_<arch>/ckpt.pt
# (the accelerator runs 10-minute commands). Logs: OUT/<timbre>_<arch>.log.
set -eu
DATA=$1; OUT=$2; MIN=$3; shift 3
TIMBRES=${*:-"violin flute trumpet cello cello_real"}
PY=${PYTHON:-python3}
pids=""
for t in $TIMBRES; do
  for a in ssm gru; do
    [ -f "$DATA/${t}_train.npz" ] || { echo "missing $DATA/${t}_train.npz" >&2; continue; }
    mkdir -p "$OUT/${t}_$a"
    # MINUTES is the total budget per model; --resume makes repeated calls add up to it.
    $PY train/instrument/train.py --data "$DATA" --timbre "$t" --arch "$a" --minutes "$MIN" \
        --out "$OUT/${t}_$a" --resume > "$OUT/${t}_$a.log" 2>&1 &
    pids="$pids $!"
  done
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
tail -n 3 "$OUT"/*.log
exit $rc
