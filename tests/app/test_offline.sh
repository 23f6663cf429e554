#!/bin/bash
# statewave denoise on real files: formats, rates, channels, length/alignment, SI-SDR
# against the dev set's clean references, batch naming, progress bar on/off.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
cd "$TMP"

# ---------------------------------------------------------------- material --
# Real speech + real noise: dev-set noisy mixtures (48 kHz mono 16-bit FLAC). Stereo files
# put two different mixtures on the two channels. 3 s each keeps the matrix quick.
A="$DEVSET/noisy/030.flac"   # festvox-ru speech
B="$DEVSET/noisy/047.flac"   # asterisk speech
mkdir -p m
declare -A EXPECT_SUB=([wav16]=0x0002 [wav24]=0x0003 [wavf]=0x0006 [flac]=0x0002 [ogg]=0x0060)
# sox writes 24-bit WAV as WAVE_FORMAT_EXTENSIBLE (libsndfile's WAVEX container)
declare -A EXPECT_MAJ=([wav16]=0x010000 [wav24]=0x130000 [wavf]=0x010000 [flac]=0x170000 [ogg]=0x200000)
inputs=()
for fmt in wav16 wav24 wavf flac ogg; do
  case $fmt in
    wav16) ext=wav;  enc=(-e signed-integer -b 16) ;;
    wav24) ext=wav;  enc=(-e signed-integer -b 24) ;;
    wavf)  ext=wav;  enc=(-e floating-point -b 32) ;;
    flac)  ext=flac; enc=(-b 16) ;;
    ogg)   ext=ogg;  enc=(-C 4) ;;
  esac
  for rate in 16000 44100 48000 96000; do
    for ch in 1 2; do
      f="m/${fmt}_${rate}_${ch}ch.$ext"
      if [ "$ch" = 1 ]; then
        sox "$A" "${enc[@]}" "$f" trim 0 3 rate -v "$rate"
      else
        sox -M "$A" "$B" "${enc[@]}" "$f" trim 0 3 rate -v "$rate"
      fi
      inputs+=("$f")
    done
  done
done
echo "made ${#inputs[@]} test inputs (5 formats x 4 rates x 2 channel counts)"

