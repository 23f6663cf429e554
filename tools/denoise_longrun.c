/* denoise_longrun.c — developer tool: how much a long lead-in before speech costs the
 * denoiser (the DAW case: transport stopped, then speech).
 *
 *   build/tools/denoise_longrun [-m model] [-d devset_dir] [-n noise_dir] [ids...]
 *
 * For each dev clip, the C engine (48 kHz, mono, 480-sample blocks) denoises
 * lead-in + noisy clip and the SI-SDR of the clip part only (latency-compensated, the
 * lead-in's output dropped) is compared with a fresh start on the clip alone. Lead-ins of
 * 1, 5, 20 and 60 s (all multiples of the 5 ms hop, so the clip keeps its frame phase):
 *   silence  digital zeros
 *   -90dBFS  seeded Gaussian white noise, RMS -90 dBFS
 *   ownnoise the clip's kind of noise from the part of its source file that training may
 *            use (before the dev set's reserved tail segment, 0.5 s margin, as
 *            train/denoise/build_data.py), resampled to 48 kHz (libsamplerate, best sinc),
 *            looped with 100 ms crossfades when short, scaled to the RMS of the clip's own
 *            noise (noisy - clean).
 *   speech   ownnoise plus clean speech: the clean files of the following dev clips
 *            (id+1, id+2, ...), each scaled to this clip's clean RMS, back to back: a long
 *            continuous noisy-speech stream at the clip's SNR before the clip.
 * Only clips whose noise class has such a training-usable long file are supported
 * (the table below). Prints one row per clip and the mean per lead-in. */
#include <math.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denoise_util.h"

typedef struct {
    int id;
    const char *noise;   /* relative to the noise dir */
    double usable_s;     /* seconds usable for training (reserved tail start - 0.5 s) */
} lr_clip;

/* Reserved segments from the dev set's MANIFEST.tsv (whole-source exclusion line). */
static const lr_clip k_clips[] = {
    {16, "scaper/background/street/150993__saphe__street-scene-1.wav", 28.5},
    {21, "speech-commands-bg/white_noise.wav", 43.5},
    {44, "speech-commands-bg/pink_noise.wav", 43.5},
    {52, "speech-commands-bg/exercise_bike.wav", 44.5},
    {31, "speech-commands-bg/running_tap.wav", 44.5},
    {10, "speech-commands-bg/doing_the_dishes.wav", 78.5},
};
#define N_CLIPS (int)(sizeof k_clips / sizeof k_clips[0])
static const double k_leads[] = {1, 5, 20, 60};
#define N_LEADS 4

/* Noise source resampled to `rate`, usable part only; returns NULL on error. */
static float *load_noise(const char *path, double usable_s, int rate, size_t *n_out)
{
    du_audio a;
    if (du_read(path, &a) != 0) return NULL;
    size_t n = a.frames;
    if ((double)n > usable_s * a.rate) n = (size_t)(usable_s * a.rate);
    const double ratio = (double)rate / a.rate;
    size_t m = (size_t)ceil(n * ratio) + 16;
    float *y = calloc(m, sizeof(float));
    SRC_DATA sd;
    memset(&sd, 0, sizeof sd);
    sd.data_in = a.ch[0];
    sd.input_frames = (long)n;
    sd.data_out = y;
    sd.output_frames = (long)m;
    sd.src_ratio = ratio;
    int e = src_simple(&sd, SRC_SINC_BEST_QUALITY, 1);
    du_audio_free(&a);
    if (e) {
        fprintf(stderr, "%s: %s\n", path, src_strerror(e));
        free(y);
        return NULL;
    }
    *n_out = (size_t)sd.output_frames_gen;
    double mean = 0;
    for (size_t i = 0; i < *n_out; i++) mean += y[i];
    mean /= (double)*n_out;
    for (size_t i = 0; i < *n_out; i++) y[i] -= (float)mean;
    return y;
}

