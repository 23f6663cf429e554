/* generate.c — autoregressive mu-law audio generator around one sw_net (SaShiMi-style use).
 *
 * Loop per sample: logits (the net's output for the next sample) -> sampler (temperature,
 * top-p nucleus, seeded xorshift64*) -> code -> mu-law decode -> output, and the code is
 * stepped back into the net, whose new output is the next sample's logits. Everything the
 * loop touches is allocated in sw_generator_create, so reset/prime/render are [RT].
 *
 * Model contract (task "generate", see train/sashimi/model.py): d_input 1 (the previous code
 * as a float, read by an embedding layer), d_output 256 logits, task_params
 * {"sample_rate": Hz, "encoding": "mulaw", "mu": 255, "classes": 256, "start_code": 128}. */
#include "statewave.h"
#include "generate.h"
#include "core.h"
#include "kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#define MU 255.0

/* ------------------------------------------------------------------ RNG -- */

void sw_rng_seed(sw_rng *r, uint64_t seed)
{
    /* splitmix64 step: spreads any seed (0, 1, 2, ...) over the whole state space */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    r->s = z ? z : 0x2545F4914F6CDD1Dull;           /* xorshift must not start at 0 */
}

uint64_t sw_rng_next(sw_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

float sw_rng_uniform(sw_rng *r)
{
    return (float)(sw_rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* -------------------------------------------------------------- sampler -- */

/* Walks classes idx[0..m) (or 0..m if idx == NULL) until the running sum of w passes u. */
static int walk(const float *w, const uint16_t *idx, int m, double u)
{
    double cum = 0.0;
    int last = -1;
    for (int k = 0; k < m; k++) {
        int i = idx ? idx[k] : k;
        if (w[i] <= 0.0f) continue;
        cum += w[i];
        last = i;
        if (cum > u) return i;
    }
    return last;                                     /* u at the very top (rounding) */
}

int sw_sample_logits(const float *logits, int n, float temperature, float top_p,
                     sw_rng *rng, sw_sampler_scratch *s, int fallback)
{
    if (n > SW_SAMPLER_MAX_CLASSES) n = SW_SAMPLER_MAX_CLASSES;
    float mx = 0.0f;
    int arg = -1;
    for (int i = 0; i < n; i++)
        if (isfinite(logits[i]) && (arg < 0 || logits[i] > mx)) { mx = logits[i]; arg = i; }
    if (arg < 0) return fallback;
    if (!(temperature >= 1e-3f)) return arg;         /* greedy (also for NaN) */

    /* The weights in vectors (the kernels' exp, ~1e-7 relative, where expf one class at a time
     * and one chain of double adds were 9 % of the generator's render); total >= 1: the max
     * contributes exp(0). */
    const double total = sw_vexp_sum(s->w, logits, (size_t)n, mx, 1.0f / temperature);
    if (!(top_p < 1.0f))
        return walk(s->w, NULL, n, (double)sw_rng_uniform(rng) * total);

    /* Nucleus by quickselect: find the smallest prefix, in decreasing probability, whose
     * mass reaches need = top_p * total, without sorting. [0, lo) is known to be inside,
     * [lo, hi) is undecided, the rest is out. Each pass 3-way partitions [lo, hi) around
     * the middle element's weight (deterministic pivot, so the same input gives the same
     * order and the same draw). */
    int m = 0;
    for (int i = 0; i < n; i++)
        if (s->w[i] > 0.0f) s->idx[m++] = (uint16_t)i;
    double need = (double)(top_p > 1e-6f ? top_p : 1e-6f) * total;
    int lo = 0, hi = m, end = m;
    while (lo < hi) {
        const float pv = s->w[s->idx[lo + (hi - lo) / 2]];
        int a = lo, b = lo, c = hi;                  /* [lo,a) > pv, [a,b) == pv, [c,hi) < pv */
        while (b < c) {
            const float v = s->w[s->idx[b]];
            if (v > pv) {
                uint16_t t = s->idx[a]; s->idx[a] = s->idx[b]; s->idx[b] = t;
                a++; b++;
            } else if (v < pv) {
                c--;
                uint16_t t = s->idx[b]; s->idx[b] = s->idx[c]; s->idx[c] = t;
            } else {
                b++;
            }
        }
        double gt = 0.0;
        for (int k = lo; k < a; k++) gt += s->w[s->idx[k]];
        if (a > lo && gt >= need) { hi = a; end = a; continue; }   /* inside the larger ones */
        const double eq = (double)pv * (double)(b - a);
        if (gt + eq >= need) {                       /* take just enough of the tied group */
            int k = (int)ceil((need - gt) / (double)pv);
            if (k < 1) k = 1;
            if (k > b - a) k = b - a;
            end = a + k;
            break;
        }
        need -= gt + eq;
        lo = b;
        end = hi;                                    /* if nothing is left: take everything */
    }
    double mass = 0.0;
    for (int k = 0; k < end; k++) mass += s->w[s->idx[k]];
    return walk(s->w, s->idx, end, (double)sw_rng_uniform(rng) * mass);
}

/* --------------------------------------------------------------- mu-law -- */

uint8_t sw_mulaw_encode(float x)
{
    if (!isfinite(x)) x = 0.0f;
    double a = fabs((double)x);
    if (a > 1.0) a = 1.0;
    double y = log1p(MU * a) / log1p(MU);
    if (x < 0.0f) y = -y;
    double q = floor((y + 1.0) / 2.0 * MU + 0.5);
    return (uint8_t)(q < 0.0 ? 0.0 : q > 255.0 ? 255.0 : q);
}

float sw_mulaw_decode(uint8_t code)
{
    double y = 2.0 * code / MU - 1.0;
    double x = (pow(1.0 + MU, fabs(y)) - 1.0) / MU;
    return (float)(y < 0.0 ? -x : x);
}

/* ------------------------------------------------------------ generator -- */

struct sw_generator {
    const sw_model *model;          /* not owned; outlives us */
    sw_net *net;                    /* owned: recurrent state + scratch of one stream */
    int rate;                       /* Hz, task_params.sample_rate */
    int start_code;                 /* code fed after reset (silence) */
    uint64_t seed;                  /* RNG seed that reset() rewinds to */
    sw_rng rng;
    float temperature;              /* >= 0; < 1e-3 = greedy */
    float top_p;                    /* (0, 1] */
    uint64_t pos;                   /* samples fed since reset (start code not counted) */
    float in[1];                    /* [d_input = 1] net input: the code as a float */
    float logits[SW_GEN_CLASSES];   /* [classes] net output: next sample's logits */
    float decode[SW_GEN_CLASSES];   /* [classes] mu-law code -> float sample */
    sw_sampler_scratch scratch;     /* sampler work space */
};

static int json_int(const cJSON *o, const char *key, int def, int lo, int hi, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) { *out = def; return def >= lo; }        /* def < lo: required */
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)
        || v->valuedouble < lo || v->valuedouble > hi) return 0;
    *out = (int)v->valuedouble;
    return 1;
}

