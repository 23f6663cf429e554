/* lv2_base.c — see lv2_base.h. */
#include "lv2_base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/util.h>
#include <lv2/core/lv2_util.h>
#include <lv2/state/state.h>

#include "model_cache.h"

/* Worker messages (copied by the host between threads). */
enum { WORK_LOAD_PATH = 1, WORK_LOAD_SHIPPED, WORK_FREE, WORK_REPORT };
enum { RESP_INSTALL = 1, RESP_FAILED };
enum { REPORT_PATH_TOO_LONG = 1, REPORT_BAD_VALUE, REPORT_QUEUE_FULL, REPORT_NO_WORKER, REPORT_N };

typedef struct {
    uint32_t type; /* WORK_LOAD_PATH */
    uint32_t len;  /* bytes of path including the NUL */
    char path[SW_LV2_MSG_PATH_MAX];
} work_load;

typedef struct {
    uint32_t type;      /* WORK_LOAD_SHIPPED, WORK_FREE, WORK_REPORT, RESP_INSTALL or RESP_FAILED */
    uint32_t code;      /* LOAD_SHIPPED: index into ops->shipped; REPORT: REPORT_*; else 0 */
    sw_lv2_engine *eng; /* FREE: engine to free; INSTALL: new engine; else NULL */
} work_msg;

/* Instantiation class: the ops of a descriptor, found by URI among the bundle's descriptors
 * (lv2_descriptor, statewave_lv2.c), so that a host passing a copy of the descriptor works too. */
static const sw_lv2_ops *ops_of(const LV2_Descriptor *desc)
{
    const LV2_Descriptor *d;
    for (uint32_t i = 0; (d = lv2_descriptor(i)) != NULL; i++)
        if (!strcmp(d->URI, desc->URI))
            return ((const sw_lv2_desc *)d)->ops;
    return NULL;
}

/* ------------------------------------------------------------ engines -- */

/* Worker / instantiation / state class: the plugin's part (ops->destroy), then the model and
 * the path; NULL is a no-op. */
static void engine_free(const sw_lv2 *b, sw_lv2_engine *e)
{
    if (!e)
        return;
    b->ops->destroy(e);
    sw_lv2_model_release(e->model);
    free(e->path);
    free(e);
}

/* Worker / instantiation class: a zeroed engine of ops->engine_size bytes with path and model
 * (model_cache) set, built by ops->build. NULL and err on failure. */
