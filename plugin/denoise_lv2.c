/* denoise_lv2.c — the Statewave speech denoiser as an LV2 plugin (mono and stereo).
 *
 * Ports (same indices for both variants; the stereo variant adds the second pair):
 *   0 control  atom in   patch:Set / patch:Get of the model-file property
 *   1 notify   atom out  patch:Set replies: the model file now in use
 *   2 enabled  control   lv2:enabled designation: host bypass (ramps mix to 0, keeps delay)
 *   3 mix      control   wet/dry 0..1
 *   4 limit_db control   attenuation limit 0..100 dB (100 = unlimited)
 *   5 latency  control out  sw_denoiser_latency() of the engine in use
 *   6 in / in_l,  7 out / out_l,  8 in_r,  9 out_r   audio
 *
 * Threading classes (LV2 terms) are named on every callback. The audio thread only
 * touches engines it owns through `cur`/`next`; models and engines are created and freed
 * by the worker (or in instantiation-class callbacks), never in run().
 *
 * Model swap (patch:Set or state restore while running):
 *   worker:       load file (shared through model_cache), create a new sw_denoiser
 *   work_response: the new engine becomes `next`
 *   run():        `next` processes the same input as `cur`, silent, for its latency plus a
 *                 settling time (its FIFOs fill and its recurrent state adapts), then the two
 *                 outputs are crossfaded (raised cosine, 10 ms). `cur` is then handed to the
 *                 worker to free and `next` takes its place.
 */
#include <math.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
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

#include "denoise_lv2.h"
#include "model_cache.h"
#include "statewave.h"
#include "patch_model.h"
#include "uris.h"

enum {
    PORT_CONTROL = 0,
    PORT_NOTIFY = 1,
    PORT_ENABLED = 2,
    PORT_MIX = 3,
    PORT_LIMIT_DB = 4,
    PORT_LATENCY = 5,
    PORT_AUDIO = 6 /* in0, out0, in1, out1 */
};

#define SW_MAX_CH 2
#define SW_CHUNK 256             /* frames per sub-block while two engines run */
#define SW_PATH_MAX 4096         /* longest model path we keep (bytes incl. NUL) */
#define SW_MSG_PATH_MAX 1024     /* longest path a worker message carries (host rings are small) */
#define SW_SETTLE_S 0.020        /* after its latency, a new engine runs 20 ms before fading in */
#define SW_XFADE_S 0.010         /* crossfade length old -> new */
#define SW_GRAVE 8               /* retired engines waiting for a free worker slot */

/* One loaded model and the engine built on it, created and freed off the audio thread. */
typedef struct {
    const sw_model *model; /* shared via model_cache; released by engine_free */
    sw_denoiser *dn;       /* owned; built for the instance's rate and channel count */
    char *path;            /* owned, NUL-terminated absolute path of the model file */
    bool is_default;       /* path is the model shipped in the bundle */
    int latency;           /* sw_denoiser_latency(dn), cached for the audio thread */
} engine;

/* Worker messages (copied by the host between threads). */
enum { WORK_LOAD = 1, WORK_FREE, WORK_REPORT };
enum { RESP_INSTALL = 1, RESP_FAILED };
enum { REPORT_PATH_TOO_LONG = 1, REPORT_BAD_VALUE, REPORT_QUEUE_FULL };

typedef struct {
    uint32_t type; /* WORK_LOAD */
    uint32_t len;  /* bytes of path including the NUL */
    char path[SW_MSG_PATH_MAX];
} work_load;

typedef struct {
    uint32_t type; /* WORK_FREE, WORK_REPORT, RESP_INSTALL or RESP_FAILED */
    uint32_t code; /* REPORT_*: what the audio thread saw */
    engine *eng;   /* FREE: engine to free; INSTALL: new engine; else NULL */
} work_msg;

