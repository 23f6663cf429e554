/* denoise_devset.c — developer tool: denoise dev-set clips with a model through the C
 * engine and print per-clip SI-SDR / SI-SDRi and the engine's cost.
 *
 *   build/tools/denoise_devset [-m model] [-d devset_dir] [-o out_dir] [-b block] [ids...]
 *   build/tools/denoise_devset [-m model] -i in.wav -o out.wav     (one mono file)
 *
 * Output clips (optional -o) are 48 kHz float WAV, latency-compensated, so
 * train/eval_devset.py / train/metrics.py can score STOI and LSD on them. SI-SDR here is
 * computed without the ±100 ms alignment search (the output is aligned by the reported
 * latency); eval_devset.py is the official scorer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denoise_util.h"

int main(int argc, char **argv)
{
    const char *model_path = DU_MODEL_PATH, *dir = DU_DEVSET_DIR, *outdir = NULL, *one_in = NULL;
    size_t block = 480;
    int opt;
    while ((opt = getopt(argc, argv, "m:d:o:b:i:")) != -1) {
        if (opt == 'm') model_path = optarg;
        else if (opt == 'i') one_in = optarg;
        else if (opt == 'd') dir = optarg;
        else if (opt == 'o') outdir = optarg;
        else if (opt == 'b') block = (size_t)atol(optarg);
        else {
            fprintf(stderr, "usage: %s [-m model] [-d devset] [-o outdir] [-b block] [ids...]\n", argv[0]);
            return 2;
        }
    }
    sw_model *m = du_load_model(model_path);
    if (!m) return 1;
    char err[512];
    if (one_in) { /* -i in.wav -o out.wav: one mono file, latency-compensated */
        du_audio x;
        sw_denoiser *d = NULL;
        if (du_read(one_in, &x) || !outdir) return fprintf(stderr, "-i needs a readable file and -o out.wav\n"), 1;
        if (sw_denoiser_create(m, x.rate, 1, &d, err, sizeof err) != SW_OK) return fprintf(stderr, "%s\n", err), 1;
        float *y = malloc(sizeof(float) * x.frames + 1);
        du_denoise(d, 1, x.ch, &y, x.frames, block);
        du_write_mono(outdir, y, x.frames, x.rate);
        printf("latency %d samples\n", sw_denoiser_latency(d));
        free(y);
        sw_denoiser_destroy(d);
        du_audio_free(&x);
        sw_model_free(m);
        return 0;
    }
    int ids[60], nids = 0;
    for (int i = optind; i < argc && nids < 60; i++) ids[nids++] = atoi(argv[i]);
    if (nids == 0)
        for (int i = 1; i <= 60; i++) ids[nids++] = i;
    double sum_in = 0, sum_out = 0, spent = 0, audio_s = 0;
    size_t frames_total = 0;
    int hop = 0;
    for (int k = 0; k < nids; k++) {
        char pn[1024], pc[1024];
        snprintf(pn, sizeof pn, "%s/noisy/%03d.flac", dir, ids[k]);
        snprintf(pc, sizeof pc, "%s/clean/%03d.flac", dir, ids[k]);
        du_audio xn, xc;
        if (du_read(pn, &xn) || du_read(pc, &xc)) {
            fprintf(stderr, "cannot read %s / %s\n", pn, pc);
            return 1;
        }
        sw_denoiser *d = NULL;
        if (sw_denoiser_create(m, xn.rate, 1, &d, err, sizeof err) != SW_OK) {
            fprintf(stderr, "denoiser: %s\n", err);
            return 1;
        }
        hop = (sw_denoiser_latency(d) + 1) / 2;
        float *y = malloc(sizeof(float) * xn.frames);
        spent += du_denoise(d, 1, xn.ch, &y, xn.frames, block);
        size_t n = xn.frames < xc.frames ? xn.frames : xc.frames;
        double a = du_si_sdr(xn.ch[0], xc.ch[0], n), b = du_si_sdr(y, xc.ch[0], n);
        printf("%03d  SI-SDR noisy %6.2f  out %6.2f  SI-SDRi %6.2f\n", ids[k], a, b, b - a);
        sum_in += a;
        sum_out += b;
        audio_s += (double)xn.frames / xn.rate;
        frames_total += xn.frames / (size_t)hop;
        if (outdir) {
            char po[1024];
            snprintf(po, sizeof po, "%s/%03d.wav", outdir, ids[k]);
            du_write_mono(po, y, xn.frames, xn.rate);
        }
        free(y);
        sw_denoiser_destroy(d);
        du_audio_free(&xn);
        du_audio_free(&xc);
    }
    printf("mean over %d clips: SI-SDR noisy %.2f  out %.2f  SI-SDRi %.2f dB\n", nids, sum_in / nids,
           sum_out / nids, (sum_out - sum_in) / nids);
    printf("engine: %.3f s for %.1f s of audio (RTF %.5f), %.2f us per %d-sample frame\n", spent, audio_s,
           spent / audio_s, 1e6 * spent / (double)frames_total, hop);
    sw_model_free(m);
    return 0;
}
