#!/bin/bash
# Rebuild the demo input presets/demo/noisy_example.flac (and its clean reference) from
# real recordings: a US-English voice prompt mixed with a real kitchen recording at 5 dB SNR.
#
#   tests/app/make_demo_example.sh          # from the repo root or anywhere
#
# Speech: Debian asterisk-core-sounds-en-wav, en_US_f_Allison/vm-instructions.wav (7.27 s,
#         8 kHz; CC BY-SA 3.0, Allison Smith). Not in the dev set (checked below).
# Noise:  shared/data/noise/speech-commands-bg/doing_the_dishes.wav, 20.00 s onwards (16 kHz;
#         CC BY 4.0, Google Speech Commands background noise). The dev set reserves only
#         79.0 s to the end of this file (checked below).
# Mixing: both upsampled to 48 kHz with sox's very-high-quality resampler, mean removed,
#         noise scaled so that 10*log10(sum s^2 / sum n^2) = 5 dB over the whole clip, then
#         one gain on both so the noisy peak is -3 dBFS; 16-bit FLAC without dither
#         (deterministic output). Needs sox and /usr/bin/python3 with numpy.
set -euo pipefail
cd "$(dirname "$0")/../.."

SPEECH=/usr/share/asterisk/sounds/en_US_f_Allison/vm-instructions.wav
NOISE=../shared/data/noise/speech-commands-bg/doing_the_dishes.wav
NOISE_REL=noise/speech-commands-bg/doing_the_dishes.wav
NOISE_START=20.0
RESERVED_FROM=79.0      # dev set segment of this noise file starts here (MANIFEST.tsv)
SNR_DB=5
PEAK_DBFS=-3
MANIFEST=../shared/data/devset/MANIFEST.tsv
OUT=presets/demo

for f in "$SPEECH" "$NOISE" "$MANIFEST"; do
  [ -f "$f" ] || { echo "make_demo_example: missing $f" >&2; exit 1; }
done
# Held out from the dev set: the prompt is not listed, and the noise excerpt ends before the
# reserved segment.
if grep -q "en_US_f_Allison/vm-instructions.wav" "$MANIFEST"; then
  echo "make_demo_example: $SPEECH is in the dev set; pick another prompt" >&2; exit 1
fi
grep -q "$NOISE_REL \[$RESERVED_FROM s" "$MANIFEST" || {
  echo "make_demo_example: the dev set's reserved segment of $NOISE_REL is not at $RESERVED_FROM s any more" >&2; exit 1; }

DUR=$(soxi -D "$SPEECH")
awk -v s="$NOISE_START" -v d="$DUR" -v r="$RESERVED_FROM" 'BEGIN { exit !(s + d < r) }' || {
  echo "make_demo_example: noise excerpt would overlap the reserved segment" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sox "$SPEECH" -t f32 "$tmp/s.f32" remix 1 vol 0.5 rate -v 48000
sox "$NOISE" -t f32 "$tmp/n.f32" trim "$NOISE_START" "$DUR" remix 1 rate -v 48000

/usr/bin/python3 - "$tmp" "$SNR_DB" "$PEAK_DBFS" <<'PY'
import sys
import numpy as np
tmp, snr_db, peak_dbfs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
s = np.fromfile(tmp + "/s.f32", dtype=np.float32).astype(np.float64) * 2.0  # undo vol 0.5
n = np.fromfile(tmp + "/n.f32", dtype=np.float32).astype(np.float64)
m = min(len(s), len(n))
s, n = s[:m] - s[:m].mean(), n[:m] - n[:m].mean()
n *= np.sqrt(np.sum(s ** 2) / np.sum(n ** 2) / 10 ** (snr_db / 10))
x = s + n
g = 10 ** (peak_dbfs / 20) / np.max(np.abs(x))
(x * g).astype(np.float32).tofile(tmp + "/noisy.f32")
(s * g).astype(np.float32).tofile(tmp + "/clean.f32")
print("make_demo_example: %d samples (%.2f s), SNR %.2f dB, gain %.2f dB"
      % (m, m / 48000, 10 * np.log10(np.sum(s ** 2) / np.sum(n ** 2)), 20 * np.log10(g)))
PY

mkdir -p "$OUT"
sox -D -t f32 -r 48000 -c 1 "$tmp/noisy.f32" -b 16 "$OUT/noisy_example.flac"
sox -D -t f32 -r 48000 -c 1 "$tmp/clean.f32" -b 16 "$OUT/clean_reference.flac"
ls -l "$OUT"/noisy_example.flac "$OUT"/clean_reference.flac
