/* compose.c — the composer: an autoregressive SSM over MIDI events (docs/COMPOSE.md).
 *
 * Loop per event: logits (the net's output for the next token) -> mask what the musician's
 * limits forbid -> sampler (temperature, top-p nucleus, seeded xorshift64*, generate.c) ->
 * token -> fed back into the net, whose new output is the next event's logits. Listening
 * (a prompt, or notes played live) feeds the tokens a performance makes, through the same
 * bookkeeping, so the model's view and the composer's clock and sounding notes always agree.
 * Everything the loop touches is allocated in sw_composer_create: all but create/destroy are [RT].
 *
 * Model contract (task "compose", see train/compose/model.py): d_input 1 (the previous token
 * as a float, read by an embedding layer), d_output 389 logits, task_params {"encoding":
 * "performance-events", "vocab": 389, "step_ms": 10, "n_shift": 100, "n_vel": 32, "start": 388}.
 * The vocabulary is fixed here and in train/compose/events.py; a model with another layout is
 * refused rather than misread. */
#include "statewave.h"
#include "generate.h"
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

enum {
    TOK_ON = 0,
    TOK_OFF = 128,
    TOK_SHIFT = 256,
    TOK_VEL = 356,
    TOK_START = 388,
    N_VEL = 32,
    N_PITCH = 128,
    RECENT = 64,                 /* note-on times kept for the density limit (notes per second) */
    MAX_SAME_STEP = 64           /* generated tokens at one time before only a shift may follow */
};

struct sw_composer {
    const sw_model *model;              /* not owned; outlives us */
    sw_net *net;                        /* owned: recurrent state + scratch of one stream */
    uint64_t seed;                      /* RNG seed that reset() rewinds to */
    sw_rng rng;
    float temperature;                  /* >= 0; < 1e-3 = greedy */
    float top_p;                        /* (0, 1] */
    sw_compose_limits lim;              /* the musician's limits */
    float in[1];                        /* [d_input = 1] net input: the token as a float */
    float logits[SW_COMPOSE_VOCAB];     /* [vocab] net output: next token's logits */
    float masked[SW_COMPOSE_VOCAB];     /* [vocab] logits with forbidden tokens at -inf */
    sw_sampler_scratch scratch;         /* sampler work space */
    uint64_t clock;                     /* 10 ms steps fed since reset */
    int vel_bin;                        /* velocity bin in force, -1 before the first VELOCITY */
    int64_t on_at[N_PITCH];             /* [pitch] clock of the sounding note's start, -1 if silent */
    uint8_t generated[N_PITCH];         /* [pitch] 1: the sounding note was generated (max_note_s) */
    int n_sounding;                     /* notes sounding */
    uint8_t key_down[N_PITCH];          /* [pitch] listening: the key is held */
    uint8_t sustained[N_PITCH];         /* [pitch] listening: released, held by the pedal */
    int pedal;                          /* listening: sustain pedal down */
    int same_step;                      /* tokens generated since the clock last moved */
    uint64_t recent[RECENT];            /* [RECENT] ring of the latest note-on clocks */
    int recent_n, recent_head;          /* entries in the ring, next slot */
};

void sw_compose_limits_default(sw_compose_limits *l)
{
    if (!l) return;
    memset(l, 0, sizeof *l);
    l->low = 0;
    l->high = 127;
    l->max_note_s = 8.0f;
}

sw_compose_event sw_compose_token_event(int token)
{
    sw_compose_event e = {token, SW_COMPOSE_START, 0, 0, 0, 0};
    if (token >= TOK_ON && token < TOK_OFF) { e.kind = SW_COMPOSE_NOTE_ON; e.pitch = token - TOK_ON; }
    else if (token >= TOK_OFF && token < TOK_SHIFT) { e.kind = SW_COMPOSE_NOTE_OFF; e.pitch = token - TOK_OFF; }
    else if (token >= TOK_SHIFT && token < TOK_VEL) { e.kind = SW_COMPOSE_SHIFT; e.steps = token - TOK_SHIFT + 1; }
    else if (token >= TOK_VEL && token < TOK_START) {
        e.kind = SW_COMPOSE_VELOCITY;
        e.velocity = (token - TOK_VEL) * 4 + 2;        /* the middle of the bin's range */
    }
    return e;
}