typedef struct {
    /* ports: set by connect_port (any time, any thread class the host likes) */
    const LV2_Atom_Sequence *control; /* patch messages in */
    LV2_Atom_Sequence *notify;        /* patch:Set replies out; atom.size = capacity on entry */
    const float *enabled;             /* >= 0.5: processing, < 0.5: bypassed */
    const float *mix;                 /* [0,1] */
    const float *limit_db;            /* [0,100] */
    float *latency;                   /* out: frames */
    const float *in[SW_MAX_CH];       /* [channels] audio in, may alias out */
    float *out[SW_MAX_CH];            /* [channels] audio out */

    /* host features (from instantiate; immutable afterwards) */
    LV2_URID_Map *map;
    LV2_Log_Logger logger;          /* log:log or stderr */
    LV2_Worker_Schedule *schedule;  /* NULL: host has no worker; model changes then only via restore */
    sw_lv2_uris uris;
    LV2_Atom_Forge forge;           /* audio thread only */

    /* configuration (immutable after instantiate; read by the worker too) */
    double rate;                    /* host sample rate */
    int channels;                   /* 1 or 2 */
    char *default_path;             /* owned: <bundle>/denoise.safetensors */

    /* engines: owned by the audio thread while activated, by instantiation-class calls otherwise */
    engine *cur;                    /* the engine whose output is heard; never NULL */
    engine *next;                   /* fading in, or NULL */
    engine *queued;                 /* arrived while `next` was busy; waits its turn, or NULL */
    engine *grave[SW_GRAVE];        /* retired, to be passed to the worker for freeing */
    uint32_t xf_pos;                /* frames since `next` started */
    uint32_t xf_warm;               /* frames `next` runs silently before the crossfade */
    uint32_t xf_len;                /* crossfade frames */

    /* controls as last applied to the engines (NAN = never) */
    float applied_mix;
    float applied_limit;
    bool notify_pending;            /* send the current model path on notify next run */
    uint32_t pending_report;        /* REPORT_* to hand the worker (0 = none) */
    bool activated;

    /* model path published for save(), which may run concurrently with run():
     * run writes the slot not in use, then flips pub_idx. */
    char pub_path[2][SW_PATH_MAX];
    bool pub_default[2];
    atomic_int pub_idx;

    /* audio-thread scratch for the two-engine phase: [channel][frame] */
    float scr_in[SW_MAX_CH][SW_CHUNK];
    float scr_a[SW_MAX_CH][SW_CHUNK];
    float scr_b[SW_MAX_CH][SW_CHUNK];
} denoise;

/* ------------------------------------------------------------ engines -- */

/* Non-real-time (instantiation, worker, state). */
static void engine_free(engine *e)
{
    if (!e)
        return;
    sw_denoiser_destroy(e->dn);
    sw_lv2_model_release(e->model);
    free(e->path);
    free(e);
}

/* Non-real-time (instantiation, worker, state): load `path`, build a denoiser for this
 * instance's rate and channels. NULL and a message in err on any failure. */
static engine *engine_new(const denoise *self, const char *path, char *err, size_t errlen)
{
    if (strlen(path) >= SW_PATH_MAX) {
        snprintf(err, errlen, "model path is longer than %d bytes", SW_PATH_MAX - 1);
        return NULL;
    }
    engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->path = strdup(path);
    e->model = e->path ? sw_lv2_model_acquire(path, err, errlen) : NULL;
    if (!e->model) {
        if (!e->path)
            snprintf(err, errlen, "out of memory");
        engine_free(e);
        return NULL;
    }
    char msg[256] = "";
    sw_status s = sw_denoiser_create(e->model, self->rate, self->channels, &e->dn, msg, sizeof msg);
    if (s != SW_OK || !e->dn) {
        snprintf(err, errlen, "model '%s' cannot run as a %s denoiser at %.0f Hz: %s (%s)", path,
                 self->channels == 2 ? "stereo" : "mono", self->rate, msg[0] ? msg : "no detail",
                 sw_status_str(s));
        engine_free(e);
        return NULL;
    }
    e->latency = sw_denoiser_latency(e->dn);
    e->is_default = strcmp(path, self->default_path) == 0;
    return e;
}

/* Real-time: make `e` the engine save() reports. Bounded copy, no allocation. */
static void publish(denoise *self, const engine *e)
{
    int idx = 1 - atomic_load_explicit(&self->pub_idx, memory_order_relaxed);
    size_t n = strlen(e->path); /* < SW_PATH_MAX, checked in engine_new */
    memcpy(self->pub_path[idx], e->path, n + 1);
    self->pub_default[idx] = e->is_default;
    atomic_store_explicit(&self->pub_idx, idx, memory_order_release);
    self->notify_pending = true;
}

