#!/bin/bash
# Refresh the demo input of `make demo` (presets/demo/noisy_example.flac and its clean
# reference clean_reference.flac): a byte-for-byte copy of dev-set clip 052.
#
#   tools/make_demo_example.sh          # from the repo root or anywhere
#
# Why a dev-set clip: every speech utterance and noise segment listed in the dev set's
# MANIFEST.tsv is excluded from the denoiser's training and validation data by
# construction, so the SI-SDR that `make demo` prints is measured on held-out audio.
# Clip 052: Allison Smith's asterisk prompt en_US_f_Allison/vm-forward.wav (US English,
# 8 kHz source) + the real exercise-bike recording of Google Speech Commands' background
# noise (54.116-59.022 s, inside the dev set's reserved tail of that file), +5 dB SNR,
# 48 kHz mono 16-bit FLAC, 4.906 s. Chosen for its licences (CC BY-SA 3.0 speech, CC BY 4.0
# noise; the cafe and street clips of the dev set come from an AGPL repository or carry no
# per-clip licence) and an English prompt a reader can follow. Sources and licences:
# presets/demo/LICENSE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIP=052
DEVSET=../shared/data/devset
OUT=presets/demo
for f in "$DEVSET/MANIFEST.tsv" "$DEVSET/noisy/$CLIP.flac" "$DEVSET/clean/$CLIP.flac"; do
  [ -f "$f" ] || { echo "make_demo_example: missing $f" >&2; exit 1; }
done
# The manifest row must still describe what LICENSE.md says.
row=$(awk -F'\t' -v c="$CLIP" '$1 == c' "$DEVSET/MANIFEST.tsv")
want_speech="asterisk-core-sounds-en-wav:/usr/share/asterisk/sounds/en_US_f_Allison/vm-forward.wav"
want_noise="noise/speech-commands-bg/exercise_bike.wav"
[ "$(cut -f4 <<<"$row")" = "$want_speech" ] && [ "$(cut -f7 <<<"$row")" = "$want_noise" ] &&
  [ "$(cut -f9 <<<"$row")" = 5 ] || {
  echo "make_demo_example: dev-set clip $CLIP is no longer $want_speech + $want_noise at 5 dB:" >&2
  echo "  $row" >&2
  echo "  update presets/demo/LICENSE.md and this script" >&2
  exit 1
}
mkdir -p "$OUT"
cp "$DEVSET/noisy/$CLIP.flac" "$OUT/noisy_example.flac"
cp "$DEVSET/clean/$CLIP.flac" "$OUT/clean_reference.flac"
cmp "$DEVSET/noisy/$CLIP.flac" "$OUT/noisy_example.flac"
cmp "$DEVSET/clean/$CLIP.flac" "$OUT/clean_reference.flac"
echo "make_demo_example: copied dev-set clip $CLIP (noisy + clean) to $OUT"
ls -l "$OUT"/noisy_example.flac "$OUT"/clean_reference.flac
