/* instrument_common.h — what the neural instrument (synth_lv2.c) and the timbre-transfer effect
 * (transfer_lv2.c) share: an instance that holds a timbre model ("engine") built for its rate,
 * swaps it for another through the LV2 worker (timbre control moved, patch:Set of a model file,
 * state restore while running), and saves / restores a user's model file (map-path).
 *
 * Each plugin's instance struct starts with an sw_inst (so an LV2_Handle is also an sw_inst *),
 * and each plugin's engine struct starts with an sw_inst_engine. What differs between the two
 * plugins (what an engine is built on, how a new engine is prepared to take over, the audio
 * path) is in the plugin file, reached from here through sw_inst_ops.
 *
 * Engine swap, as both plugins do it:
 *   run():          schedules a load (timbre control, patch:Set)
 *   worker:         ops->engine_new (loads through model_cache, builds the plugin's engine)
 *   work_response:  the new engine becomes `next` (ops->prepare_next), or `queued` while `next`
 *                   is busy (a newer one supersedes a waiting one)
 *   run():          the plugin fades from `cur` to `next`, then calls sw_inst_finish_transition;
 *                   the old engine goes to the "grave" and from there to the worker to be freed.
 *
 * Threading classes (LV2 terms) are named on every function. [RT] functions are called from
 * run() or work_response() and never allocate, lock, log or do I/O.
 */
#ifndef SW_LV2_INSTRUMENT_COMMON_H
#define SW_LV2_INSTRUMENT_COMMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/worker/worker.h>

#include "statewave.h"
#include "uris.h"

#define SW_INST_MIN_RATE 8000.0
#define SW_INST_MAX_RATE 384000.0
#define SW_INST_PATH_MAX 4096     /* longest model path we keep (bytes incl. NUL) */
#define SW_INST_MSG_PATH_MAX 1024 /* longest path a worker message carries (host rings are small) */
#define SW_INST_GRAVE 8           /* retired engines waiting for a free worker slot */
#define SW_INST_LEVEL_TAU 0.010   /* time constant of the level smoothing */

/* The part of an engine both plugins have; the first member of each plugin's engine struct.
 * Created and freed off the audio thread only. */
typedef struct {
    const sw_model *model; /* shared via model_cache; released by sw_inst_engine_release */
    char *path;            /* owned, NUL-terminated path of the model file (< SW_INST_PATH_MAX) */
    int timbre;            /* index into sw_timbre_names, or -1 for a user's model file */
} sw_inst_engine;

typedef struct sw_inst sw_inst;

/* What a plugin supplies. */
typedef struct {
    const char *log_name; /* prefix of log lines, e.g. "statewave synth" */
    /* Worker / instantiation class: build the plugin's engine on `path` (timbre index or -1)
     * for c->rate. NULL and a message in err on any failure (the caller keeps its engine). */
    sw_inst_engine *(*engine_new)(const sw_inst *c, const char *path, int timbre, char *err, size_t errlen);
    /* Worker / instantiation class: free an engine from engine_new; NULL is a no-op. */
    void (*engine_free)(sw_inst_engine *e);
    /* Audio class [RT] (also instantiation class from restore): get `e` ready to fade in; it
     * becomes c->next right after. */
    void (*prepare_next)(sw_inst *c, sw_inst_engine *e);
    /* Audio class [RT]: set harmonic, noise, pitch, reverb (v[4]) on an engine. */
    void (*set_controls)(sw_inst_engine *e, const float v[4]);
    /* Instantiation class: `e` was installed at once (state restore) while activated: give it
     * the state the instance holds. */
    void (*restart)(sw_inst *c, sw_inst_engine *e);
} sw_inst_ops;

/* The common instance state; the first member of each plugin's instance struct. */
struct sw_inst {
    const sw_inst_ops *ops;           /* the plugin's callbacks (static) */

    /* ports: set by the plugin's connect_port */
    LV2_Atom_Sequence *notify;        /* patch:Set replies out; atom.size = capacity on entry */
    const float *timbre;              /* enumeration index */
    const float *harmonic;            /* linear 0..4 */
    const float *noise;               /* linear 0..4 */
    const float *pitch;               /* semitones -24..24 */
    const float *reverb;              /* 0..1 */
    const float *level_db;            /* -60..12 */

    /* host features and configuration (immutable after instantiate; read by the worker too) */
    LV2_URID_Map *map;                /* NULL: no patch messages (or MIDI), no state */
    LV2_Log_Logger logger;            /* log:log or stderr */
    LV2_Worker_Schedule *schedule;    /* NULL: timbre changes only at activate / restore */
    sw_lv2_uris uris;                 /* the bundle's common URIDs; uris.sw_model unused */
    LV2_URID model_urid;              /* the plugin's model-file property (also the state key) */
    LV2_Atom_Forge forge;             /* audio thread only */
    double rate;                      /* host sample rate */
    char *bundle;                     /* owned: bundle path with a trailing '/' */
    float level_coef;                 /* one-pole coefficient per frame of the level smoothing */

