#!/bin/bash
# gen_manifest.sh TEMPLATE BINARY [PRESET.ttl | --dir=FOLDER]... > manifest.ttl
# Writes the bundle manifest: the template with @LV2_BINARY@ filled in, then one entry per
# preset file so hosts can list presets without loading them. Each preset file's subject is
# its first line starting with '<'; its lv2:appliesTo and rdfs:label lines are copied as is.
# Preset files live in the bundle folder "presets" unless a --dir=FOLDER argument before
# them names another one (the instrument's presets are in "instrument-presets").
# SW_LV2_SYNTH=0 drops the template's lines between "# @SYNTH_BEGIN@" and "# @SYNTH_END@"
# (the instrument and timbre-transfer entries: built only with a trained timbre model).
set -euo pipefail
tmpl=$1; bin=$2; shift 2
if [ "${SW_LV2_SYNTH:-1}" = 0 ]; then
    sed -e '/^# @SYNTH_BEGIN@/,/^# @SYNTH_END@/d' -e "s|@LV2_BINARY@|$bin|g" "$tmpl"
else
    sed -e '/^# @SYNTH_\(BEGIN\|END\)@/d' -e "s|@LV2_BINARY@|$bin|g" "$tmpl"
fi
dir=presets
for f in "$@"; do
    case "$f" in --dir=*) dir=${f#--dir=}; continue ;; esac
    subj=$(grep -m1 '^<' "$f" | tr -d '[:space:]')
    applies=$(grep -m1 'lv2:appliesTo' "$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*;[[:space:]]*$//')
    label=$(grep -m1 'rdfs:label' "$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*;[[:space:]]*$//')
    if [ -z "$subj" ] || [ -z "$applies" ] || [ -z "$label" ]; then
        echo "gen_manifest.sh: $f: no subject, lv2:appliesTo or rdfs:label line" >&2
        exit 1
    fi
    printf '\n%s\n\ta pset:Preset ;\n\t%s ;\n\t%s ;\n\trdfs:seeAlso <%s/%s> .\n' \
        "$subj" "$applies" "$label" "$dir" "$(basename "$f")"
done
