/* lv2host.h — a small lilv-based LV2 host for the Statewave plugin tests and benchmark.
 *
 * Header-only (static inline functions) so both tests/host/test_lv2_harness.c and bench/bench_lv2.c
 * can use it without a library. It provides what real hosts give the plugin:
 *   urid:map / urid:unmap   a growing string table
 *   log:log                 messages captured per type (errors counted, last one kept)
 *   work:schedule           a synchronous worker: jobs queued by run() are executed right
 *                           after run() returns, then their responses are delivered
 *                           (work_response) — the order jalv uses in its non-threaded mode
 * and an instance wrapper that owns the port buffers (controls, atom control/notify), plus
 * a second wrapper for the generator instrument (h_gen: MIDI / time:Position / patch messages
 * in, mono out, notify, the same synchronous worker).
 * The plugin bundle is loaded from build/statewave.lv2 (tests run from the repo root).
 */
#ifndef SW_TEST_LV2HOST_H
#define SW_TEST_LV2HOST_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lilv/lilv.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

/* Hooks around the calls a host makes on its audio thread (run, work_response); a test may
 * define them before including this header (tests/rt/test_lv2_rt.c counts allocations). */
#ifndef H_RT_ENTER
#define H_RT_ENTER()
#define H_RT_LEAVE()
#endif

#define H_BUNDLE_DIR "build/statewave.lv2"
#define H_URI_MONO "https://statewave.dev/plugins/denoise#mono"
#define H_URI_STEREO "https://statewave.dev/plugins/denoise#stereo"
#define H_URI_MODEL "https://statewave.dev/plugins/denoise#model"
#define H_URI_GENERATE "https://statewave.dev/plugins/generate"
#define H_URI_GENERATE_MODEL H_URI_GENERATE "#model"

enum { P_CONTROL = 0, P_NOTIFY, P_ENABLED, P_MIX, P_LIMIT, P_LATENCY, P_AUDIO };

/* ------------------------------------------------------------------ URIDs -- */
typedef struct {
    char **uris;  /* [n] owned strings; URID = index + 1 */
    uint32_t n;   /* used entries */
    uint32_t cap; /* allocated entries */
} h_urids;

static inline LV2_URID h_map_uri(LV2_URID_Map_Handle h, const char *uri)
{
    h_urids *t = h;
    for (uint32_t i = 0; i < t->n; i++)
        if (!strcmp(t->uris[i], uri))
            return i + 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->uris = realloc(t->uris, t->cap * sizeof *t->uris);
    }
    t->uris[t->n] = strdup(uri);
    return ++t->n;
}

static inline const char *h_unmap_urid(LV2_URID_Unmap_Handle h, LV2_URID id)
{
    h_urids *t = h;
    return (id >= 1 && id <= t->n) ? t->uris[id - 1] : NULL;
}

/* -------------------------------------------------------------------- log -- */
typedef struct {
    LV2_URID t_error, t_warning, t_note, t_trace; /* log:Error ... */
    int n_error;                                  /* messages of type log:Error so far */
    int n_warning;                                /* log:Warning */
    char last_error[1024];                        /* text of the latest log:Error */
    bool quiet;                                   /* do not echo messages to stderr */
} h_log;

static inline int h_log_vprintf(LV2_Log_Handle h, LV2_URID type, const char *fmt, va_list ap)
{
    h_log *l = h;
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (type == l->t_error) {
        l->n_error++;
        snprintf(l->last_error, sizeof l->last_error, "%s", buf);
    } else if (type == l->t_warning) {
        l->n_warning++;
    }
    if (!l->quiet)
        fprintf(stderr, "  [plugin log %s] %s", type == l->t_error ? "error" : type == l->t_warning ? "warning" : "note", buf);
    return n;
}

static inline int h_log_printf(LV2_Log_Handle h, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = h_log_vprintf(h, type, fmt, ap);
    va_end(ap);
    return n;
}

/* ----------------------------------------------------------------- worker -- */
#define H_QCAP 64
#define H_MSG_MAX 4096
typedef struct {
    uint32_t size[H_QCAP];          /* byte size of each queued message */
    uint8_t data[H_QCAP][H_MSG_MAX]; /* copies of the messages */
    int n;                          /* queued */
} h_queue;

