/* transfer_lv2.c — Statewave timbre transfer (sw_transfer, docs/INSTRUMENT.md) as an LV2
 * effect: a monophonic input (voice, whistle, an instrument) is analysed (YIN f0, loudness,
 * note tracker), drives the instrument's SSM, and comes out played in a learned timbre.
 *
 * Ports:
 *   0 control        atom in   patch:Set / patch:Get of the model-file property
 *   1 notify         atom out  patch:Set replies: the model file now in use
 *   2 enabled        control   lv2:enabled designation: host bypass (crossfade to the
 *                              latency-aligned input, 10 ms)
 *   3 timbre         control   enumeration: index into sw_timbre_names (synth_lv2.h)
 *   4 harmonic_gain  control   linear 0..4
 *   5 noise_gain     control   linear 0..4
 *   6 pitch_shift    control   semitones -24..24
 *   7 reverb_mix     control   0..1
 *   8 level          control   output level, dB -60..+12 (smoothed)
 *   9 latency        control out  sw_transfer_latency() of the engine in use (frames)
 *  10 in, 11 out     audio (mono; out may alias in)
 *
 * Bypass keeps the timeline: the bypassed signal is the input delayed by the reported
 * latency, so a host that compensates latency hears no shift when toggling. The engine keeps
 * running while bypassed so that switching back on is as smooth as switching off.
 *
 * Model change (timbre control, patch:Set of a model file, state restore while running):
 *   worker:         loads the file (model_cache), builds a new sw_transfer + its dry delay line
 *   work_response:  the new engine becomes `next`
 *   run():          `next` processes the same input, unheard, for its latency plus 20 ms (its
 *                   analysis buffers fill and its net state settles), then a 10 ms raised-cosine
 *                   crossfade; `cur` goes to the worker to be freed.
 * Threading classes (LV2 terms) are named on every callback; run() never allocates, locks,
 * logs or does I/O.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/logger.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "model_cache.h"
#include "statewave.h"
#include "synth_lv2.h"
#include "transfer_lv2.h"
#include "uris.h"

enum {
    PORT_CONTROL = 0,
    PORT_NOTIFY = 1,
    PORT_ENABLED = 2,
    PORT_TIMBRE = 3,
    PORT_HARMONIC = 4,
    PORT_NOISE = 5,
    PORT_PITCH = 6,
    PORT_REVERB = 7,
    PORT_LEVEL = 8,
    PORT_LATENCY = 9,
    PORT_IN = 10,
    PORT_OUT = 11
};

#define TR_MIN_RATE 8000.0
#define TR_MAX_RATE 384000.0
#define TR_CHUNK 256          /* frames per sub-block */
#define TR_PATH_MAX 4096      /* longest model path we keep (bytes incl. NUL) */
#define TR_MSG_PATH_MAX 1024  /* longest path a worker message carries */
#define TR_SETTLE_S 0.020     /* after its latency, a new engine runs 20 ms unheard */
#define TR_XFADE_S 0.010      /* crossfade old -> new engine */
#define TR_BYPASS_S 0.010     /* bypass ramp */
#define TR_LEVEL_TAU 0.010    /* level smoothing time constant */
#define TR_GRAVE 8            /* retired engines waiting for a free worker slot */

/* One loaded model, the transfer built on it and the dry path aligned with it. */
typedef struct {
    const sw_model *model; /* shared via model_cache; released by engine_free */
    sw_transfer *tr;       /* owned */
    float *dly;            /* [latency] owned ring: the input delayed by `latency` (bypass path) */
    int latency;           /* sw_transfer_latency(tr), frames at the instance rate */
    int dpos;              /* next slot of dly to read (and then overwrite) */
    char *path;            /* owned, NUL-terminated model path */
    int timbre;            /* index into sw_timbre_names, -1 for a user's file */
} engine;

