/* test_lv2_continue.c — Statewave Continue (https://statewave.dev/plugins/continue) in a lilv
 * host, in process, driving run() directly with timed MIDI and reading its MIDI out.
 *
 * The plugin comes from the test bundle build/tests/host/continue.lv2 (mk/plugin.mk: the same
 * statewave.so and continue.ttl, with the tiny random-weight model tests/data/compose_test.safetensors
 * as its default compose.safetensors). The host gives urid:map, log:log and a synchronous worker
 * (jobs run right after run(), responses delivered after them, as jalv does). Output events that
 * are not the played ones passed through are "generated"; for every run the generated notes are
 * checked to pair up (a note-on, then its note-off on the same channel and pitch, no note-off for
 * a note the plugin did not start, nothing left sounding at the end).
 *
 *  1. rates: 48 and 44.1 kHz instantiate, 4 kHz is refused with a log:Error
 *  2. a C major phrase, then silence: every played event comes out at its frame; nothing is
 *     generated before the last event + Wait; then notes come, all in C major (key port 0) and
 *     in the Low..High range; they stop 4 bars (120 bpm 4/4, no host transport) after the start,
 *     notes still sounding then end exactly at that frame, and the Continuing port follows
 *  3. same seed and playing -> the same output events, for blocks of 256, 64, 1000 and random
 *     sizes 1..4096 (frames follow the events, not the blocks); another seed -> other notes
 *  4. an F# major phrase -> key 6, notes in F# major; key lock off -> notes outside the scale
 *  5. playing again during a continuation: each sounding generated note ends at that very frame,
 *     before the played note-on; nothing is generated until the next silence of Wait, when a
 *     new continuation starts (Bars 0: until played)
 *  6. the host transport: time:speed 0 ends a continuation at its frame; nothing is generated
 *     while stopped, even after playing and a silence longer than Wait; rolling again continues
 *     at that frame; with Follow transport off, a stopped transport is ignored.
 *     time:beatsPerMinute 90 and beatsPerBar 3 with Bars 2: it stops 4 s after its start
 *  7. Trigger (from nothing), Enabled off (passes MIDI only; switching it off ends a continuation
 *     at the block's start), Max voices, Density, Range
 *  8. bad input: empty, truncated, over-long, running-status and undefined MIDI messages, data
 *     bytes >= 0x80, sysex without its end, other atom types, events past the block: no crash,
 *     none of them passed on, the well-formed notes around them heard and passed as usual
 *  9. a MIDI out buffer with room for a few events only: still a valid sequence, and every
 *     generated note ends (note-offs that do not fit wait for the next block)
 * 10. the model-file property: a copy of the model loads in the worker and is notified, then
 *     continues the same way; a missing file and a model of another task are logged and the
 *     plugin goes on with its model; a host with no features gets a working, silent instance
 * 11. deactivated mid-continuation and activated again: the notes left sounding end in the first
 *     block; with a trained model in build/statewave.lv2, that plugin continues the phrase with
 *     paired notes in its key (skipped, with a message, while no model is shipped)
 * Real time (skipped under ASan, which owns the allocator): every run() and work_response()
 * above, including the first run() of a fresh instance, is counted by tests/common/rt_interpose.h
 * plus file I/O and getenv: none may happen.
 * Skipped with a message only if the test bundle is not built.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_interpose.h"

static volatile long g_io;     /* open/fopen/read/write seen while rt_counting */
static volatile long g_getenv; /* getenv seen while rt_counting */
static long g_rt_calls;        /* audio-thread callbacks counted */

#define H_RT_ENTER() (rt_counting = 1, g_rt_calls++)
#define H_RT_LEAVE() (rt_counting = 0)
#include "lv2host.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
#define FORWARD(ret, name, params, args)                                                                     \
    ret name params                                                                                          \
    {                                                                                                        \
        static ret(*real) params;                                                                            \
        if (!real)                                                                                           \
            *(void **)&real = dlsym(RTLD_NEXT, #name);                                                       \
        if (rt_counting)                                                                                     \
            g_io++;                                                                                          \
        return real args;                                                                                    \
    }
FORWARD(ssize_t, read, (int fd, void *b, size_t n), (fd, b, n))
FORWARD(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
FORWARD(FILE *, fopen, (const char *p, const char *m), (p, m))
int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "open");
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
    va_end(ap);
    if (rt_counting)
        g_io++;
    return real(path, flags, mode);
}
/* getenv: counted, then answered from environ directly (dlsym could itself call getenv) */
extern char **environ;
char *getenv(const char *name)
{
    if (rt_counting)
        g_getenv++;
    size_t len = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}
#endif

#define BUNDLE "build/tests/host/continue.lv2"
#define URI "https://statewave.dev/plugins/continue"
#define URI_MODEL URI "#model"

static int g_fail, g_pass;
#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (cond) {                                                                                          \
            g_pass++;                                                                                        \
        } else {                                                                                             \
            g_fail++;                                                                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            printf(__VA_ARGS__);                                                                             \
            printf("\n");                                                                                    \
        }                                                                                                    \
    } while (0)

/* ports (continue.ttl) */
enum { C_IN = 0, C_OUT, C_NOTIFY, C_ENABLED, C_WAIT, C_TRIGGER, C_BARS, C_TEMP, C_TOPP, C_SEED, C_KEYLOCK, C_LOW,
       C_HIGH, C_VOICES, C_DENSITY, C_TRANSPORT, C_ACTIVE, C_KEY, C_NPORTS };

/* ------------------------------------------------------------------ host -- */

typedef struct {
    LilvWorld *world;
    const LilvPlugin *plugin;
    h_urids urids;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    h_log log;
    LV2_Log_Log log_feature;
    char bundle_abs[PATH_MAX];
    LV2_URID atom_Sequence, atom_Chunk, atom_Object, atom_URID, atom_Path, atom_Float, atom_Int;
    LV2_URID midi_Event, patch_Set, patch_property, patch_value, model;
    LV2_URID time_Position, time_speed, time_bpm, time_bpb;
} chost;

/* The plugin from `bundle`: 0, -1 if the bundle is not built, -2 if the plugin is not in it. */
static int chost_init(chost *H, const char *bundle)
{
    memset(H, 0, sizeof *H);
    char f[PATH_MAX];
    struct stat st;
    snprintf(f, sizeof f, "%s/manifest.ttl", bundle);
    if (stat(f, &st) != 0 || !realpath(bundle, H->bundle_abs))
        return -1;
    snprintf(f, sizeof f, "%s/statewave.so", bundle);
    if (stat(f, &st) != 0)
        return -1;
    H->map.handle = H->unmap.handle = &H->urids;
    H->map.map = h_map_uri;
    H->unmap.unmap = h_unmap_urid;
    H->log.t_error = h_map_uri(&H->urids, LV2_LOG__Error);
    H->log.t_warning = h_map_uri(&H->urids, LV2_LOG__Warning);
    H->log.t_note = h_map_uri(&H->urids, LV2_LOG__Note);
    H->log.t_trace = h_map_uri(&H->urids, LV2_LOG__Trace);
    H->log_feature.handle = &H->log;
    H->log_feature.printf = h_log_printf;
    H->log_feature.vprintf = h_log_vprintf;
    H->atom_Sequence = h_map_uri(&H->urids, LV2_ATOM__Sequence);
    H->atom_Chunk = h_map_uri(&H->urids, LV2_ATOM__Chunk);
    H->atom_Object = h_map_uri(&H->urids, LV2_ATOM__Object);
    H->atom_URID = h_map_uri(&H->urids, LV2_ATOM__URID);
    H->atom_Path = h_map_uri(&H->urids, LV2_ATOM__Path);
    H->atom_Float = h_map_uri(&H->urids, LV2_ATOM__Float);
    H->atom_Int = h_map_uri(&H->urids, LV2_ATOM__Int);
    H->midi_Event = h_map_uri(&H->urids, LV2_MIDI__MidiEvent);
    H->patch_Set = h_map_uri(&H->urids, LV2_PATCH__Set);
    H->patch_property = h_map_uri(&H->urids, LV2_PATCH__property);
    H->patch_value = h_map_uri(&H->urids, LV2_PATCH__value);
    H->model = h_map_uri(&H->urids, URI_MODEL);
    H->time_Position = h_map_uri(&H->urids, LV2_TIME__Position);
    H->time_speed = h_map_uri(&H->urids, LV2_TIME__speed);
    H->time_bpm = h_map_uri(&H->urids, LV2_TIME__beatsPerMinute);
    H->time_bpb = h_map_uri(&H->urids, LV2_TIME__beatsPerBar);
    H->world = lilv_world_new();
    char uri[PATH_MAX + 16];
    snprintf(uri, sizeof uri, "file://%s/", H->bundle_abs);
    LilvNode *b = lilv_new_uri(H->world, uri), *u = lilv_new_uri(H->world, URI);
    lilv_world_load_bundle(H->world, b);
    H->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(H->world), u);
    lilv_node_free(b);
    lilv_node_free(u);
    return H->plugin ? 0 : -2;
}