static inline LV2_Worker_Status h_queue_push(h_queue *q, uint32_t size, const void *data)
{
    if (q->n >= H_QCAP || size > H_MSG_MAX)
        return LV2_WORKER_ERR_NO_SPACE;
    q->size[q->n] = size;
    memcpy(q->data[q->n], data, size);
    q->n++;
    return LV2_WORKER_SUCCESS;
}

/* ------------------------------------------------------------------- host -- */
typedef struct {
    LilvWorld *world;
    const LilvPlugin *mono, *stereo;
    const LilvPlugin *generate; /* the generator instrument; NULL if the bundle lacks it */
    h_urids urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    h_log log;
    LV2_Log_Log log_feature;
    char bundle_abs[PATH_MAX]; /* absolute path of build/statewave.lv2 */
    LV2_URID atom_Path, atom_Float, atom_Object, atom_URID, atom_Sequence, atom_Chunk;
    LV2_URID patch_Set, patch_Get, patch_property, patch_value, sw_model;
    LV2_URID midi_MidiEvent, time_Position, time_speed, gen_model;
} h_host;

/* An instance with its port buffers. The worker feature data points back at it. */
typedef struct {
    h_host *host;
    const LilvPlugin *plugin;
    LilvInstance *inst;
    int channels;
    float ctl[P_AUDIO];        /* control port values (index = port) */
    union {
        LV2_Atom_Sequence seq;
        uint8_t raw[8192];
        uint64_t align;         /* events hold 64-bit times: 8-byte alignment */
    } control, notify;          /* atom ports: host -> plugin, plugin -> host */
    LV2_Worker_Schedule sched;  /* work:schedule feature data */
    h_queue jobs, responses;    /* worker jobs from run(), responses from work() */
    const LV2_Worker_Interface *worker;
    char notified_path[4096];   /* latest patch:Set <model> value seen on notify ("" = none) */
    int n_notify;               /* patch:Set messages seen on notify */
    bool use_worker;            /* whether the work:schedule feature was offered */
} h_inst;

static inline LV2_Worker_Status h_schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    h_inst *hi = h;
    return h_queue_push(&hi->jobs, size, data);
}

static inline LV2_Worker_Status h_respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    h_inst *hi = h;
    return h_queue_push(&hi->responses, size, data);
}

/* 0 and the host filled in, or -1 if the bundle is missing (caller skips), -2 on error. */
static inline int h_host_init(h_host *H)
{
    memset(H, 0, sizeof *H);
    struct stat st;
    if (stat(H_BUNDLE_DIR "/manifest.ttl", &st) != 0 || stat(H_BUNDLE_DIR "/statewave.so", &st) != 0)
        return -1;
    if (!realpath(H_BUNDLE_DIR, H->bundle_abs))
        return -2;
    H->map.handle = &H->urids;
    H->map.map = h_map_uri;
    H->unmap.handle = &H->urids;
    H->unmap.unmap = h_unmap_urid;
    H->log.t_error = h_map_uri(&H->urids, LV2_LOG__Error);
    H->log.t_warning = h_map_uri(&H->urids, LV2_LOG__Warning);
    H->log.t_note = h_map_uri(&H->urids, LV2_LOG__Note);
    H->log.t_trace = h_map_uri(&H->urids, LV2_LOG__Trace);
    H->log_feature.handle = &H->log;
    H->log_feature.printf = h_log_printf;
    H->log_feature.vprintf = h_log_vprintf;
    H->atom_Path = h_map_uri(&H->urids, LV2_ATOM__Path);
    H->atom_Float = h_map_uri(&H->urids, LV2_ATOM__Float);
    H->atom_Object = h_map_uri(&H->urids, LV2_ATOM__Object);
    H->atom_URID = h_map_uri(&H->urids, LV2_ATOM__URID);
    H->atom_Sequence = h_map_uri(&H->urids, LV2_ATOM__Sequence);
    H->atom_Chunk = h_map_uri(&H->urids, LV2_ATOM__Chunk);
    H->patch_Set = h_map_uri(&H->urids, LV2_PATCH__Set);
    H->patch_Get = h_map_uri(&H->urids, LV2_PATCH__Get);
    H->patch_property = h_map_uri(&H->urids, LV2_PATCH__property);
    H->patch_value = h_map_uri(&H->urids, LV2_PATCH__value);
    H->sw_model = h_map_uri(&H->urids, H_URI_MODEL);
    H->midi_MidiEvent = h_map_uri(&H->urids, LV2_MIDI__MidiEvent);
    H->time_Position = h_map_uri(&H->urids, LV2_TIME__Position);
    H->time_speed = h_map_uri(&H->urids, LV2_TIME__speed);
    H->gen_model = h_map_uri(&H->urids, H_URI_GENERATE_MODEL);

    H->world = lilv_world_new();
    char uri[PATH_MAX + 16];
    snprintf(uri, sizeof uri, "file://%s/", H->bundle_abs);
    LilvNode *b = lilv_new_uri(H->world, uri);
    lilv_world_load_bundle(H->world, b);
    lilv_node_free(b);
    const LilvPlugins *all = lilv_world_get_all_plugins(H->world);
    LilvNode *um = lilv_new_uri(H->world, H_URI_MONO), *us = lilv_new_uri(H->world, H_URI_STEREO);
    H->mono = lilv_plugins_get_by_uri(all, um);
    H->stereo = lilv_plugins_get_by_uri(all, us);
    LilvNode *ug = lilv_new_uri(H->world, H_URI_GENERATE);
    H->generate = lilv_plugins_get_by_uri(all, ug);
    lilv_node_free(ug);
    lilv_node_free(um);
    lilv_node_free(us);
    return (H->mono && H->stereo) ? 0 : -2;
}

