#!/bin/bash
# statewave denoise on bad inputs and bad outputs: every failure names the file, exits 1,
# the other files are still processed, no partial/temp file is left, inputs are never
# overwritten.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_built
make_tmp
cd "$TMP"

no_temps() { ! find "$TMP" -name '.*.tmp-*' 2>/dev/null | grep -q .; }

sox "$DEVSET/noisy/021.flac" -b 16 good.wav trim 0 3
cp good.wav good2.wav
head -c 20000 /dev/urandom >corrupt.wav                 # garbage bytes with a .wav name
sox -n -r 48000 -c 1 -b 16 empty.wav trim 0 0            # a valid WAV header, 0 frames
printf 'RIFF\x24\x00\x00\x00WAVEfmt ' >truncated.wav    # header cut short
md5_before=$(md5sum good.wav good2.wav)

# ------------------------------- bad inputs mixed with good ones, one call --
set +e
"$SW" denoise -q good.wav corrupt.wav missing.wav empty.wav truncated.wav good2.wav >out.txt 2>err.txt
rc=$?
set -e
cat err.txt | sed 's/^/  | /'
check "bad inputs: exit status 1" [ "$rc" = 1 ]
check "corrupt input: error names corrupt.wav" grep -q "corrupt.wav" err.txt
check "missing input: error names missing.wav" grep -q "missing.wav.*No such file" err.txt
check "empty input: error names empty.wav" grep -q "empty.wav.*empty" err.txt
check "truncated header: error names truncated.wav" grep -q "truncated.wav" err.txt
check "the good files around them were still processed" [ -f good_clean.wav -a -f good2_clean.wav ]
check "no output for any bad input" bash -c '! ls corrupt_clean.wav missing_clean.wav empty_clean.wav truncated_clean.wav 2>/dev/null | grep -q .'
check "summary error counts the failures" grep -q "4 of 6 files failed" err.txt
check "no temp files left" no_temps

# ------------------------------------------- the input is never overwritten --
set +e
"$SW" denoise -q good.wav -o good.wav 2>e1.txt; r1=$?
"$SW" denoise -q good.wav --suffix '' 2>e2.txt; r2=$?
ln -s good.wav link.wav
"$SW" denoise -q good.wav -o link.wav 2>e3.txt; r3=$?
ln good.wav hard.wav
"$SW" denoise -q good.wav -o hard.wav 2>e4.txt; r4=$?
# a batch in which one output name is another input of the same batch
cp good.wav x.wav; sox good.wav x_clean.wav
md5_x=$(md5sum x_clean.wav)
"$SW" denoise -q x.wav x_clean.wav 2>e5.txt; r5=$?
set -e
check "-o IN refused (exit 1, names the file)" bash -c "[ $r1 = 1 ] && grep -q 'refusing.*good.wav' e1.txt"
check "--suffix '' (output = input) refused" bash -c "[ $r2 = 1 ] && grep -q refusing e2.txt"
check "-o symlink-to-input refused" bash -c "[ $r3 = 1 ] && grep -q refusing e3.txt"
check "-o hard-link-of-input refused" bash -c "[ $r4 = 1 ] && grep -q refusing e4.txt"
check "output that is another input of the batch refused" bash -c "[ $r5 = 1 ] && grep -q \"refusing to write 'x_clean.wav'\" e5.txt"
check "inputs unchanged (md5)" bash -c "[ \"\$(md5sum good.wav good2.wav)\" = \"$md5_before\" ] && [ \"\$(md5sum x_clean.wav)\" = \"$md5_x\" ]"
check "link.wav is still a symlink to good.wav" [ -L link.wav ]
mkfifo fifo_out   # a FIFO stands for a device (tests/app/test_outputs.sh has both, for every command)
set +e
timeout 60 "$SW" denoise -q good.wav -o fifo_out 2>e6.txt; r6=$?
set -e
check "-o a FIFO (not a regular file) refused, FIFO untouched" bash -c "[ $r6 = 1 ] && [ -p fifo_out ] && grep -q 'not a regular file' e6.txt"

# ------------------------------------- same name twice into one -o DIR/ --
mkdir -p d1 d2 dout
cp good.wav d1/same.wav; cp good2.wav d2/same.wav
set +e
"$SW" denoise -q d1/same.wav d2/same.wav -o dout/ 2>e10.txt; r10=$?
"$SW" denoise -q d1 2>e11.txt; r11=$?
set -e
check "two inputs named alike into one folder: the second is refused, the first kept" \
  bash -c "[ $r10 = 1 ] && grep -q \"already wrote from 'd1/same.wav'\" e10.txt && [ -f dout/same_clean.wav ]"
check "a directory as input: exit 1, 'is a directory'" bash -c "[ $r11 = 1 ] && grep -q \"'d1': it is a directory\" e11.txt"