static float clampf(float v, float lo, float hi, float fallback)
{
    if (!(v == v)) /* NaN */
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Real-time: the mix the engines should ramp to (bypass = mix 0 on the aligned dry path). */
static float target_mix(const denoise *self)
{
    bool on = !self->enabled || *self->enabled >= 0.5f;
    float m = self->mix ? clampf(*self->mix, 0.0f, 1.0f, 1.0f) : 1.0f;
    return on ? m : 0.0f;
}

static float target_limit(const denoise *self)
{
    return self->limit_db ? clampf(*self->limit_db, 0.0f, 100.0f, 100.0f) : 100.0f;
}

/* Real-time: push changed controls into the engine(s); the engine ramps them. */
static void apply_controls(denoise *self)
{
    float m = target_mix(self), l = target_limit(self);
    if (m != self->applied_mix) {
        sw_denoiser_set_mix(self->cur->dn, m);
        if (self->next)
            sw_denoiser_set_mix(self->next->dn, m);
        self->applied_mix = m;
    }
    if (l != self->applied_limit) {
        sw_denoiser_set_limit_db(self->cur->dn, l);
        if (self->next)
            sw_denoiser_set_limit_db(self->next->dn, l);
        self->applied_limit = l;
    }
}

/* Real-time: start fading `e` in. Its parameters jump to the current targets. */
static void begin_transition(denoise *self, engine *e)
{
    sw_denoiser_set_mix(e->dn, target_mix(self));
    sw_denoiser_set_limit_db(e->dn, target_limit(self));
    sw_denoiser_reset(e->dn);
    self->next = e;
    self->xf_pos = 0;
    self->xf_warm = (uint32_t)e->latency + (uint32_t)(SW_SETTLE_S * self->rate);
    self->xf_len = (uint32_t)(SW_XFADE_S * self->rate);
    if (self->xf_len < 1)
        self->xf_len = 1;
}

/* Real-time: hand retired engines to the worker. An engine the host's queue cannot take
 * now stays in the grave and is retried next cycle. */
static void flush_grave(denoise *self)
{
    for (int i = 0; i < SW_GRAVE; i++) {
        if (!self->grave[i] || !self->schedule)
            continue;
        work_msg m = {WORK_FREE, 0, self->grave[i]};
        if (self->schedule->schedule_work(self->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            self->grave[i] = NULL;
    }
}

/* Real-time: retire `e`. If every grave slot is taken (the host has not run the worker for
 * SW_GRAVE swaps), the engine is leaked rather than freed on the audio thread. */
static void retire(denoise *self, engine *e)
{
    for (int i = 0; i < SW_GRAVE; i++) {
        if (!self->grave[i]) {
            self->grave[i] = e;
            return;
        }
    }
    self->pending_report = REPORT_QUEUE_FULL;
}

/* Real-time: the crossfade is over: `next` becomes `cur`. */
static void finish_transition(denoise *self)
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

/* Instantiation class: finish any swap at once (not running, so no crossfade needed). */
static void settle_now(denoise *self)
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
    for (int i = 0; i < SW_GRAVE; i++) {
        engine_free(self->grave[i]);
        self->grave[i] = NULL;
    }
    publish(self, self->cur);
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
static LV2_Handle instantiate_common(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                                     const LV2_Feature *const *features, int channels)
{
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *schedule = NULL;
    /* urid:map is a required feature in the TTL (the model property, state and log need it),
     * but offline tools such as lilv's lv2apply instantiate with no features at all. Rather
     * than refuse them, the plugin then runs as a plain audio effect: fixed default model,
     * control/notify ports (connectionOptional) ignored, no state. */
    lv2_features_query(features,
                       LV2_LOG__log, &log, false,
                       LV2_URID__map, &map, false,
                       LV2_WORKER__schedule, &schedule, false,
                       NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!map)
        lv2_log_warning(&logger, "%s: host gave no urid:map: running with the default model only, "
                                 "no model changes or state\n", desc->URI);
    if (!(rate >= SW_DENOISE_MIN_RATE && rate <= SW_DENOISE_MAX_RATE)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI,
                      rate, SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE);
        return NULL;
    }

    denoise *self = calloc(1, sizeof *self);
    if (!self) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        return NULL;
    }
    self->map = map;
    self->logger = logger;
    self->schedule = schedule;
    self->rate = rate;
    self->channels = channels;
    self->applied_mix = NAN;
    self->applied_limit = NAN;
    if (map) {
        sw_lv2_map_uris(map, &self->uris);
        lv2_atom_forge_init(&self->forge, map);
    }

    size_t blen = strlen(bundle_path);
    self->default_path = malloc(blen + sizeof "/" SW_DENOISE_DEFAULT_MODEL);
    if (!self->default_path) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(self);
        return NULL;
    }
    sprintf(self->default_path, "%s%s%s", bundle_path,
            (blen && bundle_path[blen - 1] == '/') ? "" : "/", SW_DENOISE_DEFAULT_MODEL);

    char err[512] = "";
    self->cur = engine_new(self, self->default_path, err, sizeof err);
    if (!self->cur) {
        lv2_log_error(&logger, "%s: default model: %s\n", desc->URI, err);
        free(self->default_path);
        free(self);
        return NULL;
    }
    publish(self, self->cur);
    return self;
}