sw_status sw_generator_create(const sw_model *model, uint64_t seed, sw_generator **out,
                              char *err, size_t errlen)
{
    if (out) *out = NULL;
    if (!model || !out) return sw_fail(err, errlen, SW_ERR_ARG, "generator: NULL model or out");
    if (strcmp(sw_model_task(model), "generate") != 0)
        return sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "generator: model task is \"%s\", need \"generate\"",
                       sw_model_task(model));
    if (sw_model_d_input(model) != 1 || sw_model_d_output(model) != SW_GEN_CLASSES)
        return sw_fail(err, errlen, SW_ERR_CONFIG, "generator: model maps %d -> %d, need 1 -> %d",
                       sw_model_d_input(model), sw_model_d_output(model), SW_GEN_CLASSES);
    cJSON *tp = cJSON_Parse(sw_model_task_params_json(model));
    if (!cJSON_IsObject(tp)) {
        cJSON_Delete(tp);
        return sw_fail(err, errlen, SW_ERR_CONFIG, "generator: task_params is not a JSON object");
    }
    int rate = 0, mu = 0, classes = 0, start = 0;
    const cJSON *enc = cJSON_GetObjectItemCaseSensitive(tp, "encoding");
    int ok_rate = json_int(tp, "sample_rate", -1, 1000, 192000, &rate);
    int ok_mu = json_int(tp, "mu", 255, 255, 255, &mu);
    int ok_cls = json_int(tp, "classes", SW_GEN_CLASSES, SW_GEN_CLASSES, SW_GEN_CLASSES, &classes);
    int ok_start = json_int(tp, "start_code", 128, 0, SW_GEN_CLASSES - 1, &start);
    int ok_enc = !enc || (cJSON_IsString(enc) && strcmp(enc->valuestring, "mulaw") == 0);
    cJSON_Delete(tp);
    if (!ok_rate) return sw_fail(err, errlen, SW_ERR_CONFIG, "generator: task_params.sample_rate missing or outside 1000..192000");
    if (!ok_enc || !ok_mu || !ok_cls)
        return sw_fail(err, errlen, SW_ERR_UNSUPPORTED, "generator: only 8-bit mu-law (mu 255, 256 classes) is supported");
    if (!ok_start) return sw_fail(err, errlen, SW_ERR_CONFIG, "generator: task_params.start_code outside 0..255");

    sw_generator *g = calloc(1, sizeof *g);
    if (!g) return sw_fail(err, errlen, SW_ERR_NOMEM, "generator: out of memory");
    sw_status st = sw_net_create(model, &g->net, err, errlen);
    if (st != SW_OK) { free(g); return st; }
    g->model = model;
    g->rate = rate;
    g->start_code = start;
    g->seed = seed;
    g->temperature = 1.0f;
    g->top_p = 1.0f;
    for (int c = 0; c < SW_GEN_CLASSES; c++) g->decode[c] = sw_mulaw_decode((uint8_t)c);
    sw_generator_reset(g);
    *out = g;
    return SW_OK;
}