enum { WORK_LOAD_PATH = 1, WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT };
enum { RESP_INSTALL = 1, RESP_FAILED };
enum { REPORT_PATH_TOO_LONG = 1, REPORT_BAD_VALUE, REPORT_QUEUE_FULL, REPORT_NO_WORKER, REPORT_N };

typedef struct {
    uint32_t type; /* WORK_LOAD_PATH */
    uint32_t len;  /* bytes of path including the NUL */
    char path[TR_MSG_PATH_MAX];
} work_load;

typedef struct {
    uint32_t type; /* WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT, RESP_INSTALL or RESP_FAILED */
    uint32_t code; /* LOAD_TIMBRE: timbre index; REPORT: REPORT_*; else 0 */
    engine *eng;   /* FREE: engine to free; INSTALL: new engine; else NULL */
} work_msg;

typedef struct {
    /* ports */
    const LV2_Atom_Sequence *control; /* patch messages in */
    LV2_Atom_Sequence *notify;        /* patch:Set replies out */
    const float *enabled;             /* >= 0.5: processing */
    const float *timbre;              /* enumeration index */
    const float *harmonic;            /* 0..4 */
    const float *noise;               /* 0..4 */
    const float *pitch;               /* -24..24 semitones */
    const float *reverb;              /* 0..1 */
    const float *level_db;            /* -60..12 */
    float *latency;                   /* out */
    const float *in;                  /* [n] may alias out */
    float *out;                       /* [n] */

    /* features and configuration (immutable after instantiate) */
    LV2_URID_Map *map;                /* NULL: no patch messages, no state */
    LV2_Log_Logger logger;
    LV2_Worker_Schedule *schedule;    /* NULL: timbre changes only at activate / restore */
    sw_lv2_uris uris;                 /* common URIDs; uris.sw_model unused */
    LV2_URID model_urid;              /* SW_TRANSFER__model */
    LV2_Atom_Forge forge;             /* audio thread only */
    double rate;
    char *bundle;                     /* owned: bundle path with a trailing '/' */
    float level_coef;                 /* one-pole coefficient per frame */
    float bypass_step;                /* wet-gain change per frame of a bypass ramp */

    /* engines (audio thread while activated) */
    engine *cur;                      /* heard; never NULL */
    engine *next;                     /* warming up / fading in, or NULL */
    engine *queued;                   /* waits for `next` to finish, or NULL */
    engine *grave[TR_GRAVE];          /* retired, to be freed by the worker */
    uint32_t xf_pos, xf_warm, xf_len; /* frames since `next` started; unheard frames; crossfade */

    /* controls (audio thread) */
    int req_timbre;                   /* timbre last requested from the control (-2 = none yet) */
    bool timbre_resync;               /* adopt the control's value without loading (after a restore) */
    bool timbre_reload;               /* load the control's timbre next run */
    float applied[4];                 /* harmonic, noise, pitch, reverb as last set (NAN = never) */
    float wet;                        /* 0 (bypassed) .. 1 (processing), ramped */
    float level;                      /* linear output level, smoothed */
    bool notify_pending;
    uint32_t pending_report;
    bool activated;

    char pub_path[2][TR_PATH_MAX];    /* published for save() (double-buffered) */
    int pub_timbre[2];
    atomic_int pub_idx;

    /* audio-thread scratch [TR_CHUNK] */
    float scr_in[TR_CHUNK];
    float wet_a[TR_CHUNK], dry_a[TR_CHUNK];
    float wet_b[TR_CHUNK], dry_b[TR_CHUNK];
} transfer;

/* ------------------------------------------------------------ engines -- */

static void engine_free(engine *e)
{
    if (!e)
        return;
    sw_transfer_destroy(e->tr);
    sw_lv2_model_release(e->model);
    free(e->dly);
    free(e->path);
    free(e);
}