static void chost_free(chost *H)
{
    if (H->world)
        lilv_world_free(H->world);
    for (uint32_t i = 0; i < H->urids.n; i++)
        free(H->urids.uris[i]);
    free(H->urids.uris);
}

/* An output event: running frame, bytes. */
typedef struct {
    uint64_t at;
    uint32_t size;
    uint8_t m[8];
} oev;

typedef struct {
    chost *H;
    LilvInstance *inst;
    double rate;
    float ctl[C_NPORTS];
    union {
        LV2_Atom_Sequence seq;
        uint8_t raw[32768];
        uint64_t align;
    } in, out, notify;
    uint32_t out_cap;               /* bytes of out offered to the plugin */
    LV2_Atom_Forge forge;           /* writes the next block's events into `in` */
    LV2_Atom_Forge_Frame seq;
    LV2_Worker_Schedule sched;
    h_queue *jobs, *responses;      /* owned */
    const LV2_Worker_Interface *worker;
    uint64_t now;                   /* running frame of the next block */
    oev *ev;                        /* [n_ev] everything that came out of midi_out */
    size_t n_ev, cap_ev;
    bool bad_out;                   /* midi_out was not a valid sequence after some run() */
    uint64_t active_on, active_off; /* first block end with Continuing 1, first with 0 after it */
    char notified[4096];
    int n_notify;
} ci;

static LV2_Worker_Status ci_schedule(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    return h_queue_push(((ci *)h)->jobs, size, data);
}

static LV2_Worker_Status ci_respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    return h_queue_push(((ci *)h)->responses, size, data);
}

static void ci_begin(ci *c)
{
    lv2_atom_forge_set_buffer(&c->forge, c->in.raw, sizeof c->in.raw);
    lv2_atom_forge_sequence_head(&c->forge, &c->seq, 0);
}

/* Controls at the TTL defaults. */
static void ci_defaults(ci *c)
{
    static const float def[C_NPORTS] = {[C_ENABLED] = 1, [C_WAIT] = 2, [C_TRIGGER] = 0, [C_BARS] = 4,
                                        [C_TEMP] = 1, [C_TOPP] = 0.95f, [C_SEED] = 1, [C_KEYLOCK] = 1,
                                        [C_LOW] = 21, [C_HIGH] = 108, [C_VOICES] = 0, [C_DENSITY] = 0,
                                        [C_TRANSPORT] = 1,
                                        [C_ACTIVE] = -1, [C_KEY] = -9};
    memcpy(c->ctl, def, sizeof def);
}

/* Instantiate and activate (with map, log and the worker, or with no features). */
static ci *ci_new(chost *H, double rate, bool features)
{
    ci *c = calloc(1, sizeof *c);
    c->H = H;
    c->rate = rate;
    c->jobs = calloc(1, sizeof *c->jobs);
    c->responses = calloc(1, sizeof *c->responses);
    c->sched.handle = c;
    c->sched.schedule_work = ci_schedule;
    LV2_Feature f_map = {LV2_URID__map, &H->map}, f_unmap = {LV2_URID__unmap, &H->unmap};
    LV2_Feature f_log = {LV2_LOG__log, &H->log_feature}, f_work = {LV2_WORKER__schedule, &c->sched};
    const LV2_Feature *with[] = {&f_map, &f_unmap, &f_log, &f_work, NULL}, *none[] = {NULL};
    c->inst = lilv_plugin_instantiate(H->plugin, rate, features ? with : none);
    if (!c->inst) {
        free(c->jobs);
        free(c->responses);
        free(c);
        return NULL;
    }
    c->worker = lilv_instance_get_extension_data(c->inst, LV2_WORKER__interface);
    ci_defaults(c);
    for (int p = C_ENABLED; p < C_NPORTS; p++)
        lilv_instance_connect_port(c->inst, (uint32_t)p, &c->ctl[p]);
    lilv_instance_connect_port(c->inst, C_IN, &c->in.seq);
    lilv_instance_connect_port(c->inst, C_OUT, &c->out.seq);
    lilv_instance_connect_port(c->inst, C_NOTIFY, &c->notify.seq);
    c->out_cap = sizeof c->out.raw - sizeof(LV2_Atom);
    lv2_atom_forge_init(&c->forge, &H->map);
    ci_begin(c);
    lilv_instance_activate(c->inst);
    return c;
}

static void ci_free(ci *c)
{
    if (!c)
        return;
    lilv_instance_deactivate(c->inst);
    lilv_instance_free(c->inst);
    free(c->jobs);
    free(c->responses);
    free(c->ev);
    free(c);
}

static void ci_midi(ci *c, uint32_t frame, const uint8_t *m, uint32_t size)
{
    lv2_atom_forge_frame_time(&c->forge, frame);
    lv2_atom_forge_atom(&c->forge, size, c->H->midi_Event);
    lv2_atom_forge_write(&c->forge, m, size);
}

/* time:Position; a NAN field is left out. */
static void ci_position(ci *c, uint32_t frame, float speed, float bpm, float bpb)
{
    chost *H = c->H;
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(&c->forge, frame);
    lv2_atom_forge_object(&c->forge, &obj, 0, H->time_Position);
    if (speed == speed) {
        lv2_atom_forge_key(&c->forge, H->time_speed);
        lv2_atom_forge_float(&c->forge, speed);
    }
    if (bpm == bpm) {
        lv2_atom_forge_key(&c->forge, H->time_bpm);
        lv2_atom_forge_float(&c->forge, bpm);
    }
    if (bpb == bpb) {
        lv2_atom_forge_key(&c->forge, H->time_bpb);
        lv2_atom_forge_float(&c->forge, bpb);
    }
    lv2_atom_forge_pop(&c->forge, &obj);
}

static void ci_patch(ci *c, uint32_t frame, const char *path)
{
    chost *H = c->H;
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(&c->forge, frame);
    lv2_atom_forge_object(&c->forge, &obj, 0, H->patch_Set);
    lv2_atom_forge_key(&c->forge, H->patch_property);
    lv2_atom_forge_urid(&c->forge, H->model);
    lv2_atom_forge_key(&c->forge, H->patch_value);
    lv2_atom_forge_path(&c->forge, path, (uint32_t)strlen(path) + 1);
    lv2_atom_forge_pop(&c->forge, &obj);
}