void sw_generator_destroy(sw_generator *g)
{
    if (!g) return;
    sw_net_destroy(g->net);
    free(g);
}

int sw_generator_sample_rate(const sw_generator *g) { return g ? g->rate : 0; }

uint64_t sw_generator_position(const sw_generator *g) { return g ? g->pos : 0; }

static void feed(sw_generator *g, int code)
{
    g->in[0] = (float)code;
    sw_net_step(g->net, g->in, g->logits);
}

void sw_generator_reset(sw_generator *g)
{
    if (!g) return;
    sw_net_reset(g->net);
    sw_rng_seed(&g->rng, g->seed);
    g->pos = 0;
    feed(g, g->start_code);
}

void sw_generator_set_seed(sw_generator *g, uint64_t seed)
{
    if (!g) return;
    g->seed = seed;
    sw_rng_seed(&g->rng, seed);
}

void sw_generator_set_temperature(sw_generator *g, float temperature)
{
    if (!g) return;
    if (!(temperature >= 0.0f)) temperature = 0.0f;  /* NaN / negative -> greedy */
    g->temperature = temperature > 10.0f ? 10.0f : temperature;
}

void sw_generator_set_top_p(sw_generator *g, float top_p)
{
    if (!g) return;
    if (!(top_p <= 1.0f)) top_p = 1.0f;              /* NaN / > 1 -> no truncation */
    g->top_p = top_p < 1e-6f ? 1e-6f : top_p;
}

void sw_generator_prime_codes(sw_generator *g, const uint8_t *codes, size_t n)
{
    if (!g || !codes) return;
    for (size_t i = 0; i < n; i++) {
        feed(g, codes[i]);
        g->pos++;
    }
}

void sw_generator_prime(sw_generator *g, const float *samples, size_t n)
{
    if (!g || !samples) return;
    for (size_t i = 0; i < n; i++) {
        feed(g, sw_mulaw_encode(samples[i]));
        g->pos++;
    }
}

void sw_generator_render_codes(sw_generator *g, float *out, uint8_t *codes, size_t n)
{
    if (!g || !out) return;
    for (size_t i = 0; i < n; i++) {
        int c = sw_sample_logits(g->logits, SW_GEN_CLASSES, g->temperature, g->top_p,
                                 &g->rng, &g->scratch, g->start_code);
        out[i] = g->decode[c];
        if (codes) codes[i] = (uint8_t)c;
        feed(g, c);
        g->pos++;
    }
}

void sw_generator_render(sw_generator *g, float *out, size_t n)
{
    sw_generator_render_codes(g, out, NULL, n);
}

void sw_generator_distribution(const sw_generator *g, float *probs)
{
    if (!g || !probs) return;
    float mx = -INFINITY;
    for (int i = 0; i < SW_GEN_CLASSES; i++)
        if (isfinite(g->logits[i]) && g->logits[i] > mx) mx = g->logits[i];
    double total = 0.0;
    for (int i = 0; i < SW_GEN_CLASSES; i++) {
        probs[i] = isfinite(g->logits[i]) ? expf(g->logits[i] - mx) : 0.0f;
        total += probs[i];
    }
    for (int i = 0; i < SW_GEN_CLASSES; i++)
        probs[i] = total > 0.0 ? (float)(probs[i] / total) : 1.0f / SW_GEN_CLASSES;
}