/* Non-real-time: load `path`, build a transfer for this rate. NULL + err on failure. */
static engine *engine_new(const transfer *self, const char *path, int timbre, char *err, size_t errlen)
{
    if (strlen(path) >= TR_PATH_MAX) {
        snprintf(err, errlen, "model path is longer than %d bytes", TR_PATH_MAX - 1);
        return NULL;
    }
    engine *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    e->timbre = timbre;
    e->model = sw_lv2_model_acquire(path, err, errlen);
    if (!e->model) {
        engine_free(e);
        return NULL;
    }
    char msg[256] = "";
    sw_status s = sw_transfer_create(e->model, self->rate, &e->tr, msg, sizeof msg);
    if (s != SW_OK || !e->tr) {
        snprintf(err, errlen, "model '%s' cannot run as a timbre transfer at %.0f Hz: %s (%s)", path, self->rate,
                 msg[0] ? msg : "no detail", sw_status_str(s));
        engine_free(e);
        return NULL;
    }
    e->latency = sw_transfer_latency(e->tr);
    if (e->latency < 0 || e->latency > 10 * (int)self->rate) {
        snprintf(err, errlen, "model '%s': implausible latency %d", path, e->latency);
        engine_free(e);
        return NULL;
    }
    if (e->latency > 0 && !(e->dly = calloc((size_t)e->latency, sizeof(float)))) {
        snprintf(err, errlen, "out of memory");
        engine_free(e);
        return NULL;
    }
    /* first-touch warm-up, then a clean state */
    float tmp[TR_CHUNK];
    for (int i = 0; i < TR_CHUNK; i++)
        tmp[i] = 0.1f * sinf(0.05f * (float)i);
    sw_transfer_process(e->tr, tmp, tmp, TR_CHUNK);
    sw_transfer_reset(e->tr);
    return e;
}

static engine *engine_new_timbre(const transfer *self, int t, char *err, size_t errlen)
{
    if (t < 0 || t >= SW_N_TIMBRES) {
        snprintf(err, errlen, "timbre %d does not exist", t);
        return NULL;
    }
    size_t n = strlen(self->bundle) + strlen(SW_TIMBRE_FILE_PREFIX) + strlen(sw_timbre_names[t]) +
               strlen(SW_TIMBRE_FILE_SUFFIX) + 1;
    char *p = malloc(n);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p, n, "%s%s%s%s", self->bundle, SW_TIMBRE_FILE_PREFIX, sw_timbre_names[t], SW_TIMBRE_FILE_SUFFIX);
    engine *e = engine_new(self, p, t, err, errlen);
    if (!e)
        snprintf(err + strlen(err), errlen - strlen(err), " (timbre '%s')", sw_timbre_names[t]);
    free(p);
    return e;
}

/* Real-time: an engine's wet and aligned-dry outputs for len frames of input. */
static void engine_process(engine *e, const float *in, float *wet, float *dry, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++) {
        float x = in[i];
        if (!isfinite(x))
            x = 0.0f; /* the dry path treats non-finite input as silence, as the transfer does */
        if (e->latency > 0) {
            dry[i] = e->dly[e->dpos];
            e->dly[e->dpos] = x;
            if (++e->dpos == e->latency)
                e->dpos = 0;
        } else {
            dry[i] = x;
        }
    }
    sw_transfer_process(e->tr, in, wet, len);
}

static void engine_reset(engine *e)
{
    sw_transfer_reset(e->tr);
    if (e->dly)
        memset(e->dly, 0, (size_t)e->latency * sizeof(float));
    e->dpos = 0;
}

static void publish(transfer *self, const engine *e)
{
    int idx = 1 - atomic_load_explicit(&self->pub_idx, memory_order_relaxed);
    size_t n = strlen(e->path);
    memcpy(self->pub_path[idx], e->path, n + 1);
    self->pub_timbre[idx] = e->timbre;
    atomic_store_explicit(&self->pub_idx, idx, memory_order_release);
    self->notify_pending = true;
}

