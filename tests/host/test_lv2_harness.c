/* test_lv2_harness.c — the Statewave LV2 bundle in a lilv host (tests/common/lv2host.h).
 *
 * Runs from the repo root against build/statewave.lv2 (skipped with a message only if the
 * bundle is not built; `make test` builds it first). Audio is a real dev-set recording
 * (../shared/data/devset/noisy/001.flac, 002.flac for the right channel).
 *
 *  1. rates outside 8..192 kHz are refused, with a log:Error
 *  2. at 22050, 44100, 48000, 96000, 192000 Hz, block sizes 1, 64, 1000 and random
 *     (0..4096): output finite and equal to the engine run directly (sw_denoiser, same
 *     model, same settings); the latency port equals sw_denoiser_latency(); with mix 0
 *     the output is the input delayed by exactly that many samples
 *  3. stereo (linked) equals the stereo engine; in-place buffers work
 *  4. bypass (enabled = 0) ramps to the latency-aligned dry signal
 *  5. patch:Set of a model copy: loaded by the worker, crossfaded in, notified; state save
 *     stores its path and the controls, restore into a new instance brings both back;
 *     the default model stores no path
 *  6. corrupt / truncated / missing model files (patch:Set and state restore): a log:Error,
 *     the current model kept, audio unchanged sample for sample
 */
#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lv2host.h"
#include "statewave.h"

#define NOISY1 "../shared/data/devset/noisy/001.flac"
#define NOISY2 "../shared/data/devset/noisy/002.flac"
#define N_SAMPLES 96000 /* 2 s at 48 kHz: the stream fed at every rate */

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

static float *read_mono(const char *path, size_t n)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return NULL;
    float *buf = calloc(n * (size_t)info.channels, sizeof(float));
    sf_count_t got = sf_readf_float(f, buf, (sf_count_t)n);
    sf_close(f);
    if (got < (sf_count_t)n || info.channels != 1) {
        free(buf);
        return NULL;
    }
    return buf;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t g_rng = 12345;
static uint32_t rnd(void)
{
    g_rng = g_rng * 1664525u + 1013904223u;
    return g_rng >> 8;
}

/* Run `n` frames through the plugin with a block schedule: bs > 0 fixed, 0 random 0..4096. */
static void run_blocks(h_inst *hi, const float *const *in, float *const *out, size_t n, int bs)
{
    size_t done = 0;
    while (done < n) {
        size_t b = bs > 0 ? (size_t)bs : rnd() % 4097;
        if (b > n - done)
            b = n - done;
        const float *ip[2];
        float *op[2];
        for (int c = 0; c < hi->channels; c++) {
            ip[c] = in[c] + done;
            op[c] = out[c] + done;
        }
        h_cycle(hi, ip, op, (uint32_t)b);
        done += b;
    }
}

static float max_abs_diff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m)) /* also catches NaN */
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static bool all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

static float peak(const float *x, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmaxf(m, fabsf(x[i]));
    return m;
}

/* The engine itself, for reference output. */
static sw_model *g_model;

static int ref_run(double rate, int ch, float mix, float limit, const float *const *in, float *const *out, size_t n)
{
    sw_denoiser *d = NULL;
    char err[256];
    if (sw_denoiser_create(g_model, rate, ch, &d, err, sizeof err) != SW_OK) {
        printf("reference engine: %s\n", err);
        return -1;
    }
    sw_denoiser_set_mix(d, mix);
    sw_denoiser_set_limit_db(d, limit);
    sw_denoiser_reset(d);
    int lat = sw_denoiser_latency(d);
    sw_denoiser_process(d, in, out, n);
    sw_denoiser_destroy(d);
    return lat;
}

static h_inst *new_active(h_host *H, bool stereo, double rate, float mix, float limit)
{
    h_inst *hi = h_inst_new(H, stereo, rate, true, true);
    if (!hi)
        return NULL;
    hi->ctl[P_MIX] = mix;
    hi->ctl[P_LIMIT] = limit;
    lilv_instance_activate(hi->inst);
    return hi;
}