static int json_int_is(const cJSON *o, const char *key, int want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && v->valuedouble == (double)want;
}

sw_status sw_composer_create(const sw_model *model, uint64_t seed, sw_composer **out,
                             char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!model || !out) return sw_fail(err, errlen, SW_ERR_ARG, "composer: NULL model or out");
    if (strcmp(sw_model_task(model), "compose") != 0)
        return sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "composer: model task is \"%s\", need \"compose\"",
                       sw_model_task(model));
    if (sw_model_d_input(model) != 1 || sw_model_d_output(model) != SW_COMPOSE_VOCAB)
        return sw_fail(err, errlen, SW_ERR_CONFIG, "composer: model maps %d -> %d, need 1 -> %d",
                       sw_model_d_input(model), sw_model_d_output(model), SW_COMPOSE_VOCAB);
    cJSON *tp = cJSON_Parse(sw_model_task_params_json(model));
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(tp, "encoding");
    int ok = cJSON_IsObject(tp) && cJSON_IsString(enc) && strcmp(enc->valuestring, "performance-events") == 0
             && json_int_is(tp, "vocab", SW_COMPOSE_VOCAB) && json_int_is(tp, "step_ms", 10)
             && json_int_is(tp, "n_shift", SW_COMPOSE_MAX_SHIFT) && json_int_is(tp, "n_vel", N_VEL)
             && json_int_is(tp, "start", TOK_START);
    cJSON_Delete(tp);
    if (!ok)
        return sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "composer: task_params must describe the "
                       "performance-events vocabulary (389 tokens, 10 ms steps, 100 shifts, 32 velocity bins, start 388)");
    sw_composer *c = calloc(1, sizeof *c);
    if (!c) return sw_fail(err, errlen, SW_ERR_NOMEM, "composer: out of memory");
    sw_status st = sw_net_create(model, &c->net, err, errlen);
    if (st != SW_OK) { free(c); return st; }
    c->model = model;
    c->seed = seed;
    c->temperature = 1.0f;
    c->top_p = 1.0f;
    sw_compose_limits_default(&c->lim);
    sw_composer_reset(c);
    *out = c;
    return SW_OK;
}

void sw_composer_destroy(sw_composer *c)
{
    if (!c) return;
    sw_net_destroy(c->net);
    free(c);
}

/* One net step on `token`, and the bookkeeping the token implies. */
static void feed(sw_composer *c, int token)
{
    c->in[0] = (float)token;
    sw_net_step(c->net, c->in, c->logits);
    if (token < TOK_OFF) {
        int p = token - TOK_ON;
        if (c->on_at[p] < 0) c->n_sounding++;
        c->on_at[p] = (int64_t)c->clock;               /* struck again: the note restarts */
        c->generated[p] = 0;
        c->recent[c->recent_head] = c->clock;
        c->recent_head = (c->recent_head + 1) % RECENT;
        if (c->recent_n < RECENT) c->recent_n++;
    } else if (token < TOK_SHIFT) {
        int p = token - TOK_OFF;
        if (c->on_at[p] >= 0) { c->on_at[p] = -1; c->n_sounding--; }
    } else if (token < TOK_VEL) {
        c->clock += (uint64_t)(token - TOK_SHIFT + 1);
        c->same_step = 0;
    } else if (token < TOK_START) {
        c->vel_bin = token - TOK_VEL;
    }
}

void sw_composer_reset(sw_composer *c)
{
    if (!c) return;
    sw_net_reset(c->net);
    sw_rng_seed(&c->rng, c->seed);
    c->clock = 0;
    c->vel_bin = -1;
    for (int p = 0; p < N_PITCH; p++) c->on_at[p] = -1;
    memset(c->generated, 0, sizeof c->generated);
    memset(c->key_down, 0, sizeof c->key_down);
    memset(c->sustained, 0, sizeof c->sustained);
    c->n_sounding = 0;
    c->pedal = 0;
    c->recent_n = c->recent_head = 0;
    c->same_step = 0;
    c->in[0] = (float)TOK_START;
    sw_net_step(c->net, c->in, c->logits);
}