static inline void h_host_free(h_host *H)
{
    if (H->world)
        lilv_world_free(H->world);
    for (uint32_t i = 0; i < H->urids.n; i++)
        free(H->urids.uris[i]);
    free(H->urids.uris);
}

/* Instantiate (not activated). with_worker/with_log choose which optional features to give.
 * Returns NULL when the plugin refuses. */
static inline h_inst *h_inst_new(h_host *H, bool stereo, double rate, bool with_worker, bool with_log)
{
    h_inst *hi = calloc(1, sizeof *hi);
    hi->host = H;
    hi->plugin = stereo ? H->stereo : H->mono;
    hi->channels = stereo ? 2 : 1;
    hi->use_worker = with_worker;
    hi->sched.handle = hi;
    hi->sched.schedule_work = h_schedule;
    LV2_Feature f_map = {LV2_URID__map, &H->map};
    LV2_Feature f_unmap = {LV2_URID__unmap, &H->unmap};
    LV2_Feature f_log = {LV2_LOG__log, &H->log_feature};
    LV2_Feature f_work = {LV2_WORKER__schedule, &hi->sched};
    const LV2_Feature *feats[5];
    int nf = 0;
    feats[nf++] = &f_map;
    feats[nf++] = &f_unmap;
    if (with_log)
        feats[nf++] = &f_log;
    if (with_worker)
        feats[nf++] = &f_work;
    feats[nf] = NULL;
    hi->inst = lilv_plugin_instantiate(hi->plugin, rate, feats);
    if (!hi->inst) {
        free(hi);
        return NULL;
    }
    hi->worker = lilv_instance_get_extension_data(hi->inst, LV2_WORKER__interface);
    hi->ctl[P_ENABLED] = 1.0f;
    hi->ctl[P_MIX] = 1.0f;
    hi->ctl[P_LIMIT] = 100.0f;
    hi->ctl[P_LATENCY] = -1.0f;
    for (int p = P_ENABLED; p <= P_LATENCY; p++)
        lilv_instance_connect_port(hi->inst, p, &hi->ctl[p]);
    lilv_instance_connect_port(hi->inst, P_CONTROL, &hi->control.seq);
    lilv_instance_connect_port(hi->inst, P_NOTIFY, &hi->notify.seq);
    hi->control.seq.atom.size = sizeof(LV2_Atom_Sequence_Body);
    hi->control.seq.atom.type = H->atom_Sequence;
    return hi;
}

static inline void h_inst_free(h_inst *hi)
{
    if (!hi)
        return;
    lilv_instance_free(hi->inst);
    free(hi);
}