/* ---------------------------------------------------------------- tests -- */

static void test_bad_rates(h_host *H)
{
    const double bad[] = {4000.0, 7999.0, 192001.0, 384000.0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int before = H->log.n_error;
        h_inst *hi = h_inst_new(H, false, bad[i], true, true);
        CHECK(hi == NULL, "instantiate at %.0f Hz must fail", bad[i]);
        CHECK(H->log.n_error == before + 1 && strstr(H->log.last_error, "sample rate"),
              "refusal at %.0f Hz must log one log:Error about the sample rate (got '%s')", bad[i],
              H->log.last_error);
        h_inst_free(hi);
    }
    printf("ok   rates outside 8..192 kHz refused with a log:Error\n");
}

static void test_rates_blocks(h_host *H, const float *x)
{
    const double rates[] = {22050, 44100, 48000, 96000, 192000};
    const int blocks[] = {1, 64, 1000, 0};
    const size_t n = N_SAMPLES;
    float *ref = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        const double rate = rates[r];
        const float *in[1] = {x};
        float *rp[1] = {ref}, *op[1] = {out};
        int lat = ref_run(rate, 1, 1.0f, 100.0f, in, rp, n);
        CHECK(lat > 0, "reference engine at %.0f Hz", rate);
        if (lat <= 0)
            continue;
        float pk = peak(ref, n);
        CHECK(pk > 1e-3f, "reference output at %.0f Hz is not silent (peak %g)", rate, pk);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            double t0 = now_ms();
            h_inst *hi = new_active(H, false, rate, 1.0f, 100.0f);
            double t_inst = now_ms() - t0;
            CHECK(hi != NULL, "instantiate at %.0f Hz", rate);
            if (!hi)
                continue;
            h_cycle(hi, in, op, 0); /* a zero-length run reports the latency too */
            CHECK(hi->ctl[P_LATENCY] == (float)lat, "latency port %g != engine %d at %.0f Hz", hi->ctl[P_LATENCY],
                  lat, rate);
            memset(out, 0, n * sizeof(float));
            run_blocks(hi, in, op, n, blocks[b]);
            float d = max_abs_diff(out, ref, n);
            CHECK(all_finite(out, n), "output finite at %.0f Hz block %d", rate, blocks[b]);
            CHECK(d <= 1e-6f * fmaxf(pk, 1.0f), "plugin vs engine at %.0f Hz block %d: max|diff| %g", rate,
                  blocks[b], d);
            CHECK(hi->ctl[P_LATENCY] == (float)lat, "latency port after run at %.0f Hz", rate);
            if (b == 0 || blocks[b] == 0)
                printf("ok   %6.0f Hz block %-6s latency %d (%.2f ms) instantiate+activate %.2f ms, max|plugin-engine| %g\n",
                       rate, blocks[b] ? "1" : "random", lat, 1e3 * lat / rate, t_inst, d);
            h_inst_free(hi);
        }

        /* mix 0: output = input delayed by exactly `lat`; find the best lag to prove it. */
        h_inst *hi = new_active(H, false, rate, 0.0f, 100.0f);
        run_blocks(hi, in, op, n, 0);
        int best = -1;
        float best_err = INFINITY;
        for (int lag = 0; lag <= 2 * lat + 2; lag++) {
            float e = max_abs_diff(out + lag, x, n - (size_t)lag);
            if (e < best_err) {
                best_err = e;
                best = lag;
            }
        }
        CHECK(best == lat && best_err <= 1e-6f, "mix 0 at %.0f Hz: observed delay %d (err %g), latency port %d",
              rate, best, best_err, lat);
        CHECK(peak(out, (size_t)lat) == 0.0f, "mix 0 at %.0f Hz: the first %d samples are silence", rate, lat);
        h_inst_free(hi);
        printf("ok   %6.0f Hz mix 0: output = input delayed by %d samples (max err %g)\n", rate, best, best_err);
    }
    free(ref);
    free(out);
}

