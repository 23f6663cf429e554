/* compose_probe.c — command-line probe of the composer for scripts (tests/py/test_compose.py).
 *
 *   compose_probe dist MODEL TOKENS.u16 N OUT.f32
 *       Teacher forcing: for t = 0..N-1 write the next-token distribution (389 float32), then feed
 *       token t of TOKENS.u16 (little-endian uint16). Row 0 is the distribution after reset (START
 *       only), so row t predicts token t.
 *   compose_probe cost MODEL EVENTS
 *       Draw EVENTS tokens from nothing (seed 1, T 1) and print the median over 5 runs of the
 *       wall time per event in microseconds (sw_composer_next only).
 */
#include "statewave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sw_model *load(const char *path, sw_composer **c)
{
    char err[512];
    sw_model *m = NULL;
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK || sw_composer_create(m, 1, c, err, sizeof err) != SW_OK) {
        fprintf(stderr, "compose_probe: %s\n", err);
        exit(1);
    }
    return m;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    sw_composer *c = NULL;
    if (argc == 6 && !strcmp(argv[1], "dist")) {
        sw_model *m = load(argv[2], &c);
        long n = atol(argv[4]);
        uint16_t *tok = malloc(sizeof *tok * (size_t)(n > 0 ? n : 1));
        FILE *f = fopen(argv[3], "rb");
        if (!tok || !f || fread(tok, sizeof *tok, (size_t)n, f) != (size_t)n) {
            fprintf(stderr, "compose_probe: cannot read %ld tokens from %s\n", n, argv[3]);
            return 1;
        }
        fclose(f);
        FILE *o = fopen(argv[5], "wb");
        if (!o) { perror(argv[5]); return 1; }
        float p[SW_COMPOSE_VOCAB];
        for (long t = 0; t < n; t++) {
            sw_composer_distribution(c, p);
            if (fwrite(p, sizeof p, 1, o) != 1) { perror(argv[5]); return 1; }
            if (sw_composer_feed(c, tok[t]) != 0) { fprintf(stderr, "compose_probe: bad token %u\n", tok[t]); return 1; }
        }
        if (fclose(o) != 0) { perror(argv[5]); return 1; }
        free(tok);
        sw_composer_destroy(c);
        sw_model_free(m);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "cost")) {
        sw_model *m = load(argv[2], &c);
        long n = atol(argv[3]);
        double us[5];
        for (int r = 0; r < 5; r++) {
            sw_composer_reset(c);
            double t0 = now();
            for (long i = 0; i < n; i++) sw_composer_next(c);
            us[r] = (now() - t0) / (double)(n > 0 ? n : 1) * 1e6;
        }
        qsort(us, 5, sizeof us[0], cmp_d);
        printf("%.3f\n", us[2]);
        sw_composer_destroy(c);
        sw_model_free(m);
        return 0;
    }
    fprintf(stderr, "usage: compose_probe dist MODEL TOKENS.u16 N OUT.f32 | cost MODEL EVENTS\n");
    return 2;
}
