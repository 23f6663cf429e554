/* lv2_base.h — what every plugin of the bundle shares. A plugin is its port table, its control
 * table and an sw_lv2_ops (build an engine, reset it, process a block, run a cycle); this base
 * does the rest: URID mapping, port connection, reading the controls into the engines, the
 * model-file property (patch:Set / patch:Get, notify), the engine swap through the LV2 worker,
 * state save / restore of the model path, the shipped models (a default model, or a timbre table
 * chosen by a control port), MIDI / atom sequence walking (time:Position read for the plugin),
 * atom sequence output, and the crossfade between two engines.
 *
 * Engine swap (patch:Set, timbre control, state restore while running), as in x42 convoLV2:
 *   run():          schedules a load (the path, or a shipped model's index)
 *   worker:         a new engine (model through model_cache, then ops->build)
 *   work_response:  the new engine becomes `next` (ops->reset gets it ready), or `queued`
 *                   while `next` is busy (a newer one supersedes a waiting one)
 *   run():          sw_lv2_render runs `cur` and `next` on the same input: `next` unheard for
 *                   its latency plus settle frames, then a raised-cosine crossfade of xf_len
 *                   frames; then `next` becomes `cur` and the old engine goes to the "grave",
 *                   from where run() hands it to the worker to be freed.
 * A model that cannot be loaded keeps the current engine; the worker logs why.
 *
 * Each plugin's instance struct starts with an sw_lv2 (an LV2_Handle is also an sw_lv2 *), each
 * engine struct with an sw_lv2_engine. Every LV2 callback names its threading class; [RT]
 * functions run in the audio class (run, work_response) and never allocate, lock, log or do I/O.
 */
#ifndef SW_LV2_BASE_H
#define SW_LV2_BASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lv2/atom/forge.h>
#include <lv2/core/lv2.h>
#include <lv2/log/logger.h>
#include <lv2/midi/midi.h>
#include <lv2/worker/worker.h>

#include "statewave.h"
#include "uris.h"

#define SW_LV2_CHUNK 256         /* frames per sub-block while two engines run */
#define SW_LV2_IO 2              /* most audio inputs / outputs of an engine */
#define SW_LV2_NCTL 4            /* control values a plugin pushes into its engines */
#define SW_LV2_PATH_MAX 4096     /* longest model path kept (bytes incl. NUL) */
#define SW_LV2_MSG_PATH_MAX 1024 /* longest path a worker message carries (host rings are small) */
#define SW_LV2_GRAVE 8           /* retired engines waiting for a free worker slot */
#define SW_LV2_LEVEL_TAU 0.010   /* time constant of the output level smoothing */

/* The part every engine has; the first member of each plugin's engine struct. Created and
 * freed off the audio thread only. */
typedef struct {
    const sw_model *model; /* shared via model_cache; released with the engine */
    char *path;            /* owned, NUL-terminated path of the model file (< SW_LV2_PATH_MAX) */
    int shipped;           /* index into ops->shipped, or -1 for a user's model file */
    int latency;           /* frames from input to output at the instance rate (set by ops->build) */
} sw_lv2_engine;

typedef struct sw_lv2 sw_lv2;

/* A control port whose value a plugin pushes into its engines: the offset of the port's pointer
 * in the instance struct, its range, and the value of an unconnected or NaN port (sw_lv2_ctl). */
typedef struct {
    size_t port;
    float lo, hi, fallback;
} sw_lv2_control;