static void test_stereo_inplace(h_host *H, const float *x1, const float *x2)
{
    const size_t n = N_SAMPLES;
    const double rates[] = {44100, 48000};
    float *rl = malloc(n * 4), *rr = malloc(n * 4), *bl = malloc(n * 4), *br = malloc(n * 4);
    for (size_t r = 0; r < 2; r++) {
        const float *in[2] = {x1, x2};
        float *ref[2] = {rl, rr};
        int lat = ref_run(rates[r], 2, 0.8f, 24.0f, in, ref, n);
        /* in-place: the host passes the same buffer as input and output */
        memcpy(bl, x1, n * 4);
        memcpy(br, x2, n * 4);
        h_inst *hi = new_active(H, true, rates[r], 0.8f, 24.0f);
        CHECK(hi != NULL, "stereo instantiate");
        if (!hi)
            continue;
        float *io[2] = {bl, br};
        run_blocks(hi, (const float *const *)io, io, n, 0);
        float d = fmaxf(max_abs_diff(bl, rl, n), max_abs_diff(br, rr, n));
        CHECK(d <= 1e-6f, "stereo in-place vs engine at %.0f Hz: %g", rates[r], d);
        CHECK(hi->ctl[P_LATENCY] == (float)lat, "stereo latency port");
        printf("ok   stereo %.0f Hz in-place, random blocks: max|plugin-engine| %g, latency %d\n", rates[r], d, lat);
        h_inst_free(hi);
    }
    free(rl);
    free(rr);
    free(bl);
    free(br);
}

static void test_bypass(h_host *H, const float *x)
{
    const size_t n = N_SAMPLES, half = n / 2;
    float *out = calloc(n, 4);
    h_inst *hi = new_active(H, false, 48000, 1.0f, 100.0f);
    const float *in[1] = {x};
    float *op[1] = {out};
    run_blocks(hi, in, op, half, 256);
    hi->ctl[P_ENABLED] = 0.0f; /* host bypass */
    const float *in2[1] = {x + half};
    float *op2[1] = {out + half};
    run_blocks(hi, in2, op2, n - half, 256);
    int lat = (int)hi->ctl[P_LATENCY];
    /* 50 ms after the switch the ramp (20 ms) is over: pure delayed input */
    size_t from = half + 2400;
    float e = max_abs_diff(out + from, x + from - lat, n - from);
    CHECK(e <= 1e-6f, "bypass: output = input delayed by the latency after the ramp (err %g)", e);
    /* click-free: no sample step at the switch larger than the largest step of the signals */
    float step_max = 0, sig_step = 0;
    for (size_t i = half - 4800; i < half + 4800; i++)
        step_max = fmaxf(step_max, fabsf(out[i] - out[i - 1]));
    for (size_t i = 1; i < n; i++)
        sig_step = fmaxf(sig_step, fabsf(x[i] - x[i - 1]));
    CHECK(step_max <= sig_step, "bypass switch: largest step %g exceeds the input's largest step %g", step_max,
          sig_step);
    printf("ok   bypass (enabled=0): ramps to the %d-sample aligned dry path (err %g), largest step %g <= %g\n",
           lat, e, step_max, sig_step);
    h_inst_free(hi);
    free(out);
}

