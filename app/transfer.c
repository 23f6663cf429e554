/* transfer.c — `statewave transfer`: timbre transfer of a monophonic recording (sw_transfer,
 * dsp/engines/synth.c; contract in docs/INSTRUMENT.md): the input's f0 (YIN), loudness and note
 * tracker drive the instrument net, which plays the same melody in a learned timbre.
 *
 * Flow: open the input (any format libsndfile reads) -> mix to mono -> sw_transfer_create at
 * the file's own rate -> process in blocks, then feed sw_transfer_latency() samples more (the
 * input continued by point reflection about its last sample, so that its end is no click)
 * and drop as many from the start of the output, so output sample n lines up with
 * input sample n and the output has exactly the input's length -> temp file next to the
 * output (app_outfile), renamed at the end. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "audioin.h"
#include "commands.h"
#include "common.h"
#include "formats.h"
#include "outfile.h"
#include "timbre.h"

#define SUB "transfer"
#define BLOCK 4096 /* frames read and processed per step */

static const char help[] =
    "Usage: statewave transfer [OPTIONS] INPUT -o OUT\n"
    "\n"
    "Timbre transfer: play a monophonic recording (voice, flute, sax, ...) in a learned\n"
    "instrument timbre. The input's pitch (YIN f0), loudness and note on/offs (a tracker on\n"
    "both) drive the instrument's SSM, which resynthesises the melody with harmonic\n"
    "oscillators and filtered noise, then an optional convolution reverb.\n"
    "\n"
    "The input is any format libsndfile reads, at any rate the instrument supports\n"
    "(8000..384000 Hz); several channels are mixed to mono. The output is mono at the input's\n"
    "rate, exactly as long as the input and aligned with it: the processing latency\n"
    "(analysis window + one 4 ms control frame) is compensated.\n"
    "\n"
    "  -o, --output FILE      output audio file (required); the extension picks the format (wav,\n"
    "                         flac, ogg, ...; the input's sample format where it fits). Written\n"
    "                         to a temp file and renamed at the end: on any error (or Ctrl-C)\n"
    "                         nothing is left behind\n"
    "  -t, --timbre NAME      target timbre: presets/instruments/NAME.safetensors (default\n"
    "                         $STATEWAVE_TIMBRE, else violin; see 'statewave synth --timbre list')\n"
    "  -m, --model FILE       instrument model file (task \"synth\"), instead of --timbre\n"
    APP_SYNTH_CONTROLS_HELP
    "  -f, --format FMT       output format by name, overriding the extension\n"
    "  -q, --quiet            no progress bar, no summary line\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 written, 1 error (input, model, output), 2 usage error.\n";

/* Where the transferred samples go: the output's temp file, with the clipped ones counted. */
typedef struct {
    app_render *r;
    size_t n_clip;     /* samples beyond full scale */
    size_t written;    /* samples written */
} tr_sink;

/* sw_offline_write_fn */
static int tr_write(void *user, const float *x, size_t n)
{
    tr_sink *k = user;
    for (size_t i = 0; i < n; i++)
        k->n_clip += fabsf(x[i]) > 1.0f;
    if (app_render_write(k->r, x, n) != 0)
        return -1;
    k->written += n;
    return 0;
}