/* What a plugin supplies (static). */
typedef struct {
    const char *log_name;       /* prefix of log lines, e.g. "statewave denoise" */
    const char *model_uri;      /* the model-file property, also the state key */
    const char *no_map_warning; /* logged when the host gives no urid:map (NULL: nothing) */
    double min_rate, max_rate;  /* supported host rates */
    size_t size;                /* bytes of the plugin's instance struct */
    /* shipped models: <bundle><file_prefix><shipped[i]>.safetensors. With `timbres`, the timbre
     * control port chooses one (the first that loads is the default); else shipped[0] is the
     * default model and a missing state key means it. */
    const char *const *shipped;
    int n_shipped;
    const char *file_prefix;
    bool timbres;
    /* the port table: offset in the instance struct of each port's pointer */
    const size_t *ports;
    uint32_t n_ports;

    /* Instantiation class: the plugin's own fields and the swap's timing (xf_settle, xf_len; an
     * xf_len below 1 becomes 1), before the first engine is built; false (logged) refuses the
     * instance. May be NULL. */
    bool (*init)(sw_lv2 *b, const LV2_Descriptor *desc);
    /* the plugin's engine: engine_size bytes (>= sizeof(sw_lv2_engine)), allocated zeroed by the
     * base with model and path set (worker / instantiation class). build makes the plugin's part
     * for b->rate; false and a message in err on any failure (sw_lv2_build_failed). destroy
     * frees the plugin's part, also of an engine whose build failed; the base frees the rest. */
    size_t engine_size;
    bool (*build)(const sw_lv2 *b, sw_lv2_engine *e, char *err, size_t errlen);
    void (*destroy)(sw_lv2_engine *e);
    /* [RT] (also instantiation class): `e` clean, with control values v, ready to be heard (at
     * activation) or to fade in (a swap). */
    void (*reset)(sw_lv2 *b, sw_lv2_engine *e, const float v[SW_LV2_NCTL]);
    /* [RT]: the control values the ports ask for (unused entries 0): v[i] read through ctl[i]
     * (n_ctl <= SW_LV2_NCTL), or where a plugin has it, what `controls` says. */
    const sw_lv2_control *ctl;
    int n_ctl;
    void (*controls)(const sw_lv2 *b, float v[SW_LV2_NCTL]);
    /* [RT]: push changed control values into an engine (it ramps them). */
    void (*set_controls)(sw_lv2_engine *e, const float v[SW_LV2_NCTL]);
    /* [RT]: n frames through engine e: in[n_in][n] -> out[n_out][n] (NULL for a plugin without
     * audio, which never calls sw_lv2_render). */
    void (*process)(sw_lv2 *b, sw_lv2_engine *e, const float *const *in, float *const *out, uint32_t n);
    /* [RT]: the plugin's part of run(): called after the control port was read, retired
     * engines handed on, a queued engine started and the controls pushed. */
    void (*run)(sw_lv2 *b, uint32_t n);
    /* Instantiation class: the plugin's part of activate(), before cur is reset. May be NULL. */
    void (*activate)(sw_lv2 *b);
    /* [RT] sequence walking (sw_lv2_run_events): frames [from, to) of the output; a MIDI
     * message; a time:Position's time:speed, time:beatsPerMinute and time:beatsPerBar (NAN where
     * it gives none). Each may be NULL. */
    void (*render)(sw_lv2 *b, uint32_t from, uint32_t to);
    void (*midi)(sw_lv2 *b, const uint8_t *msg, uint32_t size);
    void (*position)(sw_lv2 *b, double speed, double bpm, double bpb);
} sw_lv2_ops;

/* A family of one plugin: its descriptor and the family's descriptor function `fn` (index 0: the
 * plugin, then NULL; Discovery class). */
#define SW_LV2_FAMILY_OF_ONE(fn, uri, ops)                                                         \
    static const sw_lv2_desc fn##_one = SW_LV2_DESCRIPTOR(uri, ops);                               \
    const LV2_Descriptor *fn(uint32_t index)                                                       \
    {                                                                                              \
        return index == 0 ? &fn##_one.lv2 : NULL;                                                  \
    }

/* The sw_lv2_ops entries of a plugin file whose instance struct is `type` and that names its port
 * table `ports`, its engine struct `engine` and its callbacks after the entries (init, build,
 * destroy, reset, set_controls, run; an audio plugin adds process, and each plugin its controls:
 * a table ctl or a function). */
#define SW_LV2_OPS_BY_NAME(type)                                                                    \
    .size = sizeof(type), .ports = ports, .n_ports = sizeof ports / sizeof ports[0], .init = init,  \
    .engine_size = sizeof(engine), .build = build, .destroy = destroy, .reset = reset,             \
    .set_controls = set_controls, .run = run

/* The sw_lv2_ops entries of a plugin whose control table is `ctl`. */
#define SW_LV2_CTL_TABLE .ctl = ctl, .n_ctl = sizeof ctl / sizeof ctl[0]