static int copy_file(const char *src, const char *dst, long limit)
{
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    if (!a || !b) {
        if (a)
            fclose(a);
        if (b)
            fclose(b);
        return -1;
    }
    char buf[65536];
    size_t k;
    long total = 0;
    while ((k = fread(buf, 1, sizeof buf, a)) > 0) {
        if (limit >= 0 && total + (long)k > limit)
            k = (size_t)(limit - total);
        fwrite(buf, 1, k, b);
        total += (long)k;
        if (limit >= 0 && total >= limit)
            break;
    }
    fclose(a);
    return fclose(b);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Save the instance's state to a string (lilv, as jalv/Ardour do). */
static char *save_state(h_host *H, h_inst *hi)
{
    /* no directories: lilv's mapPath then keeps absolute paths, as for a file outside a session */
    LilvState *st = lilv_state_new_from_instance(hi->plugin, hi->inst, &H->map, NULL, NULL, NULL, NULL,
                                                 h_get_port_value, hi, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE,
                                                 NULL);
    if (!st)
        return NULL;
    char *s = lilv_state_to_string(H->world, &H->map, &H->unmap, st, "urn:statewave:test-state", NULL);
    lilv_state_free(st);
    return s;
}

static int restore_state(h_host *H, h_inst *hi, const char *str)
{
    LilvState *st = lilv_state_new_from_string(H->world, &H->map, str);
    if (!st)
        return -1;
    lilv_state_restore(st, hi->inst, h_set_port_value, hi, 0, NULL);
    lilv_state_free(st);
    return 0;
}

static void test_model_swap_and_state(h_host *H, const char *tmp, const float *x)
{
    char copy[PATH_MAX + 64], def[PATH_MAX + 64];
    snprintf(copy, sizeof copy, "%s/model copy.safetensors", tmp); /* a space, as user paths have */
    snprintf(def, sizeof def, "%s/denoise.safetensors", H->bundle_abs);
    CHECK(copy_file(def, copy, -1) == 0, "copy model to %s", copy);

    const size_t n = N_SAMPLES;
    float *out = calloc(n, 4);
    h_inst *hi = new_active(H, false, 48000, 0.9f, 30.0f);
    const float *in[1] = {x};
    float *op[1] = {out};
    h_send_patch(hi, NULL); /* patch:Get: the plugin answers with the default model's path */
    run_blocks(hi, in, op, 4800, 256);
    CHECK(same_file(hi->notified_path, def), "patch:Get answers the default model path (got '%s')",
          hi->notified_path);

    /* the default model is implied: no model property in the state */
    char *s0 = save_state(H, hi);
    CHECK(s0 && !strstr(s0, "denoise#model"), "default model: state stores no model path");
    lilv_free(s0);

    /* an untouched instance on the same input, for comparison across the swap */
    h_inst *href = new_active(H, false, 48000, 0.9f, 30.0f);
    float *oref = calloc(n, 4);
    float *pref[1] = {oref};
    run_blocks(href, in, pref, 4800, 256);

    int errs = H->log.n_error;
    h_send_patch(hi, copy);
    int notes_before = hi->n_notify;
    run_blocks(hi, in, op, n, 256); /* swap happens in here */
    run_blocks(href, in, pref, n, 256);
    /* click-free: the swapped output has no sample step beyond those of the untouched output
     * (the same model weights, so only the new engine's fresh state differs) */
    float step_sw = 0, step_ref = 0;
    for (size_t i = 1; i < n; i++) {
        step_sw = fmaxf(step_sw, fabsf(out[i] - out[i - 1]));
        step_ref = fmaxf(step_ref, fabsf(oref[i] - oref[i - 1]));
    }
    float dev = max_abs_diff(out, oref, n);
    CHECK(step_sw <= 1.25f * step_ref, "swap crossfade: largest step %g vs %g without swap", step_sw, step_ref);
    printf("ok   model swap: largest step %g (untouched %g), max|swapped-untouched| %g (peak %g)\n", step_sw,
           step_ref, dev, peak(oref, n));
    h_inst_free(href);
    free(oref);
    CHECK(H->log.n_error == errs, "loading a valid model copy logs no error (%s)", H->log.last_error);
    CHECK(hi->n_notify > notes_before && same_file(hi->notified_path, copy),
          "after the swap the notify port reports the new model (got '%s')", hi->notified_path);
    CHECK(all_finite(out, n) && peak(out, n) > 1e-3f, "audio continues across the swap");
    CHECK(hi->ctl[P_LATENCY] > 0, "latency port after swap");

    /* save: path (mapped by lilv) + controls; restore into a fresh instance */
    char *s1 = save_state(H, hi);
    CHECK(s1 && strstr(s1, "denoise#model"), "state stores the model path:\n%s", s1 ? s1 : "(null)");
    h_inst *h2 = h_inst_new(H, false, 48000, true, true);
    CHECK(h2 && restore_state(H, h2, s1) == 0, "restore into a new instance");
    if (h2) {
        CHECK(h2->ctl[P_MIX] == 0.9f && h2->ctl[P_LIMIT] == 30.0f, "controls restored: mix %g limit %g",
              h2->ctl[P_MIX], h2->ctl[P_LIMIT]);
        lilv_instance_activate(h2->inst);
        h_send_patch(h2, NULL);
        run_blocks(h2, in, op, 4800, 512);
        CHECK(same_file(h2->notified_path, copy), "restored instance uses the saved model (got '%s')",
              h2->notified_path);
        h_inst_free(h2);
    }
    printf("ok   patch:Set model swap (crossfade), notify, state save/restore of model path + controls\n");

    /* restore a state whose model file has gone: error logged, default kept, audio as before */
    unlink(copy);
    h_inst *h3 = new_active(H, false, 48000, 1.0f, 100.0f);
    h_inst *hr = new_active(H, false, 48000, 1.0f, 100.0f); /* untouched reference */
    errs = H->log.n_error;
    H->log.quiet = true;
    restore_state(H, h3, s1);
    H->log.quiet = false;
    CHECK(H->log.n_error == errs + 1 && strstr(H->log.last_error, "model copy.safetensors"),
          "missing model on restore: one log:Error naming the file (got '%s')", H->log.last_error);
    printf("     logged: %s", H->log.last_error);
    h3->ctl[P_MIX] = 1.0f; /* restore also set the saved controls; put them back to compare */
    h3->ctl[P_LIMIT] = 100.0f;
    float *o3 = calloc(n, 4), *orf = calloc(n, 4);
    float *p3[1] = {o3}, *prf[1] = {orf};
    h_send_patch(h3, NULL);
    run_blocks(h3, in, p3, n, 333);
    run_blocks(hr, in, prf, n, 333);
    CHECK(same_file(h3->notified_path, def), "missing model: default kept (got '%s')", h3->notified_path);
    CHECK(max_abs_diff(o3, orf, n) == 0.0f && peak(o3, n) > 1e-3f,
          "missing model: audio identical to an untouched instance");
    printf("ok   state restore with a missing model keeps the default, audio unchanged\n");
    lilv_free(s1);
    h_inst_free(h3);
    h_inst_free(hr);
    h_inst_free(hi);
    free(o3);
    free(orf);
    free(out);
}

static void test_corrupt_models(h_host *H, const char *tmp, const float *x)
{
    char def[PATH_MAX + 64], trunc[PATH_MAX + 64], garbage[PATH_MAX + 64], missing[PATH_MAX + 64];
    snprintf(def, sizeof def, "%s/denoise.safetensors", H->bundle_abs);
    snprintf(trunc, sizeof trunc, "%s/truncated.safetensors", tmp);
    snprintf(garbage, sizeof garbage, "%s/garbage.safetensors", tmp);
    snprintf(missing, sizeof missing, "%s/no-such-model.safetensors", tmp);
    struct stat st;
    stat(def, &st);
    copy_file(def, trunc, (long)st.st_size / 2);
    FILE *g = fopen(garbage, "wb");
    for (int i = 0; i < 4096; i++)
        fputc((int)(rnd() & 0xff), g);
    fclose(g);

    const char *bad[] = {trunc, garbage, missing, tmp /* a directory */};
    const size_t n = N_SAMPLES;
    float *oa = calloc(n, 4), *ob = calloc(n, 4);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        h_inst *ha = new_active(H, false, 48000, 1.0f, 100.0f);
        h_inst *hb = new_active(H, false, 48000, 1.0f, 100.0f);
        const float *in[1] = {x};
        float *pa[1] = {oa}, *pb[1] = {ob};
        run_blocks(ha, in, pa, 9600, 128);
        run_blocks(hb, in, pb, 9600, 128);
        int errs = H->log.n_error;
        H->log.quiet = true;
        h_send_patch(ha, bad[k]);
        const float *in2[1] = {x + 9600};
        float *pa2[1] = {oa + 9600}, *pb2[1] = {ob + 9600};
        run_blocks(ha, in2, pa2, n - 9600, 128);
        run_blocks(hb, in2, pb2, n - 9600, 128);
        H->log.quiet = false;
        CHECK(H->log.n_error == errs + 1, "bad model '%s': exactly one log:Error (got %d)", bad[k],
              H->log.n_error - errs);
        CHECK(same_file(ha->notified_path, def), "bad model '%s': plugin reports the default kept (got '%s')",
              bad[k], ha->notified_path);
        CHECK(max_abs_diff(oa, ob, n) == 0.0f && peak(oa, n) > 1e-3f,
              "bad model '%s': audio identical to an untouched instance", bad[k]);
        printf("ok   patch:Set %-40s -> rejected, default kept, audio unchanged; logged: %s", strrchr(bad[k], '/') + 1,
               H->log.last_error);
        h_inst_free(ha);
        h_inst_free(hb);
    }
    free(oa);
    free(ob);
    unlink(trunc);
    unlink(garbage);
}

