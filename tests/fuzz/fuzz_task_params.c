/* fuzz_task_params.c — libFuzzer target for the engines' task_params parsers: the JSON object a
 * model file carries for its task (dsp/engines/denoise.c sw_denoise_params_parse, dsp/engines/generate.c in
 * sw_generator_create, dsp/engines/synth.c sw_synth_params_parse for sw_synth and sw_transfer, dsp/engines/compose.c
 * in sw_composer_create).
 *
 * Input: one byte choosing the engine (denoise, generate, synth, transfer, compose: byte % 5), then the
 * task_params text. The denoise parser gets the raw text directly (with the network shape the
 * text asks for, and a wrong one). When the text is a JSON object it is also put into a small
 * real model (one linear layer of the shape the engine needs, sized from the text's own
 * grid_n / n_harmonics / n_noise_bands, and for denoise version 2 df_bins / df_order /
 * floor_max, when they are sane, so the parsers get past the shape check), loaded by the real
 * loader, and the engine is created through the public API, run
 * for a few blocks (a note, noise input) and destroyed. A parser may refuse with a message or
 * accept; it must never crash, leak, or hand out an engine that produces non-finite audio.
 * Built by `make fuzz` (mk/fuzz.mk); corpus in tests/fuzz/corpus/task_params. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "statewave.h"
#include "denoise.h"
#include "synth.h"
#include "core_util.h"

#define MAX_D 512  /* largest network side built (denoise grid_n; synth 1 + K + B) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tw_file tw; /* large (tensor table): one, reused */

/* A number member of `o` that is an integer in [lo, hi], else `def`. */
static int int_or(const cJSON *o, const char *key, int lo, int hi, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return def;
    return (int)v->valuedouble;
}

static void check_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            abort();
}

/* A model with task `task`, task_params `tp` and one linear layer d_in -> d_out. */
static sw_model *make_model(const char *task, const cJSON *tp, int d_in, int d_out)
{
    char *tps = cJSON_PrintUnformatted(tp);
    if (!tps)
        return NULL;
    size_t cap = strlen(tps) + 512;
    char *cfg = malloc(cap);
    snprintf(cfg, cap,
             "{\"version\":1,\"d_input\":%d,\"d_output\":%d,\"task\":\"%s\",\"task_params\":%s,"
             "\"layers\":[{\"type\":\"linear\",\"name\":\"l\",\"d_in\":%d,\"d_out\":%d,\"bias\":true}]}",
             d_in, d_out, task, tps, d_in, d_out);
    tw_init(&tw, 7);
    tw_linear(&tw, "l", d_in, d_out, 1);
    size_t len;
    unsigned char *b = tw_build(&tw, cfg, &len);
    tw_free(&tw);
    sw_model *m = NULL;
    char err[256];
    if (sw_model_load_memory(b, len, &m, err, sizeof err) != SW_OK)
        m = NULL; /* the loader refusing a model is the loader fuzzer's business */
    free(b);
    free(cfg);
    free(tps);
    return m;
}

static void run_denoise(const char *json, const cJSON *tp)
{
    char err[256];
    sw_denoise_params p;
    const int g = tp ? int_or(tp, "grid_n", 2, 4096, 16) : 16;
    /* Version 2 widths from the text's own deep-filter and floor keys when they are sane
     * (sw_denoise_params_widths), so the parser gets past the shape check. */
    int d_in = g, d_out = g;
    if (tp && int_or(tp, "version", 1, 2, 1) == 2) {
        const int J = int_or(tp, "df_bins", 0, 512, 0), n = int_or(tp, "df_order", 1, 8, 1);
        const cJSON *fm = cJSON_GetObjectItemCaseSensitive(tp, "floor_max");
        d_in = g + 2 * J;
        d_out = g + 2 * J * n + (cJSON_IsNumber(fm) && fm->valuedouble > 0.0 ? 1 : 0);
    }
    int ok = sw_denoise_params_parse(json, d_in, d_out, &p, err, sizeof err) == SW_OK;
    if (!ok && !err[0])
        abort();
    if (sw_denoise_params_parse(json, d_in + 1, d_out, &p, err, sizeof err) == SW_OK)
        abort(); /* a network of another input width than the params ask for is always refused */
    if (!ok || !cJSON_IsObject(tp) || d_in > MAX_D || d_out > MAX_D)
        return;
    sw_model *m = make_model("denoise", tp, d_in, d_out);
    if (!m)
        return;
    sw_denoiser *d = NULL;
    if (sw_denoiser_create(m, 16000.0, 1, &d, err, sizeof err) == SW_OK) {
        float x[512];
        for (int i = 0; i < 512; i++)
            x[i] = 0.3f * sinf(0.05f * (float)i);
        float *in[1] = { x }, *out[1] = { x };
        sw_denoiser_process(d, (const float *const *)in, out, 512);
        check_finite(x, 512);
        sw_denoiser_destroy(d);
    } else if (!err[0]) {
        abort();
    }
    sw_model_free(m);
}