/* The sw_lv2_ops entries of a MIDI plugin that names its callbacks after them (activate,
 * render, midi). */
#define SW_LV2_MIDI_BY_NAME .activate = activate, .render = render, .midi = midi

/* The sw_lv2_ops entries of a plugin with one shipped model, its default:
 * <bundle><name>.safetensors. */
#define SW_LV2_DEFAULT_MODEL(name) .shipped = (const char *const[]){name}, .n_shipped = 1, .file_prefix = ""

/* An LV2 descriptor with the ops of its plugin: the base's callbacks find them through it. */
typedef struct {
    LV2_Descriptor lv2;
    const sw_lv2_ops *ops;
} sw_lv2_desc;

/* The descriptor of a plugin made with this base. */
#define SW_LV2_DESCRIPTOR(uri, ops)                                                                  \
    {                                                                                                \
        {uri, sw_lv2_instantiate, sw_lv2_connect_port, sw_lv2_activate, sw_lv2_run, sw_lv2_deactivate, \
         sw_lv2_cleanup, sw_lv2_extension_data},                                                     \
            &(ops)                                                                                   \
    }

/* The common instance state; the first member of each plugin's instance struct. */
struct sw_lv2 {
    const sw_lv2_ops *ops;

    /* ports (in the port tables of the plugins that have them; NULL = not connected) */
    const LV2_Atom_Sequence *control; /* patch messages in (plugins with a separate control port) */
    LV2_Atom_Sequence *notify;        /* patch:Set replies out; atom.size = capacity on entry */
    float *latency_port;              /* out: the latency of the engine heard */
    const float *timbre;              /* enumeration index into ops->shipped (ops->timbres) */
    const float *level_db;            /* output level, dB -60..12 */

    /* host features and configuration (immutable after instantiate; read by the worker too) */
    LV2_URID_Map *map;                /* NULL: no patch messages, MIDI or state */
    LV2_Log_Logger logger;            /* log:log or stderr */
    LV2_Worker_Schedule *schedule;    /* NULL: model changes only at activate / restore */
    sw_lv2_uris uris;                 /* the bundle's common URIDs */
    LV2_URID model_urid;              /* ops->model_uri */
    LV2_Atom_Forge forge;             /* audio thread only */
    double rate;                      /* host sample rate */
    char *bundle;                     /* owned: bundle path with a trailing '/' */
    uint32_t n_ports;                 /* ports connected through the table (<= ops->n_ports) */
    int n_in, n_out;                  /* engine audio inputs / outputs (<= SW_LV2_IO) */
    uint32_t xf_settle;               /* frames a new engine runs unheard after its latency */
    uint32_t xf_len;                  /* crossfade frames (set by init), >= 1 */
    float level_coef;                 /* one-pole coefficient of the level smoothing */

    /* engines: owned by the audio thread while activated, by instantiation-class calls otherwise */
    sw_lv2_engine *cur;               /* the engine heard; never NULL */
    sw_lv2_engine *next;              /* fading in, or NULL */
    sw_lv2_engine *queued;            /* arrived while `next` was busy, or NULL */
    sw_lv2_engine *grave[SW_LV2_GRAVE]; /* retired, to be passed to the worker for freeing */
    uint32_t xf_pos;                  /* frames since `next` started */
    uint32_t xf_warm;                 /* frames `next` runs unheard */

    /* audio thread */
    float applied[SW_LV2_NCTL];       /* control values as last pushed (NAN = never) */
    float level;                      /* current linear output level (smoothed) */
    int req_timbre;                   /* timbre last requested from the control (-2 = none yet) */
    bool timbre_resync;               /* adopt the control's value without loading (after a restore) */
    bool timbre_reload;               /* load the control's timbre (state without a model file) */
    bool notify_pending;              /* send the current model path on notify next run */
    bool can_notify;                  /* the notify sequence is open in this run() */
    LV2_Atom_Forge_Frame notify_seq;  /* its frame */
    uint32_t pending_report;          /* problem to hand the worker for logging (0 = none) */
    bool activated;

