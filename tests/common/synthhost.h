/* synthhost.h — a lilv host for the neural instrument and the timbre-transfer effect, in process
 * (tests/host/test_lv2_synth.c, bench/bench_synth_lv2.c). Built on tests/common/lv2host.h (URID map,
 * log, worker queues): an instance wrapper `sx` owning its port buffers and a synchronous worker
 * (jobs run right after run(), responses delivered after them, as jalv does), and `play`, which
 * renders a score of timed MIDI / control / patch events in blocks of a given size (0 = varying
 * 1..1500), each event at its frame inside its block. Header-only, static inline. Define
 * H_RT_ENTER/H_RT_LEAVE before including it to hook the audio-thread calls. */
#ifndef SW_TEST_SYNTHHOST_H
#define SW_TEST_SYNTHHOST_H

#include <math.h>

#include "lv2host.h"

#define URI_SYNTH "https://statewave.dev/plugins/synth"
#define URI_TRANSFER "https://statewave.dev/plugins/transfer"
#define URI_SYNTH_MODEL URI_SYNTH "#model"
#define URI_TRANSFER_MODEL URI_TRANSFER "#model"

/* ports (synth) */
enum { S_MIDI = 0, S_NOTIFY, S_OUT_L, S_OUT_R, S_TIMBRE, S_HARM, S_NOISE, S_PITCH, S_REVERB, S_LEVEL, S_NPORTS };
/* ports (transfer) */
enum { T_CONTROL = 0, T_NOTIFY, T_ENABLED, T_TIMBRE, T_HARM, T_NOISE, T_PITCH, T_REVERB, T_LEVEL, T_LATENCY, T_IN, T_OUT,
       T_NPORTS };

/* ------------------------------------------------------------------ host -- */

/* One instance of either plugin with its port buffers and a synchronous worker. */
typedef struct {
    h_host *H;
    const LilvPlugin *plugin;
    LilvInstance *inst;
    bool synth;                    /* instrument (else transfer) */
    double rate;
    float ctl[16];                 /* control port values, index = port */
    union {
        LV2_Atom_Sequence seq;
        uint8_t raw[16384];
        uint64_t align;
    } ev, notify;                  /* atom in (MIDI / patch), atom out */
    LV2_Atom_Forge forge;          /* writes the next cycle's events into ev */
    LV2_Atom_Forge_Frame seq_frame;
    LV2_Worker_Schedule sched;
    h_queue *jobs, *responses;     /* owned */
    const LV2_Worker_Interface *worker;
    char notified[4096];           /* latest patch:Set <model> path on notify */
    int n_notify;
    LV2_URID model_urid;
} sx;

static inline LV2_Worker_Status sx_schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    sx *s = h;
    return h_queue_push(s->jobs, size, data);
}

static inline LV2_Worker_Status sx_respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    sx *s = h;
    return h_queue_push(s->responses, size, data);
}

static inline const LilvPlugin *find_plugin(h_host *H, const char *uri)
{
    LilvNode *u = lilv_new_uri(H->world, uri);
    const LilvPlugin *p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(H->world), u);
    lilv_node_free(u);
    return p;
}

static inline void sx_begin(sx *s)
{
    lv2_atom_forge_set_buffer(&s->forge, s->ev.raw, sizeof s->ev.raw);
    lv2_atom_forge_sequence_head(&s->forge, &s->seq_frame, 0);
}

/* Instantiate (not activated); controls at their TTL defaults. */
static inline sx *sx_new(h_host *H, bool synth, double rate, bool with_worker)
{
    const LilvPlugin *p = find_plugin(H, synth ? URI_SYNTH : URI_TRANSFER);
    if (!p)
        return NULL;
    sx *s = calloc(1, sizeof *s);
    s->H = H;
    s->plugin = p;
    s->synth = synth;
    s->rate = rate;
    s->jobs = calloc(1, sizeof *s->jobs);
    s->responses = calloc(1, sizeof *s->responses);
    s->sched.handle = s;
    s->sched.schedule_work = sx_schedule;
    LV2_Feature f_map = {LV2_URID__map, &H->map};
    LV2_Feature f_unmap = {LV2_URID__unmap, &H->unmap};
    LV2_Feature f_log = {LV2_LOG__log, &H->log_feature};
    LV2_Feature f_work = {LV2_WORKER__schedule, &s->sched};
    const LV2_Feature *feats[] = {&f_map, &f_unmap, &f_log, with_worker ? &f_work : NULL, NULL};
    s->inst = lilv_plugin_instantiate(p, rate, feats);
    if (!s->inst) {
        free(s->jobs);
        free(s->responses);
        free(s);
        return NULL;
    }
    s->worker = lilv_instance_get_extension_data(s->inst, LV2_WORKER__interface);
    s->model_urid = h_map_uri(&H->urids, synth ? URI_SYNTH_MODEL : URI_TRANSFER_MODEL);
    uint32_t np = lilv_plugin_get_num_ports(p);
    float mins[16], maxs[16], defs[16];
    lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
    for (uint32_t i = 0; i < np && i < 16; i++)
        s->ctl[i] = isnan(defs[i]) ? 0.0f : defs[i];
    const int first = synth ? S_TIMBRE : T_ENABLED, last = synth ? S_LEVEL : T_LATENCY;
    for (int i = first; i <= last; i++)
        lilv_instance_connect_port(s->inst, (uint32_t)i, &s->ctl[i]);
    lilv_instance_connect_port(s->inst, 0, &s->ev.seq);
    lilv_instance_connect_port(s->inst, 1, &s->notify.seq);
    lv2_atom_forge_init(&s->forge, &H->map);
    sx_begin(s);
    return s;
}

static inline void sx_free(sx *s)
{
    if (!s)
        return;
    lilv_instance_free(s->inst);
    free(s->jobs);
    free(s->responses);
    free(s);
}