/* One block of n frames: the forged events in, run(), midi_out and notify read, the worker. */
static void ci_cycle(ci *c, uint32_t n)
{
    chost *H = c->H;
    lv2_atom_forge_pop(&c->forge, &c->seq);
    c->out.seq.atom.size = c->out_cap;
    c->out.seq.atom.type = H->atom_Chunk;
    c->notify.seq.atom.size = sizeof c->notify.raw - sizeof(LV2_Atom);
    c->notify.seq.atom.type = H->atom_Chunk;
    H_RT_ENTER();
    lilv_instance_run(c->inst, n);
    H_RT_LEAVE();
    if (c->out.seq.atom.type != H->atom_Sequence || c->out.seq.atom.size > c->out_cap) {
        c->bad_out = true;
    } else {
        int64_t last = 0;
        LV2_ATOM_SEQUENCE_FOREACH (&c->out.seq, ev) {
            if (ev->body.type != H->midi_Event || ev->time.frames < last || (n && ev->time.frames >= n) || ev->body.size == 0 ||
                ev->body.size > 8) {
                c->bad_out = true;
                continue;
            }
            last = ev->time.frames;
            if (c->n_ev == c->cap_ev) {
                c->cap_ev = c->cap_ev ? 2 * c->cap_ev : 1024;
                c->ev = realloc(c->ev, c->cap_ev * sizeof *c->ev);
            }
            oev *o = &c->ev[c->n_ev++];
            o->at = c->now + (uint64_t)ev->time.frames;
            o->size = ev->body.size;
            memcpy(o->m, LV2_ATOM_BODY_CONST(&ev->body), ev->body.size);
        }
    }
    if (c->notify.seq.atom.type == H->atom_Sequence) {
        LV2_ATOM_SEQUENCE_FOREACH (&c->notify.seq, ev) {
            const LV2_Atom_Object *o = (const LV2_Atom_Object *)&ev->body;
            const LV2_Atom *prop = NULL, *val = NULL;
            if (ev->body.type != H->atom_Object || o->body.otype != H->patch_Set)
                continue;
            lv2_atom_object_get(o, H->patch_property, &prop, H->patch_value, &val, 0);
            if (prop && prop->type == H->atom_URID && ((const LV2_Atom_URID *)prop)->body == H->model && val &&
                val->type == H->atom_Path) {
                snprintf(c->notified, sizeof c->notified, "%s", (const char *)LV2_ATOM_BODY_CONST(val));
                c->n_notify++;
            }
        }
    }
    c->now += n;
    if (c->ctl[C_ACTIVE] == 1.0f && !c->active_on)
        c->active_on = c->now;
    if (c->ctl[C_ACTIVE] == 0.0f && c->active_on && !c->active_off)
        c->active_off = c->now;
    if (c->worker) {
        for (int i = 0; i < c->jobs->n; i++)
            c->worker->work(lilv_instance_get_handle(c->inst), ci_respond, c, c->jobs->size[i], c->jobs->data[i]);
        c->jobs->n = 0;
        for (int i = 0; i < c->responses->n; i++) {
            H_RT_ENTER();
            c->worker->work_response(lilv_instance_get_handle(c->inst), c->responses->size[i], c->responses->data[i]);
            H_RT_LEAVE();
        }
        c->responses->n = 0;
    }
    ci_begin(c);
}

/* ---------------------------------------------------------------- scores -- */

/* A timed input: 'm' MIDI bytes (any, also malformed), 'p' time:Position (speed, bpm, bpb in v),
 * 'c' control port m[0] set to v[0] (from the block starting at `at`: it splits blocks),
 * 'x' patch:Set of the model to path, 'a' an atom of another type. */
typedef struct {
    uint64_t at;
    char kind;
    uint32_t size;
    uint8_t m[16];
    float v[3];
    const char *path;
} sev;

#define SCORE_MAX 4096
typedef struct {
    sev e[SCORE_MAX];
    int n;
} score;