static void run_generate(const cJSON *tp)
{
    sw_model *m = make_model("generate", tp, 1, 256);
    if (!m)
        return;
    sw_generator *g = NULL;
    char err[256];
    if (sw_generator_create(m, 1, &g, err, sizeof err) == SW_OK) {
        float y[64];
        sw_generator_render(g, y, 64);
        check_finite(y, 64);
        sw_generator_destroy(g);
    } else if (!err[0]) {
        abort();
    }
    sw_model_free(m);
}

static void run_synth(const cJSON *tp, int transfer)
{
    const int K = int_or(tp, "n_harmonics", 1, SW_SYNTH_MAX_HARMONICS, 4);
    const int B = int_or(tp, "n_noise_bands", 2, SW_SYNTH_MAX_BANDS, 4);
    if (1 + K + B > MAX_D)
        return;
    sw_model *m = make_model("synth", tp, SW_SYNTH_D_INPUT, 1 + K + B);
    if (!m)
        return;
    char err[256];
    sw_synth_params p;
    if (sw_synth_params_parse(m, &p, err, sizeof err) != SW_OK && !err[0])
        abort();
    float y[512];
    if (!transfer) {
        sw_synth *s = NULL;
        if (sw_synth_create(m, 16000.0, 2, &s, err, sizeof err) == SW_OK) {
            sw_synth_note_on(s, 60, 100);
            sw_synth_process(s, y, 512);
            check_finite(y, 512);
            sw_synth_destroy(s);
        } else if (!err[0]) {
            abort();
        }
    } else {
        sw_transfer *t = NULL;
        if (sw_transfer_create(m, 16000.0, &t, err, sizeof err) == SW_OK) {
            for (int i = 0; i < 512; i++)
                y[i] = 0.3f * sinf(0.1f * (float)i);
            sw_transfer_process(t, y, y, 512);
            check_finite(y, 512);
            sw_transfer_destroy(t);
        } else if (!err[0]) {
            abort();
        }
    }
    sw_model_free(m);
}

static void run_compose(const cJSON *tp)
{
    sw_model *m = make_model("compose", tp, 1, SW_COMPOSE_VOCAB);
    if (!m)
        return;
    sw_composer *c = NULL;
    char err[256];
    if (sw_composer_create(m, 1, &c, err, sizeof err) == SW_OK) {
        float p[SW_COMPOSE_VOCAB];
        sw_composer_note_on(c, 0.25, 60, 90);
        sw_composer_pedal(c, 0.3, 1);
        sw_composer_note_off(c, 0.5, 60);
        sw_composer_pedal(c, 0.75, 0);
        for (int i = 0; i < 64; i++) {
            sw_compose_event e = sw_composer_next(c);
            if (e.token < 0 || e.token >= SW_COMPOSE_VOCAB - 1)
                abort();
        }
        sw_composer_distribution(c, p);
        check_finite(p, SW_COMPOSE_VOCAB);
        sw_composer_destroy(c);
    } else if (!err[0]) {
        abort();
    }
    sw_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int kind = data[0] % 5;
    char *json = malloc(size);
    memcpy(json, data + 1, size - 1);
    json[size - 1] = '\0';
    cJSON *tp = cJSON_Parse(json);
    switch (kind) {
    case 0: run_denoise(json, tp); break;
    case 1: if (cJSON_IsObject(tp)) run_generate(tp); break;
    case 2: if (cJSON_IsObject(tp)) run_synth(tp, 0); break;
    case 3: if (cJSON_IsObject(tp)) run_synth(tp, 1); break;
    case 4: if (cJSON_IsObject(tp)) run_compose(tp); break;
    }
    cJSON_Delete(tp);
    free(json);
    return 0;
}