static float ctl(const float *port, float lo, float hi, float fallback)
{
    if (!port)
        return fallback;
    float v = *port;
    if (!(v == v))
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

static int control_timbre(const transfer *self)
{
    if (!self->timbre)
        return -1;
    float v = self->timbre[0];
    if (!(v >= -0.5f && v < SW_N_TIMBRES - 0.5f))
        return -1;
    return (int)lrintf(v);
}

static void control_values(const transfer *self, float v[4])
{
    v[0] = ctl(self->harmonic, 0.0f, 4.0f, 1.0f);
    v[1] = ctl(self->noise, 0.0f, 4.0f, 1.0f);
    v[2] = ctl(self->pitch, -24.0f, 24.0f, 0.0f);
    v[3] = ctl(self->reverb, 0.0f, 1.0f, 0.0f);
}

static void set_controls(sw_transfer *t, const float v[4])
{
    sw_transfer_set_harmonic_gain(t, v[0]);
    sw_transfer_set_noise_gain(t, v[1]);
    sw_transfer_set_pitch_shift(t, v[2]);
    sw_transfer_set_reverb_mix(t, v[3]);
}

static void apply_controls(transfer *self)
{
    float v[4];
    control_values(self, v);
    if (memcmp(v, self->applied, sizeof v) != 0) {
        set_controls(self->cur->tr, v);
        if (self->next)
            set_controls(self->next->tr, v);
        memcpy(self->applied, v, sizeof v);
    }
}

static bool is_enabled(const transfer *self)
{
    return !self->enabled || *self->enabled >= 0.5f || !(*self->enabled == *self->enabled);
}

static float target_level(const transfer *self)
{
    return powf(10.0f, ctl(self->level_db, -60.0f, 12.0f, 0.0f) / 20.0f);
}

static void begin_transition(transfer *self, engine *e)
{
    float v[4];
    control_values(self, v);
    engine_reset(e);
    set_controls(e->tr, v);
    self->next = e;
    self->xf_pos = 0;
    self->xf_warm = (uint32_t)e->latency + (uint32_t)(TR_SETTLE_S * self->rate);
    self->xf_len = (uint32_t)(TR_XFADE_S * self->rate);
    if (self->xf_len < 1)
        self->xf_len = 1;
}

static void flush_grave(transfer *self)
{
    for (int i = 0; i < TR_GRAVE; i++) {
        if (!self->grave[i] || !self->schedule)
            continue;
        work_msg m = {WORK_FREE, 0, self->grave[i]};
        if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            self->grave[i] = NULL;
    }
}

static void retire(transfer *self, engine *e)
{
    for (int i = 0; i < TR_GRAVE; i++) {
        if (!self->grave[i]) {
            self->grave[i] = e;
            return;
        }
    }
    self->pending_report = REPORT_QUEUE_FULL; /* leaked rather than freed on the audio thread */
}

static void finish_transition(transfer *self)
{
    retire(self, self->cur);
    self->cur = self->next;
    self->next = NULL;
    publish(self, self->cur);
    if (self->queued) {
        engine *q = self->queued;
        self->queued = NULL;
        begin_transition(self, q);
    }
}

static void settle_now(transfer *self)
{
    if (self->next) {
        engine_free(self->cur);
        self->cur = self->next;
        self->next = NULL;
    }
    if (self->queued) {
        engine_free(self->cur);
        self->cur = self->queued;
        self->queued = NULL;
    }
    for (int i = 0; i < TR_GRAVE; i++) {
        engine_free(self->grave[i]);
        self->grave[i] = NULL;
    }
    publish(self, self->cur);
}

static void install_now(transfer *self, engine *e)
{
    settle_now(self);
    engine_free(self->cur);
    self->cur = e;
    publish(self, e);
}

/* ------------------------------------------------------------- messages -- */

static void handle_patch(transfer *self, const LV2_Atom_Object *obj)
{
    const sw_lv2_uris *u = &self->uris;
    if (obj->body.otype == u->patch_Get) {
        const LV2_Atom_URID *prop = NULL;
        lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, 0);
        if (!prop || (prop->atom.type == u->atom_URID && prop->body == self->model_urid))
            self->notify_pending = true;
        return;
    }
    if (obj->body.otype != u->patch_Set)
        return;
    const LV2_Atom_URID *prop = NULL;
    const LV2_Atom *value = NULL;
    lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, u->patch_value, &value, 0);
    if (!prop || prop->atom.type != u->atom_URID || prop->body != self->model_urid)
        return;
    if (!value || (value->type != u->atom_Path && value->type != u->atom_String) || value->size < 2) {
        self->pending_report = REPORT_BAD_VALUE;
        self->notify_pending = true;
        return;
    }
    const char *s = (const char *)LV2_ATOM_BODY_CONST(value);
    size_t n = strnlen(s, value->size);
    if (n == 0 || n >= TR_MSG_PATH_MAX) {
        self->pending_report = n ? REPORT_PATH_TOO_LONG : REPORT_BAD_VALUE;
        self->notify_pending = true;
        return;
    }
    if (!self->schedule) {
        self->pending_report = REPORT_NO_WORKER;
        self->notify_pending = true;
        return;
    }
    work_load msg;
    msg.type = WORK_LOAD_PATH;
    msg.len = (uint32_t)n + 1;
    memcpy(msg.path, s, n);
    msg.path[n] = '\0';
    uint32_t size = (uint32_t)(offsetof(work_load, path) + msg.len);
    if (self->schedule->schedule_work(self->schedule->handle, size, &msg) != LV2_WORKER_SUCCESS) {
        self->pending_report = REPORT_QUEUE_FULL;
        self->notify_pending = true;
    }
}