/* The next free event of s (zeroed); a score too long for the test's table is a bug in the test. */
static sev *add_ev(score *s)
{
    if (s->n >= SCORE_MAX) {
        printf("FAIL: score longer than %d events\n", SCORE_MAX);
        exit(1);
    }
    sev *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void add_midi(score *s, double t, double rate, const uint8_t *m, uint32_t size)
{
    sev *e = add_ev(s);
    e->at = (uint64_t)llround(t * rate);
    e->kind = 'm';
    e->size = size;
    memcpy(e->m, m, size);
}

static void add_note(score *s, double t, double rate, int ch, int pitch, int vel, double len)
{
    const uint8_t on[3] = {(uint8_t)(0x90 | ch), (uint8_t)pitch, (uint8_t)vel};
    const uint8_t off[3] = {(uint8_t)(0x80 | ch), (uint8_t)pitch, 0};
    add_midi(s, t, rate, on, 3);
    add_midi(s, t + len, rate, off, 3);
}

static void add_ctl(score *s, double t, double rate, int port, float v)
{
    sev *e = add_ev(s);
    e->at = (uint64_t)llround(t * rate);
    e->kind = 'c';
    e->m[0] = (uint8_t)port;
    e->v[0] = v;
}

static void add_pos(score *s, double t, double rate, float speed, float bpm, float bpb)
{
    sev *e = add_ev(s);
    e->at = (uint64_t)llround(t * rate);
    e->kind = 'p';
    e->v[0] = speed;
    e->v[1] = bpm;
    e->v[2] = bpb;
}

static int sev_cmp(const void *a, const void *b)
{
    const sev *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : (x < y ? -1 : 1);
}

/* A phrase of notes one after another: pitches[n], each `step` s apart, `len` s long, from t0. */
static double add_phrase(score *s, double t0, double rate, const int *pitches, int n, double step, double len)
{
    for (int i = 0; i < n; i++)
        add_note(s, t0 + i * step, rate, 0, pitches[i], 90, len);
    return t0 + (n - 1) * step + len; /* the last event */
}

static uint32_t g_rng = 12345;
static uint32_t rnd(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return g_rng >> 8;
}

/* Run `total` frames with the score (sorted here, stably) in blocks of bs (0: random 1..4096). */
static void play(ci *c, score *s, uint64_t total, int bs)
{
    /* stable: events at one frame keep the order they were added in */
    for (int i = 1; i < s->n; i++)
        for (int j = i; j > 0 && s->e[j - 1].at > s->e[j].at; j--) {
            sev t = s->e[j];
            s->e[j] = s->e[j - 1];
            s->e[j - 1] = t;
        }
    (void)sev_cmp;
    int k = 0;
    const uint64_t start = c->now;
    while (c->now - start < total) {
        const uint64_t done = c->now - start;
        uint64_t b = bs > 0 ? (uint64_t)bs : 1 + rnd() % 4096;
        if (b > total - done)
            b = total - done;
        for (int i = k; i < s->n; i++)
            if (s->e[i].kind == 'c' && s->e[i].at > done && s->e[i].at < done + b) {
                b = s->e[i].at - done;
                break;
            }
        for (; k < s->n && s->e[k].at < done + b; k++) {
            const sev *e = &s->e[k];
            const uint32_t f = (uint32_t)(e->at - done);
            if (e->kind == 'm')
                ci_midi(c, f, e->m, e->size);
            else if (e->kind == 'p')
                ci_position(c, f, e->v[0], e->v[1], e->v[2]);
            else if (e->kind == 'c')
                c->ctl[e->m[0]] = e->v[0];
            else if (e->kind == 'x')
                ci_patch(c, f, e->path);
            else if (e->kind == 'a') {
                lv2_atom_forge_frame_time(&c->forge, f);
                lv2_atom_forge_atom(&c->forge, e->size, c->H->atom_Int); /* an Int with any body size */
                lv2_atom_forge_write(&c->forge, e->m, e->size);
            }
        }
        ci_cycle(c, (uint32_t)b);
    }
}

/* ------------------------------------------------------------- analysis -- */

typedef struct {
    oev *ev;            /* [n] generated events (output minus the played ones passed through) */
    size_t n;
    size_t passed;      /* played events found in the output at their frame */
    size_t played;      /* well-formed played MIDI events */
    int ons, offs;      /* generated note-ons / note-offs */
    int max_sounding;   /* most generated notes sounding at once */
    bool paired;        /* every generated note-off ends a sounding generated note; none re-struck */
    int left;           /* generated notes still sounding after the last event */
    uint64_t first, last; /* frames of the first and last generated event (UINT64_MAX / 0: none) */
} gen;

/* A complete, well-formed MIDI message (the test's own reading of the MIDI 1.0 rules): a status
 * byte, then as many data bytes (< 0x80) as it takes; sysex F0 .. F7. */
static bool midi_ok(const uint8_t *m, uint32_t size)
{
    if (size == 0 || !(m[0] & 0x80))
        return false;
    for (uint32_t i = 1; i < size; i++)
        if ((m[i] & 0x80) && !(m[0] == 0xF0 && i == size - 1))
            return false;
    if (m[0] == 0xF0)
        return size >= 2 && m[size - 1] == 0xF7;
    const int hi = m[0] >> 4;
    if (hi >= 0x8 && hi <= 0xE)
        return size == ((hi == 0xC || hi == 0xD) ? 2u : 3u);
    switch (m[0]) {
    case 0xF1: case 0xF3: return size == 2;
    case 0xF2: return size == 3;
    case 0xF6: case 0xF8: case 0xFA: case 0xFB: case 0xFC: case 0xFE: case 0xFF: return size == 1;
    default: return false;
    }
}

/* Split c's output into passed-through played events (the score's well-formed MIDI, found at its
 * frame with the same bytes) and generated ones, and check the generated notes. */
static gen analyse(const ci *c, const score *s, uint64_t base)
{
    gen g = {0};
    g.paired = true;
    g.first = UINT64_MAX;
    bool *used = calloc(c->n_ev + 1, 1);
    for (int i = 0; i < s->n; i++) {
        if (s->e[i].kind != 'm' || !midi_ok(s->e[i].m, s->e[i].size))
            continue;
        g.played++;
        for (size_t j = 0; j < c->n_ev; j++)
            if (!used[j] && c->ev[j].at == base + s->e[i].at && c->ev[j].size == s->e[i].size &&
                !memcmp(c->ev[j].m, s->e[i].m, s->e[i].size)) {
                used[j] = true;
                g.passed++;
                break;
            }
    }
    g.ev = calloc(c->n_ev + 1, sizeof *g.ev);
    bool on[16][128] = {{false}};
    int sounding = 0;
    for (size_t j = 0; j < c->n_ev; j++) {
        if (used[j])
            continue;
        const oev *e = &c->ev[j];
        g.ev[g.n++] = *e;
        if (e->at < g.first)
            g.first = e->at;
        g.last = e->at;
        const int ch = e->m[0] & 15, p = e->m[1] & 127;
        if ((e->m[0] & 0xF0) == 0x90 && e->m[2] > 0) {
            g.ons++;
            if (on[ch][p])
                g.paired = false;
            on[ch][p] = true;
            if (++sounding > g.max_sounding)
                g.max_sounding = sounding;
        } else if ((e->m[0] & 0xF0) == 0x80) {
            g.offs++;
            if (!on[ch][p])
                g.paired = false;
            else
                sounding--;
            on[ch][p] = false;
        } else {
            g.paired = false; /* the plugin writes nothing else of its own */
        }
    }
    g.left = sounding;
    free(used);
    return g;
}

static void gen_free(gen *g)
{
    free(g->ev);
    g->ev = NULL;
}

static bool same_events(const ci *a, const ci *b)
{
    if (a->n_ev != b->n_ev)
        return false;
    for (size_t i = 0; i < a->n_ev; i++)
        if (a->ev[i].at != b->ev[i].at || a->ev[i].size != b->ev[i].size || memcmp(a->ev[i].m, b->ev[i].m, a->ev[i].size))
            return false;
    return true;
}

static const uint16_t C_MAJOR = 0xAB5;                      /* C D E F G A B */
static uint16_t scale_of(int tonic)
{
    return (uint16_t)(((C_MAJOR << tonic) | (C_MAJOR >> (12 - tonic))) & 0xFFF);
}

/* Generated note-ons outside the scale mask / outside [lo, hi]. */
static int outside(const gen *g, uint16_t scale, int lo, int hi)
{
    int n = 0;
    for (size_t i = 0; i < g->n; i++)
        if ((g->ev[i].m[0] & 0xF0) == 0x90 && g->ev[i].m[2] > 0) {
            const int p = g->ev[i].m[1];
            n += !((scale >> (p % 12)) & 1) || p < lo || p > hi;
        }
    return n;
}

/* Generated notes sounding just before frame `at` (running frame). */
static int sounding_before(const gen *g, uint64_t at)
{
    bool on[16][128] = {{false}};
    int n = 0;
    for (size_t i = 0; i < g->n && g->ev[i].at < at; i++) {
        const int ch = g->ev[i].m[0] & 15, p = g->ev[i].m[1] & 127;
        const bool is_on = (g->ev[i].m[0] & 0xF0) == 0x90;
        n += is_on && !on[ch][p] ? 1 : !is_on && on[ch][p] ? -1 : 0;
        on[ch][p] = is_on;
    }
    return n;
}

/* Generated note-offs exactly at `at`. */
static int offs_at(const gen *g, uint64_t at)
{
    int n = 0;
    for (size_t i = 0; i < g->n; i++)
        n += g->ev[i].at == at && (g->ev[i].m[0] & 0xF0) == 0x80;
    return n;
}

/* ------------------------------------------------------------------ tests -- */

static const int PH_C[] = {60, 64, 67, 72, 67, 64, 62, 65, 69, 71, 67, 60, 64, 67, 60};
#define N_PH_C ((int)(sizeof PH_C / sizeof PH_C[0]))
static const int PH_FS[] = {66, 70, 73, 78, 73, 70, 68, 71, 75, 77, 73, 66, 70, 73, 66};

/* The C major phrase from 0.5 s; returns the running frame of its last event. */
static uint64_t phrase_c(score *s, double rate)
{
    return (uint64_t)llround(add_phrase(s, 0.5, rate, PH_C, N_PH_C, 0.25, 0.2) * rate);
}

static void test_rates(chost *H)
{
    ci *c = ci_new(H, 44100, true);
    CHECK(c != NULL, "instantiate at 44.1 kHz");
    ci_free(c);
    int errs = H->log.n_error;
    H->log.quiet = true;
    c = ci_new(H, 4000, true);
    H->log.quiet = false;
    CHECK(c == NULL && H->log.n_error == errs + 1, "4 kHz refused with a log:Error");
    ci_free(c);
    printf("ok   rates: 44.1 kHz instantiates, 4 kHz is refused with a log:Error\n");
}

/* 2 and 3 */
static void test_basic_and_determinism(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    const uint64_t start = last + (uint64_t)llround(2.0 * rate), stop = start + (uint64_t)llround(8.0 * rate);
    const uint64_t total = stop + (uint64_t)rate;
    ci *a = ci_new(H, rate, true);
    play(a, &s, total, 256);
    gen g = analyse(a, &s, 0);
    CHECK(!a->bad_out, "midi_out is a valid, time-ordered MIDI sequence");
    CHECK(g.passed == g.played && g.played == 2 * N_PH_C, "played events passed through at their frames: %zu of %zu",
          g.passed, g.played);
    CHECK(g.first >= start && g.first < start + (uint64_t)rate, "first generated event at %llu, start %llu",
          (unsigned long long)g.first, (unsigned long long)start);
    CHECK(g.ons >= 4, "generated note-ons: %d", g.ons);
    CHECK(g.paired && g.left == 0 && g.offs == g.ons, "generated notes pair up (%d on, %d off, %d left)", g.ons,
          g.offs, g.left);
    CHECK(outside(&g, C_MAJOR, 21, 108) == 0, "%d generated notes outside C major 21..108", outside(&g, C_MAJOR, 21, 108));
    CHECK(a->ctl[C_KEY] == 0.0f, "key port %g, want 0 (C major)", a->ctl[C_KEY]);
    CHECK(g.last <= stop, "last generated event %llu after the 4 bars' end %llu", (unsigned long long)g.last,
          (unsigned long long)stop);
    const int at_stop = sounding_before(&g, stop);
    CHECK(offs_at(&g, stop) >= at_stop, "%d notes sounding at the end of the 4 bars, %d note-offs at its frame",
          at_stop, offs_at(&g, stop));
    CHECK(a->active_on > start && a->active_on <= start + 256 && a->active_off > stop && a->active_off <= stop + 256,
          "Continuing port: on in the block of %llu (%llu), off in the block of %llu (%llu)",
          (unsigned long long)start, (unsigned long long)a->active_on, (unsigned long long)stop,
          (unsigned long long)a->active_off);
    printf("ok   C major phrase: %zu played events passed, continuation %.3f..%.3f s with %d notes in C major, "
           "%d sounding at the end of bar 4 ended at its frame\n",
           g.passed, (double)start / rate, (double)stop / rate, g.ons, at_stop);

    /* the same again, then other block sizes: the same events */
    const int sizes[] = {256, 64, 1000, 0};
    for (int i = 0; i < 4; i++) {
        ci *b = ci_new(H, rate, true);
        play(b, &s, total, sizes[i]);
        CHECK(same_events(a, b), "blocks of %d: %zu events vs %zu with blocks of 256", sizes[i], b->n_ev, a->n_ev);
        ci_free(b);
    }
    ci *d = ci_new(H, rate, true);
    d->ctl[C_SEED] = 2;
    play(d, &s, total, 256);
    gen gd = analyse(d, &s, 0);
    bool differ = gd.n != g.n;
    for (size_t i = 0; !differ && i < g.n; i++)
        differ = g.ev[i].at != gd.ev[i].at || memcmp(g.ev[i].m, gd.ev[i].m, 3);
    CHECK(differ && gd.ons > 0 && gd.paired && gd.left == 0, "seed 2 gives other paired notes");
    printf("ok   same seed and playing: identical events for blocks of 256 (twice), 64, 1000 and random 1..4096; "
           "seed 2: %d other notes\n", gd.ons);
    gen_free(&gd);
    ci_free(d);
    gen_free(&g);
    ci_free(a);
}

/* 4 */
static void test_key(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = (uint64_t)llround(add_phrase(&s, 0.5, rate, PH_FS, N_PH_C, 0.25, 0.2) * rate);
    ci *a = ci_new(H, rate, true);
    play(a, &s, last + (uint64_t)(11 * rate), 512);
    gen g = analyse(a, &s, 0);
    CHECK(a->ctl[C_KEY] == 6.0f && g.ons >= 4 && outside(&g, scale_of(6), 0, 127) == 0 && g.paired && g.left == 0,
          "F# major: key %g, %d notes, %d outside the scale", a->ctl[C_KEY], g.ons, outside(&g, scale_of(6), 0, 127));
    gen_free(&g);
    ci_free(a);

    score s2 = {.n = 0};
    const uint64_t last2 = phrase_c(&s2, rate);
    a = ci_new(H, rate, true);
    a->ctl[C_KEYLOCK] = 0;
    a->ctl[C_BARS] = 8;
    play(a, &s2, last2 + (uint64_t)(19 * rate), 512);
    g = analyse(a, &s2, 0);
    const int out = outside(&g, C_MAJOR, 0, 127);
    CHECK(out > 0 && g.paired && g.left == 0, "key lock off: %d of %d notes outside C major (want some)", out, g.ons);
    printf("ok   key: F# major phrase -> key 6 and %s; key lock off -> %d of %d notes outside C major\n",
           "notes in F# major", out, g.ons);
    gen_free(&g);
    ci_free(a);
}

/* 5 */
static void test_play_again(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    const double wait = 1.0;
    const uint64_t start = last + (uint64_t)llround(wait * rate);
    const double t_again = (double)start / rate + 3.0;
    add_note(&s, t_again, rate, 0, 64, 100, 0.5);
    const uint64_t again = (uint64_t)llround(t_again * rate), restart = again + (uint64_t)llround((0.5 + wait) * rate);
    add_ctl(&s, 0, rate, C_WAIT, (float)wait);
    add_ctl(&s, 0, rate, C_BARS, 0);
    add_note(&s, (double)restart / rate + 2.5, rate, 0, 60, 100, 0.2); /* and ends the second one */
    ci *a = ci_new(H, rate, true);
    play(a, &s, restart + (uint64_t)(3 * rate), 256);
    gen g = analyse(a, &s, 0);
    const int before = sounding_before(&g, again);
    int offs = 0, misplaced = 0, between = 0, after = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (g.ev[i].at == again)
            offs += (g.ev[i].m[0] & 0xF0) == 0x80;
        else if (g.ev[i].at > again && g.ev[i].at < restart)
            between++;
        else if (g.ev[i].at >= restart && g.ev[i].at < restart + (uint64_t)(2.5 * rate))
            after++;
    }
    /* the plugin's note-offs come before the played note-on in the output */
    bool seen_on = false;
    for (size_t i = 0; i < a->n_ev; i++)
        if (a->ev[i].at == again) {
            if ((a->ev[i].m[0] & 0xF0) == 0x90 && a->ev[i].m[1] == 64 && a->ev[i].m[2] == 100)
                seen_on = true;
            else if ((a->ev[i].m[0] & 0xF0) == 0x80 && seen_on)
                misplaced++;
        }
    CHECK(before > 0, "no generated note sounding when played again (the test needs one)");
    CHECK(offs == before && misplaced == 0, "played again with %d generated notes sounding: %d note-offs at that frame, "
          "%d after the played note-on", before, offs, misplaced);
    CHECK(between == 0, "%d generated events while the player plays and until Wait has passed", between);
    CHECK(after > 0 && g.paired && g.left == 0, "a new continuation after the next silence (%d events)", after);
    printf("ok   played again: %d sounding generated notes ended at its frame before the played note, nothing until "
           "Wait had passed, then a new continuation (%d events)\n", before, after);
    gen_free(&g);
    ci_free(a);
}