static LV2_Handle instantiate_mono(const LV2_Descriptor *d, double rate, const char *bundle,
                                   const LV2_Feature *const *f)
{
    return instantiate_common(d, rate, bundle, f, 1);
}

static LV2_Handle instantiate_stereo(const LV2_Descriptor *d, double rate, const char *bundle,
                                     const LV2_Feature *const *f)
{
    return instantiate_common(d, rate, bundle, f, 2);
}

/* Audio class (may be called at any time, also while running). */
static void connect_port(LV2_Handle h, uint32_t port, void *data)
{
    denoise *self = h;
    switch (port) {
    case PORT_CONTROL: self->control = data; return;
    case PORT_NOTIFY: self->notify = data; return;
    case PORT_ENABLED: self->enabled = data; return;
    case PORT_MIX: self->mix = data; return;
    case PORT_LIMIT_DB: self->limit_db = data; return;
    case PORT_LATENCY: self->latency = data; return;
    default: break;
    }
    uint32_t a = port - PORT_AUDIO, ch = a / 2;
    if (port < PORT_AUDIO || ch >= (uint32_t)self->channels)
        return;
    if (a % 2 == 0)
        self->in[ch] = data;
    else
        self->out[ch] = data;
}

/* Instantiation class. */
static void activate(LV2_Handle h)
{
    denoise *self = h;
    settle_now(self);
    self->applied_mix = target_mix(self);
    self->applied_limit = target_limit(self);
    sw_denoiser_set_mix(self->cur->dn, self->applied_mix);
    sw_denoiser_set_limit_db(self->cur->dn, self->applied_limit);
    sw_denoiser_reset(self->cur->dn); /* fresh FIFOs; parameters jump to the targets */
    self->activated = true;
}

/* Instantiation class. */
static void deactivate(LV2_Handle h)
{
    denoise *self = h;
    self->activated = false;
}

/* Real-time: patch:Set <model> / patch:Get from the control port. */
static void handle_message(denoise *self, const LV2_Atom_Object *obj)
{
    const char *s = NULL;
    size_t n = 0;
    switch (sw_patch_parse_model(&self->uris, obj, self->uris.sw_model, SW_MSG_PATH_MAX, &s, &n)) {
    case SW_PATCH_IGNORE:
        return;
    case SW_PATCH_GET:
        self->notify_pending = true;
        return;
    case SW_PATCH_BAD_VALUE:
        self->pending_report = REPORT_BAD_VALUE;
        self->notify_pending = true;
        return;
    case SW_PATCH_TOO_LONG:
        self->pending_report = REPORT_PATH_TOO_LONG;
        self->notify_pending = true;
        return;
    case SW_PATCH_SET:
        break;
    }
    if (!self->schedule) { /* cannot load without a worker: tell the UI what is still loaded */
        self->notify_pending = true;
        return;
    }
    work_load msg;
    msg.type = WORK_LOAD;
    msg.len = (uint32_t)n + 1;
    memcpy(msg.path, s, n);
    msg.path[n] = '\0';
    uint32_t size = (uint32_t)(offsetof(work_load, path) + msg.len);
    if (self->schedule->schedule_work(self->schedule->handle, size, &msg) != LV2_WORKER_SUCCESS) {
        self->pending_report = REPORT_QUEUE_FULL;
        self->notify_pending = true;
    }
}

/* Real-time: patch:Set <model> "path" on the notify port. */
static void write_notify(denoise *self)
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
    lv2_atom_forge_urid(f, u->sw_model);
    lv2_atom_forge_key(f, u->patch_value);
    lv2_atom_forge_path(f, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(f, &frame);
    self->notify_pending = false;
}