int cmd_transfer(int argc, char **argv)
{
    app_instr_opts o = APP_INSTR_OPTS_DEFAULT;
    const app_opt opts[] = {
        APP_INSTR_OPTIONS(o),
        APP_SYNTH_CONTROL_OPTIONS(o),
        { "format", 'f', APP_OPT_STR, .dst = &o.fmt_name },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &o.quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help },
        APP_REVERB_IR_OPTION(o),
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 0);
    if (parsed >= 0)
        return parsed;
    const char *out_path = o.out_path, *model_path = o.model_path, *timbre = o.timbre, *ir_path = o.ir_path;
    const int quiet = o.quiet;
    const char *in_path = NULL;
    int a = app_instr_args(SUB, &o, argc, argv, optind, "input file", &in_path);
    if (a != 0)
        return a > 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
    if (!out_path || !*out_path) {
        app_err(SUB, "no output file: use -o FILE (see --help)");
        return SW_EXIT_USAGE;
    }
    app_fmt_alias fmt;
    if (app_output_format(SUB, o.fmt_name, out_path, &fmt) != 0)
        return SW_EXIT_USAGE;
    /* The output rule (outfile.h): never the input, the impulse response or the model, checked
     * before any work and again, with the model actually found, when the output is opened. */
    app_protect_set prot = { 0 };
    if (app_protect_add(&prot, SUB, in_path, "input file") != 0 ||
        app_protect_add(&prot, SUB, ir_path, "reverb impulse response") != 0 ||
        app_protect_add(&prot, SUB, model_path, "model") != 0 || app_output_check(SUB, NULL, out_path, &prot) != 0) {
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }

    /* The header is only believed for the layout: the audio is read to its real end (the
     * output is exactly as long as the audio that is there), at most APP_MAX_INPUT_SECONDS. */
    app_audio_in ain;
    if (app_audio_open(&ain, in_path, APP_MAX_INPUT_SECONDS, APP_AUDIO_STREAMED) != 0) {
        app_err(SUB, "cannot read '%s': %s", in_path, ain.err);
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }
    const SF_INFO ii = ain.info;
    sw_model *model = NULL;
    sw_transfer *tr = NULL;
    sw_offline_transfer *off = NULL;
    float *inter = NULL, *ir = NULL;
    size_t ir_n = 0;
    double ir_rate = 0.0;
    app_render r = APP_RENDER_INIT;
    int rc = SW_EXIT_FAIL;
    char used[PATH_MAX + 256], err[512];

    if (app_load_timbre(SUB, timbre, model_path, &model, used, sizeof used) != 0)
        goto out;
    if (app_protect_add(&prot, SUB, used, "model") != 0)
        goto out;
    const int rate = ii.samplerate;
    sw_status st = sw_transfer_create(model, rate, &tr, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "'%s': cannot run the instrument at the file's rate %d Hz: %s: %s", in_path, rate,
                sw_status_str(st), err);
        goto out;
    }
    if (ir_path) {
        if (app_read_reverb_ir(SUB, ir_path, &ir, &ir_n, &ir_rate) != 0)
            goto out;
        st = sw_transfer_set_reverb_ir(tr, ir, ir_n, ir_rate, err, sizeof err);
        if (st != SW_OK) {
            app_err(SUB, "reverb impulse response '%s': %s: %s", ir_path, sw_status_str(st), err);
            goto out;
        }
    }
    app_transfer_apply_controls(tr, &o.ctl);
    const size_t latency = (size_t)sw_transfer_latency(tr);
    inter = malloc(sizeof(float) * BLOCK * (size_t)ii.channels);
    if (!inter || (st = sw_offline_transfer_create(tr, ii.channels, &off, err, sizeof err)) != SW_OK) {
        app_err(SUB, "out of memory");
        goto out;
    }
    if (app_render_open(&r, SUB, out_path, &fmt, ii.format, rate, &prot, quiet, app_base_name(in_path)) != 0)
        goto out;
    if (!quiet) {
        char tn[64], pu[3 * PATH_MAX], pt[256]; /* path and timbre name shown escaped */
        fprintf(stderr, "model: %s (timbre \"%s\"), latency %zu samples (%.2f ms) compensated\n",
                app_printable(used, pu, sizeof pu), app_printable(app_model_timbre(model, tn, sizeof tn), pt, sizeof pt),
                latency, 1e3 * (double)latency / rate);
    }

    /* The header's length is an estimate for the progress bar only. */
    const double est = ii.frames > 0 && ii.frames < ain.max_frames ? (double)ii.frames : 0.0;
    size_t n_in = 0;
    tr_sink sink = { .r = &r };
    /* Feed the input (n_in frames: known once the data ends), then let the library push its
     * last samples through; n_in samples come out, time-aligned. */
    for (int at_end = 0; !at_end && !app_stop_requested;) {
        sf_count_t got = app_audio_read(&ain, inter, BLOCK);
        if (got < 0) {
            app_progress_clear(r.prog);
            app_err(SUB, "'%s': %s", in_path, ain.err);
            goto out;
        }
        n_in += (size_t)got;
        at_end = got == 0;
        if (at_end && n_in == 0) {
            app_progress_clear(r.prog);
            app_err(SUB, "'%s': empty file (no audio frames)", in_path);
            goto out;
        }
        st = at_end ? sw_offline_transfer_finish(off, tr_write, &sink, err, sizeof err)
                    : sw_offline_transfer_process(off, inter, (size_t)got, tr_write, &sink, err, sizeof err);
        if (st != SW_OK) /* only a write stops it; tr_write has said why */
            goto out;
        double fed = (double)sw_offline_transfer_fed(off);
        double total = (at_end ? (double)n_in : est > n_in ? est : (double)n_in) + (double)latency;
        app_render_progress(&r, fed, total > fed ? total : fed + 1.0, at_end);
    }
    if (app_render_stopped(&r))
        goto out;
    app_progress_clear(r.prog);
    if ((sf_count_t)n_in != ii.frames && ii.frames != SF_COUNT_MAX)
        app_warn(SUB, "'%s': header says %lld frames but %zu could be read; output has %zu", in_path,
                 (long long)ii.frames, n_in, n_in);
    if (app_render_finish(&r, sink.n_clip) != 0)
        goto out;
    if (!quiet) {
        double el = app_render_elapsed(&r);
        fprintf(stderr, "%s  [%.2f s, %d Hz, mono, %s] from '%s' (%d ch); %.2f s, %.1fx real time\n",
                out_path, (double)sink.written / rate, rate, r.fd, in_path, ii.channels, el,
                el > 0 ? (double)n_in / rate / el : 0.0);
    }
    rc = SW_EXIT_OK;
out:
    app_render_close(&r);
    app_protect_free(&prot);
    free(inter);
    sw_offline_transfer_destroy(off);
    free(ir);
    sw_transfer_destroy(tr);
    sw_model_free(model);
    app_audio_close(&ain);
    return rc;
}
