/* gen_probe.c — command-line probe of the generator for scripts (parity test, examples).
 *
 *   gen_probe dist   MODEL CODES.u8 N OUT.f32
 *       Teacher forcing: for t = 0..N-1 write the next-sample distribution (256 float32),
 *       then feed code t of CODES.u8 (raw mu-law bytes). Row 0 is the distribution after
 *       reset (start code only), so row t predicts code t.
 *   gen_probe render MODEL SEED TEMPERATURE TOP_P SECONDS OUT.wav [PRIME.wav [PRIME_SECONDS]]
 *       Prime with the start of PRIME.wav (mono, at the model's rate), then render SECONDS
 *       of audio; OUT.wav holds the prime followed by the generated part (float WAV).
 *   gen_probe nll    MODEL CODES.u8 N
 *       Teacher-forced negative log-likelihood of the first N codes in bits/sample.
 */
#include "statewave.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>

static sw_model *load(const char *path, sw_generator **g, uint64_t seed)
{
    char err[512];
    sw_model *m = NULL;
    if (sw_model_load_file(path, &m, err, sizeof err) != SW_OK) {
        fprintf(stderr, "gen_probe: %s\n", err);
        exit(1);
    }
    if (sw_generator_create(m, seed, g, err, sizeof err) != SW_OK) {
        fprintf(stderr, "gen_probe: %s\n", err);
        exit(1);
    }
    return m;
}

static uint8_t *read_codes(const char *path, long n)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    uint8_t *c = malloc((size_t)n);
    if (!c || fread(c, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "gen_probe: %s: fewer than %ld codes\n", path, n);
        exit(1);
    }
    fclose(f);
    return c;
}

/* Teacher forcing (dist and nll): through the first n codes of codes_path, each predicted before
 * it is fed; with dist_path, every distribution goes there (256 float32 a row). Returns the
 * codes' negative log2-likelihood; exits on any error. */
static double teacher_force(const char *model_path, const char *codes_path, long n, const char *dist_path)
{
    sw_generator *g;
    sw_model *m = load(model_path, &g, 0);
    uint8_t *codes = read_codes(codes_path, n);
    FILE *out = NULL;
    if (dist_path && !(out = fopen(dist_path, "wb"))) { perror(dist_path); exit(1); }
    float p[256];
    double bits = 0.0;
    for (long t = 0; t < n; t++) {
        sw_generator_distribution(g, p);
        if (out && fwrite(p, sizeof p, 1, out) != 1) { perror(dist_path); exit(1); }
        bits -= log2(p[codes[t]] > 1e-30f ? p[codes[t]] : 1e-30f);
        sw_generator_prime_codes(g, codes + t, 1);
    }
    if (out && fclose(out) != 0) { perror(dist_path); exit(1); }
    free(codes);
    sw_generator_destroy(g);
    sw_model_free(m);
    return bits;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && strcmp(argv[1], "dist") == 0) {
        teacher_force(argv[2], argv[3], atol(argv[4]), argv[5]);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "nll") == 0) {
        long n = atol(argv[4]);
        double bits = teacher_force(argv[2], argv[3], n, NULL);
        printf("%.5f bits/sample over %ld samples\n", bits / (double)n, n);
        return 0;
    }
    if (argc >= 8 && strcmp(argv[1], "render") == 0) {
        sw_generator *g;
        sw_model *m = load(argv[2], &g, strtoull(argv[3], NULL, 10));
        sw_generator_set_temperature(g, (float)atof(argv[4]));
        sw_generator_set_top_p(g, (float)atof(argv[5]));
        const int rate = sw_generator_sample_rate(g);
        const size_t n = (size_t)(atof(argv[6]) * rate);
        float *prime = NULL;
        size_t np = 0;
        if (argc >= 9) {
            SF_INFO info = {0};
            SNDFILE *sf = sf_open(argv[8], SFM_READ, &info);
            if (!sf) { fprintf(stderr, "gen_probe: %s: %s\n", argv[8], sf_strerror(NULL)); return 1; }
            if (info.channels != 1 || info.samplerate != rate) {
                fprintf(stderr, "gen_probe: %s: need mono at %d Hz\n", argv[8], rate);
                return 1;
            }
            np = (size_t)info.frames;
            if (argc >= 10 && (size_t)(atof(argv[9]) * rate) < np) np = (size_t)(atof(argv[9]) * rate);
            prime = malloc((np ? np : 1) * sizeof *prime);
            np = (size_t)sf_readf_float(sf, prime, (sf_count_t)np);
            sf_close(sf);
            sw_generator_prime(g, prime, np);
        }
        float *out = malloc((np + n) * sizeof *out);
        if (!out) return 1;
        if (np) memcpy(out, prime, np * sizeof *out);
        sw_generator_render(g, out + np, n);
        SF_INFO oi = {.samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
        SNDFILE *sf = sf_open(argv[7], SFM_WRITE, &oi);
        if (!sf || sf_writef_float(sf, out, (sf_count_t)(np + n)) != (sf_count_t)(np + n)) {
            fprintf(stderr, "gen_probe: %s: %s\n", argv[7], sf_strerror(sf));
            return 1;
        }
        sf_close(sf);
        free(out);
        free(prime);
        sw_generator_destroy(g);
        sw_model_free(m);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of tools/gen_probe.c\n");
    return 2;
}