static inline void sx_midi(sx *s, uint32_t frame, uint8_t st, uint8_t d1, uint8_t d2)
{
    const uint8_t msg[3] = {st, d1, d2};
    const uint32_t len = (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 2 : 3; /* program, pressure: one data byte */
    lv2_atom_forge_frame_time(&s->forge, frame);
    lv2_atom_forge_atom(&s->forge, len, s->H->midi_MidiEvent);
    lv2_atom_forge_write(&s->forge, msg, len);
}

/* patch:Set <model> path (or patch:Get when path is NULL) at `frame`. */
static inline void sx_patch(sx *s, uint32_t frame, const char *path)
{
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(&s->forge, frame);
    lv2_atom_forge_object(&s->forge, &obj, 0, path ? s->H->patch_Set : s->H->patch_Get);
    lv2_atom_forge_key(&s->forge, s->H->patch_property);
    lv2_atom_forge_urid(&s->forge, s->model_urid);
    if (path) {
        lv2_atom_forge_key(&s->forge, s->H->patch_value);
        lv2_atom_forge_path(&s->forge, path, (uint32_t)strlen(path) + 1);
    }
    lv2_atom_forge_pop(&s->forge, &obj);
}

static inline void sx_read_notify(sx *s)
{
    h_host *H = s->H;
    if (s->notify.seq.atom.type != H->atom_Sequence)
        return;
    LV2_ATOM_SEQUENCE_FOREACH (&s->notify.seq, ev) {
        if (ev->body.type != H->atom_Object)
            continue;
        const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
        const LV2_Atom *prop = NULL, *val = NULL;
        lv2_atom_object_get(o, H->patch_property, &prop, H->patch_value, &val, 0);
        if (o->body.otype == H->patch_Set && prop && prop->type == H->atom_URID &&
            ((const LV2_Atom_URID *)prop)->body == s->model_urid && val && val->type == H->atom_Path) {
            snprintf(s->notified, sizeof s->notified, "%s", (const char *)LV2_ATOM_BODY_CONST(val));
            s->n_notify++;
        }
    }
}

/* One host cycle of n frames with the events forged since the last one. Synth: out[0], out[1]
 * (left, right); transfer: in -> out[0]. */
static inline void sx_cycle(sx *s, const float *in, float *outl, float *outr, uint32_t n)
{
    lv2_atom_forge_pop(&s->forge, &s->seq_frame);
    if (s->synth) {
        lilv_instance_connect_port(s->inst, S_OUT_L, outl);
        lilv_instance_connect_port(s->inst, S_OUT_R, outr);
    } else {
        lilv_instance_connect_port(s->inst, T_IN, (void *)in);
        lilv_instance_connect_port(s->inst, T_OUT, outl);
    }
    s->notify.seq.atom.size = sizeof s->notify.raw - sizeof(LV2_Atom);
    s->notify.seq.atom.type = s->H->atom_Chunk;
    H_RT_ENTER();
    lilv_instance_run(s->inst, n);
    H_RT_LEAVE();
    sx_read_notify(s);
    if (s->worker) {
        for (int i = 0; i < s->jobs->n; i++)
            s->worker->work(lilv_instance_get_handle(s->inst), sx_respond, s, s->jobs->size[i], s->jobs->data[i]);
        s->jobs->n = 0;
        for (int i = 0; i < s->responses->n; i++) {
            H_RT_ENTER();
            s->worker->work_response(lilv_instance_get_handle(s->inst), s->responses->size[i], s->responses->data[i]);
            H_RT_LEAVE();
        }
        s->responses->n = 0;
    }
    sx_begin(s);
}

/* ----------------------------------------------------------------- scores -- */

/* A timed event: MIDI (st != 0), a control change (port >= 0, applied at the start of the
 * block holding the frame), or a patch:Set/Get (path, or get). */
typedef struct {
    size_t at;       /* absolute frame */
    uint8_t st, d1, d2;
    int port;        /* -1 = none */
    float value;
    const char *path;
    bool get;
} ev;

#define MIDI(t, a, b, c) {(t), (a), (b), (c), -1, 0, NULL, false}
#define CTL(t, p, v) {(t), 0, 0, 0, (p), (v), NULL, false}
#define PSET(t, path) {(t), 0, 0, 0, -1, 0, (path), false}
#define PGET(t) {(t), 0, 0, 0, -1, 0, NULL, true}

/* block sizes of the "varying" plan: a fixed LCG, so runs are reproducible */
static inline uint32_t sx_rnd(void)
{
    static uint32_t state = 777;
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

/* Play n frames in blocks of bs (0 = varying 1..1500), events (sorted by `at`) at their frames. */
static inline void play(sx *s, const float *in, float *outl, float *outr, size_t n, int bs, const ev *evs, int nev)
{
    size_t pos = 0;
    int e = 0;
    while (pos < n) {
        uint32_t b = bs > 0 ? (uint32_t)bs : 1 + sx_rnd() % 1500;
        if (b > n - pos)
            b = (uint32_t)(n - pos);
        for (; e < nev && evs[e].at < pos + b; e++) {
            uint32_t f = evs[e].at > pos ? (uint32_t)(evs[e].at - pos) : 0;
            if (evs[e].st)
                sx_midi(s, f, evs[e].st, evs[e].d1, evs[e].d2);
            else if (evs[e].port >= 0)
                s->ctl[evs[e].port] = evs[e].value;
            else if (evs[e].path || evs[e].get)
                sx_patch(s, f, evs[e].get ? NULL : evs[e].path);
        }
        sx_cycle(s, in ? in + pos : NULL, outl + pos, outr ? outr + pos : NULL, b);
        pos += b;
    }
}

#endif
