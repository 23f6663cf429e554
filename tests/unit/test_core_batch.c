/* test_core_batch.c — several nets of one model stepped together (swi_net_step_batch, used by
 * the instrument for its voices) give every net exactly the floats sw_net_step gives it: the
 * batched matrix product and S4D step are bit-identical per stream, the other layers step net by
 * net at each net's own clock, and the non-finite guard acts per net. Run under every kernel set
 * by test_kernel_sets.sh (the batched tiles differ per instruction set). The same holds for
 * weight matrices stored BF16 (their own kernels), which must also give what F32 weights of the
 * same (bf16-rounded) values give, to rounding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "statewave.h"
#include "core_util.h"
#include "model.h"

#define MAXN 11
#define STEPS 300

static sw_model *load_cfg(tw_file *f, const char *cfg)
{
    size_t len;
    unsigned char *bytes = tw_build(f, cfg, &len);
    sw_model *m = NULL;
    char err[512];
    sw_status st = sw_model_load_memory(bytes, len, &m, err, sizeof err);
    free(bytes);
    tw_free(f);
    if (st != SW_OK) fail_msg("load: %s", err);
    return m;
}

/* Steps nn nets in batches and nn reference nets one by one on the same inputs for STEPS
 * frames. Which nets take part in a step varies (a pseudo-random subset, in shuffled order), so
 * their clocks drift apart (pool phases, conv rings, chunk boundaries differ); every output must
 * match its reference bit for bit. `bad` > 0 puts a NaN or a huge value into the input of one
 * net every `bad` steps. */