static sw_lv2_engine *engine_new(const sw_lv2 *b, const char *path, char *err, size_t errlen)
{
    if (strlen(path) >= SW_LV2_PATH_MAX) {
        snprintf(err, errlen, "model path is longer than %d bytes", SW_LV2_PATH_MAX - 1);
        return NULL;
    }
    sw_lv2_engine *e = calloc(1, b->ops->engine_size);
    if (!e || !(e->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    e->shipped = -1;
    e->model = sw_lv2_model_acquire(path, err, errlen);
    if (!e->model || !b->ops->build(b, e, err, errlen)) {
        engine_free(b, e);
        return NULL;
    }
    return e;
}

/* Instantiation class. */
uint32_t sw_lv2_frames(double s, double rate)
{
    uint32_t n = (uint32_t)lrint(s * rate);
    return n < 1 ? 1 : n;
}

/* Worker / instantiation class. */
bool sw_lv2_build_failed(const sw_lv2_engine *e, const char *what, double rate, sw_status s, const char *msg,
                         char *err, size_t errlen)
{
    char at[48] = "";
    if (rate > 0)
        snprintf(at, sizeof at, " at %.0f Hz", rate);
    snprintf(err, errlen, "model '%s' cannot run as %s%s: %s (%s)", e->path, what, at, msg[0] ? msg : "no detail",
             sw_status_str(s));
    return false;
}

/* Worker / instantiation class: the path of shipped model t (malloc'ed; NULL when out of memory). */
static char *shipped_path(const sw_lv2 *b, int t)
{
    const sw_lv2_ops *o = b->ops;
    size_t n = strlen(b->bundle) + strlen(o->file_prefix) + strlen(o->shipped[t]) + sizeof ".safetensors";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s.safetensors", b->bundle, o->file_prefix, o->shipped[t]);
    return p;
}

/* Worker / instantiation class: the engine of a user's file (shipped = -1; a plugin without
 * timbres recognises its default model by the path). */
static sw_lv2_engine *engine_for_path(const sw_lv2 *b, const char *path, char *err, size_t errlen)
{
    sw_lv2_engine *e = engine_new(b, path, err, errlen);
    if (e && !b->ops->timbres) {
        char *def = shipped_path(b, 0);
        e->shipped = def && !strcmp(def, path) ? 0 : -1;
        free(def);
    }
    return e;
}

/* Worker / instantiation class: the engine of shipped model t; a failure's message names it. */
static sw_lv2_engine *engine_for_shipped(const sw_lv2 *b, int t, char *err, size_t errlen)
{
    if (t < 0 || t >= b->ops->n_shipped) {
        snprintf(err, errlen, "timbre %d does not exist", t);
        return NULL;
    }
    char *p = shipped_path(b, t);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sw_lv2_engine *e = engine_new(b, p, err, errlen);
    if (e)
        e->shipped = t;
    else if (b->ops->timbres)
        snprintf(err + strlen(err), errlen - strlen(err), " (timbre '%s')", b->ops->shipped[t]);
    free(p);
    return e;
}

/* [RT]: make `e` the engine save() and notify report. Bounded copy, no allocation. */
static void publish(sw_lv2 *b, const sw_lv2_engine *e)
{
    int idx = 1 - atomic_load_explicit(&b->pub_idx, memory_order_relaxed);
    size_t n = strlen(e->path); /* < SW_LV2_PATH_MAX, checked in engine_new */
    memcpy(b->pub_path[idx], e->path, n + 1);
    b->pub_shipped[idx] = e->shipped;
    atomic_store_explicit(&b->pub_idx, idx, memory_order_release);
    b->notify_pending = true;
}

/* ----------------------------------------------------------- controls -- */

/* [RT] */
float sw_lv2_ctl(const float *port, float lo, float hi, float fallback)
{
    if (!port)
        return fallback;
    float v = *port;
    if (!(v == v)) /* NaN */
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

/* [RT] */
LV2_Midi_Message_Type sw_lv2_midi_type(const uint8_t *msg)
{
    LV2_Midi_Message_Type type = lv2_midi_message_type(msg);
    return type == LV2_MIDI_MSG_NOTE_ON && (msg[2] & 0x7F) == 0 ? LV2_MIDI_MSG_NOTE_OFF : type;
}

/* [RT] */
float sw_lv2_target_level(const sw_lv2 *b)
{
    return powf(10.0f, sw_lv2_ctl(b->level_db, -60.0f, 12.0f, 0.0f) / 20.0f);
}

/* [RT]: the timbre index the control asks for (-1 if out of the table or unconnected). */
static int control_timbre(const sw_lv2 *b)
{
    if (!b->timbre)
        return -1;
    float v = b->timbre[0];
    if (!(v >= -0.5f && v < b->ops->n_shipped - 0.5f))
        return -1;
    return (int)lrintf(v);
}

/* [RT] (also instantiation class): the control values the ports ask for into v (entries past
 * the plugin's controls are left as they are). */
static void read_controls(const sw_lv2 *b, float v[SW_LV2_NCTL])
{
    const sw_lv2_ops *o = b->ops;
    if (o->controls) {
        o->controls(b, v);
        return;
    }
    for (int i = 0; i < o->n_ctl; i++) {
        const float *port;
        memcpy(&port, (const char *)b + o->ctl[i].port, sizeof port);
        v[i] = sw_lv2_ctl(port, o->ctl[i].lo, o->ctl[i].hi, o->ctl[i].fallback);
    }
}

/* [RT] (also instantiation class): `e` clean, at the controls the ports ask for, which become
 * the ones last pushed (activation, or a swap at once). */
static void reset_applied(sw_lv2 *b, sw_lv2_engine *e)
{
    read_controls(b, b->applied);
    b->ops->reset(b, e, b->applied);
}

/* [RT]: push changed control values into the engine(s). */
static void apply_controls(sw_lv2 *b)
{
    float v[SW_LV2_NCTL] = {0};
    read_controls(b, v);
    if (memcmp(v, b->applied, sizeof v) != 0) {
        b->ops->set_controls(b->cur, v);
        if (b->next)
            b->ops->set_controls(b->next, v);
        memcpy(b->applied, v, sizeof v);
    }
}

/* [RT] (also instantiation class) */
void sw_lv2_reset_engine(sw_lv2 *b, sw_lv2_engine *e)
{
    float v[SW_LV2_NCTL] = {0};
    read_controls(b, v);
    b->ops->reset(b, e, v);
}

/* ---------------------------------------------------------- transitions -- */

/* [RT] (also instantiation class from restore): start fading in `e`. */
static void begin_transition(sw_lv2 *b, sw_lv2_engine *e)
{
    sw_lv2_reset_engine(b, e);
    b->next = e;
    b->xf_pos = 0;
    b->xf_warm = (uint32_t)e->latency + b->xf_settle;
}

/* [RT]: hand retired engines to the worker; one the queue cannot take now stays. */
static void flush_grave(sw_lv2 *b)
{
    for (int i = 0; i < SW_LV2_GRAVE; i++) {
        if (!b->grave[i] || !b->schedule)
            continue;
        work_msg m = {WORK_FREE, 0, b->grave[i]};
        if (b->schedule->schedule_work(b->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            b->grave[i] = NULL;
    }
}

/* [RT]: retire `e`. With every grave slot taken (the host has not run the worker for
 * SW_LV2_GRAVE swaps) the engine is leaked rather than freed on the audio thread. */
static void retire(sw_lv2 *b, sw_lv2_engine *e)
{
    for (int i = 0; i < SW_LV2_GRAVE; i++) {
        if (!b->grave[i]) {
            b->grave[i] = e;
            return;
        }
    }
    b->pending_report = REPORT_QUEUE_FULL;
}

/* [RT] (also instantiation class from restore): a new engine fades in now, or waits as
 * `queued` while `next` is busy (superseding one waiting, which is retired, or freed at once
 * when not running: free_now). */
static void offer(sw_lv2 *b, sw_lv2_engine *e, bool free_now)
{
    if (!b->next) {
        begin_transition(b, e);
        return;
    }
    if (free_now)
        engine_free(b, b->queued);
    else if (b->queued)
        retire(b, b->queued);
    b->queued = e;
}

/* [RT]: the fade to `next` is over. */
static void end_transition(sw_lv2 *b)
{
    retire(b, b->cur);
    b->cur = b->next;
    b->next = NULL;
    publish(b, b->cur);
    if (b->queued) {
        sw_lv2_engine *q = b->queued;
        b->queued = NULL;
        begin_transition(b, q);
    }
}

/* [RT] */
void sw_lv2_finish_transition(sw_lv2 *b)
{
    while (b->next)
        end_transition(b);
}

/* Instantiation class: finish any swap at once (not running, so no crossfade needed). */
static void settle_now(sw_lv2 *b)
{
    sw_lv2_engine *newer[2] = {b->next, b->queued};
    for (int i = 0; i < 2; i++) {
        if (newer[i]) {
            engine_free(b, b->cur);
            b->cur = newer[i];
        }
    }
    b->next = b->queued = NULL;
    for (int i = 0; i < SW_LV2_GRAVE; i++) {
        engine_free(b, b->grave[i]);
        b->grave[i] = NULL;
    }
    publish(b, b->cur);
}

/* Instantiation class: replace the engine at once (not running). */
static void install_now(sw_lv2 *b, sw_lv2_engine *e)
{
    settle_now(b);
    engine_free(b, b->cur);
    b->cur = e;
    publish(b, e);
}

/* [RT] */
void sw_lv2_render(sw_lv2 *b, const float *const *in, float *const *out, uint32_t n)
{
    const float *ip[SW_LV2_IO];
    float *op[SW_LV2_IO], *bp[SW_LV2_IO];
    uint32_t done = 0;
    while (done < n) {
        for (int c = 0; c < b->n_in; c++)
            ip[c] = in[c] + done;
        for (int c = 0; c < b->n_out; c++)
            op[c] = out[c] + done;
        if (!b->next) {
            b->ops->process(b, b->cur, ip, op, n - done);
            return;
        }
        uint32_t len = n - done < SW_LV2_CHUNK ? n - done : SW_LV2_CHUNK;
        for (int c = 0; c < b->n_in; c++) { /* in may alias out */
            memcpy(b->scr_in[c], ip[c], len * sizeof(float));
            ip[c] = b->scr_in[c];
        }
        for (int c = 0; c < b->n_out; c++)
            bp[c] = b->scr_b[c];
        b->ops->process(b, b->cur, ip, op, len);
        b->ops->process(b, b->next, ip, bp, len);
        for (int c = 0; c < b->n_out; c++)
            sw_crossfade(op[c], bp[c], len, (double)b->xf_pos - b->xf_warm, b->xf_len);
        b->xf_pos += len;
        if (b->xf_pos >= b->xf_warm + b->xf_len)
            end_transition(b);
        done += len;
    }
}

/* ------------------------------------------------------------- messages -- */

/* [RT]: patch:Get / patch:Set of the model property (any other object is ignored). A usable
 * path is sent to the worker; a bad one is reported and the UI hears the model still in use. */
static void handle_patch(sw_lv2 *b, const LV2_Atom_Object *obj)
{
    const sw_lv2_uris *u = &b->uris;
    const LV2_Atom_URID *prop = NULL;
    if (obj->body.otype == u->patch_Get) {
        lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, 0);
        if (!prop || (prop->atom.type == u->atom_URID && prop->body == b->model_urid))
            b->notify_pending = true;
        return;
    }
    if (obj->body.otype != u->patch_Set)
        return;
    const LV2_Atom *value = NULL;
    lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, u->patch_value, &value, 0);
    if (!prop || prop->atom.type != u->atom_URID || prop->body != b->model_urid)
        return;
    const char *s = value ? (const char *)LV2_ATOM_BODY_CONST(value) : NULL;
    const size_t n = value && value->size >= 2 ? strnlen(s, value->size) : 0; /* need not be NUL-terminated */
    uint32_t report = 0;
    if (!value || (value->type != u->atom_Path && value->type != u->atom_String) || n == 0)
        report = REPORT_BAD_VALUE;
    else if (n >= SW_LV2_MSG_PATH_MAX)
        report = REPORT_PATH_TOO_LONG;
    else if (!b->schedule)
        report = REPORT_NO_WORKER;
    if (!report) {
        work_load msg;
        msg.type = WORK_LOAD_PATH;
        msg.len = (uint32_t)n + 1;
        memcpy(msg.path, s, n);
        msg.path[n] = '\0';
        uint32_t size = (uint32_t)(offsetof(work_load, path) + msg.len);
        if (b->schedule->schedule_work(b->schedule->handle, size, &msg) == LV2_WORKER_SUCCESS)
            return; /* the worker answers; notify follows the swap */
        report = REPORT_QUEUE_FULL;
    }
    b->pending_report = report;
    b->notify_pending = true; /* tell the UI which model is still in use */
}

/* [RT] */
static bool is_object(const sw_lv2_uris *u, const LV2_Atom *a)
{
    return a->type == u->atom_Object || a->type == u->atom_Blank || a->type == u->atom_Resource;
}

/* [RT]: the number in a time:Position value (float, double, int or long), or NAN. */
static double atom_number(const sw_lv2_uris *u, const LV2_Atom *a)
{
    if (!a)
        return NAN;
    if (a->type == u->atom_Float && a->size >= sizeof(float))
        return ((const LV2_Atom_Float *)a)->body;
    if (a->type == u->atom_Double && a->size >= sizeof(double))
        return ((const LV2_Atom_Double *)a)->body;
    if (a->type == u->atom_Int && a->size >= sizeof(int32_t))
        return ((const LV2_Atom_Int *)a)->body;
    if (a->type == u->atom_Long && a->size >= sizeof(int64_t))
        return (double)((const LV2_Atom_Long *)a)->body;
    return NAN;
}

/* [RT]: time:Position to ops->position: transport, tempo, meter. */
static void handle_position(sw_lv2 *b, const LV2_Atom_Object *obj)
{
    const sw_lv2_uris *u = &b->uris;
    const LV2_Atom *speed = NULL, *bpm = NULL, *bpb = NULL;
    lv2_atom_object_get(obj, u->time_speed, &speed, u->time_beatsPerMinute, &bpm, u->time_beatsPerBar, &bpb, 0);
    b->ops->position(b, atom_number(u, speed), atom_number(u, bpm), atom_number(u, bpb));
}

/* [RT] */
bool sw_lv2_seq_begin(LV2_Atom_Forge *f, LV2_Atom_Forge_Frame *frame, LV2_Atom_Sequence *seq)
{
    lv2_atom_forge_set_buffer(f, (uint8_t *)seq, seq->atom.size);
    return lv2_atom_forge_sequence_head(f, frame, 0) != 0;
}

/* [RT] */
void sw_lv2_seq_end(LV2_Atom_Forge *f, LV2_Atom_Forge_Frame *frame, LV2_Atom_Sequence *seq, bool ok)
{
    if (ok)
        lv2_atom_forge_pop(f, frame);
    else
        seq->atom.size = 0;
}

/* [RT] */
void sw_lv2_run_events(sw_lv2 *b, const LV2_Atom_Sequence *seq, uint32_t n)
{
    const sw_lv2_ops *o = b->ops;
    const sw_lv2_uris *u = &b->uris;
    uint32_t pos = 0;
    if (seq && b->map) {
        LV2_ATOM_SEQUENCE_FOREACH (seq, ev) {
            int64_t t = ev->time.frames;
            uint32_t at = t < (int64_t)pos ? pos : t > (int64_t)n ? n : (uint32_t)t;
            if (o->render && at > pos)
                o->render(b, pos, at);
            pos = at;
            if (ev->body.type == u->midi_MidiEvent && o->midi) {
                o->midi(b, (const uint8_t *)LV2_ATOM_BODY_CONST(&ev->body), ev->body.size);
            } else if (is_object(u, &ev->body)) {
                const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
                if (obj->body.otype == u->patch_Set || obj->body.otype == u->patch_Get)
                    handle_patch(b, obj);
                else if (obj->body.otype == u->time_Position && o->position)
                    handle_position(b, obj);
            }
        }
    }
    if (o->render && n > pos)
        o->render(b, pos, n);
}

/* [RT]: the timbre control moved: ask the worker for that model. */
static void check_timbre(sw_lv2 *b)
{
    int t = control_timbre(b);
    if (b->timbre_resync) {
        b->req_timbre = t;
        b->timbre_resync = false;
        return;
    }
    if (t == b->req_timbre && !b->timbre_reload)
        return;
    if (t < 0 || !b->schedule) { /* not a timbre (nothing to load), or no worker: do not retry */
        if (t >= 0)
            b->pending_report = REPORT_NO_WORKER;
        b->req_timbre = t;
        b->timbre_reload = false;
        return;
    }
    work_msg m = {WORK_LOAD_SHIPPED, (uint32_t)t, NULL};
    if (b->schedule->schedule_work(b->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS) {
        b->req_timbre = t;
        b->timbre_reload = false;
    } /* else: the queue is full; retried next cycle */
}

/* [RT]: patch:Set <model> "path" on the notify port. */
static void write_notify(sw_lv2 *b)
{
    const sw_lv2_uris *u = &b->uris;
    const char *path = b->pub_path[atomic_load_explicit(&b->pub_idx, memory_order_relaxed)];
    LV2_Atom_Forge *f = &b->forge;
    LV2_Atom_Forge_Frame frame;
    if (!lv2_atom_forge_frame_time(f, 0) || !lv2_atom_forge_object(f, &frame, 0, u->patch_Set))
        return;
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, b->model_urid);
    lv2_atom_forge_key(f, u->patch_value);
    lv2_atom_forge_path(f, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(f, &frame);
    b->notify_pending = false;
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
LV2_Handle sw_lv2_instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                              const LV2_Feature *const *features)
{
    const sw_lv2_ops *o = ops_of(desc);
    if (!o)
        return NULL;
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *schedule = NULL;
    /* urid:map is a required feature in the TTLs, but offline tools such as lilv's lv2apply
     * instantiate with no features at all. Rather than refuse them, a plugin then runs with its
     * default model: no model messages, MIDI or state. */
    lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                       LV2_WORKER__schedule, &schedule, false, NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!map && o->no_map_warning)
        lv2_log_warning(&logger, "%s: %s\n", desc->URI, o->no_map_warning);
    if (!(rate >= o->min_rate && rate <= o->max_rate)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI, rate,
                      o->min_rate, o->max_rate);
        return NULL;
    }
    sw_lv2 *b = calloc(1, o->size);
    size_t blen = strlen(bundle_path);
    char *bundle = malloc(blen + 2);
    if (!b || !bundle) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(b);
        free(bundle);
        return NULL;
    }
    snprintf(bundle, blen + 2, "%s%s", bundle_path, (blen && bundle_path[blen - 1] == '/') ? "" : "/");
    b->ops = o;
    b->bundle = bundle;
    b->map = map;
    b->logger = logger;
    b->schedule = schedule;
    b->rate = rate;
    b->n_ports = o->n_ports;
    b->n_in = b->n_out = 1;
    b->xf_len = 1;
    b->level_coef = sw_smooth_coef(SW_LV2_LEVEL_TAU, rate);
    b->req_timbre = -2;
    for (int i = 0; i < SW_LV2_NCTL; i++)
        b->applied[i] = NAN;
    if (map) {
        sw_lv2_map_uris(map, &b->uris);
        b->model_urid = map->map(map->handle, o->model_uri);
        lv2_atom_forge_init(&b->forge, map);
    }
    char err[512] = "", first_err[512] = "";
    bool ok = !o->init || o->init(b, desc);
    if (b->xf_len < 1)
        b->xf_len = 1;
    if (ok) {
        for (int t = 0; t < (o->timbres ? o->n_shipped : 1) && !b->cur; t++) {
            b->cur = engine_for_shipped(b, t, err, sizeof err);
            if (!b->cur && !first_err[0])
                snprintf(first_err, sizeof first_err, "%s", err);
        }
        if (!b->cur && o->timbres)
            lv2_log_error(&logger, "%s: no timbre model could be loaded from %s (first error: %s)\n", desc->URI,
                          b->bundle, first_err);
        else if (!b->cur)
            lv2_log_error(&logger, "%s: default model: %s\n", desc->URI, first_err);
    }
    if (!b->cur) {
        free(b->bundle);
        free(b);
        return NULL;
    }
    publish(b, b->cur);
    return b;
}

/* Audio class (may be called at any time, also while running): the plugin's port table. */
void sw_lv2_connect_port(LV2_Handle h, uint32_t port, void *data)
{
    sw_lv2 *b = h;
    if (port < b->n_ports && b->ops->ports[port]) /* offset 0 (ops) is no port */
        memcpy((char *)h + b->ops->ports[port], &data, sizeof data);
}

/* Instantiation class (synchronous loading is allowed here): finish any swap, load the timbre
 * the control asks for unless a user's model file was restored, then a clean engine. */
void sw_lv2_activate(LV2_Handle h)
{
    sw_lv2 *b = h;
    settle_now(b);
    if (b->ops->timbres) {
        int t = control_timbre(b);
        bool want_timbre = b->cur->shipped >= 0 || b->timbre_reload;
        if (want_timbre && t >= 0 && t != b->cur->shipped) {
            char err[512] = "";
            sw_lv2_engine *e = engine_for_shipped(b, t, err, sizeof err);
            if (e)
                install_now(b, e);
            else
                lv2_log_error(&b->logger, "%s: %s; keeping '%s'\n", b->ops->log_name, err, b->cur->path);
        }
        b->req_timbre = t;
        b->timbre_resync = false;
        b->timbre_reload = false;
    }
    if (b->ops->activate)
        b->ops->activate(b);
    reset_applied(b, b->cur);
    b->level = sw_lv2_target_level(b);
    b->activated = true;
}

/* Audio class. No allocation, locks, logging or I/O. */
void sw_lv2_run(LV2_Handle h, uint32_t n)
{
    sw_lv2 *b = h;
    b->can_notify = b->notify && b->map && sw_lv2_seq_begin(&b->forge, &b->notify_seq, b->notify);
    if (b->control)
        sw_lv2_run_events(b, b->control, 0); /* patch messages; nothing to render */
    flush_grave(b);
    if (b->pending_report && b->schedule) {
        work_msg m = {WORK_REPORT, b->pending_report, NULL};
        if (b->schedule->schedule_work(b->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            b->pending_report = 0;
    }
    if (!b->next && b->queued) {
        sw_lv2_engine *q = b->queued;
        b->queued = NULL;
        begin_transition(b, q);
    }
    if (b->ops->timbres)
        check_timbre(b);
    apply_controls(b);

    b->ops->run(b, n);

    if (b->latency_port)
        *b->latency_port = (float)b->cur->latency;
    if (b->notify && b->map) {
        if (b->can_notify && b->notify_pending)
            write_notify(b);
        sw_lv2_seq_end(&b->forge, &b->notify_seq, b->notify, b->can_notify);
    }
}

/* Instantiation class. */
void sw_lv2_deactivate(LV2_Handle h)
{
    sw_lv2 *b = h;
    b->activated = false;
}

/* Instantiation class. */
void sw_lv2_cleanup(LV2_Handle h)
{
    sw_lv2 *b = h;
    settle_now(b);
    engine_free(b, b->cur);
    free(b->bundle);
    free(b);
}

/* Worker class (the host's non-real-time worker thread). */
static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data)
{
    sw_lv2 *b = h;
    const char *name = b->ops->log_name;
    uint32_t type;
    if (size < sizeof type)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&type, data, sizeof type);
    char err[512] = "";
    sw_lv2_engine *e = NULL;
    if (type == WORK_LOAD_PATH) {
        work_load msg;
        if (size < offsetof(work_load, path) + 1 || size > sizeof msg)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&msg, data, size);
        msg.path[size - offsetof(work_load, path) - 1] = '\0';
        e = engine_for_path(b, msg.path, err, sizeof err);
    } else {
        work_msg m;
        if (size != sizeof m)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&m, data, sizeof m);
        if (m.type == WORK_FREE) {
            engine_free(b, m.eng);
            return LV2_WORKER_SUCCESS;
        }
        if (m.type == WORK_REPORT) {
            static const char *what[REPORT_N] = {
                "", "model path longer than 1023 bytes; not loaded",
                "patch:Set of the model needs a non-empty atom:Path value",
                "host worker queue full; a model change or free was delayed",
                "the host has no worker (work:schedule): model and timbre changes apply only at activation"};
            lv2_log_error(&b->logger, "%s: %s\n", name, m.code < REPORT_N ? what[m.code] : "?");
            return LV2_WORKER_SUCCESS;
        }
        if (m.type != WORK_LOAD_SHIPPED)
            return LV2_WORKER_ERR_UNKNOWN;
        e = engine_for_shipped(b, (int)m.code, err, sizeof err);
    }
    if (!e)
        lv2_log_error(&b->logger, "%s: %s; keeping the current model\n", name, err);
    work_msg r = {e ? RESP_INSTALL : RESP_FAILED, 0, e};
    if (respond(rh, sizeof r, &r) != LV2_WORKER_SUCCESS) {
        lv2_log_error(&b->logger, "%s: host worker queue full; model change dropped\n", name);
        engine_free(b, e);
    }
    return LV2_WORKER_SUCCESS;
}