/* dst[len] = src looped with equal-power crossfades of xf samples. */
static void loop_fill(float *dst, size_t len, const float *src, size_t n, size_t xf)
{
    size_t t = 0, pos = 0;
    while (t < len) {
        if (pos + xf >= n && n > 2 * xf) { /* crossfade the tail of src into its head */
            for (size_t i = 0; i < xf && t < len; i++, t++) {
                double w = (double)i / xf;
                dst[t] = (float)(src[pos + i < n ? pos + i : n - 1] * cos(w * M_PI / 2) + src[i] * sin(w * M_PI / 2));
            }
            pos = xf;
            continue;
        }
        dst[t++] = src[pos++];
    }
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static double gauss(void)
{
    double u[2];
    for (int k = 0; k < 2; k++) {
        g_rng ^= g_rng << 13;
        g_rng ^= g_rng >> 7;
        g_rng ^= g_rng << 17;
        u[k] = ((double)(g_rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    }
    return sqrt(-2.0 * log(u[0])) * cos(2 * M_PI * u[1]);
}

/* SI-SDR of the clip part of (lead[nl] + noisy) against clean. */
static double run_case(const sw_model *m, const float *lead, size_t nl, const du_audio *xn, const du_audio *xc)
{
    char err[256];
    sw_denoiser *d = NULL;
    if (sw_denoiser_create(m, xn->rate, 1, &d, err, sizeof err) != SW_OK) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    const size_t n = xn->frames, tot = nl + n;
    float *x = malloc(sizeof(float) * tot), *y = malloc(sizeof(float) * tot);
    if (nl) memcpy(x, lead, sizeof(float) * nl);
    memcpy(x + nl, xn->ch[0], sizeof(float) * n);
    du_denoise(d, 1, &x, &y, tot, 480);
    size_t nc = n < xc->frames ? n : xc->frames;
    double s = du_si_sdr(y + nl, xc->ch[0], nc);
    free(x);
    free(y);
    sw_denoiser_destroy(d);
    return s;
}

int main(int argc, char **argv)
{
    const char *model_path = DU_MODEL_PATH, *dir = DU_DEVSET_DIR, *ndir = "../shared/data/noise";
    int opt;
    while ((opt = getopt(argc, argv, "m:d:n:")) != -1) {
        if (opt == 'm') model_path = optarg;
        else if (opt == 'd') dir = optarg;
        else if (opt == 'n') ndir = optarg;
        else {
            fprintf(stderr, "usage: %s [-m model] [-d devset] [-n noise_dir] [ids...]\n", argv[0]);
            return 2;
        }
    }
    sw_model *m = du_load_model(model_path);
    if (!m) return 1;
    int want[64], nwant = 0;
    for (int i = optind; i < argc && nwant < 64; i++) want[nwant++] = atoi(argv[i]);
    double sum[4][N_LEADS] = {{0}}, sum_fresh = 0;
    int nclips = 0;
    printf("SI-SDR (dB) of the clip part; columns: lead-in seconds (fresh), then SI-SDR after the lead-in minus fresh\n");
    printf("clip  fresh  | silence 1/5/20/60 s     | -90 dBFS white 1/5/20/60 s | own noise 1/5/20/60 s   | noise+speech 1/5/20/60 s\n");
    for (int c = 0; c < N_CLIPS; c++) {
        if (nwant) {
            int ok = 0;
            for (int i = 0; i < nwant; i++) ok |= want[i] == k_clips[c].id;
            if (!ok) continue;
        }
        char pn[1024], pc[1024], pz[1024];
        snprintf(pn, sizeof pn, "%s/noisy/%03d.flac", dir, k_clips[c].id);
        snprintf(pc, sizeof pc, "%s/clean/%03d.flac", dir, k_clips[c].id);
        snprintf(pz, sizeof pz, "%s/%s", ndir, k_clips[c].noise);
        du_audio xn, xc;
        if (du_read(pn, &xn) || du_read(pc, &xc)) {
            fprintf(stderr, "cannot read %s / %s\n", pn, pc);
            return 1;
        }
        size_t nz = 0;
        float *z = load_noise(pz, k_clips[c].usable_s, xn.rate, &nz);
        if (!z) {
            fprintf(stderr, "cannot read noise %s\n", pz);
            return 1;
        }
        /* the clip's noise level */
        size_t nc = xn.frames < xc.frames ? xn.frames : xc.frames;
        double e = 0, ez = 0;
        for (size_t i = 0; i < nc; i++) e += (double)(xn.ch[0][i] - xc.ch[0][i]) * (xn.ch[0][i] - xc.ch[0][i]);
        for (size_t i = 0; i < nz; i++) ez += (double)z[i] * z[i];
        const float zg = (float)sqrt((e / nc) / (ez / nz));
        for (size_t i = 0; i < nz; i++) z[i] *= zg;

        /* continuous clean speech from the following clips, at this clip's speech RMS */
        const size_t nsp = (size_t)(k_leads[N_LEADS - 1] * xn.rate);
        float *sp = calloc(nsp, sizeof(float));
        {
            double ec = 0;
            for (size_t i = 0; i < nc; i++) ec += (double)xc.ch[0][i] * xc.ch[0][i];
            const double rc = sqrt(ec / nc);
            size_t t = 0;
            for (int id = k_clips[c].id % 60 + 1; t < nsp; id = id % 60 + 1) {
                char pq[1024];
                snprintf(pq, sizeof pq, "%s/clean/%03d.flac", dir, id);
                du_audio q;
                if (du_read(pq, &q)) {
                    fprintf(stderr, "cannot read %s\n", pq);
                    return 1;
                }
                double eq = 0;
                for (size_t i = 0; i < q.frames; i++) eq += (double)q.ch[0][i] * q.ch[0][i];
                const float gq = (float)(rc / sqrt(eq / q.frames + 1e-30));
                for (size_t i = 0; i < q.frames && t < nsp; i++) sp[t++] = q.ch[0][i] * gq;
                du_audio_free(&q);
            }
        }
        const double fresh = run_case(m, NULL, 0, &xn, &xc);
        sum_fresh += fresh;
        printf("%03d  %6.2f ", k_clips[c].id, fresh);
        for (int k = 0; k < 4; k++) {
            printf(" |");
            for (int l = 0; l < N_LEADS; l++) {
                size_t nl = (size_t)(k_leads[l] * xn.rate);
                float *lead = calloc(nl, sizeof(float));
                if (k == 1) {
                    const double sd = pow(10.0, -90.0 / 20.0);
                    for (size_t i = 0; i < nl; i++) lead[i] = (float)(sd * gauss());
                } else if (k >= 2) {
                    loop_fill(lead, nl, z, nz, (size_t)(0.1 * xn.rate));
                    /* the stream ends where the clip starts: take the speech's last nl samples */
                    if (k == 3)
                        for (size_t i = 0; i < nl; i++) lead[i] += sp[nsp - nl + i];
                }
                double s = run_case(m, lead, nl, &xn, &xc);
                sum[k][l] += s - fresh;
                printf(" %+5.2f", s - fresh);
                free(lead);
            }
        }
        printf("\n");
        fflush(stdout);
        nclips++;
        free(z);
        free(sp);
        du_audio_free(&xn);
        du_audio_free(&xc);
    }
    if (!nclips) return 1;
    printf("mean %6.2f ", sum_fresh / nclips);
    for (int k = 0; k < 4; k++) {
        printf(" |");
        for (int l = 0; l < N_LEADS; l++) printf(" %+5.2f", sum[k][l] / nclips);
    }
    printf("\n(%d clips; deltas are SI-SDR after the lead-in minus fresh)\n", nclips);
    sw_model_free(m);
    return 0;
}