void sw_composer_set_seed(sw_composer *c, uint64_t seed)
{
    if (!c) return;
    c->seed = seed;
    sw_rng_seed(&c->rng, seed);
}

void sw_composer_set_temperature(sw_composer *c, float temperature)
{
    if (!c) return;
    if (!(temperature >= 0.0f)) temperature = 0.0f;   /* NaN / negative -> greedy */
    c->temperature = temperature > 10.0f ? 10.0f : temperature;
}

void sw_composer_set_top_p(sw_composer *c, float top_p)
{
    if (!c) return;
    if (!(top_p <= 1.0f)) top_p = 1.0f;               /* NaN / > 1 -> no truncation */
    c->top_p = top_p < 1e-6f ? 1e-6f : top_p;
}

void sw_composer_set_limits(sw_composer *c, const sw_compose_limits *l)
{
    if (!c || !l) return;
    sw_compose_limits v = *l;
    v.low = v.low < 0 ? 0 : v.low > 127 ? 127 : v.low;
    v.high = v.high < v.low ? v.low : v.high > 127 ? 127 : v.high;
    if (v.max_voices < 0) v.max_voices = 0;
    if (!(v.max_notes_per_s >= 0.0f)) v.max_notes_per_s = 0.0f;
    if (v.max_notes_per_s > RECENT) v.max_notes_per_s = RECENT;
    if (!(v.max_note_s >= 0.0f)) v.max_note_s = 0.0f;
    c->lim = v;
}

int sw_composer_feed(sw_composer *c, int token)
{
    if (!c || token < 0 || token >= TOK_START) return -1;
    feed(c, token);
    return 0;
}

uint64_t sw_composer_clock(const sw_composer *c) { return c ? c->clock : 0; }

int sw_composer_sounding(const sw_composer *c, int pitch)
{
    return c && pitch >= 0 && pitch < N_PITCH && c->on_at[pitch] >= 0;
}

/* ------------------------------------------------------------- listening -- */

/* Feed time shifts until the clock reaches round(t_s / 10 ms); only whole seconds if `whole`. */
static void sync_to(sw_composer *c, double t_s, int whole)
{
    if (!(t_s >= 0.0) || t_s > 1e9) return;           /* NaN, negative, absurd: count as now */
    uint64_t q = (uint64_t)llround(t_s / SW_COMPOSE_STEP_S);
    while (q > c->clock) {
        uint64_t k = q - c->clock;
        if (k > SW_COMPOSE_MAX_SHIFT) k = SW_COMPOSE_MAX_SHIFT;
        else if (whole && k < SW_COMPOSE_MAX_SHIFT) break;
        feed(c, TOK_SHIFT + (int)k - 1);
    }
}

void sw_composer_advance(sw_composer *c, double t_s)
{
    if (c) sync_to(c, t_s, 1);
}

void sw_composer_note_on(sw_composer *c, double t_s, int pitch, int velocity)
{
    if (!c || pitch < 0 || pitch >= N_PITCH) return;
    sync_to(c, t_s, 0);
    if (c->on_at[pitch] >= 0) feed(c, TOK_OFF + pitch);   /* struck again: end the sounding note */
    int v = velocity < 1 ? 1 : velocity > 127 ? 127 : velocity;
    int b = v * N_VEL / 128;
    if (b != c->vel_bin) feed(c, TOK_VEL + b);
    feed(c, TOK_ON + pitch);
    c->key_down[pitch] = 1;
    c->sustained[pitch] = 0;
}

void sw_composer_note_off(sw_composer *c, double t_s, int pitch)
{
    if (!c || pitch < 0 || pitch >= N_PITCH || !c->key_down[pitch]) return;
    c->key_down[pitch] = 0;
    if (c->on_at[pitch] < 0) return;
    if (c->pedal) { c->sustained[pitch] = 1; return; }
    sync_to(c, t_s, 0);
    feed(c, TOK_OFF + pitch);
}