    /* engines: owned by the audio thread while activated, by instantiation-class calls otherwise */
    sw_inst_engine *cur;              /* the engine heard; never NULL */
    sw_inst_engine *next;             /* fading in, or NULL */
    sw_inst_engine *queued;           /* arrived while `next` was busy, or NULL */
    sw_inst_engine *grave[SW_INST_GRAVE]; /* retired, to be passed to the worker for freeing */

    /* controls (audio thread) */
    int req_timbre;                   /* timbre index last requested from the control (-2 = none yet) */
    bool timbre_resync;               /* adopt the control's value without loading (after a restore) */
    bool timbre_reload;               /* load the control's timbre next run (state without a model file) */
    float applied[4];                 /* harmonic, noise, pitch, reverb as last set (NAN = never) */
    float level;                      /* current linear level (smoothed) */
    bool notify_pending;              /* send the current model path on notify next run */
    uint32_t pending_report;          /* problem to hand the worker for logging (0 = none) */
    bool activated;

    /* model path published for save(), which may run concurrently with run():
     * run writes the slot not in use, then flips pub_idx. */
    char pub_path[2][SW_INST_PATH_MAX];
    int pub_timbre[2];                /* the engine's timbre (-1: a user's file, saved in state) */
    atomic_int pub_idx;
};

/* ---- engines (worker / instantiation class: they allocate and do file I/O) ---- */

/* A zeroed engine of `size` bytes (>= sizeof(sw_inst_engine)) with path, timbre and the model
 * (through model_cache) set; the plugin builds the rest. NULL and err on failure. */
sw_inst_engine *sw_inst_engine_alloc(size_t size, const char *path, int timbre, char *err, size_t errlen);
/* Release what sw_inst_engine_alloc made (model, path, the engine itself); NULL is a no-op.
 * The plugin's engine_free frees its own parts first. */
void sw_inst_engine_release(sw_inst_engine *e);
/* The engine of shipped timbre t (<bundle>/instrument_<name>.safetensors); a failure's message
 * names the timbre. */
sw_inst_engine *sw_inst_engine_new_timbre(const sw_inst *c, int t, char *err, size_t errlen);

/* ---- controls (audio class [RT]) ---- */

/* *port clamped to [lo, hi]; fallback when unconnected or NaN. */
float sw_inst_ctl(const float *port, float lo, float hi, float fallback);
/* The timbre index the control asks for (-1 if out of the table). */
int sw_inst_control_timbre(const sw_inst *c);
/* The four sound controls (harmonic, noise, pitch, reverb) as the ports ask. */
void sw_inst_control_values(const sw_inst *c, float v[4]);
/* The linear output level the level port asks for. */
float sw_inst_target_level(const sw_inst *c);

/* ---- lifecycle (LV2 callbacks' common parts) ---- */

/* Instantiation class: query the features, check the rate, allocate the plugin's instance of
 * `size` bytes (>= sizeof(sw_inst)) and fill the common part. `no_map_warning` (may be NULL) is
 * logged, with the URI, when the host gives no urid:map. NULL (logged) on failure. The plugin
 * then sets its own fields and calls sw_inst_load_first. */
sw_inst *sw_inst_instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                             const LV2_Feature *const *features, size_t size, const sw_inst_ops *ops,
                             const char *model_uri, const char *no_map_warning);
/* Instantiation class: load the first shipped timbre in table order (the TTLs' default is the
 * same one). On failure logs, frees the instance and returns false. */
bool sw_inst_load_first(sw_inst *c, const LV2_Descriptor *desc);
/* Instantiation class: the common start of activate(): finish any swap, load the timbre the
 * control asks for unless a user's model file was restored. The plugin then resets its engine
 * and sets c->activated. */
void sw_inst_activate(sw_inst *c);
/* Instantiation class: the LV2 deactivate callback. */
void sw_inst_deactivate(LV2_Handle h);
/* Instantiation class: the LV2 cleanup callback. */
void sw_inst_cleanup(LV2_Handle h);
/* Discovery class: the LV2 extension_data callback (worker and state interfaces). */
const void *sw_inst_extension_data(const char *uri);

/* ---- run() (audio class [RT]) ---- */

/* Start of run(): open the notify sequence; true if it can be written (pass `seq` to run_end). */
bool sw_inst_run_begin(sw_inst *c, LV2_Atom_Forge_Frame *seq);
/* Before rendering: hand retired engines and reports to the worker, start a queued engine,
 * follow the timbre control, push changed controls into the engine(s). */
void sw_inst_run_housekeeping(sw_inst *c);
/* A patch:Set / patch:Get object (any other atom is ignored). */
void sw_inst_handle_atom(sw_inst *c, const LV2_Atom *atom);
/* End of run(): write the notify reply if one is due, close the sequence. */
void sw_inst_run_end(sw_inst *c, bool can_notify, LV2_Atom_Forge_Frame *seq);
/* The fade to `next` is over: `next` becomes `cur` (the old one is retired). */
void sw_inst_finish_transition(sw_inst *c);

#endif
