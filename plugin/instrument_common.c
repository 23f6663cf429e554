/* instrument_common.c — see instrument_common.h. */
#include "instrument_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/util.h>
#include <lv2/core/lv2_util.h>
#include <lv2/state/state.h>

#include "model_cache.h"
#include "patch_model.h"
#include "synth_lv2.h"

/* Worker messages (copied by the host between threads). */
enum { WORK_LOAD_PATH = 1, WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT };
enum { RESP_INSTALL = 1, RESP_FAILED };
enum { REPORT_PATH_TOO_LONG = 1, REPORT_BAD_VALUE, REPORT_QUEUE_FULL, REPORT_NO_WORKER, REPORT_N };

typedef struct {
    uint32_t type; /* WORK_LOAD_PATH */
    uint32_t len;  /* bytes of path including the NUL */
    char path[SW_INST_MSG_PATH_MAX];
} work_load;

typedef struct {
    uint32_t type;       /* WORK_LOAD_TIMBRE, WORK_FREE, WORK_REPORT, RESP_INSTALL or RESP_FAILED */
    uint32_t code;       /* LOAD_TIMBRE: timbre index; REPORT: REPORT_*; else 0 */
    sw_inst_engine *eng; /* FREE: engine to free; INSTALL: new engine; else NULL */
} work_msg;

/* ------------------------------------------------------------ engines -- */