void sw_composer_pedal(sw_composer *c, double t_s, int down)
{
    if (!c) return;
    if (down) { c->pedal = 1; return; }
    if (!c->pedal) return;
    c->pedal = 0;
    sync_to(c, t_s, 0);
    for (int p = 0; p < N_PITCH; p++) {
        if (c->sustained[p] && c->on_at[p] >= 0) feed(c, TOK_OFF + p);
        c->sustained[p] = 0;
    }
}

/* ------------------------------------------------------------ generation -- */

static int notes_in_last_second(const sw_composer *c)
{
    int n = 0;
    for (int i = 0; i < c->recent_n; i++)
        if (c->clock - c->recent[i] < (uint64_t)SW_COMPOSE_MAX_SHIFT) n++;
    return n;
}

sw_compose_event sw_composer_next(sw_composer *c)
{
    sw_compose_event none = {TOK_START, SW_COMPOSE_START, 0, 0, 0, 0};
    if (!c) return none;
    /* A generated note held too long is ended before anything is drawn: a model that forgets a
     * note-off must not leave a key stuck on the musician's instrument. */
    if (c->lim.max_note_s > 0.0f) {
        const int64_t limit = (int64_t)llroundf(c->lim.max_note_s / (float)SW_COMPOSE_STEP_S);
        for (int p = 0; p < N_PITCH; p++)
            if (c->on_at[p] >= 0 && c->generated[p] && (int64_t)c->clock - c->on_at[p] >= limit) {
                feed(c, TOK_OFF + p);
                sw_compose_event e = sw_compose_token_event(TOK_OFF + p);
                e.forced = 1;
                return e;
            }
    }
    const sw_compose_limits *l = &c->lim;
    /* Time must move on: a model looping on notes at one instant would never return control. */
    const int stuck = c->same_step >= MAX_SAME_STEP;
    int ons_ok = !stuck && !(l->max_voices > 0 && c->n_sounding >= l->max_voices)
                 && !(l->max_notes_per_s > 0.0f && notes_in_last_second(c) >= (int)l->max_notes_per_s);
    for (int p = 0; p < N_PITCH; p++) {
        int allowed = ons_ok && p >= l->low && p <= l->high && (!l->scale || (l->scale >> (p % 12)) & 1);
        c->masked[TOK_ON + p] = allowed ? c->logits[TOK_ON + p] : -INFINITY;
        c->masked[TOK_OFF + p] = !stuck && c->on_at[p] >= 0 ? c->logits[TOK_OFF + p] : -INFINITY;
    }
    for (int t = TOK_SHIFT; t < TOK_VEL; t++) c->masked[t] = c->logits[t];
    for (int t = TOK_VEL; t < TOK_START; t++) c->masked[t] = stuck ? -INFINITY : c->logits[t];
    c->masked[TOK_START] = -INFINITY;
    /* Shifts are never masked, so the draw always has a choice; a net gone non-finite falls back
     * to a 10 ms wait. */
    int tok = sw_sample_logits(c->masked, SW_COMPOSE_VOCAB, c->temperature, c->top_p, &c->rng,
                               &c->scratch, TOK_SHIFT);
    /* A wait never carries a generated note past max_note_s: the shift is cut to end there, so the
     * forced note-off above lands on time. */
    if (tok >= TOK_SHIFT && tok < TOK_VEL && c->lim.max_note_s > 0.0f) {
        const int64_t limit = (int64_t)llroundf(c->lim.max_note_s / (float)SW_COMPOSE_STEP_S);
        int64_t k = tok - TOK_SHIFT + 1;
        for (int p = 0; p < N_PITCH; p++)
            if (c->on_at[p] >= 0 && c->generated[p]) {
                int64_t rem = limit - ((int64_t)c->clock - c->on_at[p]);
                if (rem >= 1 && rem < k) k = rem;
            }
        tok = TOK_SHIFT + (int)k - 1;
    }
    feed(c, tok);
    if (tok < TOK_SHIFT || tok >= TOK_VEL) c->same_step++;
    if (tok < TOK_OFF) c->generated[tok] = 1;
    sw_compose_event e = sw_compose_token_event(tok);
    if (e.kind == SW_COMPOSE_NOTE_ON)
        e.velocity = c->vel_bin < 0 ? 64 : c->vel_bin * 4 + 2;
    return e;
}