# ------------------------------------------------------- interrupted run --
# A long input (25 s at 384 kHz, resampled: at least a second of work). As soon as its temp
# file exists the process is frozen (SIGSTOP), sent SIGINT and thawed, so the signal always
# lands mid-file: exit 1, a message, no output and no temp file.
sox "$DEVSET/noisy/021.flac" -e floating-point -b 32 long.wav repeat 3 rate -v 384000
"$SW" denoise -q long.wav -o long_out.wav 2>e12.txt &
pid=$!
for _ in $(seq 1000); do ls -A | grep -q '^\.long_out\.wav\.tmp-' && break; sleep 0.01; done
kill -STOP $pid
kill -INT $pid
kill -CONT $pid
set +e; wait $pid; r12=$?; set -e
check "SIGINT during a file: exit 1, 'interrupted', no output, no temp file" \
  bash -c "[ $r12 = 1 ] && grep -q interrupted e12.txt && [ ! -e long_out.wav ] && ! ls -A | grep -q tmp-"
rm -f long.wav

# ---------------------------------------------------- unwritable output dir --
mkdir ro
ro_ok=0
if [ "$(id -u)" = 0 ]; then
  # root ignores permission bits: use a read-only mount instead
  if mount -t tmpfs -o size=1m,ro tmpfs ro 2>/dev/null; then ro_ok=1; fi
else
  chmod 555 ro && ro_ok=1
fi
if [ "$ro_ok" = 1 ]; then
  set +e
  "$SW" denoise -q good.wav good2.wav -o ro/ 2>e7.txt; r7=$?
  "$SW" denoise -q good.wav -o ro/out.wav 2>e8.txt; r8=$?
  set -e
  sed 's/^/  | /' e7.txt
  check "unwritable dir: exit 1, error names input and folder, both files reported" \
    bash -c "[ $r7 = 1 ] && grep -q \"'good.wav'.*ro\" e7.txt && grep -q \"'good2.wav'.*ro\" e7.txt"
  check "unwritable dir with -o FILE: exit 1" bash -c "[ $r8 = 1 ] && grep -q 'ro' e8.txt"
  check "unwritable dir: nothing created" bash -c '[ -z "$(ls -A ro)" ]'
else
  skip "unwritable output dir: cannot make a read-only folder here"
fi

# --------------------------------------------------------------- full disk --
mkdir full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
  sox "$DEVSET/noisy/021.flac" -b 16 tiny.wav trim 0 0.2   # 19 KB: fits
  # 19 s of speech: its output (WAV ~1.8 MB, denoised FLAC ~330 KB) cannot fit in 64 KiB
  sox "$DEVSET/noisy/021.flac" "$DEVSET/noisy/030.flac" "$DEVSET/noisy/047.flac" -b 16 big.wav
  for fmt in wav flac ogg; do
    set +e
    "$SW" denoise -q big.wav tiny.wav --format $fmt -o full/ 2>e9.txt; r9=$?
    set -e
    sed 's/^/  | /' e9.txt
    check "full disk ($fmt): exit 1 and the error names the file and says why" \
      bash -c "[ $r9 = 1 ] && grep -q \"'big.wav'.*No space left\" e9.txt"
    check "full disk ($fmt): no partial output and no temp file" \
      bash -c "[ ! -e full/big_clean.$fmt ] && ! ls -A full | grep -q tmp-"
    check "full disk ($fmt): the small file after it still succeeded" [ -f full/tiny_clean.$fmt ]
    rm -f full/*
  done
  if [ -f "$ROOT/presets/generate.safetensors" ]; then
    set +e
    "$SW" generate -q -s 5 -o full/gen.wav 2>e10.txt; r10=$?
    set -e
    check "full disk (generate, 5 s = 160 KB): exit 1, 'No space left', nothing left behind" \
      bash -c "[ $r10 = 1 ] && grep -q 'No space left' e10.txt && [ -z \"\$(ls -A full)\" ]"
  fi
  umount full
else
  skip "full disk: needs root to mount a 64 KiB tmpfs"
fi
check "no temp files left" no_temps

# ------------------------------------------------------------ usage errors --
set +e
"$SW" denoise -q good.wav good2.wav -o single.wav 2>/dev/null; u1=$?
"$SW" denoise -q 2>/dev/null; u2=$?
"$SW" denoise -q --mix 1.5 good.wav 2>/dev/null; u3=$?
"$SW" denoise -q --format nosuch good.wav 2>/dev/null; u4=$?
"$SW" denoise -q --bogus good.wav 2>/dev/null; u5=$?
set -e
check "usage errors exit 2 (-o FILE with 2 inputs, no input, --mix 1.5, bad --format, bad option)" \
  bash -c "[ $u1$u2$u3$u4$u5 = 22222 ]"
check "usage errors wrote nothing" [ ! -e single.wav ]

finish