static void check_timbre(transfer *self)
{
    int t = control_timbre(self);
    if (self->timbre_resync) {
        self->req_timbre = t;
        self->timbre_resync = false;
        return;
    }
    if (t == self->req_timbre && !self->timbre_reload)
        return;
    if (t < 0 || !self->schedule) {
        if (t >= 0)
            self->pending_report = REPORT_NO_WORKER;
        self->req_timbre = t;
        self->timbre_reload = false;
        return;
    }
    work_msg m = {WORK_LOAD_TIMBRE, (uint32_t)t, NULL};
    if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS) {
        self->req_timbre = t;
        self->timbre_reload = false;
    }
}

static void write_notify(transfer *self)
{
    const sw_lv2_uris *u = &self->uris;
    int idx = atomic_load_explicit(&self->pub_idx, memory_order_relaxed);
    const char *path = self->pub_path[idx];
    LV2_Atom_Forge *f = &self->forge;
    LV2_Atom_Forge_Frame frame;
    if (!lv2_atom_forge_frame_time(f, 0))
        return;
    if (!lv2_atom_forge_object(f, &frame, 0, u->patch_Set))
        return;
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, self->model_urid);
    lv2_atom_forge_key(f, u->patch_value);
    lv2_atom_forge_path(f, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(f, &frame);
    self->notify_pending = false;
}

/* ------------------------------------------------------------ rendering -- */