/* Audio class (after run()). No allocation, locks, logging or I/O. */
static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    sw_lv2 *b = h;
    work_msg m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == RESP_FAILED) {
        b->notify_pending = true; /* tell the UI which model is still in use */
    } else if (m.type == RESP_INSTALL && m.eng) {
        offer(b, m.eng, false); /* a newer request supersedes one waiting */
    }
    return LV2_WORKER_SUCCESS;
}

/* Free a path from map-path's abstract_path / absolute_path (state / instantiation class). */
static void free_mapped_path(const LV2_Feature *const *features, char *path)
{
    if (!path)
        return;
    LV2_State_Free_Path *fp = lv2_features_data(features, LV2_STATE__freePath);
    if (fp)
        fp->free_path(fp->handle, path);
    else
        free(path);
}

/* State class: may run concurrently with run(); reads only the published path. A shipped
 * model is implied by an absent key (for timbres, the timbre port says which); a user's file
 * is stored as an abstract path (map-path) so the session can move. */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh, uint32_t flags,
                             const LV2_Feature *const *features)
{
    (void)flags;
    sw_lv2 *b = h;
    if (!b->map)
        return LV2_STATE_ERR_NO_FEATURE;
    int idx = atomic_load_explicit(&b->pub_idx, memory_order_acquire);
    if (b->pub_shipped[idx] >= 0)
        return LV2_STATE_SUCCESS;
    char path[SW_LV2_PATH_MAX];
    memcpy(path, b->pub_path[idx], sizeof path);
    path[sizeof path - 1] = '\0';
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    char *apath = mp ? mp->abstract_path(mp->handle, path) : NULL;
    const char *value = apath ? apath : path;
    LV2_State_Status st = store(sh, b->model_urid, value, strlen(value) + 1, b->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    free_mapped_path(features, apath);
    return st;
}

/* Instantiation class (never concurrent with run()). With a model-file key: load it (a file
 * that cannot be loaded keeps the current model and is reported on the log). Without: the
 * default model, or for timbres the timbre port (at activation, or through the worker). */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    sw_lv2 *b = h;
    const char *name = b->ops->log_name;
    if (!b->map)
        return LV2_STATE_ERR_NO_FEATURE;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(sh, b->model_urid, &size, &type, &vflags);
    const sw_lv2_engine *newest = b->queued ? b->queued : b->next ? b->next : b->cur;
    char *apath = NULL, *def = NULL;
    const char *want;
    if (value) {
        const char *s = value;
        if ((type != b->uris.atom_Path && type != b->uris.atom_String) || size < 2 || strnlen(s, size) == size) {
            lv2_log_error(&b->logger, "%s: state has a malformed model path; keeping '%s'\n", name, newest->path);
            return LV2_STATE_ERR_BAD_TYPE;
        }
        LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
        apath = mp ? mp->absolute_path(mp->handle, s) : NULL;
        want = apath ? apath : s;
    } else if (b->ops->timbres) {
        if (newest->shipped < 0) /* a user's model is loaded: back to the shipped timbre */
            b->timbre_reload = true;
        return LV2_STATE_SUCCESS;
    } else if (!(want = def = shipped_path(b, 0))) {
        return LV2_STATE_ERR_UNKNOWN;
    }
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (strcmp(want, newest->path) != 0) {
        char err[512] = "";
        sw_lv2_engine *e = engine_for_path(b, want, err, sizeof err);
        if (!e) {
            lv2_log_error(&b->logger, "%s: state restore: %s; keeping model '%s'\n", name, err, newest->path);
            st = LV2_STATE_ERR_UNKNOWN;
        } else if (b->activated && b->schedule) { /* audio may resume right after us: crossfade */
            offer(b, e, true); /* not concurrent with run(): a superseded one is freed here */
        } else {
            install_now(b, e);
            if (b->activated) /* no worker: swap at once, controls at their targets */
                reset_applied(b, e);
        }
    }
    if (st == LV2_STATE_SUCCESS && value) { /* the user's file wins over the timbre port until it moves */
        b->timbre_resync = true;
        b->timbre_reload = false;
    }
    free_mapped_path(features, apath);
    free(def);
    return st;
}

/* Discovery class. */
const void *sw_lv2_extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    return NULL;
}