/* Write a patch:Set <model> "path" (or patch:Get when path is NULL) into the control port. */
static inline void h_send_patch(h_inst *hi, const char *path)
{
    h_host *H = hi->host;
    LV2_Atom_Forge forge;
    lv2_atom_forge_init(&forge, &H->map);
    lv2_atom_forge_set_buffer(&forge, hi->control.raw, sizeof hi->control.raw);
    LV2_Atom_Forge_Frame seq, obj;
    lv2_atom_forge_sequence_head(&forge, &seq, 0);
    lv2_atom_forge_frame_time(&forge, 0);
    lv2_atom_forge_object(&forge, &obj, 0, path ? H->patch_Set : H->patch_Get);
    lv2_atom_forge_key(&forge, H->patch_property);
    lv2_atom_forge_urid(&forge, H->sw_model);
    if (path) {
        lv2_atom_forge_key(&forge, H->patch_value);
        lv2_atom_forge_path(&forge, path, (uint32_t)strlen(path) + 1);
    }
    lv2_atom_forge_pop(&forge, &obj);
    lv2_atom_forge_pop(&forge, &seq);
}

/* Read patch:Set <model> messages from the notify port into notified_path. */
static inline void h_read_notify(h_inst *hi)
{
    h_host *H = hi->host;
    if (hi->notify.seq.atom.type != H->atom_Sequence)
        return;
    LV2_ATOM_SEQUENCE_FOREACH (&hi->notify.seq, ev) {
        if (ev->body.type != H->atom_Object)
            continue;
        const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
        if (o->body.otype != H->patch_Set)
            continue;
        const LV2_Atom *prop = NULL, *val = NULL;
        lv2_atom_object_get(o, H->patch_property, &prop, H->patch_value, &val, 0);
        if (prop && prop->type == H->atom_URID && ((const LV2_Atom_URID *)prop)->body == H->sw_model && val &&
            val->type == H->atom_Path) {
            snprintf(hi->notified_path, sizeof hi->notified_path, "%s", (const char *)LV2_ATOM_BODY_CONST(val));
            hi->n_notify++;
        }
    }
}

/* One host cycle: connect audio, run(n), read notify, clear control, run the worker jobs,
 * deliver responses. in/out: [channels] pointers to n frames (may alias). */
static inline void h_cycle(h_inst *hi, const float *const *in, float *const *out, uint32_t n)
{
    for (int c = 0; c < hi->channels; c++) {
        lilv_instance_connect_port(hi->inst, P_AUDIO + 2 * c, (void *)in[c]);
        lilv_instance_connect_port(hi->inst, P_AUDIO + 2 * c + 1, out[c]);
    }
    hi->notify.seq.atom.size = sizeof hi->notify.raw - sizeof(LV2_Atom);
    hi->notify.seq.atom.type = hi->host->atom_Chunk;
    H_RT_ENTER();
    lilv_instance_run(hi->inst, n);
    H_RT_LEAVE();
    h_read_notify(hi);
    hi->control.seq.atom.size = sizeof(LV2_Atom_Sequence_Body);
    hi->control.seq.atom.type = hi->host->atom_Sequence;
    if (hi->worker) {
        for (int i = 0; i < hi->jobs.n; i++)
            hi->worker->work(lilv_instance_get_handle(hi->inst), h_respond, hi, hi->jobs.size[i], hi->jobs.data[i]);
        hi->jobs.n = 0;
        for (int i = 0; i < hi->responses.n; i++) {
            H_RT_ENTER();
            hi->worker->work_response(lilv_instance_get_handle(hi->inst), hi->responses.size[i],
                                      hi->responses.data[i]);
            H_RT_LEAVE();
        }
        hi->responses.n = 0;
    }
}

/* -------------------------------------------------------------- generator -- */
enum { G_MIDI = 0, G_OUT, G_TEMPERATURE, G_TOP_P, G_SEED, G_LATCH, G_GAIN, G_TRANSPORT, G_NOTIFY, G_NPORTS };

/* A generator instance with its port buffers and a synchronous worker (as h_inst). Events for
 * the next cycle are forged into `midi` by h_gen_note / h_gen_midi / h_gen_position /
 * h_gen_patch (frames within that cycle, in order). */
typedef struct {
    h_host *host;
    LilvInstance *inst;
    float ctl[G_NPORTS];           /* control port values (index = port; G_MIDI, G_OUT, G_NOTIFY unused) */
    union {
        LV2_Atom_Sequence seq;
        uint8_t raw[8192];
        uint64_t align;
    } midi, notify;                /* atom:Sequence for the midi_in port; the notify port */
    LV2_Atom_Forge forge;          /* writes into midi */
    LV2_Atom_Forge_Frame seq_frame;/* the open sequence */
    LV2_Worker_Schedule sched;     /* work:schedule feature data */
    h_queue *jobs, *responses;     /* owned: worker jobs from run(), responses from work() */
    const LV2_Worker_Interface *worker;
    char notified[4096];           /* latest patch:Set <model> path on notify ("" = none) */
    int n_notify;                  /* patch:Set messages seen on notify */
} h_gen;