/* 6 */
static void test_transport(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    const uint64_t start = last + (uint64_t)llround(2.0 * rate);
    const double t_stop = (double)start / rate + 2.5, t_note = t_stop + 1.0, t_roll = t_note + 4.0;
    add_ctl(&s, 0, rate, C_BARS, 0);
    add_pos(&s, t_stop, rate, 0.0f, NAN, NAN);
    add_note(&s, t_note, rate, 0, 67, 80, 0.3); /* played while stopped */
    add_pos(&s, t_roll, rate, 1.0f, NAN, NAN);
    add_pos(&s, t_roll + 2.5, rate, 0.0f, NAN, NAN); /* ends the second continuation */
    const uint64_t f_stop = (uint64_t)llround(t_stop * rate), f_roll = (uint64_t)llround(t_roll * rate);
    ci *a = ci_new(H, rate, true);
    play(a, &s, f_roll + (uint64_t)(3 * rate), 256);
    gen g = analyse(a, &s, 0);
    const int before = sounding_before(&g, f_stop);
    int offs = 0, stopped = 0, rolled = 0;
    uint64_t first_after = UINT64_MAX;
    for (size_t i = 0; i < g.n; i++) {
        if (g.ev[i].at == f_stop)
            offs += (g.ev[i].m[0] & 0xF0) == 0x80;
        else if (g.ev[i].at > f_stop && g.ev[i].at < f_roll)
            stopped++;
        else if (g.ev[i].at >= f_roll) {
            rolled++;
            if (g.ev[i].at < first_after)
                first_after = g.ev[i].at;
        }
    }
    CHECK(before > 0 && offs == before, "transport stop with %d generated notes sounding: %d note-offs at its frame",
          before, offs);
    CHECK(stopped == 0, "%d generated events while the transport was stopped", stopped);
    CHECK(rolled > 0 && g.paired && g.left == 0, "rolling again continues (%d events)", rolled);
    CHECK(first_after < f_roll + (uint64_t)rate, "first event after rolling again at %llu, rolled at %llu",
          (unsigned long long)first_after, (unsigned long long)f_roll);
    printf("ok   transport: stop ended %d notes at its frame, nothing while stopped (also after playing + Wait), "
           "rolling again continued (%d events)\n", before, rolled);
    gen_free(&g);
    ci_free(a);

    /* Follow transport off: a transport stopped from the start is ignored */
    score u = {.n = 0};
    add_pos(&u, 0, rate, 0.0f, NAN, NAN);
    const uint64_t last_u = phrase_c(&u, rate);
    a = ci_new(H, rate, true);
    a->ctl[C_TRANSPORT] = 0;
    play(a, &u, last_u + (uint64_t)(11 * rate), 256);
    g = analyse(a, &u, 0);
    CHECK(g.ons > 0 && g.first >= last_u + (uint64_t)(2 * rate) && g.paired && g.left == 0,
          "Follow transport off, transport stopped: %d notes", g.ons);
    gen_free(&g);
    ci_free(a);
    a = ci_new(H, rate, true);
    play(a, &u, last_u + (uint64_t)(11 * rate), 256);
    g = analyse(a, &u, 0);
    CHECK(g.n == 0, "Follow transport on, transport stopped: %zu generated events", g.n);
    printf("ok   a transport stopped from the start: nothing generated; with Follow transport off, it continues\n");
    gen_free(&g);
    ci_free(a);

    /* tempo and meter from the host: 90 bpm 3/4, 2 bars = 4 s */
    score t = {.n = 0};
    add_pos(&t, 0, rate, 1.0f, 90.0f, 3.0f);
    const uint64_t last2 = phrase_c(&t, rate);
    const uint64_t start2 = last2 + (uint64_t)llround(2.0 * rate), stop2 = start2 + (uint64_t)llround(4.0 * rate);
    add_ctl(&t, 0, rate, C_BARS, 2);
    a = ci_new(H, rate, true);
    play(a, &t, stop2 + (uint64_t)(2 * rate), 1000);
    g = analyse(a, &t, 0);
    const int at_stop = sounding_before(&g, stop2);
    CHECK(g.ons > 0 && g.first >= start2 && g.last <= stop2 && offs_at(&g, stop2) >= at_stop && g.paired && g.left == 0,
          "90 bpm 3/4, 2 bars: events %llu..%llu, want within %llu..%llu; %d sounding at the end, %d ended there",
          (unsigned long long)g.first, (unsigned long long)g.last, (unsigned long long)start2,
          (unsigned long long)stop2, at_stop, offs_at(&g, stop2));
    CHECK(a->active_off > stop2 && a->active_off <= stop2 + 1000, "Continuing off after the 2 bars (%llu, end %llu)",
          (unsigned long long)a->active_off, (unsigned long long)stop2);
    printf("ok   host tempo 90 bpm 3/4, Bars 2: the continuation lasts 4 s (%d notes, %d ended at its end)\n", g.ons,
           at_stop);
    gen_free(&g);
    ci_free(a);
}

