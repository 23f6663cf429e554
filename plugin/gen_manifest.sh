#!/bin/bash
# gen_manifest.sh TEMPLATE BINARY PRESET.ttl... > manifest.ttl
# Writes the bundle manifest: the template with @LV2_BINARY@ filled in, then one entry per
# preset file so hosts can list presets without loading them. Each preset file's subject is
# its first line starting with '<'; its lv2:appliesTo and rdfs:label lines are copied as is.
set -euo pipefail
tmpl=$1; bin=$2; shift 2
sed -e "s|@LV2_BINARY@|$bin|g" "$tmpl"
for f in "$@"; do
    subj=$(grep -m1 '^<' "$f" | tr -d '[:space:]')
    applies=$(grep -m1 'lv2:appliesTo' "$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*;[[:space:]]*$//')
    label=$(grep -m1 'rdfs:label' "$f" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*;[[:space:]]*$//')
    if [ -z "$subj" ] || [ -z "$applies" ] || [ -z "$label" ]; then
        echo "gen_manifest.sh: $f: no subject, lv2:appliesTo or rdfs:label line" >&2
        exit 1
    fi
    printf '\n%s\n\ta pset:Preset ;\n\t%s ;\n\t%s ;\n\trdfs:seeAlso <presets/%s> .\n' \
        "$subj" "$applies" "$label" "$(basename "$f")"
done