static void test_no_worker_nan(h_host *H, const float *x)
{
    /* a host without worker and log still gets audio; NaN/Inf input never poisons output */
    h_inst *hi = h_inst_new(H, false, 48000, false, false);
    CHECK(hi != NULL, "instantiate without worker/log");
    if (!hi)
        return;
    lilv_instance_activate(hi->inst);
    const size_t n = 48000;
    float *in = malloc(n * 4), *out = calloc(n, 4);
    memcpy(in, x, n * 4);
    for (size_t i = 1000; i < 1100; i++)
        in[i] = (i % 2) ? NAN : INFINITY;
    const float *ip[1] = {in};
    float *op[1] = {out};
    h_send_patch(hi, "/nonexistent/ignored.safetensors"); /* no worker: ignored, no crash */
    run_blocks(hi, ip, op, n, 100);
    CHECK(all_finite(out, n) && peak(out + 24000, n - 24000) > 1e-3f, "NaN/Inf input: finite, non-silent output");
    printf("ok   no worker/log features, NaN/Inf input: finite output\n");
    h_inst_free(hi);
    free(in);
    free(out);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep progress visible if a sanitizer aborts */
    h_host H;
    int r = h_host_init(&H);
    if (r == -1) {
        printf("SKIP test_lv2_harness: %s not built (run `make` from the repo root first)\n", H_BUNDLE_DIR);
        return 0;
    }
    if (r != 0) {
        printf("FAIL: could not load the plugins from %s\n", H_BUNDLE_DIR);
        return 1;
    }
    float *x1 = read_mono(NOISY1, N_SAMPLES), *x2 = read_mono(NOISY2, N_SAMPLES);
    if (!x1 || !x2) {
        printf("FAIL: cannot read %s / %s (run from the repo root with ../shared present)\n", NOISY1, NOISY2);
        return 1;
    }
    char model_path[PATH_MAX + 32], err[256];
    snprintf(model_path, sizeof model_path, "%s/denoise.safetensors", H.bundle_abs);
    if (sw_model_load_file(model_path, &g_model, err, sizeof err) != SW_OK) {
        printf("FAIL: bundle model: %s\n", err);
        return 1;
    }
    char tmp[] = "/tmp/sw_lv2_harness_XXXXXX";
    if (!mkdtemp(tmp)) {
        printf("FAIL: mkdtemp: %s\n", strerror(errno));
        return 1;
    }

    test_bad_rates(&H);
    test_rates_blocks(&H, x1);
    test_stereo_inplace(&H, x1, x2);
    test_bypass(&H, x1);
    test_model_swap_and_state(&H, tmp, x1);
    test_corrupt_models(&H, tmp, x1);
    test_no_worker_nan(&H, x1);

    rmdir(tmp);
    sw_model_free(g_model);
    free(x1);
    free(x2);
    h_host_free(&H);
    printf("%s test_lv2_harness: %d checks passed, %d failed\n", g_fail ? "FAIL" : "PASS", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