static inline void h_gen_begin(h_gen *g)
{
    lv2_atom_forge_set_buffer(&g->forge, g->midi.raw, sizeof g->midi.raw);
    lv2_atom_forge_sequence_head(&g->forge, &g->seq_frame, 0);
}

static inline LV2_Worker_Status h_gen_schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    return h_queue_push(((h_gen *)h)->jobs, size, data);
}

static inline LV2_Worker_Status h_gen_respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    return h_queue_push(((h_gen *)h)->responses, size, data);
}

/* Instantiate (with urid:map, log and a worker, or no features at all) at `rate`, connect the
 * ports; not activated. NULL when the plugin refuses (or the bundle has no generator). */
static inline h_gen *h_gen_new_inactive(h_host *H, double rate, bool with_map)
{
    if (!H->generate)
        return NULL;
    h_gen *g = calloc(1, sizeof *g);
    g->host = H;
    g->jobs = calloc(1, sizeof *g->jobs);
    g->responses = calloc(1, sizeof *g->responses);
    g->sched.handle = g;
    g->sched.schedule_work = h_gen_schedule;
    LV2_Feature f_map = {LV2_URID__map, &H->map};
    LV2_Feature f_unmap = {LV2_URID__unmap, &H->unmap};
    LV2_Feature f_log = {LV2_LOG__log, &H->log_feature};
    LV2_Feature f_work = {LV2_WORKER__schedule, &g->sched};
    const LV2_Feature *with[] = {&f_map, &f_unmap, &f_log, &f_work, NULL}, *none[] = {NULL};
    g->inst = lilv_plugin_instantiate(H->generate, rate, with_map ? with : none);
    if (!g->inst) {
        free(g->jobs);
        free(g->responses);
        free(g);
        return NULL;
    }
    g->worker = lilv_instance_get_extension_data(g->inst, LV2_WORKER__interface);
    g->ctl[G_TEMPERATURE] = 1.0f;
    g->ctl[G_TOP_P] = 1.0f;
    g->ctl[G_SEED] = 1.0f;
    g->ctl[G_LATCH] = 0.0f;
    g->ctl[G_GAIN] = 0.0f;
    g->ctl[G_TRANSPORT] = 0.0f;
    for (int p = G_TEMPERATURE; p <= G_TRANSPORT; p++)
        lilv_instance_connect_port(g->inst, (uint32_t)p, &g->ctl[p]);
    lilv_instance_connect_port(g->inst, G_MIDI, &g->midi.seq);
    lilv_instance_connect_port(g->inst, G_NOTIFY, &g->notify.seq);
    lv2_atom_forge_init(&g->forge, &H->map);
    h_gen_begin(g);
    return g;
}

/* As h_gen_new_inactive, then activated. */
static inline h_gen *h_gen_new(h_host *H, double rate, bool with_map)
{
    h_gen *g = h_gen_new_inactive(H, rate, with_map);
    if (g)
        lilv_instance_activate(g->inst);
    return g;
}

static inline void h_gen_free(h_gen *g)
{
    if (!g)
        return;
    lilv_instance_deactivate(g->inst);
    lilv_instance_free(g->inst);
    free(g->jobs);
    free(g->responses);
    free(g);
}

/* A raw MIDI message at `frame` of the next cycle. */
static inline void h_gen_midi(h_gen *g, uint32_t frame, uint8_t status, uint8_t d1, uint8_t d2)
{
    const uint8_t msg[3] = {status, d1, d2};
    lv2_atom_forge_frame_time(&g->forge, frame);
    lv2_atom_forge_atom(&g->forge, 3, g->host->midi_MidiEvent);
    lv2_atom_forge_write(&g->forge, msg, 3);
}

/* Note on (velocity > 0) or off (velocity 0 = note-off message), channel 1. */
static inline void h_gen_note(h_gen *g, uint32_t frame, uint8_t key, uint8_t velocity)
{
    h_gen_midi(g, frame, velocity ? 0x90 : 0x80, key, velocity);
}