void sw_composer_distribution(const sw_composer *c, float *probs)
{
    if (!c || !probs) return;
    float mx = -INFINITY;
    for (int i = 0; i < SW_COMPOSE_VOCAB; i++)
        if (isfinite(c->logits[i]) && c->logits[i] > mx) mx = c->logits[i];
    double total = 0.0;
    for (int i = 0; i < SW_COMPOSE_VOCAB; i++) {
        probs[i] = isfinite(c->logits[i]) ? expf(c->logits[i] - mx) : 0.0f;
        total += probs[i];
    }
    for (int i = 0; i < SW_COMPOSE_VOCAB; i++)
        probs[i] = total > 0.0 ? (float)(probs[i] / total) : 1.0f / SW_COMPOSE_VOCAB;
}

/* --------------------------------------------------------------- encoding -- */

typedef struct {
    int64_t q;          /* time, 10 ms steps */
    int on;             /* 0 = note-off (first at equal times), 1 = note-on */
    int pitch;
    int velocity;
} enc_event;

static int enc_cmp(const void *a, const void *b)
{
    const enc_event *x = a, *y = b;
    if (x->q != y->q) return x->q < y->q ? -1 : 1;
    if (x->on != y->on) return x->on - y->on;
    if (x->pitch != y->pitch) return x->pitch - y->pitch;
    return x->velocity - y->velocity;
}

/* floor(x + 0.5): the rounding train/compose/events.py uses too (Python's round() rounds halves
 * to even, which would split the two sides on exact half steps). */
static int64_t steps_of(double t_s)
{
    if (!(t_s >= 0.0)) return 0;
    if (t_s > 1e9) t_s = 1e9;
    return (int64_t)floor(t_s / SW_COMPOSE_STEP_S + 0.5);
}

long sw_compose_encode(const sw_compose_note *notes, size_t n, uint16_t *tokens, size_t cap)
{
    if (!notes && n) return -1;
    if (n > ((size_t)1 << 24)) return -1;
    enc_event *ev = malloc(sizeof *ev * (n ? 2 * n : 1));
    if (!ev) return -1;
    for (size_t i = 0; i < n; i++) {
        int p = notes[i].pitch < 0 ? 0 : notes[i].pitch > 127 ? 127 : notes[i].pitch;
        int64_t q_on = steps_of(notes[i].on_s), q_off = steps_of(notes[i].off_s);
        if (q_off < q_on + 1) q_off = q_on + 1;             /* a note lasts at least one step */
        ev[2 * i] = (enc_event){ q_on, 1, p, notes[i].velocity };
        ev[2 * i + 1] = (enc_event){ q_off, 0, p, 0 };
    }
    qsort(ev, 2 * n, sizeof *ev, enc_cmp);
    long count = 0;
    int64_t q = 0;
    int vb = -1;
#define EMIT(tok) do { if ((size_t)count < cap && tokens) tokens[count] = (uint16_t)(tok); count++; } while (0)
    for (size_t i = 0; i < 2 * n; i++) {
        while (ev[i].q > q) {
            int64_t k = ev[i].q - q;
            if (k > SW_COMPOSE_MAX_SHIFT) k = SW_COMPOSE_MAX_SHIFT;
            EMIT(TOK_SHIFT + k - 1);
            q += k;
        }
        if (ev[i].on) {
            int v = ev[i].velocity < 0 ? 0 : ev[i].velocity > 127 ? 127 : ev[i].velocity;
            int b = v * N_VEL / 128;
            if (b != vb) { EMIT(TOK_VEL + b); vb = b; }
            EMIT(TOK_ON + ev[i].pitch);
        } else {
            EMIT(TOK_OFF + ev[i].pitch);
        }
    }
#undef EMIT
    free(ev);
    return count;
}