/* Real-time: up to TR_CHUNK frames from off; returns the frames done. */
static uint32_t process_chunk(transfer *self, uint32_t off, uint32_t n)
{
    uint32_t len = n < TR_CHUNK ? n : TR_CHUNK;
    memcpy(self->scr_in, self->in + off, len * sizeof(float)); /* in may alias out */
    engine_process(self->cur, self->scr_in, self->wet_a, self->dry_a, len);
    bool two = self->next != NULL;
    if (two)
        engine_process(self->next, self->scr_in, self->wet_b, self->dry_b, len);
    const float tw = is_enabled(self) ? 1.0f : 0.0f, step = self->bypass_step;
    const float tl = target_level(self), a = self->level_coef;
    float w = self->wet, g = self->level;
    float *out = self->out + off;
    for (uint32_t i = 0; i < len; i++) {
        float y = self->wet_a[i], d = self->dry_a[i];
        if (two) {
            double p = (double)self->xf_pos + i - self->xf_warm;
            float x = p <= 0 ? 0.0f : p >= self->xf_len ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * p / self->xf_len));
            y += x * (self->wet_b[i] - y);
            d += x * (self->dry_b[i] - d);
        }
        w = w < tw ? fminf(w + step, tw) : fmaxf(w - step, tw);
        g += a * (tl - g);
        /* level applies to the instrument's sound only: the bypassed signal is the input as is */
        float ws = (float)(0.5 - 0.5 * cos(M_PI * w));
        out[i] = d + ws * (g * y - d);
    }
    self->wet = w;
    self->level = g;
    if (two) {
        self->xf_pos += len;
        if (self->xf_pos >= self->xf_warm + self->xf_len)
            finish_transition(self);
    }
    return len;
}

/* ------------------------------------------------------- LV2 callbacks -- */

static LV2_Handle instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *schedule = NULL;
    /* urid:map is required in the TTL; offline tools (lv2apply) may give none: the effect then
     * runs with the first shipped timbre, no model messages or state. */
    lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                       LV2_WORKER__schedule, &schedule, false, NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!(rate >= TR_MIN_RATE && rate <= TR_MAX_RATE)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI, rate,
                      TR_MIN_RATE, TR_MAX_RATE);
        return NULL;
    }
    transfer *self = calloc(1, sizeof *self);
    size_t blen = strlen(bundle_path);
    char *bundle = malloc(blen + 2);
    if (!self || !bundle) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(self);
        free(bundle);
        return NULL;
    }
    snprintf(bundle, blen + 2, "%s%s", bundle_path, (blen && bundle_path[blen - 1] == '/') ? "" : "/");
    self->bundle = bundle;
    self->map = map;
    self->logger = logger;
    self->schedule = schedule;
    self->rate = rate;
    self->level_coef = (float)(1.0 - exp(-1.0 / (TR_LEVEL_TAU * rate)));
    self->bypass_step = (float)(1.0 / fmax(1.0, TR_BYPASS_S * rate));
    self->req_timbre = -2;
    for (int i = 0; i < 4; i++)
        self->applied[i] = NAN;
    if (map) {
        sw_lv2_map_uris(map, &self->uris);
        self->model_urid = map->map(map->handle, SW_TRANSFER__model);
        lv2_atom_forge_init(&self->forge, map);
    }
    char err[512] = "", first_err[512] = "";
    for (int t = 0; t < SW_N_TIMBRES && !self->cur; t++) {
        self->cur = engine_new_timbre(self, t, err, sizeof err);
        if (!self->cur && !first_err[0])
            snprintf(first_err, sizeof first_err, "%s", err);
    }
    if (!self->cur) {
        lv2_log_error(&logger, "%s: no timbre model could be loaded from %s (first error: %s)\n", desc->URI,
                      bundle, first_err);
        free(bundle);
        free(self);
        return NULL;
    }
    publish(self, self->cur);
    return self;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    transfer *self = h;
    switch (port) {
    case PORT_CONTROL: self->control = data; break;
    case PORT_NOTIFY: self->notify = data; break;
    case PORT_ENABLED: self->enabled = data; break;
    case PORT_TIMBRE: self->timbre = data; break;
    case PORT_HARMONIC: self->harmonic = data; break;
    case PORT_NOISE: self->noise = data; break;
    case PORT_PITCH: self->pitch = data; break;
    case PORT_REVERB: self->reverb = data; break;
    case PORT_LEVEL: self->level_db = data; break;
    case PORT_LATENCY: self->latency = data; break;
    case PORT_IN: self->in = data; break;
    case PORT_OUT: self->out = data; break;
    default: break;
    }
}