/* Real-time: two engines on the same input, crossfaded, SW_CHUNK frames at a time. */
static uint32_t run_transition(denoise *self, uint32_t off, uint32_t n)
{
    const int C = self->channels;
    uint32_t len = n < SW_CHUNK ? n : SW_CHUNK;
    const float *ip[SW_MAX_CH];
    float *ap[SW_MAX_CH], *bp[SW_MAX_CH];
    for (int c = 0; c < C; c++) {
        memcpy(self->scr_in[c], self->in[c] + off, len * sizeof(float)); /* in may alias out */
        ip[c] = self->scr_in[c];
        ap[c] = self->scr_a[c];
        bp[c] = self->scr_b[c];
    }
    sw_denoiser_process(self->cur->dn, ip, ap, len);
    sw_denoiser_process(self->next->dn, ip, bp, len);
    const double w = self->xf_warm, L = self->xf_len;
    for (uint32_t i = 0; i < len; i++) {
        double p = (double)self->xf_pos + i - w;
        float g = p <= 0 ? 0.0f : p >= L ? 1.0f : (float)(0.5 - 0.5 * cos(M_PI * p / L));
        for (int c = 0; c < C; c++)
            self->out[c][off + i] = ap[c][i] + g * (bp[c][i] - ap[c][i]);
    }
    self->xf_pos += len;
    if (self->xf_pos >= self->xf_warm + self->xf_len)
        finish_transition(self);
    return len;
}

/* Audio class. No allocation, locks, logging or I/O. */
static void run(LV2_Handle h, uint32_t n)
{
    denoise *self = h;
    const sw_lv2_uris *u = &self->uris;

    bool can_notify = false;
    LV2_Atom_Forge_Frame seq;
    const bool atoms = self->map != NULL; /* without URIDs no message can be read or written */
    if (self->notify && atoms) {
        uint32_t cap = self->notify->atom.size;
        lv2_atom_forge_set_buffer(&self->forge, (uint8_t *)self->notify, cap);
        can_notify = lv2_atom_forge_sequence_head(&self->forge, &seq, 0) != 0;
    }

    if (self->control && atoms) {
        LV2_ATOM_SEQUENCE_FOREACH (self->control, ev) {
            if (ev->body.type == u->atom_Object || ev->body.type == u->atom_Blank ||
                ev->body.type == u->atom_Resource)
                handle_message(self, (const LV2_Atom_Object *)&ev->body);
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
    apply_controls(self);

    bool wired = true;
    for (int c = 0; c < self->channels; c++)
        wired = wired && self->in[c] && self->out[c];
    if (wired) {
        uint32_t done = 0;
        while (done < n) {
            if (self->next) {
                done += run_transition(self, done, n - done);
                continue;
            }
            const float *ip[SW_MAX_CH];
            float *op[SW_MAX_CH];
            for (int c = 0; c < self->channels; c++) {
                ip[c] = self->in[c] + done;
                op[c] = self->out[c] + done;
            }
            sw_denoiser_process(self->cur->dn, ip, op, n - done);
            done = n;
        }
    }

    if (self->latency)
        *self->latency = (float)self->cur->latency;

    if (self->notify && atoms) {
        if (can_notify && self->notify_pending)
            write_notify(self);
        if (can_notify)
            lv2_atom_forge_pop(&self->forge, &seq);
        else /* no room even for an empty sequence: leave a valid empty atom */
            self->notify->atom.size = 0;
    }
}

/* Instantiation class. */
static void cleanup(LV2_Handle h)
{
    denoise *self = h;
    settle_now(self);
    engine_free(self->cur);
    free(self->default_path);
    free(self);
}

/* Worker class (the host's non-real-time worker thread). */
static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle rh, uint32_t size, const void *data)
{
    denoise *self = h;
    uint32_t type;
    if (size < sizeof type)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&type, data, sizeof type);

    if (type == WORK_LOAD) {
        work_load msg;
        if (size < offsetof(work_load, path) + 1 || size > sizeof msg)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&msg, data, size);
        msg.path[size - offsetof(work_load, path) - 1] = '\0';
        char err[512] = "";
        engine *e = engine_new(self, msg.path, err, sizeof err);
        work_msg r = {e ? RESP_INSTALL : RESP_FAILED, 0, e};
        if (!e)
            lv2_log_error(&self->logger, "statewave denoise: %s; keeping the current model\n", err);
        if (respond(rh, sizeof r, &r) != LV2_WORKER_SUCCESS) {
            lv2_log_error(&self->logger, "statewave denoise: host worker queue full; model change dropped\n");
            engine_free(e);
        }
        return LV2_WORKER_SUCCESS;
    }
    if (size != sizeof(work_msg))
        return LV2_WORKER_ERR_UNKNOWN;
    work_msg m;
    memcpy(&m, data, sizeof m);
    if (m.type == WORK_FREE) {
        engine_free(m.eng);
    } else if (m.type == WORK_REPORT) {
        static const char *what[] = {"", "model path longer than 1023 bytes; not loaded",
                                     "patch:Set of the model needs a non-empty atom:Path value",
                                     "host worker queue full; a model change or free was delayed"};
        lv2_log_error(&self->logger, "statewave denoise: %s\n", m.code < 4 ? what[m.code] : "?");
    }
    return LV2_WORKER_SUCCESS;
}