/* ------------------------------------------------------------------ keys -- */

int sw_compose_key_estimate(const double hist[12])
{
    /* Krumhansl & Kessler's probe-tone profiles (1982), major and minor, from the tonic up. */
    static const double kk_major[12] = { 6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88 };
    static const double kk_minor[12] = { 6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17 };
    if (!hist) return -1;
    double total = 0.0;
    for (int i = 0; i < 12; i++) total += hist[i];
    if (!(total > 1e-6)) return -1;
    double best = -2.0;
    int key = -1;
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < 12; k++) {
            const double *prof = m ? kk_minor : kk_major;
            double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
            for (int i = 0; i < 12; i++) { mx += hist[i] / 12; my += prof[(i - k + 12) % 12] / 12; }
            for (int i = 0; i < 12; i++) {
                double x = hist[i] - mx, y = prof[(i - k + 12) % 12] - my;
                sxy += x * y; sxx += x * x; syy += y * y;
            }
            double r = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : -1.0;
            if (r > best) { best = r; key = 12 * m + k; }
        }
    return key;
}

uint16_t sw_compose_key_scale(int key)
{
    /* minor: natural minor with the raised 7th (the leading tone melodies use) */
    static const int major[] = { 0, 2, 4, 5, 7, 9, 11 }, minor_h[] = { 0, 2, 3, 5, 7, 8, 10, 11 };
    if (key < 0 || key > 23) return 0;
    const int tonic = key % 12, minor = key >= 12;
    const int *iv = minor ? minor_h : major;
    uint16_t m = 0;
    for (int i = 0; i < (minor ? 8 : 7); i++) m |= (uint16_t)(1u << ((tonic + iv[i]) % 12));
    return m;
}

void sw_composer_wait_until(sw_composer *c, double t_s)
{
    const uint64_t want = (uint64_t)ceil(t_s / SW_COMPOSE_STEP_S - 1e-9);
    while (c->clock < want) {
        uint64_t k = want - c->clock;
        if (k > SW_COMPOSE_MAX_SHIFT)
            k = SW_COMPOSE_MAX_SHIFT;
        sw_composer_feed(c, TOK_SHIFT + (int)k - 1);
    }
}

void sw_compose_keys_init(sw_compose_keys *k, double rate, double tau_s)
{
    memset(k->pc_s, 0, sizeof k->pc_s);
    k->pc_at = 0;
    for (int p = 0; p < 128; p++)
        k->on[p] = UINT64_MAX;
    k->rate = rate;
    k->tau_s = tau_s;
}

/* pc_s decayed to frame `at`. */
static void keys_decay(sw_compose_keys *k, uint64_t at)
{
    if (at <= k->pc_at)
        return;
    const double g = exp(-(double)(at - k->pc_at) / k->rate / k->tau_s);
    for (int i = 0; i < 12; i++)
        k->pc_s[i] *= g;
    k->pc_at = at;
}

void sw_compose_keys_note_off(sw_compose_keys *k, int pitch, uint64_t at)
{
    if (k->on[pitch] == UINT64_MAX)
        return;
    keys_decay(k, at);
    if (at > k->on[pitch])
        k->pc_s[pitch % 12] += (double)(at - k->on[pitch]) / k->rate;
    k->on[pitch] = UINT64_MAX;
}

void sw_compose_keys_note_on(sw_compose_keys *k, int pitch, uint64_t at)
{
    sw_compose_keys_note_off(k, pitch, at); /* struck again */
    k->on[pitch] = at;
}

int sw_compose_keys_estimate(sw_compose_keys *k, uint64_t at)
{
    keys_decay(k, at);
    double h[12];
    memcpy(h, k->pc_s, sizeof h);
    for (int p = 0; p < 128; p++)
        if (k->on[p] != UINT64_MAX && at > k->on[p])
            h[p % 12] += (double)(at - k->on[p]) / k->rate;
    return sw_compose_key_estimate(h);
}