/* Instantiation class: the control's timbre is loaded here unless a user's file was restored. */
static void activate(LV2_Handle h)
{
    transfer *self = h;
    settle_now(self);
    int t = control_timbre(self);
    bool want_timbre = self->cur->timbre >= 0 || self->timbre_reload;
    if (want_timbre && t >= 0 && t != self->cur->timbre) {
        char err[512] = "";
        engine *e = engine_new_timbre(self, t, err, sizeof err);
        if (e)
            install_now(self, e);
        else
            lv2_log_error(&self->logger, "statewave transfer: %s; keeping '%s'\n", err, self->cur->path);
    }
    self->req_timbre = t;
    self->timbre_resync = false;
    self->timbre_reload = false;
    engine_reset(self->cur);
    control_values(self, self->applied);
    set_controls(self->cur->tr, self->applied);
    self->wet = is_enabled(self) ? 1.0f : 0.0f;
    self->level = target_level(self);
    self->activated = true;
}

static void deactivate(LV2_Handle h)
{
    transfer *self = h;
    self->activated = false;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    transfer *self = h;
    const sw_lv2_uris *u = &self->uris;
    const bool atoms = self->map != NULL;
    bool can_notify = false;
    LV2_Atom_Forge_Frame seq;
    if (self->notify && atoms) {
        lv2_atom_forge_set_buffer(&self->forge, (uint8_t *)self->notify, self->notify->atom.size);
        can_notify = lv2_atom_forge_sequence_head(&self->forge, &seq, 0) != 0;
    }
    if (self->control && atoms) {
        LV2_ATOM_SEQUENCE_FOREACH (self->control, ev) {
            if (ev->body.type == u->atom_Object || ev->body.type == u->atom_Blank ||
                ev->body.type == u->atom_Resource)
                handle_patch(self, (const LV2_Atom_Object *)&ev->body);
        }
    }
    flush_grave(self);
    if (self->pending_report && self->schedule) {
        work_msg m = {WORK_REPORT, self->pending_report, NULL};
        if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            self->pending_report = 0;
    }
    if (!self->next && self->queued) {
        engine *q = self->queued;
        self->queued = NULL;
        begin_transition(self, q);
    }
    check_timbre(self);
    apply_controls(self);
    if (self->in && self->out) {
        uint32_t done = 0;
        while (done < n)
            done += process_chunk(self, done, n - done);
    }
    if (self->latency)
        *self->latency = (float)self->cur->latency;
    if (self->notify && atoms) {
        if (can_notify && self->notify_pending)
            write_notify(self);
        if (can_notify)
            lv2_atom_forge_pop(&self->forge, &seq);
        else
            self->notify->atom.size = 0;
    }
}

static void cleanup(LV2_Handle h)
{
    transfer *self = h;
    settle_now(self);
    engine_free(self->cur);
    free(self->bundle);
    free(self);
}

/* Worker class. */
static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data)
{
    transfer *self = h;
    uint32_t type;
    if (size < sizeof type)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&type, data, sizeof type);
    char err[512] = "";
    engine *e = NULL;
    if (type == WORK_LOAD_PATH) {
        work_load msg;
        if (size < offsetof(work_load, path) + 1 || size > sizeof msg)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&msg, data, size);
        msg.path[size - offsetof(work_load, path) - 1] = '\0';
        e = engine_new(self, msg.path, -1, err, sizeof err);
    } else {
        if (size != sizeof(work_msg))
            return LV2_WORKER_ERR_UNKNOWN;
        work_msg m;
        memcpy(&m, data, sizeof m);
        if (m.type == WORK_FREE) {
            engine_free(m.eng);
            return LV2_WORKER_SUCCESS;
        }
        if (m.type == WORK_REPORT) {
            static const char *what[REPORT_N] = {
                "", "model path longer than 1023 bytes; not loaded",
                "patch:Set of the model needs a non-empty atom:Path value",
                "host worker queue full; a model change or free was delayed",
                "the host has no worker (work:schedule): model and timbre changes apply only at activation"};
            lv2_log_error(&self->logger, "statewave transfer: %s\n", m.code < REPORT_N ? what[m.code] : "?");
            return LV2_WORKER_SUCCESS;
        }
        if (m.type != WORK_LOAD_TIMBRE)
            return LV2_WORKER_ERR_UNKNOWN;
        e = engine_new_timbre(self, (int)m.code, err, sizeof err);
    }
    if (!e)
        lv2_log_error(&self->logger, "statewave transfer: %s; keeping the current model\n", err);
    work_msg r = {e ? RESP_INSTALL : RESP_FAILED, 0, e};
    if (respond(rh, sizeof r, &r) != LV2_WORKER_SUCCESS) {
        lv2_log_error(&self->logger, "statewave transfer: host worker queue full; model change dropped\n");
        engine_free(e);
    }
    return LV2_WORKER_SUCCESS;
}