/* 7 */
static void test_controls(chost *H)
{
    const double rate = 48000;
    /* trigger from nothing, 1 bar */
    score s = {.n = 0};
    add_ctl(&s, 0, rate, C_BARS, 1);
    add_ctl(&s, 1.0, rate, C_TRIGGER, 1);
    add_ctl(&s, 1.5, rate, C_TRIGGER, 0);
    ci *a = ci_new(H, rate, true);
    play(a, &s, (uint64_t)(5 * rate), 256);
    gen g = analyse(a, &s, 0);
    const uint64_t t0 = (uint64_t)rate, t1 = t0 + (uint64_t)(2 * rate);
    CHECK(g.ons > 0 && g.first >= t0 && g.last <= t1 && g.paired && g.left == 0 && a->ctl[C_KEY] == -1.0f,
          "trigger: %d notes within %llu..%llu (%llu..%llu), key %g", g.ons, (unsigned long long)t0,
          (unsigned long long)t1, (unsigned long long)g.first, (unsigned long long)g.last, a->ctl[C_KEY]);
    printf("ok   trigger from nothing: a 1-bar continuation of %d notes, no key\n", g.ons);
    gen_free(&g);
    ci_free(a);

    /* enabled off: MIDI passes, nothing generated; switched off mid-continuation: ends at once */
    score e = {.n = 0};
    const uint64_t last = phrase_c(&e, rate);
    add_ctl(&e, 0, rate, C_ENABLED, 0);
    a = ci_new(H, rate, true);
    play(a, &e, last + (uint64_t)(6 * rate), 256);
    g = analyse(a, &e, 0);
    CHECK(g.n == 0 && g.passed == g.played, "disabled: %zu generated events, %zu of %zu played passed", g.n, g.passed,
          g.played);
    gen_free(&g);
    ci_free(a);
    score e2 = {.n = 0};
    phrase_c(&e2, rate);
    const double t_off = (double)(last + 2 * (uint64_t)rate) / rate + 2.0;
    const uint64_t f_off = (uint64_t)llround(t_off * rate);
    add_ctl(&e2, t_off, rate, C_ENABLED, 0);
    a = ci_new(H, rate, true);
    play(a, &e2, f_off + (uint64_t)(3 * rate), 256);
    g = analyse(a, &e2, 0);
    const int before = sounding_before(&g, f_off);
    CHECK(g.ons > 0 && g.last <= f_off && offs_at(&g, f_off) == before && g.paired && g.left == 0,
          "switched off: %d sounding, %d ended at that block's start, last event %llu (off at %llu)", before,
          offs_at(&g, f_off), (unsigned long long)g.last, (unsigned long long)f_off);
    printf("ok   Enabled off: MIDI passes and nothing is generated; switched off mid-continuation, %d notes end at once\n",
           before);
    gen_free(&g);
    ci_free(a);

    /* limits: range 48..84, 2 voices, 3 notes per second, key lock off, 16 bars */
    score l = {.n = 0};
    const uint64_t last_l = phrase_c(&l, rate);
    a = ci_new(H, rate, true);
    a->ctl[C_LOW] = 84; /* a crossed range means the notes between */
    a->ctl[C_HIGH] = 48;
    a->ctl[C_VOICES] = 2;
    a->ctl[C_DENSITY] = 3;
    a->ctl[C_KEYLOCK] = 0;
    a->ctl[C_BARS] = 16;
    play(a, &l, last_l + (uint64_t)(35 * rate), 512);
    g = analyse(a, &l, 0);
    int dense = 0;
    for (size_t i = 0; i < g.n; i++) {
        if ((g.ev[i].m[0] & 0xF0) != 0x90)
            continue;
        int k = 0;
        for (size_t j = 0; j <= i; j++)
            k += (g.ev[j].m[0] & 0xF0) == 0x90 && g.ev[j].at + (uint64_t)(0.985 * rate) > g.ev[i].at;
        if (k > dense)
            dense = k;
    }
    CHECK(g.ons >= 8 && outside(&g, 0xFFF, 48, 84) == 0 && g.max_sounding <= 2 && dense <= 3 && g.paired && g.left == 0,
          "limits: %d notes, %d outside 48..84, at most %d sounding, at most %d in a second", g.ons,
          outside(&g, 0xFFF, 48, 84), g.max_sounding, dense);
    printf("ok   limits: %d notes all in 48..84, at most %d sounding (Max voices 2), at most %d in any second (Density 3)\n",
           g.ons, g.max_sounding, dense);
    gen_free(&g);
    ci_free(a);
}