/* Non-real-time (worker, instantiation). */
sw_inst_engine *sw_inst_engine_alloc(size_t size, const char *path, int timbre, char *err, size_t errlen)
{
    if (strlen(path) >= SW_INST_PATH_MAX) {
        snprintf(err, errlen, "model path is longer than %d bytes", SW_INST_PATH_MAX - 1);
        return NULL;
    }
    sw_inst_engine *e = calloc(1, size);
    if (!e || !(e->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    e->timbre = timbre;
    e->model = sw_lv2_model_acquire(path, err, errlen);
    if (!e->model) {
        sw_inst_engine_release(e);
        return NULL;
    }
    return e;
}

/* Non-real-time (worker, instantiation, state). */
void sw_inst_engine_release(sw_inst_engine *e)
{
    if (!e)
        return;
    sw_lv2_model_release(e->model);
    free(e->path);
    free(e);
}

/* Non-real-time (worker, instantiation). */
sw_inst_engine *sw_inst_engine_new_timbre(const sw_inst *c, int t, char *err, size_t errlen)
{
    if (t < 0 || t >= SW_N_TIMBRES) {
        snprintf(err, errlen, "timbre %d does not exist", t);
        return NULL;
    }
    size_t n = strlen(c->bundle) + strlen(SW_TIMBRE_FILE_PREFIX) + strlen(sw_timbre_names[t]) +
               strlen(SW_TIMBRE_FILE_SUFFIX) + 1;
    char *p = malloc(n);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p, n, "%s%s%s%s", c->bundle, SW_TIMBRE_FILE_PREFIX, sw_timbre_names[t], SW_TIMBRE_FILE_SUFFIX);
    sw_inst_engine *e = c->ops->engine_new(c, p, t, err, errlen);
    if (!e)
        snprintf(err + strlen(err), errlen - strlen(err), " (timbre '%s')", sw_timbre_names[t]);
    free(p);
    return e;
}

/* Real-time: make `e` the engine save() reports. Bounded copy, no allocation. */
static void publish(sw_inst *c, const sw_inst_engine *e)
{
    int idx = 1 - atomic_load_explicit(&c->pub_idx, memory_order_relaxed);
    size_t n = strlen(e->path); /* < SW_INST_PATH_MAX, checked in sw_inst_engine_alloc */
    memcpy(c->pub_path[idx], e->path, n + 1);
    c->pub_timbre[idx] = e->timbre;
    atomic_store_explicit(&c->pub_idx, idx, memory_order_release);
    c->notify_pending = true;
}

/* ----------------------------------------------------------- controls -- */

/* Real-time. */
float sw_inst_ctl(const float *port, float lo, float hi, float fallback)
{
    if (!port)
        return fallback;
    float v = *port;
    if (!(v == v)) /* NaN */
        return fallback;
    return v < lo ? lo : v > hi ? hi : v;
}

/* Real-time. */
int sw_inst_control_timbre(const sw_inst *c)
{
    if (!c->timbre)
        return -1;
    float v = c->timbre[0];
    if (!(v >= -0.5f && v < SW_N_TIMBRES - 0.5f))
        return -1;
    return (int)lrintf(v);
}

/* Real-time. */
void sw_inst_control_values(const sw_inst *c, float v[4])
{
    v[0] = sw_inst_ctl(c->harmonic, 0.0f, 4.0f, 1.0f);
    v[1] = sw_inst_ctl(c->noise, 0.0f, 4.0f, 1.0f);
    v[2] = sw_inst_ctl(c->pitch, -24.0f, 24.0f, 0.0f);
    v[3] = sw_inst_ctl(c->reverb, 0.0f, 1.0f, 0.0f);
}

/* Real-time. */
float sw_inst_target_level(const sw_inst *c)
{
    return powf(10.0f, sw_inst_ctl(c->level_db, -60.0f, 12.0f, 0.0f) / 20.0f);
}

/* Real-time: push changed controls into the engine(s); the engines ramp them. */
static void apply_controls(sw_inst *c)
{
    float v[4];
    sw_inst_control_values(c, v);
    if (memcmp(v, c->applied, sizeof v) != 0) {
        c->ops->set_controls(c->cur, v);
        if (c->next)
            c->ops->set_controls(c->next, v);
        memcpy(c->applied, v, sizeof v);
    }
}

/* ---------------------------------------------------------- transitions -- */

/* Real-time (also instantiation class from restore): start fading in `e`. */
static void begin_transition(sw_inst *c, sw_inst_engine *e)
{
    c->ops->prepare_next(c, e);
    c->next = e;
}

/* Real-time: hand retired engines to the worker; one the queue cannot take now stays. */
static void flush_grave(sw_inst *c)
{
    for (int i = 0; i < SW_INST_GRAVE; i++) {
        if (!c->grave[i] || !c->schedule)
            continue;
        work_msg m = {WORK_FREE, 0, c->grave[i]};
        if (c->schedule->schedule_work(c->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            c->grave[i] = NULL;
    }
}

/* Real-time: retire `e`. With every grave slot taken (the host has not run the worker for
 * SW_INST_GRAVE swaps) the engine is leaked rather than freed on the audio thread. */
static void retire(sw_inst *c, sw_inst_engine *e)
{
    for (int i = 0; i < SW_INST_GRAVE; i++) {
        if (!c->grave[i]) {
            c->grave[i] = e;
            return;
        }
    }
    c->pending_report = REPORT_QUEUE_FULL;
}

/* Real-time. */
void sw_inst_finish_transition(sw_inst *c)
{
    retire(c, c->cur);
    c->cur = c->next;
    c->next = NULL;
    publish(c, c->cur);
    if (c->queued) {
        sw_inst_engine *q = c->queued;
        c->queued = NULL;
        begin_transition(c, q);
    }
}

/* Instantiation class: finish any swap at once (not running, so no crossfade needed). */
static void settle_now(sw_inst *c)
{
    if (c->next) {
        c->ops->engine_free(c->cur);
        c->cur = c->next;
        c->next = NULL;
    }
    if (c->queued) {
        c->ops->engine_free(c->cur);
        c->cur = c->queued;
        c->queued = NULL;
    }
    for (int i = 0; i < SW_INST_GRAVE; i++) {
        c->ops->engine_free(c->grave[i]);
        c->grave[i] = NULL;
    }
    publish(c, c->cur);
}

/* Instantiation class: replace the engine at once (not running). */
static void install_now(sw_inst *c, sw_inst_engine *e)
{
    settle_now(c);
    c->ops->engine_free(c->cur);
    c->cur = e;
    publish(c, e);
}

/* ------------------------------------------------------------- messages -- */

/* Real-time: patch:Set <model> / patch:Get. */
static void handle_patch(sw_inst *c, const LV2_Atom_Object *obj)
{
    const char *s = NULL;
    size_t n = 0;
    switch (sw_patch_parse_model(&c->uris, obj, c->model_urid, SW_INST_MSG_PATH_MAX, &s, &n)) {
    case SW_PATCH_IGNORE:
        return;
    case SW_PATCH_GET:
        c->notify_pending = true;
        return;
    case SW_PATCH_BAD_VALUE:
        c->pending_report = REPORT_BAD_VALUE;
        c->notify_pending = true;
        return;
    case SW_PATCH_TOO_LONG:
        c->pending_report = REPORT_PATH_TOO_LONG;
        c->notify_pending = true;
        return;
    case SW_PATCH_SET:
        break;
    }
    if (!c->schedule) {
        c->pending_report = REPORT_NO_WORKER;
        c->notify_pending = true;
        return;
    }
    work_load msg;
    msg.type = WORK_LOAD_PATH;
    msg.len = (uint32_t)n + 1;
    memcpy(msg.path, s, n);
    msg.path[n] = '\0';
    uint32_t size = (uint32_t)(offsetof(work_load, path) + msg.len);
    if (c->schedule->schedule_work(c->schedule->handle, size, &msg) != LV2_WORKER_SUCCESS) {
        c->pending_report = REPORT_QUEUE_FULL;
        c->notify_pending = true;
    }
}

/* Real-time. */
void sw_inst_handle_atom(sw_inst *c, const LV2_Atom *atom)
{
    const sw_lv2_uris *u = &c->uris;
    if (atom->type == u->atom_Object || atom->type == u->atom_Blank || atom->type == u->atom_Resource)
        handle_patch(c, (const LV2_Atom_Object *)atom);
}

/* Real-time: the timbre control moved: ask the worker for that model. */
static void check_timbre(sw_inst *c)
{
    int t = sw_inst_control_timbre(c);
    if (c->timbre_resync) {
        c->req_timbre = t;
        c->timbre_resync = false;
        return;
    }
    if (t == c->req_timbre && !c->timbre_reload)
        return;
    if (t < 0 || !c->schedule) { /* not a timbre (nothing to load), or no worker: do not retry */
        if (t >= 0)
            c->pending_report = REPORT_NO_WORKER;
        c->req_timbre = t;
        c->timbre_reload = false;
        return;
    }
    work_msg m = {WORK_LOAD_TIMBRE, (uint32_t)t, NULL};
    if (c->schedule->schedule_work(c->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS) {
        c->req_timbre = t;
        c->timbre_reload = false;
    } /* else: the queue is full; retried next cycle */
}

/* Real-time: patch:Set <model> "path" on the notify port. */
static void write_notify(sw_inst *c)
{
    const sw_lv2_uris *u = &c->uris;
    int idx = atomic_load_explicit(&c->pub_idx, memory_order_relaxed);
    const char *path = c->pub_path[idx];
    LV2_Atom_Forge *f = &c->forge;
    LV2_Atom_Forge_Frame frame;
    if (!lv2_atom_forge_frame_time(f, 0))
        return;
    if (!lv2_atom_forge_object(f, &frame, 0, u->patch_Set))
        return;
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, c->model_urid);
    lv2_atom_forge_key(f, u->patch_value);
    lv2_atom_forge_path(f, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(f, &frame);
    c->notify_pending = false;
}

/* ------------------------------------------------------------------ run -- */

/* Real-time. */
bool sw_inst_run_begin(sw_inst *c, LV2_Atom_Forge_Frame *seq)
{
    if (!c->notify || !c->map)
        return false;
    lv2_atom_forge_set_buffer(&c->forge, (uint8_t *)c->notify, c->notify->atom.size);
    return lv2_atom_forge_sequence_head(&c->forge, seq, 0) != 0;
}

/* Real-time. */
void sw_inst_run_housekeeping(sw_inst *c)
{
    flush_grave(c);
    if (c->pending_report && c->schedule) {
        work_msg m = {WORK_REPORT, c->pending_report, NULL};
        if (c->schedule->schedule_work(c->schedule->handle, sizeof m, &m) == LV2_WORKER_SUCCESS)
            c->pending_report = 0;
    }
    if (!c->next && c->queued) {
        sw_inst_engine *q = c->queued;
        c->queued = NULL;
        begin_transition(c, q);
    }
    check_timbre(c);
    apply_controls(c);
}

/* Real-time. */
void sw_inst_run_end(sw_inst *c, bool can_notify, LV2_Atom_Forge_Frame *seq)
{
    if (!c->notify || !c->map)
        return;
    if (can_notify && c->notify_pending)
        write_notify(c);
    if (can_notify)
        lv2_atom_forge_pop(&c->forge, seq);
    else
        c->notify->atom.size = 0;
}

/* ------------------------------------------------------- LV2 callbacks -- */

/* Instantiation class. */
sw_inst *sw_inst_instantiate(const LV2_Descriptor *desc, double rate, const char *bundle_path,
                             const LV2_Feature *const *features, size_t size, const sw_inst_ops *ops,
                             const char *model_uri, const char *no_map_warning)
{
    LV2_Log_Log *log = NULL;
    LV2_URID_Map *map = NULL;
    LV2_Worker_Schedule *schedule = NULL;
    lv2_features_query(features, LV2_LOG__log, &log, false, LV2_URID__map, &map, false,
                       LV2_WORKER__schedule, &schedule, false, NULL);
    LV2_Log_Logger logger;
    lv2_log_logger_init(&logger, map, log);
    if (!map && no_map_warning)
        lv2_log_warning(&logger, "%s: %s\n", desc->URI, no_map_warning);
    if (!(rate >= SW_INST_MIN_RATE && rate <= SW_INST_MAX_RATE)) {
        lv2_log_error(&logger, "%s: sample rate %.1f Hz is not supported (%.0f..%.0f Hz)\n", desc->URI, rate,
                      SW_INST_MIN_RATE, SW_INST_MAX_RATE);
        return NULL;
    }
    sw_inst *c = calloc(1, size);
    size_t blen = strlen(bundle_path);
    char *bundle = malloc(blen + 2);
    if (!c || !bundle) {
        lv2_log_error(&logger, "%s: out of memory\n", desc->URI);
        free(c);
        free(bundle);
        return NULL;
    }
    snprintf(bundle, blen + 2, "%s%s", bundle_path, (blen && bundle_path[blen - 1] == '/') ? "" : "/");
    c->ops = ops;
    c->bundle = bundle;
    c->map = map;
    c->logger = logger;
    c->schedule = schedule;
    c->rate = rate;
    c->level_coef = (float)(1.0 - exp(-1.0 / (SW_INST_LEVEL_TAU * rate)));
    c->req_timbre = -2;
    for (int i = 0; i < 4; i++)
        c->applied[i] = NAN;
    if (map) {
        sw_lv2_map_uris(map, &c->uris);
        c->model_urid = map->map(map->handle, model_uri);
        lv2_atom_forge_init(&c->forge, map);
    }
    return c;
}

/* Instantiation class. */
bool sw_inst_load_first(sw_inst *c, const LV2_Descriptor *desc)
{
    char err[512] = "", first_err[512] = "";
    for (int t = 0; t < SW_N_TIMBRES && !c->cur; t++) {
        c->cur = sw_inst_engine_new_timbre(c, t, err, sizeof err);
        if (!c->cur && !first_err[0])
            snprintf(first_err, sizeof first_err, "%s", err);
    }
    if (!c->cur) {
        lv2_log_error(&c->logger, "%s: no timbre model could be loaded from %s (first error: %s)\n", desc->URI,
                      c->bundle, first_err);
        free(c->bundle);
        free(c);
        return false;
    }
    publish(c, c->cur);
    return true;
}

/* Instantiation class (synchronous loading is allowed here). */
void sw_inst_activate(sw_inst *c)
{
    settle_now(c);
    int t = sw_inst_control_timbre(c);
    bool want_timbre = c->cur->timbre >= 0 || c->timbre_reload;
    if (want_timbre && t >= 0 && t != c->cur->timbre) {
        char err[512] = "";
        sw_inst_engine *e = sw_inst_engine_new_timbre(c, t, err, sizeof err);
        if (e)
            install_now(c, e);
        else
            lv2_log_error(&c->logger, "%s: %s; keeping '%s'\n", c->ops->log_name, err, c->cur->path);
    }
    c->req_timbre = t;
    c->timbre_resync = false;
    c->timbre_reload = false;
}

/* Instantiation class. */
void sw_inst_deactivate(LV2_Handle h)
{
    sw_inst *c = h;
    c->activated = false;
}

/* Instantiation class. */
void sw_inst_cleanup(LV2_Handle h)
{
    sw_inst *c = h;
    settle_now(c);
    c->ops->engine_free(c->cur);
    free(c->bundle);
    free(c);
}

/* Worker class. */
static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data)
{
    sw_inst *c = h;
    const char *name = c->ops->log_name;
    uint32_t type;
    if (size < sizeof type)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&type, data, sizeof type);
    char err[512] = "";
    sw_inst_engine *e = NULL;
    if (type == WORK_LOAD_PATH) {
        work_load msg;
        if (size < offsetof(work_load, path) + 1 || size > sizeof msg)
            return LV2_WORKER_ERR_UNKNOWN;
        memcpy(&msg, data, size);
        msg.path[size - offsetof(work_load, path) - 1] = '\0';
        e = c->ops->engine_new(c, msg.path, -1, err, sizeof err);
    } else {
        if (size != sizeof(work_msg))
            return LV2_WORKER_ERR_UNKNOWN;
        work_msg m;
        memcpy(&m, data, sizeof m);
        if (m.type == WORK_FREE) {
            c->ops->engine_free(m.eng);
            return LV2_WORKER_SUCCESS;
        }
        if (m.type == WORK_REPORT) {
            static const char *what[REPORT_N] = {
                "", "model path longer than 1023 bytes; not loaded",
                "patch:Set of the model needs a non-empty atom:Path value",
                "host worker queue full; a model change or free was delayed",
                "the host has no worker (work:schedule): model and timbre changes apply only at activation"};
            lv2_log_error(&c->logger, "%s: %s\n", name, m.code < REPORT_N ? what[m.code] : "?");
            return LV2_WORKER_SUCCESS;
        }
        if (m.type != WORK_LOAD_TIMBRE)
            return LV2_WORKER_ERR_UNKNOWN;
        e = sw_inst_engine_new_timbre(c, (int)m.code, err, sizeof err);
    }
    if (!e)
        lv2_log_error(&c->logger, "%s: %s; keeping the current model\n", name, err);
    work_msg r = {e ? RESP_INSTALL : RESP_FAILED, 0, e};
    if (respond(rh, sizeof r, &r) != LV2_WORKER_SUCCESS) {
        lv2_log_error(&c->logger, "%s: host worker queue full; model change dropped\n", name);
        c->ops->engine_free(e);
    }
    return LV2_WORKER_SUCCESS;
}

/* Audio class (after run()). No allocation, locks, logging or I/O. */
static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data)
{
    sw_inst *c = h;
    work_msg m;
    if (size != sizeof m)
        return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&m, data, sizeof m);
    if (m.type == RESP_FAILED) {
        c->notify_pending = true; /* tell the UI which model is still in use */
    } else if (m.type == RESP_INSTALL && m.eng) {
        if (!c->next) {
            begin_transition(c, m.eng);
        } else {
            if (c->queued) /* a newer request supersedes the one waiting */
                retire(c, c->queued);
            c->queued = m.eng;
        }
    }
    return LV2_WORKER_SUCCESS;
}

