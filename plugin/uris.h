/* uris.h — the stable URIs of the Statewave LV2 bundle and the URIDs the plugins map.
 *
 * The URI base https://statewave.dev/plugins/ is permanent: hosts store these URIs in
 * sessions and presets, so they must never change. Every plugin of the bundle gets its
 * own path below it (denoise, generate, synth, transfer, continue), variants are fragments.
 */
#ifndef SW_LV2_URIS_H
#define SW_LV2_URIS_H

#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#define SW_LV2_URI_BASE "https://statewave.dev/plugins/"

#define SW_DENOISE_URI        SW_LV2_URI_BASE "denoise"
#define SW_DENOISE_MONO_URI   SW_DENOISE_URI "#mono"
#define SW_DENOISE_STEREO_URI SW_DENOISE_URI "#stereo"
/* The model-file property (patch:writable, range atom:Path), also the state key. */
#define SW_DENOISE__model     SW_DENOISE_URI "#model"

#define SW_GENERATE_URI       SW_LV2_URI_BASE "generate"
#define SW_GENERATE__model    SW_GENERATE_URI "#model"

/* The neural instrument (plugin/synth_lv2.c) and the timbre-transfer effect
 * (plugin/transfer_lv2.c); each has its own model-file property (also its state key). */
#define SW_SYNTH_URI          SW_LV2_URI_BASE "synth"
#define SW_SYNTH__model       SW_SYNTH_URI "#model"
#define SW_TRANSFER_URI       SW_LV2_URI_BASE "transfer"
#define SW_TRANSFER__model    SW_TRANSFER_URI "#model"

/* The MIDI continuation plugin (plugin/continue_lv2.c) and its model-file property. */
#define SW_CONTINUE_URI       SW_LV2_URI_BASE "continue"
#define SW_CONTINUE__model    SW_CONTINUE_URI "#model"

/* URIDs of the bundle (the transport ones for the generator and Continue): mapped once at instantiate
 * (instantiation class). */
typedef struct {
    LV2_URID atom_Path;          /* atom:Path: the value type of the model property */
    LV2_URID atom_String;        /* atom:String: accepted as a path too (some UIs send it) */
    LV2_URID atom_URID;          /* atom:URID: patch:property values */
    LV2_URID atom_Object;        /* atom:Object */
    LV2_URID atom_Blank;         /* atom:Blank (old hosts send objects with this type) */
    LV2_URID atom_Resource;      /* atom:Resource */
    LV2_URID patch_Set;          /* patch:Set message */
    LV2_URID patch_Get;          /* patch:Get message */
    LV2_URID patch_property;     /* patch:property key */
    LV2_URID patch_value;        /* patch:value key */
    LV2_URID midi_MidiEvent;     /* midi:MidiEvent */
    LV2_URID atom_Float, atom_Double, atom_Int, atom_Long; /* the types time:speed may come in */
    LV2_URID time_Position;      /* time:Position */
    LV2_URID time_speed;         /* time:speed (0 = stopped, 1 = rolling) */
    LV2_URID time_beatsPerMinute, time_beatsPerBar; /* time:Position's tempo and meter */
} sw_lv2_uris;

static inline void sw_lv2_map_uris(LV2_URID_Map *map, sw_lv2_uris *u)
{
    u->atom_Path = map->map(map->handle, LV2_ATOM__Path);
    u->atom_String = map->map(map->handle, LV2_ATOM__String);
    u->atom_URID = map->map(map->handle, LV2_ATOM__URID);
    u->atom_Object = map->map(map->handle, LV2_ATOM__Object);
    u->atom_Blank = map->map(map->handle, LV2_ATOM__Blank);
    u->atom_Resource = map->map(map->handle, LV2_ATOM__Resource);
    u->patch_Set = map->map(map->handle, LV2_PATCH__Set);
    u->patch_Get = map->map(map->handle, LV2_PATCH__Get);
    u->patch_property = map->map(map->handle, LV2_PATCH__property);
    u->patch_value = map->map(map->handle, LV2_PATCH__value);
    u->midi_MidiEvent = map->map(map->handle, LV2_MIDI__MidiEvent);
    u->atom_Float = map->map(map->handle, LV2_ATOM__Float);
    u->atom_Double = map->map(map->handle, LV2_ATOM__Double);
    u->atom_Int = map->map(map->handle, LV2_ATOM__Int);
    u->atom_Long = map->map(map->handle, LV2_ATOM__Long);
    u->time_Position = map->map(map->handle, LV2_TIME__Position);
    u->time_speed = map->map(map->handle, LV2_TIME__speed);
    u->time_beatsPerMinute = map->map(map->handle, LV2_TIME__beatsPerMinute);
    u->time_beatsPerBar = map->map(map->handle, LV2_TIME__beatsPerBar);
}

#endif