/* Deactivated mid-continuation, then activated again: the notes it left sounding end at once. */
static void test_reactivate(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    const uint64_t at = last + (uint64_t)(5 * rate);
    ci *a = ci_new(H, rate, true);
    a->ctl[C_BARS] = 0;
    play(a, &s, at, 256);
    gen g = analyse(a, &s, 0);
    const int sounding = g.ons - g.offs;
    gen_free(&g);
    lilv_instance_deactivate(a->inst);
    lilv_instance_activate(a->inst);
    const size_t before = a->n_ev;
    ci_cycle(a, 256);
    int offs = 0;
    for (size_t i = before; i < a->n_ev; i++)
        offs += (a->ev[i].m[0] & 0xF0) == 0x80 && a->ev[i].at == at;
    g = analyse(a, &s, 0);
    CHECK(sounding > 0 && offs == sounding && g.paired && g.left == 0,
          "reactivated with %d generated notes sounding: %d note-offs in the first block", sounding, offs);
    printf("ok   deactivated mid-continuation with %d notes sounding: their note-offs come first after activation\n",
           sounding);
    gen_free(&g);
    ci_free(a);
}

/* 8 */
static void test_bad_input(chost *H)
{
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    static const struct {
        uint32_t size;
        uint8_t m[12];
    } bad[] = {
        {1, {0x90}},                                  /* note-on with no data */
        {2, {0x90, 60}},                              /* truncated note-on */
        {4, {0x90, 61, 100, 7}},                      /* note-on with a stray byte */
        {3, {0x90, 0xC8, 100}},                       /* pitch byte >= 0x80 */
        {3, {0x80, 62, 0xFF}},                        /* velocity byte >= 0x80 */
        {2, {61, 100}},                               /* running status (no status byte) */
        {1, {0xF4}},                                  /* undefined system message */
        {5, {0xF0, 0x7E, 0x01, 0x02, 0x03}},          /* sysex without F7 */
        {4, {0xF0, 0x7E, 0x90, 0xF7}},                /* sysex with a status byte inside */
        {1, {0xF7}},                                  /* a lone end of sysex */
        {2, {0xE0, 0x40}},                            /* truncated pitch bend */
        {3, {0xC0, 5, 5}},                            /* program change with an extra byte */
        {12, {0x90, 60, 100, 0x80, 60, 0, 0x90, 61, 100, 0x80, 61, 0}}, /* three messages in one event */
    };
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    for (int i = 0; i < nbad; i++) {
        const double t = 0.55 + 0.1 * i;
        add_midi(&s, t, rate, bad[i].m, bad[i].size);
    }
    {   /* an empty MIDI event and an Int atom of 3 bytes */
        sev *e = add_ev(&s);
        e->at = (uint64_t)llround(0.61 * rate);
        e->kind = 'm';
        e->size = 0;
        e = add_ev(&s);
        e->at = (uint64_t)llround(0.62 * rate);
        e->kind = 'a';
        e->size = 3;
        e->m[0] = 0x90;
    }
    /* well-formed messages the plugin passes without hearing: program change, sysex, clock */
    const uint8_t pc[2] = {0xC0, 5}, sx[4] = {0xF0, 0x7E, 0x01, 0xF7}, clk[1] = {0xF8};
    add_midi(&s, 0.63, rate, pc, 2);
    add_midi(&s, 0.64, rate, sx, 4);
    add_midi(&s, 0.65, rate, clk, 1);
    ci *a = ci_new(H, rate, true);
    play(a, &s, last + (uint64_t)(11 * rate), 256);
    gen g = analyse(a, &s, 0);
    int bad_out = 0, passed_other = 0;
    for (size_t i = 0; i < a->n_ev; i++) {
        const oev *o = &a->ev[i];
        for (int k = 0; k < nbad; k++)
            bad_out += o->size == bad[k].size && !memcmp(o->m, bad[k].m, o->size);
        passed_other += (o->size == 2 && !memcmp(o->m, pc, 2)) || (o->size == 4 && !memcmp(o->m, sx, 4)) ||
                        (o->size == 1 && o->m[0] == 0xF8);
    }
    CHECK(!a->bad_out && bad_out == 0, "malformed events passed on: %d", bad_out);
    CHECK(passed_other == 3, "well-formed program change, sysex and clock passed: %d of 3", passed_other);
    CHECK(g.passed == g.played && g.ons > 0 && g.paired && g.left == 0 && a->ctl[C_KEY] == 0.0f,
          "after bad input: %zu of %zu played passed, %d generated notes (paired %d, left %d), key %g", g.passed,
          g.played, g.ons, g.paired, g.left, a->ctl[C_KEY]);
    gen_free(&g);
    ci_free(a);

    /* an event whose frame lies past the block (the base clamps it to the block's end) and a
     * run() of 0 frames */
    a = ci_new(H, rate, true);
    const uint8_t on[3] = {0x90, 70, 100};
    ci_midi(a, 100000, on, 3);
    ci_cycle(a, 256);
    ci_midi(a, 0, on, 3);
    ci_cycle(a, 0);
    ci_cycle(a, 256);
    CHECK(!a->bad_out && a->n_ev >= 1 && a->ev[0].at < 256, "event past the block: %zu events, first at %llu",
          a->n_ev, a->n_ev ? (unsigned long long)a->ev[0].at : 0ull);
    ci_free(a);
    printf("ok   bad input: %d malformed MIDI events, an empty one and an Int atom ignored (none passed on, no "
           "crash); well-formed program change, sysex, clock passed; the notes around them heard (key C); an event "
           "past the block and a 0-frame run() handled\n", nbad);
}

/* 9 */
static void test_small_out(chost *H)
{
    const double rate = 48000;
    const int bs = 2048;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    /* during the continuation, every other block starts with six mod-wheel messages: passed
     * through first, they fill the buffer, so the block's generated note-offs must wait */
    const uint64_t start = last + (uint64_t)(2 * rate), stop = start + (uint64_t)(32 * rate);
    for (uint64_t b = (start / bs + 1) * bs; b < stop; b += 2 * (uint64_t)bs)
        for (int k = 0; k < 6; k++) {
            const uint8_t cc[3] = {0xB0, 1, (uint8_t)(k * 20)};
            add_midi(&s, (double)b / rate, rate, cc, 3);
        }
    ci *a = ci_new(H, rate, true);
    a->out_cap = 16 + 6 * 24; /* the sequence header and six events */
    a->ctl[C_KEYLOCK] = 0;
    a->ctl[C_BARS] = 16;
    play(a, &s, stop + (uint64_t)(2 * rate), bs);
    gen g = analyse(a, &s, 0);
    int late = 0; /* generated note-offs at the first frame of a block after a full one */
    for (size_t i = 0; i < g.n; i++)
        late += (g.ev[i].m[0] & 0xF0) == 0x80 && g.ev[i].at % bs == 0 && (g.ev[i].at / bs - 1) % 2 == (start / bs + 1) % 2;
    CHECK(!a->bad_out && g.ons > 0 && g.paired && g.left == 0,
          "small MIDI out buffer: valid %d, %d notes, paired %d, left %d", !a->bad_out, g.ons, g.paired, g.left);
    CHECK(late > 0, "no note-off had to wait for the next block (the test needs one)");
    printf("ok   MIDI out with room for 6 events per block, filled by passed-through messages: a valid sequence, %d "
           "generated notes all ended (%d note-offs waited for the next block)\n", g.ons, late);
    gen_free(&g);
    ci_free(a);
}