    /* model path published for save(), which may run concurrently with run():
     * run writes the slot not in use, then flips pub_idx. */
    char pub_path[2][SW_LV2_PATH_MAX];
    int pub_shipped[2];
    atomic_int pub_idx;

    /* audio-thread scratch for the two-engine phase: [channel][frame] */
    float scr_in[SW_LV2_IO][SW_LV2_CHUNK];
    float scr_b[SW_LV2_IO][SW_LV2_CHUNK];
};

/* ---- engines (worker / instantiation class) ---- */

/* lrint(s * rate) frames, at least 1 (instantiation class). */
uint32_t sw_lv2_frames(double s, double rate);

/* The end of a build whose library object could not be made (status s, the library's message
 * msg): err says "model '<path>' cannot run as <what>[ at <rate> Hz]: <msg> (<status>)" (no rate
 * when rate <= 0). Returns false. */
bool sw_lv2_build_failed(const sw_lv2_engine *e, const char *what, double rate, sw_status s, const char *msg,
                         char *err, size_t errlen);

/* ---- audio class [RT] ---- */

/* *port clamped to [lo, hi]; fallback when unconnected or NaN. */
float sw_lv2_ctl(const float *port, float lo, float hi, float fallback);
/* The type of a MIDI message of at least 3 bytes (lv2_midi_message_type), a note-on of
 * velocity 0 being a note-off. */
LV2_Midi_Message_Type sw_lv2_midi_type(const uint8_t *msg);
/* Start writing an atom sequence into the output port seq (its atom.size is the capacity on
 * entry); false when not even an empty sequence fits. */
bool sw_lv2_seq_begin(LV2_Atom_Forge *f, LV2_Atom_Forge_Frame *frame, LV2_Atom_Sequence *seq);
/* Finish it (ok: what sw_lv2_seq_begin returned); without room even for an empty sequence,
 * leave a valid empty atom. */
void sw_lv2_seq_end(LV2_Atom_Forge *f, LV2_Atom_Forge_Frame *frame, LV2_Atom_Sequence *seq, bool ok);
/* The linear output level the level port asks for. */
float sw_lv2_target_level(const sw_lv2 *b);
/* n frames through cur, crossfading to next while there is one: in[n_in], out[n_out] (in may
 * alias out). Finishes the swap when the crossfade is over. */
void sw_lv2_render(sw_lv2 *b, const float *const *in, float *const *out, uint32_t n);
/* `e` clean, at the controls the ports ask for (then ops->reset). */
void sw_lv2_reset_engine(sw_lv2 *b, sw_lv2_engine *e);
/* `next` (and a queued engine) becomes `cur` at once, e.g. while silent. */
void sw_lv2_finish_transition(sw_lv2 *b);
/* Walk an event sequence: ops->render up to each event's frame, MIDI to ops->midi, patch
 * messages to the model property, time:Position to ops->position; then render the rest. */
void sw_lv2_run_events(sw_lv2 *b, const LV2_Atom_Sequence *seq, uint32_t n);

/* ---- the families (Discovery class) ---- */

/* Each family's descriptor function, listed in `families` (statewave_lv2.c): the index-th
 * descriptor of the family, or NULL past its last one. denoise: 0 mono, 1 stereo; generate,
 * synth (the neural instrument), transfer (timbre transfer), continue (the MIDI composer): one
 * plugin each. */
const LV2_Descriptor *sw_denoise_lv2_descriptor(uint32_t index);
const LV2_Descriptor *sw_generate_lv2_descriptor(uint32_t index);
const LV2_Descriptor *sw_synth_lv2_descriptor(uint32_t index);
const LV2_Descriptor *sw_transfer_lv2_descriptor(uint32_t index);
const LV2_Descriptor *sw_continue_lv2_descriptor(uint32_t index);

/* ---- LV2 callbacks (threading classes in lv2_base.c) ---- */

LV2_Handle sw_lv2_instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features);
void sw_lv2_connect_port(LV2_Handle h, uint32_t port, void *data);
void sw_lv2_activate(LV2_Handle h);
void sw_lv2_run(LV2_Handle h, uint32_t n);
void sw_lv2_deactivate(LV2_Handle h);
void sw_lv2_cleanup(LV2_Handle h);
const void *sw_lv2_extension_data(const char *uri);

#endif