/* Audio class. */
static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    transfer *self = h;
    work_msg m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == RESP_FAILED) {
        self->notify_pending = true;
    } else if (m.type == RESP_INSTALL && m.eng) {
        if (!self->next) {
            begin_transition(self, m.eng);
        } else {
            if (self->queued)
                retire(self, self->queued);
            self->queued = m.eng;
        }
    }
    return LV2_WORKER_SUCCESS;
}

/* State class: a user's model file is saved (map-path); a shipped timbre is the timbre port. */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh, uint32_t flags,
                             const LV2_Feature *const *features)
{
    (void)flags;
    transfer *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    int idx = atomic_load_explicit(&self->pub_idx, memory_order_acquire);
    if (self->pub_timbre[idx] >= 0)
        return LV2_STATE_SUCCESS;
    char path[TR_PATH_MAX];
    memcpy(path, self->pub_path[idx], sizeof path);
    path[sizeof path - 1] = '\0';
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = mp ? mp->abstract_path(mp->handle, path) : NULL;
    const char *value = apath ? apath : path;
    LV2_State_Status st = store(sh, self->model_urid, value, strlen(value) + 1, self->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

/* Instantiation class. */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    transfer *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(sh, self->model_urid, &size, &type, &vflags);
    const engine *newest = self->queued ? self->queued : self->next ? self->next : self->cur;
    if (!value) {
        if (newest->timbre < 0)
            self->timbre_reload = true;
        return LV2_STATE_SUCCESS;
    }
    const char *s = value;
    if ((type != self->uris.atom_Path && type != self->uris.atom_String) || size < 2 || strnlen(s, size) == size) {
        lv2_log_error(&self->logger, "statewave transfer: state has a malformed model path; keeping '%s'\n",
                      newest->path);
        return LV2_STATE_ERR_BAD_TYPE;
    }
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = mp ? mp->absolute_path(mp->handle, s) : NULL;
    const char *want = apath ? apath : s;
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (strcmp(want, newest->path) != 0) {
        char err[512] = "";
        engine *e = engine_new(self, want, -1, err, sizeof err);
        if (!e) {
            lv2_log_error(&self->logger, "statewave transfer: state restore: %s; keeping model '%s'\n", err,
                          newest->path);
            st = LV2_STATE_ERR_UNKNOWN;
        } else if (self->activated && self->schedule) {
            if (!self->next)
                begin_transition(self, e);
            else {
                engine_free(self->queued);
                self->queued = e;
            }
        } else {
            install_now(self, e);
            if (self->activated) {
                engine_reset(e);
                set_controls(e->tr, self->applied);
            }
        }
    }
    if (st == LV2_STATE_SUCCESS) {
        self->timbre_resync = true;
        self->timbre_reload = false;
    }
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

static const void *extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    return NULL;
}

static const LV2_Descriptor descriptor = {
    SW_TRANSFER_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

const LV2_Descriptor *sw_transfer_lv2_descriptor(uint32_t index)
{
    return index == 0 ? &descriptor : NULL;
}