/* 10 */
static void test_model_property(chost *H)
{
    const double rate = 48000;
    char def[PATH_MAX + 32], copy[] = "/tmp/sw_continue_model_XXXXXX";
    snprintf(def, sizeof def, "%s/compose.safetensors", H->bundle_abs);
    int fd = mkstemp(copy);
    FILE *src = fopen(def, "rb"), *dst = fdopen(fd, "wb");
    char buf[65536];
    size_t k;
    while (src && dst && (k = fread(buf, 1, sizeof buf, src)) > 0)
        fwrite(buf, 1, k, dst);
    if (src)
        fclose(src);
    if (dst)
        fclose(dst);

    /* the reference: the default model */
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    ci *ref = ci_new(H, rate, true);
    play(ref, &s, last + (uint64_t)(11 * rate), 256);

    /* the copy, loaded before the playing: the same continuation */
    ci *a = ci_new(H, rate, true);
    score p = {.n = 0};
    sev *e = add_ev(&p);
    e->kind = 'x';
    e->path = copy;
    /* one block: the worker loads it after run(), its composer is reset in work_response with its
     * clock 0 at the next block, which is where the playing starts, as for `ref` at frame 0 */
    play(a, &p, 256, 256);
    const uint64_t base = a->now;
    play(a, &s, last + (uint64_t)(11 * rate), 256);
    CHECK(a->n_notify > 0 && !strcmp(a->notified, copy), "patch:Set of a copy: notified '%s'", a->notified);
    bool same = a->n_ev == ref->n_ev;
    for (size_t i = 0; same && i < a->n_ev; i++)
        same = a->ev[i].at == base + ref->ev[i].at && !memcmp(a->ev[i].m, ref->ev[i].m, ref->ev[i].size);
    CHECK(same, "the copy continues as the default model does (%zu vs %zu events)", a->n_ev, ref->n_ev);

    /* a missing file and a model of another task: logged, the model in use goes on */
    const char *bad[] = {"/nonexistent/compose.safetensors", "tests/data/synth_test.safetensors"};
    for (int i = 0; i < 2; i++) {
        int errs = H->log.n_error;
        H->log.quiet = true;
        score q = {.n = 0};
        e = add_ev(&q);
        e->kind = 'x';
        e->path = bad[i];
        play(a, &q, 4 * 256, 256);
        H->log.quiet = false;
        CHECK(H->log.n_error == errs + 1 && !strcmp(a->notified, copy), "%s: %d errors logged, notified '%s'", bad[i],
              H->log.n_error - errs, a->notified);
    }
    H->log.last_error[strcspn(H->log.last_error, "\n")] = '\0';
    size_t before = a->n_ev;
    score q = {.n = 0};
    phrase_c(&q, rate);
    play(a, &q, last + (uint64_t)(11 * rate), 256);
    CHECK(a->n_ev > before + 2 * N_PH_C, "still continuing after the rejected files");
    printf("ok   model property: a copy loads in the worker, is notified and continues identically; a missing file "
           "and a synth model are refused (\"%s\") and the copy plays on\n", H->log.last_error);
    ci_free(a);
    ci_free(ref);
    unlink(copy);

    /* no features at all: instantiates, runs, writes nothing */
    H->log.quiet = true;
    ci *n = ci_new(H, rate, false);
    H->log.quiet = false;
    CHECK(n != NULL, "instantiate with no features");
    if (n) {
        score z = {.n = 0};
        phrase_c(&z, rate);
        play(n, &z, 2 * (uint64_t)rate, 256);
        CHECK(n->n_ev == 0, "no features: %zu events out", n->n_ev);
        ci_free(n);
    }
    printf("ok   a host with no features: the plugin instantiates and runs, with no MIDI in or out\n");
}

/* With a trained model shipped (presets/compose.safetensors in build/statewave.lv2): the
 * plugin of the real bundle continues the C major phrase with paired notes in C major. */
static void test_shipped(void)
{
    chost R;
    int r = chost_init(&R, "build/statewave.lv2");
    if (r != 0) {
        printf("SKIP the shipped composer: build/statewave.lv2 has no Continue (no presets/compose.safetensors)\n");
        if (r == -2)
            chost_free(&R);
        return;
    }
    const double rate = 48000;
    score s = {.n = 0};
    const uint64_t last = phrase_c(&s, rate);
    ci *a = ci_new(&R, rate, true);
    CHECK(a != NULL, "instantiate Continue from build/statewave.lv2");
    if (a) {
        play(a, &s, last + (uint64_t)(11 * rate), 256);
        gen g = analyse(a, &s, 0);
        CHECK(!a->bad_out && g.passed == g.played && g.paired && g.left == 0 && outside(&g, C_MAJOR, 21, 108) == 0,
              "shipped model: %d notes, paired %d, left %d, %d outside C major", g.ons, g.paired, g.left,
              outside(&g, C_MAJOR, 21, 108));
        printf("ok   the shipped composer (build/statewave.lv2): %d notes in C major after the phrase, all ended\n", g.ons);
        gen_free(&g);
        ci_free(a);
    }
    chost_free(&R);
}

/* The first run() of a fresh instance, alone. */
static void test_first_run(chost *H)
{
#ifdef RT_INTERPOSE_UNDER_ASAN
    (void)H;
#else
    ci *a = ci_new(H, 48000, true);
    rt_allocs = rt_frees = rt_locks = g_io = g_getenv = 0;
    const uint8_t on[3] = {0x90, 60, 100};
    ci_midi(a, 10, on, 3);
    ci_cycle(a, 256);
    CHECK(rt_allocs + rt_frees + rt_locks + g_io + g_getenv == 0,
          "first run() of a fresh instance: %ld allocations, %ld frees, %ld locks, %ld I/O, %ld getenv", rt_allocs,
          rt_frees, rt_locks, g_io, g_getenv);
    printf("ok   the first run() of a fresh instance: no allocation, free, lock, file I/O or getenv\n");
    ci_free(a);
#endif
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    chost H;
    int r = chost_init(&H, BUNDLE);
    if (r == -1) {
        printf("SKIP test_lv2_continue: %s not built (run `make` from the repo root first)\n", BUNDLE);
        return 0;
    }
    if (r != 0) {
        printf("FAIL: %s has no %s\n", BUNDLE, URI);
        return 1;
    }
#ifndef RT_INTERPOSE_UNDER_ASAN
    rt_counting = 1; /* the interposer must be live: an allocation inside the window is seen */
    void *volatile probe = malloc(16);
    rt_counting = 0;
    free(probe);
    if (rt_allocs != 1) {
        printf("FAIL: malloc interposition is not active\n");
        return 1;
    }
    rt_allocs = rt_frees = rt_locks = g_io = g_getenv = 0;
#endif
    test_first_run(&H);
    g_rt_calls = 0;
    test_rates(&H);
    test_basic_and_determinism(&H);
    test_key(&H);
    test_play_again(&H);
    test_transport(&H);
    test_controls(&H);
    test_reactivate(&H);
    test_bad_input(&H);
    test_small_out(&H);
    test_model_property(&H);
    test_shipped();
#ifdef RT_INTERPOSE_UNDER_ASAN
    printf("SKIP real-time counts: ASan owns the allocator\n");
#else
    CHECK(rt_allocs + rt_frees + rt_locks + g_io + g_getenv == 0,
          "audio thread: %ld allocations, %ld frees, %ld locks, %ld file I/O, %ld getenv in %ld calls", rt_allocs,
          rt_frees, rt_locks, g_io, g_getenv, g_rt_calls);
    printf("%s real time: %ld run()/work_response() calls with %ld allocations, %ld frees, %ld locks, %ld file I/O, "
           "%ld getenv\n", rt_allocs + rt_frees + rt_locks + g_io + g_getenv ? "FAIL" : "ok  ", g_rt_calls, rt_allocs,
           rt_frees, rt_locks, g_io, g_getenv);
#endif
    chost_free(&H);
    printf("%s test_lv2_continue: %d checks passed, %d failed\n", g_fail ? "FAIL" : "PASS", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