# ---------------------------------------------------- batch over the matrix --
set +e
"$SW" denoise -q --suffix _den "${inputs[@]}" >batch.out 2>batch.err
rc=$?
set -e
check "batch of ${#inputs[@]} files exits 0" [ "$rc" -eq 0 ]
check "batch with -q prints nothing on stdout" [ ! -s batch.out ]
check "batch with -q prints nothing on stderr" [ ! -s batch.err ]
[ -s batch.err ] && head -5 batch.err
bad=0
for f in "${inputs[@]}"; do
  b=$(basename "$f"); fmt=${b%%_*}; ext=${b##*.}
  o="${f%.*}_den.$ext"
  if [ ! -f "$o" ]; then fail "$b: no output $o"; bad=1; continue; fi
  i=$("$SFCHECK" info "$f"); j=$("$SFCHECK" info "$o")
  for k in frames channels rate major subtype; do
    if [ "$(field $k "$i")" != "$(field $k "$j")" ]; then
      fail "$b: $k differs: in $(field $k "$i"), out $(field $k "$j")"; bad=1
    fi
  done
  [ "$(field subtype "$j")" = "${EXPECT_SUB[$fmt]}" ] || { fail "$b: subtype $(field subtype "$j") != ${EXPECT_SUB[$fmt]}"; bad=1; }
  [ "$(field major "$j")" = "${EXPECT_MAJ[$fmt]}" ] || { fail "$b: container $(field major "$j")"; bad=1; }
  [ "$(field finite "$j")" = 1 ] || { fail "$b: non-finite samples"; bad=1; }
  # Not silent, not louder than the input by much: a denoiser removes energy.
  awk -v a="$(field rms "$i")" -v b="$(field rms "$j")" 'BEGIN { exit !(b > 0.02 * a && b < 1.5 * a) }' \
    || { fail "$b: output rms $(field rms "$j") vs input $(field rms "$i")"; bad=1; }
done
[ "$bad" = 0 ] && pass "all ${#inputs[@]} outputs: same frames, channels, rate, container and subtype; finite; plausible level"

# ------------------------------------- SI-SDR on dev-set pairs + alignment --
# Low-SNR clips (<= 5 dB): the first two of each speech corpus (FSDD 001-025, festvox-ru
# 026-045, asterisk 046-060) in MANIFEST order; the clean references are sample-aligned.
mkdir -p dev_out
ids=($(awk -F'\t' '$1 ~ /^[0-9]+$/ && $9 <= 5 {
         c = ($1 <= 25) ? 0 : ($1 <= 45) ? 1 : 2; if (n[c]++ < 2) print $1 }' "$DEVSET/MANIFEST.tsv"))
check "picked 6 low-SNR dev clips (${ids[*]})" [ "${#ids[@]}" = 6 ]
dev_in=()
for id in "${ids[@]}"; do dev_in+=("$DEVSET/noisy/$id.flac"); done
set +e
"$SW" denoise -q -o dev_out/ "${dev_in[@]}" 2>dev.err
rc=$?
set -e
check "dev-set clips into -o DIR/ exit 0" [ "$rc" -eq 0 ]
sum_gain=0; worse=0; lagbad=0
for id in "${ids[@]}"; do
  o="dev_out/${id}_clean.flac"
  [ -f "$o" ] || { fail "dev $id: no output"; worse=1; continue; }
  before=$("$SFCHECK" sisdr "$DEVSET/clean/$id.flac" "$DEVSET/noisy/$id.flac")
  after=$("$SFCHECK" sisdr "$DEVSET/clean/$id.flac" "$o")
  lag=$("$SFCHECK" lag "$DEVSET/clean/$id.flac" "$o" 960)
  snr=$(awk -F'\t' -v id="$id" '$1 == id { print $9 }' "$DEVSET/MANIFEST.tsv")
  printf '  dev %s (SNR %3s dB): SI-SDR %7.2f -> %7.2f dB, lag vs clean %s\n' "$id" "$snr" "$before" "$after" "$lag"
  # Known weak clip of the shipped model (README "Speech denoiser", what is not met): 026, festvox-ru
  # with dishes at -5 dB, comes out 0.23 dB below its input; it may not fall further than 0.6 dB.
  floor=0; [ "$id" = 026 ] && floor=-0.6
  awk -v a="$after" -v b="$before" -v f="$floor" 'BEGIN { exit !(a - b > f) }' || worse=1
  [ "$lag" = 0 ] || lagbad=1
  sum_gain=$(awk -v s="$sum_gain" -v a="$after" -v b="$before" 'BEGIN { print s + a - b }')
done
mean=$(awk -v s="$sum_gain" -v n="${#ids[@]}" 'BEGIN { printf "%.2f", s / n }')
check "SI-SDR improves on every low-SNR dev clip but the known 026 (mean +$mean dB)" [ "$worse" = 0 ]
check "mean SI-SDR improvement >= 2 dB (got $mean)" awk -v m="$mean" 'BEGIN { exit !(m >= 2) }'
check "denoised dev clips are time-aligned with the clean reference (lag 0)" [ "$lagbad" = 0 ]

# -------------------------------------------------- exactness of alignment --
# --mix 0 is the dry path: with the latency compensated the output must equal the input.
sox "$A" -e floating-point -b 32 dry.wav trim 0 4
"$SW" denoise -q --mix 0 dry.wav -o dry_out.wav
s=$("$SFCHECK" sisdr dry.wav dry_out.wav)
check "--mix 0 reproduces the input sample-exactly aligned (SI-SDR $s dB >= 90)" awk -v s="$s" 'BEGIN { exit !(s >= 90) }'
"$SW" denoise -q --limit-db 6 dry.wav -o lim6.wav
"$SW" denoise -q dry.wav -o full.wav
r6=$(field rms "$("$SFCHECK" info lim6.wav)"); rf=$(field rms "$("$SFCHECK" info full.wav)")
check "--limit-db 6 removes less than unlimited (rms $r6 > $rf)" awk -v a="$r6" -v b="$rf" 'BEGIN { exit !(a > b) }'

# ------------------------------------------ rates outside 8-192 kHz, 4 ch --
sox "$A" -b 16 r6k.wav trim 0 3 rate -v 6000
sox "$A" -e floating-point -b 32 r384k.wav trim 0 2 rate -v 384000
sox -M "$A" "$B" "$DEVSET/noisy/014.flac" "$DEVSET/noisy/057.flac" -b 24 quad.wav trim 0 3
"$SW" denoise -q r6k.wav r384k.wav quad.wav
"$SW" denoise -q --mix 0 -s _dry quad.wav
for f in r6k r384k quad; do
  i=$("$SFCHECK" info $f.wav); j=$("$SFCHECK" info ${f}_clean.wav)
  same=1
  for k in frames channels rate subtype finite; do [ "$(field $k "$i")" = "$(field $k "$j")" ] || same=0; done
  if [ $f = quad ]; then
    # 48 kHz, 4 channels: the dry path (--mix 0) must give the input back exactly
    s=$("$SFCHECK" sisdr $f.wav ${f}_dry.wav)
    awk -v s="$s" 'BEGIN { exit !(s >= 90 || s == "inf") }' || same=0
    how="dry path SI-SDR $s dB >= 90"
  else
    # 6 and 384 kHz are resampled to and from the engine's range: cross-correlation lag
    lag=$("$SFCHECK" lag $f.wav ${f}_clean.wav 400)
    [ "$lag" = 0 ] || same=0
    how="lag $lag"
  fi
  check "$f: same frames/channels/rate/subtype ($(field channels "$j") ch, $(field rate "$j") Hz), aligned ($how)" \
    [ "$same" = 1 ]
done

# ------------------------------------------------------- --format and -o --
"$SW" denoise -q --format flac dry.wav
j=$("$SFCHECK" info dry_clean.flac)
check "--format flac: float WAV -> FLAC 24-bit ($(field major "$j") $(field subtype "$j"))" \
  [ "$(field major "$j")" = 0x170000 -a "$(field subtype "$j")" = 0x0003 ]
"$SW" denoise -q m/wav16_48000_2ch.wav -o conv.ogg
j=$("$SFCHECK" info conv.ogg)
check "-o x.ogg picks OGG Vorbis from the extension" [ "$(field major "$j")" = 0x200000 -a "$(field subtype "$j")" = 0x0060 ]
cp m/flac_44100_1ch.flac plain.flac
"$SW" denoise -q plain.flac
check "default naming: plain.flac -> plain_clean.flac" [ -f plain_clean.flac ]

# ------------------------------------------------------------ progress bar --
set +e
"$SW" denoise plain.flac -o p1.flac >p1.out 2>p1.err
rc1=$?
"$SW" denoise plain.flac -o p2.flac 2>&1 | cat >p2.out
rc2=${PIPESTATUS[0]}
set -e
check "not a tty: exit 0" [ "$rc1" = 0 -a "$rc2" = 0 ]
check "not a tty: stdout is empty" [ ! -s p1.out ]
check "not a tty: no progress bar (no CR, no ETA) on stderr or through a pipe" \
  bash -c "! grep -q \$'\r' p1.err p2.out && ! grep -q ETA p1.err p2.out"
check "not a tty: the per-file line names input and output" grep -q "plain.flac -> p1.flac" p1.err
script -qec "'$SW' denoise plain.flac -o p3.flac" /dev/null >p3.tty 2>&1 </dev/null || true
check "on a tty (script pty): progress bar with percent, x real time and ETA" \
  bash -c "grep -q \$'\r' p3.tty && grep -q '100%' p3.tty && grep -q 'x real time' p3.tty && grep -q 'ETA' p3.tty"
script -qec "'$SW' denoise -q plain.flac -o p4.flac" /dev/null >p4.tty 2>&1 </dev/null || true
check "on a tty with -q: nothing printed" bash -c "! grep -q . p4.tty"
check "no temp files left anywhere" bash -c "! find . -name '.*.tmp-*' | grep -q ."

finish
