/* test_denoise_e2e.c — end to end on real noisy recordings: the shipped model through the C
 * engine on 12 dev-set clips (../shared/data/devset, read with libsndfile at 48 kHz), spread
 * over the three speech sources, all five SNRs and many noise classes.
 *
 * Asserts (thresholds set a little below what the shipped model measured, see below):
 *  - mean SI-SDR improvement >= E2E_MIN_MEAN_SISDRI dB,
 *  - no clip gets worse than its noisy input by more than E2E_MAX_LOSS dB.
 * SI-SDR as in the dev set's BASELINE.md; the output is aligned by the reported latency
 * (no search), so a wrong latency fails this test too. Also prints the engine's cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "denoise_util.h"

/* The shipped (v2) model measures 6.67 dB on these 12 clips (v1: 7.69; v2 trades narrowband
 * low-SNR gain for wideband speech kept whole): see presets/README.md. */
#define E2E_MIN_MEAN_SISDRI 6.4
#define E2E_MAX_LOSS 0.5

static const int k_ids[] = {1, 7, 13, 19, 24, 27, 33, 38, 44, 48, 53, 59};

static void test_devset_clips(void **state)
{
    (void)state;
    sw_model *m;
    char err[512] = "";
    if (sw_model_load_file(DU_MODEL_PATH, &m, err, sizeof err) != SW_OK) fail_msg("%s: %s", DU_MODEL_PATH, err);
    const int n_ids = (int)(sizeof k_ids / sizeof k_ids[0]);
    double sum = 0, spent = 0, audio = 0;
    for (int k = 0; k < n_ids; k++) {
        char pn[512], pc[512];
        snprintf(pn, sizeof pn, "%s/noisy/%03d.flac", DU_DEVSET_DIR, k_ids[k]);
        snprintf(pc, sizeof pc, "%s/clean/%03d.flac", DU_DEVSET_DIR, k_ids[k]);
        du_audio xn, xc;
        if (du_read(pn, &xn) != 0) fail_msg("cannot read %s", pn);
        if (du_read(pc, &xc) != 0) fail_msg("cannot read %s", pc);
        assert_int_equal(xn.rate, 48000);
        assert_int_equal(xn.channels, 1);
        sw_denoiser *d;
        if (sw_denoiser_create(m, xn.rate, 1, &d, err, sizeof err) != SW_OK) fail_msg("%s", err);
        float *y = malloc(sizeof(float) * xn.frames);
        spent += du_denoise(d, 1, xn.ch, &y, xn.frames, 480);
        audio += (double)xn.frames / xn.rate;
        size_t n = xn.frames < xc.frames ? xn.frames : xc.frames;
        double a = du_si_sdr(xn.ch[0], xc.ch[0], n), b = du_si_sdr(y, xc.ch[0], n);
        print_message("%03d: SI-SDR noisy %6.2f -> %6.2f dB (%+.2f)\n", k_ids[k], a, b, b - a);
        if (b < a - E2E_MAX_LOSS) fail_msg("clip %03d made worse: %.2f -> %.2f dB", k_ids[k], a, b);
        sum += b - a;
        free(y);
        sw_denoiser_destroy(d);
        du_audio_free(&xn);
        du_audio_free(&xc);
    }
    const double mean = sum / n_ids;
    print_message("mean SI-SDRi %.2f dB over %d clips (threshold %.2f); engine RTF %.5f\n", mean, n_ids,
                  E2E_MIN_MEAN_SISDRI, spent / audio);
    assert_true(mean >= E2E_MIN_MEAN_SISDRI);
    sw_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_devset_clips)};
    return cmocka_run_group_tests_name("denoiser end to end on dev-set clips", tests, NULL, NULL);
}