/* time:Position with time:speed at `frame` of the next cycle. */
static inline void h_gen_position(h_gen *g, uint32_t frame, float speed)
{
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(&g->forge, frame);
    lv2_atom_forge_object(&g->forge, &obj, 0, g->host->time_Position);
    lv2_atom_forge_key(&g->forge, g->host->time_speed);
    lv2_atom_forge_float(&g->forge, speed);
    lv2_atom_forge_pop(&g->forge, &obj);
}

/* patch:Set <generate#model> path (patch:Get when path is NULL) at `frame` of the next cycle. */
static inline void h_gen_patch(h_gen *g, uint32_t frame, const char *path)
{
    h_host *H = g->host;
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(&g->forge, frame);
    lv2_atom_forge_object(&g->forge, &obj, 0, path ? H->patch_Set : H->patch_Get);
    lv2_atom_forge_key(&g->forge, H->patch_property);
    lv2_atom_forge_urid(&g->forge, H->gen_model);
    if (path) {
        lv2_atom_forge_key(&g->forge, H->patch_value);
        lv2_atom_forge_path(&g->forge, path, (uint32_t)strlen(path) + 1);
    }
    lv2_atom_forge_pop(&g->forge, &obj);
}

/* One host cycle of n frames into out[n]: the queued events are delivered and cleared, the
 * notify port read, then the worker's jobs run and their responses delivered. */
static inline void h_gen_cycle(h_gen *g, float *out, uint32_t n)
{
    h_host *H = g->host;
    lv2_atom_forge_pop(&g->forge, &g->seq_frame);
    lilv_instance_connect_port(g->inst, G_OUT, out);
    g->notify.seq.atom.size = sizeof g->notify.raw - sizeof(LV2_Atom);
    g->notify.seq.atom.type = H->atom_Chunk;
    H_RT_ENTER();
    lilv_instance_run(g->inst, n);
    H_RT_LEAVE();
    if (g->notify.seq.atom.type == H->atom_Sequence) {
        LV2_ATOM_SEQUENCE_FOREACH (&g->notify.seq, ev) {
            const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
            const LV2_Atom *prop = NULL, *val = NULL;
            if (ev->body.type != H->atom_Object || o->body.otype != H->patch_Set)
                continue;
            lv2_atom_object_get(o, H->patch_property, &prop, H->patch_value, &val, 0);
            if (prop && prop->type == H->atom_URID && ((const LV2_Atom_URID *)prop)->body == H->gen_model && val &&
                val->type == H->atom_Path) {
                snprintf(g->notified, sizeof g->notified, "%s", (const char *)LV2_ATOM_BODY_CONST(val));
                g->n_notify++;
            }
        }
    }
    if (g->worker) {
        for (int i = 0; i < g->jobs->n; i++)
            g->worker->work(lilv_instance_get_handle(g->inst), h_gen_respond, g, g->jobs->size[i], g->jobs->data[i]);
        g->jobs->n = 0;
        for (int i = 0; i < g->responses->n; i++) {
            H_RT_ENTER();
            g->worker->work_response(lilv_instance_get_handle(g->inst), g->responses->size[i], g->responses->data[i]);
            H_RT_LEAVE();
        }
        g->responses->n = 0;
    }
    h_gen_begin(g);
}

/* Port value access for lilv_state (by symbol). */
static inline int h_port_by_symbol(const char *sym)
{
    static const char *names[] = {"control", "notify", "enabled", "mix", "limit_db", "latency"};
    for (int i = 0; i < P_AUDIO; i++)
        if (!strcmp(sym, names[i]))
            return i;
    return -1;
}

static inline const void *h_get_port_value(const char *sym, void *user, uint32_t *size, uint32_t *type)
{
    h_inst *hi = user;
    int p = h_port_by_symbol(sym);
    if (p < P_ENABLED || p > P_LIMIT) { /* only input controls are state */
        *size = 0;
        *type = 0;
        return NULL;
    }
    *size = sizeof(float);
    *type = hi->host->atom_Float;
    return &hi->ctl[p];
}

static inline void h_set_port_value(const char *sym, void *user, const void *value, uint32_t size, uint32_t type)
{
    h_inst *hi = user;
    int p = h_port_by_symbol(sym);
    if (p >= P_ENABLED && p <= P_LIMIT && size == sizeof(float) && type == hi->host->atom_Float)
        memcpy(&hi->ctl[p], value, sizeof(float));
}

#endif