static void check_batch(sw_model *m, int nn, int max_batch, int bad, int embedding)
{
    const int di = sw_model_d_input(m), dout = sw_model_d_output(m);
    sw_net *a[MAXN], *r[MAXN];
    for (int i = 0; i < nn; i++) {
        assert_int_equal(sw_net_create(m, &a[i], NULL, 0), SW_OK);
        assert_int_equal(sw_net_create(m, &r[i], NULL, 0), SW_OK);
    }
    swi_batch *bt = swi_batch_create(m, max_batch);
    assert_non_null(bt);
    float *x = tw_input(5 + (uint64_t)nn, (size_t)STEPS * MAXN * di, 2.0, embedding ? 16 : 0);
    float *ya = malloc((size_t)MAXN * dout * sizeof(float)), *yr = malloc((size_t)dout * sizeof(float));
    uint64_t rng = 77 + (uint64_t)nn;
    for (int s = 0; s < STEPS; s++) {
        sw_net *sel[MAXN];
        const float *in[MAXN];
        float *out[MAXN];
        int idx[MAXN], k = 0;
        for (int i = 0; i < nn; i++)
            if (s < 2 || tw_u01(&rng) < 0.8) idx[k++] = i;    /* everyone at first, then a subset */
        for (int i = k - 1; i > 0; i--) {                       /* in shuffled order */
            int j = (int)(tw_u01(&rng) * (i + 1));
            if (j > i) j = i;
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        for (int q = 0; q < k; q++) {
            const int i = idx[q];
            float *xi = x + ((size_t)s * MAXN + i) * di;
            if (bad && !embedding && s % bad == bad - 1 && q == 0) xi[0] = (s / bad) % 2 ? NAN : 3e37f;
            sel[q] = a[i];
            in[q] = xi;
            out[q] = ya + (size_t)q * dout;
        }
        swi_net_step_batch(bt, sel, in, out, k);
        for (int q = 0; q < k; q++) {
            sw_net_step(r[idx[q]], in[q], yr);
            if (memcmp(yr, out[q], (size_t)dout * sizeof(float)) != 0) {
                for (int o = 0; o < dout; o++)
                    if (memcmp(&yr[o], &out[q][o], sizeof(float)))
                        fail_msg("%s: step %d net %d output %d: batched %.9g, alone %.9g (batch of %d, max %d)",
                                 sw_kernels_name(), s, idx[q], o, out[q][o], yr[o], k, max_batch);
            }
        }
    }
    swi_batch_free(bt);
    for (int i = 0; i < nn; i++) {
        sw_net_destroy(a[i]);
        sw_net_destroy(r[i]);
    }
    free(x);
    free(ya);
    free(yr);
}

/* Every layer type (tests/common/core_util.h tw_model_all), with and without the embedding. */
static void test_all_layers(void **state)
{
    (void)state;
    for (int emb = 0; emb <= 1; emb++) {
        tw_file *f = malloc(sizeof *f);
        char cfg[8192];
        tw_init(f, 1234);
        tw_model_all(f, emb, cfg, sizeof cfg);
        sw_model *m = load_cfg(f, cfg);
        free(f);
        check_batch(m, 5, 16, 0, emb);
        check_batch(m, 7, 3, 0, emb);      /* more nets than the batch holds: split in calls */
        check_batch(m, 4, 4, 7, emb);      /* NaN and overflowing inputs: the guard per net */
        sw_model_free(m);
    }
}

/* Every matrix that may be BF16 in tw_model_all (linear, pool down/up, mamba projections). */
static const char *const all_bf16[] = {"lin0.weight", "p0.down.weight", "p0.up.weight", "p1.down.weight", "p1.up.weight",
                                       "p1.mamba.in_proj.weight", "p1.mamba.x_proj.weight",
                                       "p1.mamba.dt_proj.weight", "p1.mamba.out_proj.weight", "lin1.weight", "out.weight"};

/* Runs the BF16 model mb and the F32 model mf (same values) side by side for STEPS frames:
 * max |y_bf16 - y_f32| <= 1e-5 * max |y_f32| + 1e-6 (only the order of the fp32 sums differs). */
static void check_same_values(sw_model *mb, sw_model *mf, int embedding)
{
    const int di = sw_model_d_input(mf), dout = sw_model_d_output(mf);
    sw_net *nb, *nf;
    assert_int_equal(sw_net_create(mb, &nb, NULL, 0), SW_OK);
    assert_int_equal(sw_net_create(mf, &nf, NULL, 0), SW_OK);
    float *x = tw_input(31, (size_t)STEPS * di, 2.0, embedding ? 16 : 0);
    float *yb = malloc((size_t)STEPS * dout * sizeof(float)), *yf = malloc((size_t)STEPS * dout * sizeof(float));
    sw_net_process(nb, x, yb, STEPS);
    sw_net_process(nf, x, yf, STEPS);
    double emax = 0, ymax = 0;
    for (size_t i = 0; i < (size_t)STEPS * dout; i++) {
        emax = fmax(emax, fabs((double)yb[i] - yf[i]));
        ymax = fmax(ymax, fabs((double)yf[i]));
    }
    if (!(emax <= 1e-5 * ymax + 1e-6)) fail_msg("%s: bf16 vs f32 of the same values: %.3g (max|y| %.3g)", sw_kernels_name(), emax, ymax);
    sw_net_destroy(nb);
    sw_net_destroy(nf);
    free(x);
    free(yb);
    free(yf);
}

static void test_all_layers_bf16(void **state)
{
    (void)state;
    for (int emb = 0; emb <= 1; emb++) {
        tw_file *f = malloc(sizeof *f), *g = malloc(sizeof *g);
        char cfg[8192];
        tw_init(f, 1234);
        tw_model_all(f, emb, cfg, sizeof cfg);
        for (size_t k = 0; k < sizeof all_bf16 / sizeof all_bf16[0]; k++) tw_bf16(f, all_bf16[k]);
        tw_init(g, 1234);                       /* the same values, stored F32 */
        tw_model_all(g, emb, cfg, sizeof cfg);
        for (size_t k = 0; k < sizeof all_bf16 / sizeof all_bf16[0]; k++) {
            tw_bf16(g, all_bf16[k])->bf16 = 0;
        }
        sw_model *mb = load_cfg(f, cfg), *mf = load_cfg(g, cfg);
        free(f);
        free(g);
        check_batch(mb, 5, 16, 0, emb);
        check_batch(mb, 4, 4, 7, emb);
        check_same_values(mb, mf, emb);
        sw_model_free(mb);
        sw_model_free(mf);
    }
}

/* Widths that hit every tile shape of the batched product (row panels of 64 with 1..4 vectors
 * of 16 left over, rows that are not a multiple of the vector, 1..11 columns) and S4D widths
 * with a partial channel tile, next to the instrument's own shape (d 96, 16 modes). */
static void tile_shapes(int bf16)
{
    static const int widths[][2] = {{1, 1}, {5, 3}, {17, 16}, {33, 40}, {96, 16}, {130, 7}, {200, 2}};
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        const int d = widths[w][0], n = widths[w][1];
        tw_file *f = malloc(sizeof *f);
        char cfg[2048];
        tw_init(f, 99 + (uint64_t)w);
        tw_linear(f, "in", 3, d, 1);
        tw_norm(f, "nrm", d, 0);
        tw_s4d(f, "ssm", d, n);
        tw_linear(f, "mix", d, d + 19, 1);
        tw_linear(f, "out", d + 19, 70, 0);
        if (bf16) {                             /* odd and even column counts: 3, d, d + 19 */
            tw_bf16(f, "in.weight");
            tw_bf16(f, "mix.weight");
            tw_bf16(f, "out.weight");
        }
        snprintf(cfg, sizeof cfg,
                 "{\"version\":1,\"d_input\":3,\"d_output\":70,\"layers\":["
                 "{\"type\":\"linear\",\"name\":\"in\",\"d_in\":3,\"d_out\":%d,\"bias\":true},"
                 "{\"type\":\"residual\",\"layers\":["
                 "{\"type\":\"norm\",\"name\":\"nrm\",\"kind\":\"rms\",\"d\":%d,\"eps\":1e-5},"
                 "{\"type\":\"s4d\",\"name\":\"ssm\",\"d\":%d,\"n\":%d,\"disc\":\"zoh\"},"
                 "{\"type\":\"act\",\"fn\":\"gelu\",\"d\":%d}]},"
                 "{\"type\":\"linear\",\"name\":\"mix\",\"d_in\":%d,\"d_out\":%d,\"bias\":true},"
                 "{\"type\":\"linear\",\"name\":\"out\",\"d_in\":%d,\"d_out\":70,\"bias\":false}]}",
                 d, d, d, n, d, d, d + 19, d + 19);
        sw_model *m = load_cfg(f, cfg);
        free(f);
        for (int nn = 1; nn <= MAXN; nn += 2) check_batch(m, nn, 16, 0, 0);
        check_batch(m, MAXN, 5, 0, 0);
        sw_model_free(m);
    }
}

static void test_tile_shapes(void **state)
{
    (void)state;
    tile_shapes(0);
}

static void test_tile_shapes_bf16(void **state)
{
    (void)state;
    tile_shapes(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_layers),
        cmocka_unit_test(test_tile_shapes),
        cmocka_unit_test(test_all_layers_bf16),
        cmocka_unit_test(test_tile_shapes_bf16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
