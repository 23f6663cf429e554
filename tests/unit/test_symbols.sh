#!/bin/sh
# The library's symbols (issue: internal helpers must neither clash with a host's symbols nor be
# callable through the shared library):
#  1. every global symbol that build/libstatewave.a defines starts with sw_ (public API or an
#     internal helper) or swi_ (internal), so that a program linking the archive meets no bare
#     names such as build_stack;
#  2. build/libstatewave.so exports exactly the functions that dsp/statewave.h marks SW_API, all
#     of them matched by dsp/libstatewave.map's sw_*.
set -eu
cd "$(dirname "$0")/../.."
LIB=${BUILD:-build}/libstatewave.a
SO=${BUILD:-build}/libstatewave.so
for f in "$LIB" "$SO"; do
  [ -f "$f" ] || { echo "test_symbols.sh: $f missing (make)"; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0

# nm -g --defined-only prints "ADDR TYPE NAME" per symbol and "member.o:" headers: keep names.
nm -g --defined-only "$LIB" | awk 'NF == 3 { print $3 }' | sort -u > "$TMP/archive"
[ -s "$TMP/archive" ] || { echo "FAIL: nm found no symbols in $LIB"; exit 1; }
if grep -v -E '^swi?_' "$TMP/archive" > "$TMP/bare"; then
  echo "FAIL: $LIB defines global symbols without the sw_/swi_ prefix:"
  sed 's/^/  /' "$TMP/bare"
  fail=1
else
  echo "ok: all $(wc -l < "$TMP/archive") global symbols of $LIB start with sw_ or swi_"
fi

# The declarations marked SW_API (a declaration may continue on the next lines: the name is the
# identifier before the first parenthesis of its first line).
sed -n 's/^SW_API [^(]*[^a-zA-Z0-9_]\([a-zA-Z_][a-zA-Z0-9_]*\)(.*/\1/p' dsp/statewave.h | sort -u > "$TMP/api"
[ -s "$TMP/api" ] || { echo "FAIL: no SW_API declarations found in dsp/statewave.h"; exit 1; }
nm -D --defined-only "$SO" | awk 'NF == 3 { print $3 }' | sort -u > "$TMP/exported"
if ! cmp -s "$TMP/api" "$TMP/exported"; then
  echo "FAIL: $SO exports other symbols than dsp/statewave.h's SW_API functions"
  echo "  (< SW_API but not exported, > exported but not SW_API):"
  diff "$TMP/api" "$TMP/exported" | grep '^[<>]' | sed 's/^/  /'
  fail=1
else
  echo "ok: $SO exports exactly the $(wc -l < "$TMP/api") SW_API functions of dsp/statewave.h"
fi
if grep -v '^sw_' "$TMP/api" > "$TMP/unmapped"; then
  echo "FAIL: SW_API functions outside dsp/libstatewave.map's sw_*:"
  sed 's/^/  /' "$TMP/unmapped"
  fail=1
fi
exit $fail