/* Audio class (called by the host on the audio thread, after run()). */
static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    denoise *self = h;
    work_msg m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == RESP_FAILED) {
        self->notify_pending = true; /* tell the UI which model is still in use */
    } else if (m.type == RESP_INSTALL && m.eng) {
        if (!self->next) {
            begin_transition(self, m.eng);
        } else {
            if (self->queued) /* a newer request supersedes the one waiting */
                retire(self, self->queued);
            self->queued = m.eng;
        }
    }
    return LV2_WORKER_SUCCESS;
}

/* State class: may run concurrently with run(); reads only the published path. */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh,
                             uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    denoise *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    int idx = atomic_load_explicit(&self->pub_idx, memory_order_acquire);
    if (self->pub_default[idx])
        return LV2_STATE_SUCCESS; /* the shipped model is implied by an absent key */
    char path[SW_PATH_MAX];
    memcpy(path, self->pub_path[idx], sizeof path);
    path[sizeof path - 1] = '\0';

    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    char *apath = mp ? mp->abstract_path(mp->handle, path) : NULL;
    const char *value = apath ? apath : path;
    LV2_State_Status st = store(sh, self->uris.sw_model, value, strlen(value) + 1, self->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

/* Instantiation class (never concurrent with run()). A missing key means the default model;
 * a model that cannot be loaded keeps the current one and is reported on the log. */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    denoise *self = h;
    if (!self->map)
        return LV2_STATE_ERR_NO_FEATURE;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(sh, self->uris.sw_model, &size, &type, &vflags);

    char *apath = NULL;
    const char *want = self->default_path;
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    if (value) {
        const char *s = value;
        if ((type != self->uris.atom_Path && type != self->uris.atom_String) || size < 2 ||
            strnlen(s, size) == size) {
            lv2_log_error(&self->logger, "statewave denoise: state has a malformed model path; keeping '%s'\n",
                          self->cur->path);
            return LV2_STATE_ERR_BAD_TYPE;
        }
        apath = mp ? mp->absolute_path(mp->handle, s) : NULL;
        want = apath ? apath : s;
    }

    LV2_State_Status st = LV2_STATE_SUCCESS;
    const engine *newest = self->queued ? self->queued : self->next ? self->next : self->cur;
    if (strcmp(want, newest->path) != 0) {
        char err[512] = "";
        engine *e = engine_new(self, want, err, sizeof err);
        if (!e) {
            lv2_log_error(&self->logger, "statewave denoise: state restore: %s; keeping model '%s'\n", err,
                          newest->path);
            st = LV2_STATE_ERR_UNKNOWN;
        } else if (self->activated && self->schedule) {
            /* Audio may resume right after us: let run() crossfade, as for patch:Set. */
            if (!self->next)
                begin_transition(self, e);
            else {
                engine_free(self->queued); /* not concurrent with run(): free here */
                self->queued = e;
            }
        } else {
            settle_now(self);
            engine_free(self->cur);
            self->cur = e;
            publish(self, e);
            if (self->activated) /* no worker: swap at once, parameters at their targets */
                activate(self);
        }
    }
    if (apath) {
        if (fp)
            fp->free_path(fp->handle, apath);
        else
            free(apath);
    }
    return st;
}

/* Discovery class. */
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

static const LV2_Descriptor descriptors[] = {
    {SW_DENOISE_MONO_URI, instantiate_mono, connect_port, activate, run, deactivate, cleanup,
     extension_data},
    {SW_DENOISE_STEREO_URI, instantiate_stereo, connect_port, activate, run, deactivate, cleanup,
     extension_data},
};

const LV2_Descriptor *sw_denoise_lv2_descriptor(uint32_t index)
{
    return index < sizeof descriptors / sizeof descriptors[0] ? &descriptors[index] : NULL;
}