/* Free a path from map-path's abstract_path / absolute_path (state class). */
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

/* State class: may run concurrently with run(); reads only the published path. The timbre
 * and the other controls are ports (the host saves them); a user's model file is the one
 * extra key, stored as an abstract path (map-path) so the session can move. */
static LV2_State_Status save(LV2_Handle h, LV2_State_Store_Function store, LV2_State_Handle sh, uint32_t flags,
                             const LV2_Feature *const *features)
{
    (void)flags;
    sw_inst *c = h;
    if (!c->map)
        return LV2_STATE_ERR_NO_FEATURE;
    int idx = atomic_load_explicit(&c->pub_idx, memory_order_acquire);
    if (c->pub_timbre[idx] >= 0)
        return LV2_STATE_SUCCESS; /* a shipped timbre: the timbre port says which */
    char path[SW_INST_PATH_MAX];
    memcpy(path, c->pub_path[idx], sizeof path);
    path[sizeof path - 1] = '\0';
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    char *apath = mp ? mp->abstract_path(mp->handle, path) : NULL;
    const char *value = apath ? apath : path;
    LV2_State_Status st = store(sh, c->model_urid, value, strlen(value) + 1, c->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    free_mapped_path(features, apath);
    return st;
}

/* Instantiation class (never concurrent with run()). With a model-file key: load it (a file
 * that cannot be loaded keeps the current model and is reported on the log). Without: the
 * timbre port decides (at activation, or through the worker if already running). */
static LV2_State_Status restore(LV2_Handle h, LV2_State_Retrieve_Function retrieve, LV2_State_Handle sh,
                                uint32_t flags, const LV2_Feature *const *features)
{
    (void)flags;
    sw_inst *c = h;
    const char *name = c->ops->log_name;
    if (!c->map)
        return LV2_STATE_ERR_NO_FEATURE;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(sh, c->model_urid, &size, &type, &vflags);
    const sw_inst_engine *newest = c->queued ? c->queued : c->next ? c->next : c->cur;
    if (!value) {
        if (newest->timbre < 0) /* a user's model is loaded: back to the shipped timbre */
            c->timbre_reload = true;
        return LV2_STATE_SUCCESS;
    }
    const char *s = value;
    if ((type != c->uris.atom_Path && type != c->uris.atom_String) || size < 2 || strnlen(s, size) == size) {
        lv2_log_error(&c->logger, "%s: state has a malformed model path; keeping '%s'\n", name, newest->path);
        return LV2_STATE_ERR_BAD_TYPE;
    }
    LV2_State_Map_Path *mp = lv2_features_data(features, LV2_STATE__mapPath);
    char *apath = mp ? mp->absolute_path(mp->handle, s) : NULL;
    const char *want = apath ? apath : s;
    LV2_State_Status st = LV2_STATE_SUCCESS;
    if (strcmp(want, newest->path) != 0) {
        char err[512] = "";
        sw_inst_engine *e = c->ops->engine_new(c, want, -1, err, sizeof err);
        if (!e) {
            lv2_log_error(&c->logger, "%s: state restore: %s; keeping model '%s'\n", name, err, newest->path);
            st = LV2_STATE_ERR_UNKNOWN;
        } else if (c->activated && c->schedule) { /* audio may resume right after us: crossfade */
            if (!c->next)
                begin_transition(c, e);
            else {
                c->ops->engine_free(c->queued); /* not concurrent with run(): free here */
                c->queued = e;
            }
        } else {
            install_now(c, e);
            if (c->activated)
                c->ops->restart(c, e);
        }
    }
    if (st == LV2_STATE_SUCCESS) { /* the user's file wins over the timbre port until it moves */
        c->timbre_resync = true;
        c->timbre_reload = false;
    }
    free_mapped_path(features, apath);
    return st;
}

/* Discovery class. */
const void *sw_inst_extension_data(const char *uri)
{
    static const LV2_Worker_Interface worker = {work, work_response, NULL};
    static const LV2_State_Interface state = {save, restore};
    if (!strcmp(uri, LV2_WORKER__interface))
        return &worker;
    if (!strcmp(uri, LV2_STATE__interface))
        return &state;
    return NULL;
}
