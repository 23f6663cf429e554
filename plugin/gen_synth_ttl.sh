#!/bin/bash
# gen_synth_ttl.sh TEMPLATE MINOR MICRO LICENSE [TIMBRE...] > out.ttl
# Fills a timbre-plugin template (plugin/synth.ttl.in, plugin/transfer.ttl.in): version,
# license, and the timbre control's enumeration from the timbres given (those whose trained
# model is in the bundle). Each timbre keeps its fixed value (its index in sw_timbre_names,
# plugin/synth_lv2.h), so sessions and presets stay valid whatever is shipped; the default is
# the first timbre given in table order. Fails with no timbre: no model, no plugin.
set -euo pipefail
tmpl=$1; minor=$2; micro=$3; license=$4; shift 4
names=(violin flute trumpet cello cello_real)
labels=("Violin" "Flute" "Trumpet" "Cello" "Cello (trained on a real recording)")
points=(); lo=""; hi=""
for i in "${!names[@]}"; do
    for t in "$@"; do
        [ "$t" = "${names[$i]}" ] || continue
        pre='\t\t\t'; [ ${#points[@]} -eq 0 ] && pre='\t\tlv2:scalePoint '
        points+=("$(printf "${pre}"'[ rdfs:label "%s" ; rdf:value %d ]' "${labels[$i]}" "$i")")
        [ -n "$lo" ] || lo=$i
        hi=$i
    done
done
if [ ${#points[@]} -eq 0 ]; then
    echo "gen_synth_ttl.sh: no timbre model given: the instrument cannot be built" >&2
    exit 1
fi
joined=""
for i in "${!points[@]}"; do
    sep=" ,"; [ "$i" -eq $((${#points[@]} - 1)) ] && sep=""
    joined+="${points[$i]}${sep}"$'\n'
done
joined=${joined%$'\n'}
TIMBRE_POINTS="$joined" awk -v lo="$lo" -v hi="$hi" -v minor="$minor" -v micro="$micro" -v lic="$license" '
    /@TIMBRE_POINTS@/ { print ENVIRON["TIMBRE_POINTS"]; next }
    { gsub(/@TIMBRE_DEFAULT@/, lo); gsub(/@TIMBRE_MIN@/, lo); gsub(/@TIMBRE_MAX@/, hi);
      gsub(/@LV2_MINOR@/, minor); gsub(/@LV2_MICRO@/, micro); gsub(/@LV2_LICENSE@/, lic); print }' "$tmpl"
