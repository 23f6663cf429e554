/* denoise.c — `statewave denoise IN...`: offline denoising of audio files.
 *
 * Per file the data flows, in blocks, from a libsndfile read (interleaved, the file's rate)
 * through the library's sw_offline_denoiser (any channel count and rate: one denoiser per
 * channel pair, the latency trimmed, a rate outside 8..192 kHz converted and back; see
 * dsp/engines/offline.h) into a libsndfile write into a temp file next to the output. After the input
 * ends the library flushes, so the output is time-aligned with the input and of the same
 * length. The temp file is fsync'ed, closed and renamed over the output only when every step
 * succeeded; on any error it is removed. Inputs are never overwritten. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sndfile.h>

#include "audioin.h"
#include "commands.h"
#include "common.h"
#include "formats.h"
#include "jsonout.h"
#include "outfile.h"
#include "stdio_audio.h"

#define SUB "denoise"
#define READ_BLOCK 4096   /* frames read from the input per sf_readf_float */

static const char help[] =
    "Usage: statewave denoise [OPTIONS] IN...\n"
    "\n"
    "Denoise speech in audio files with the SSM denoiser. Reads any format libsndfile\n"
    "reads (WAV, FLAC, OGG/Vorbis, Opus, AIFF, CAF, W64, RF64, MP3, ...). Each output\n"
    "keeps the input's channels, sample rate, length (time-aligned: the engine latency\n"
    "is compensated) and sample format, unless --format says otherwise.\n"
    "\n"
    "Output naming:\n"
    "  (default)              IN's folder, name + suffix: noisy.wav -> noisy_clean.wav\n"
    "  -o, --output FILE      write to FILE (only with a single IN); its extension picks\n"
    "                         the format if it is a known one and --format is not given\n"
    "  -o, --output DIR/      write every output into the existing folder DIR, named\n"
    "                         as by default (name + suffix + extension)\n"
    "  -s, --suffix STR       suffix for derived names (default \"_clean\")\n"
    "Pipelines: IN '-' reads standard input (WAV or any format libsndfile reads from a\n"
    "pipe), -o - writes standard output (a WAV stream); with --raw-format both are raw:\n"
    "      --raw-format ENC:RATE:CH  raw samples, ENC s16le|s24le|s32le|f32le|f64le,\n"
    "                         e.g. ffmpeg -i in.mp4 -f s16le -ar 48000 -ac 1 - |\n"
    "                         statewave denoise --raw-format s16le:48000:1 - -o - | ...\n"
    "Several files:\n"
    "  -j, --jobs N           denoise N files at a time (processes; default 1)\n"
    "      --json             a JSON summary when done: per file input, output, duration,\n"
    "                         seconds taken, error (on stdout; on stderr with -o -)\n"
    "Outputs never destroy anything: an output that is (a link to) any input or the\n"
    "model, a symbolic link, a directory, a device or a FIFO is refused. Existing\n"
    "regular outputs are replaced atomically: audio goes to a temp file in the output\n"
    "folder that is renamed at the end, and removed on any error (full disk, I/O error).\n"
    "Inputs are read to the real end of their audio, whatever their header claims;\n"
    "an input longer than 24 h is refused.\n"
    "\n"
    "Processing:\n"
    "  -m, --model FILE       denoise model (default: $STATEWAVE_MODEL, then\n"
    "                         <exe dir>/../presets/denoise.safetensors, then the\n"
    "                         installed share/statewave/denoise.safetensors)\n"
    "      --mix X            wet/dry mix in [0,1], 1 = fully denoised (default 1)\n"
    "      --limit-db N       most attenuation in dB, [0,100], 100 = unlimited (default 100)\n"
    "  -f, --format FMT       output format: wav, wavex, rf64, w64, aiff, au, caf, flac,\n"
    "                         ogg (Vorbis), opus, mp3, or any libsndfile major format's\n"
    "                         extension. The sample format is kept when FMT supports it,\n"
    "                         otherwise the closest one is used (e.g. float WAV -> FLAC\n"
    "                         24-bit, FLAC -> OGG Vorbis, Vorbis -> WAV 16-bit)\n"
    "  -q, --quiet            no progress bar and no per-file lines (errors only)\n"
    "  -h, --help             this help\n"
    "\n"
    "Channels: 1 and 2 are processed directly (stereo gains linked); more channels are\n"
    "processed as linked pairs (1+2, 3+4, ...; an odd last channel alone).\n"
    "Sample rates: 8..192 kHz directly; other rates are resampled (libsamplerate, best\n"
    "sinc) to the nearest of 8 or 192 kHz and back.\n"
    "A progress bar (percent, speed as x real time, ETA) is shown on stderr, or on stdout,\n"
    "when it is a terminal. Per-file lines go to stderr; stdout carries nothing else.\n"
    "\n"
    "A file that cannot be read (missing, corrupt, unsupported, empty) or written gets\n"
    "an error naming it; the other files are still processed and the exit status is 1.\n"
    "Exit status: 0 all files done, 1 some file failed, 2 usage error.\n";

/* ------------------------------------------------------------- per file run -- */

typedef struct {
    /* configuration for the whole run */
    const sw_model *model;   /* shared by every denoiser; owned by cmd_denoise */
    float mix, limit_db;     /* engine parameters */
    int quiet;               /* -q */
    FILE *prog;              /* progress stream or NULL */
    app_protect_set prot;    /* every input, the model and the outputs written so far (outfile.h) */
    const app_raw_format *raw; /* --raw-format: standard input/output are raw samples; or NULL */
    double last_dur, last_secs; /* the last file's audio seconds (-1: unknown) and wall time */
} run_cfg;

/* Where the denoised frames of one file go. */
typedef struct {
    SNDFILE *out;            /* the temp output file's SNDFILE (owned by the app_outfile) or stdout */
    int failed;              /* a write failed (message printed) */
    sf_count_t written;      /* frames written */
    const char *in_path, *tmp_path, *out_path;  /* for messages */
} sink_t;

/* sw_offline_write_fn: append to the output; on a short write print why and stop. */
static int sink_write(void *user, const float *x, size_t n)
{
    sink_t *k = user;
    errno = 0;
    sf_count_t got = sf_writef_float(k->out, x, (sf_count_t)n);
    if (got != (sf_count_t)n) {
        char why[256];
        app_sf_write_reason(k->out, errno, why, sizeof why);
        app_err(SUB, "'%s': cannot write '%s' (temp file '%s', after %lld frames): %s", k->in_path,
                k->out_path, k->tmp_path, (long long)k->written, why);
        k->failed = 1;
        return -1;
    }
    k->written += got;
    return 0;
}

/* Denoise one file into out_path. 0 ok, -1 failed (message printed, nothing left behind). */
static int denoise_file(run_cfg *cfg, const char *in_path, const char *out_path,
                        const app_fmt_alias *force_fmt)
{
    /* The header is only believed for the layout: the audio is read to its real end, and a
     * file longer than APP_MAX_INPUT_SECONDS is refused (audioin.h). */
    app_audio_in ain;
    const int from_stdin = !strcmp(in_path, "-"), to_stdout = !strcmp(out_path, "-");
    cfg->last_dur = -1.0;
    cfg->last_secs = 0.0;
    const double t_file = app_now();
    if ((from_stdin ? app_stdin_audio_open(&ain, cfg->raw, APP_MAX_INPUT_SECONDS)
                    : app_audio_open(&ain, in_path, APP_MAX_INPUT_SECONDS, APP_AUDIO_STREAMED)) != 0) {
        app_err(SUB, "cannot read '%s': %s", in_path, ain.err);
        return -1;
    }
    const SF_INFO ii = ain.info;
    SNDFILE *in = ain.sf;
    int rc = -1;
    sink_t p = { .in_path = in_path };
    sw_offline_denoiser *dn = NULL;
    char err[512];
    sw_status st = SW_OK;
    app_outfile of = APP_OUTFILE_INIT;
    float *rbuf = NULL;


    /* Output format. */
    int out_format;
    if (force_fmt) {
        out_format = app_choose_output_format(force_fmt->major, force_fmt->subtype, ii.format,
                                          ii.channels, ii.samplerate);
        if (!out_format) {
            app_err(SUB, "'%s': format '%s' cannot store %d channels at %d Hz", in_path,
                    force_fmt->name, ii.channels, ii.samplerate);
            goto done;
        }
    } else {
        out_format = ii.format;
        if (!app_format_ok(out_format, ii.channels, ii.samplerate)) {
            /* Read-only codecs (some ADPCM/containers libsndfile cannot write): closest fit. */
            out_format = app_choose_output_format(ii.format & SF_FORMAT_TYPEMASK, 0, ii.format,
                                              ii.channels, ii.samplerate);
            if (!out_format) {
                app_err(SUB, "'%s': libsndfile cannot write this format; use --format", in_path);
                goto done;
            }
        }
    }

    /* The output rule (outfile.h), before any work: never an input, the model, an output of
     * this run, a link, a device, a FIFO or a directory. */
    if (!to_stdout && app_output_check(SUB, in_path, out_path, &cfg->prot) != 0)
        goto done;

    st = sw_offline_denoiser_create(cfg->model, ii.samplerate, ii.channels, cfg->mix, cfg->limit_db, &dn, err,
                                    sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "'%s': %s", in_path, err);
        goto done;
    }

    /* Temp file in the output's folder, so the final rename is atomic. */
    SF_INFO oi;
    memset(&oi, 0, sizeof oi);
    oi.samplerate = ii.samplerate;
    oi.channels = ii.channels;
    oi.format = out_format;
    if (to_stdout) {
        /* standard output: a WAV stream, or raw samples as --raw-format says */
        char why[256];
        int st = cfg->raw ? cfg->raw->subtype : app_stream_subtype(ii.format);
        if (!(p.out = app_stdout_open(ii.samplerate, ii.channels, st, !cfg->raw, why, sizeof why))) {
            app_err(SUB, "'%s': %s", in_path, why);
            goto done;
        }
        p.tmp_path = "standard output";
        p.out_path = "standard output";
    } else {
        if (app_outfile_open(&of, SUB, in_path, out_path, &oi, &cfg->prot) != 0)
            goto done;
        p.out = of.sf;
        p.tmp_path = of.tmp;
        p.out_path = out_path;
        /* Carry text metadata (title, artist, ...) over; best effort. */
        for (int s = SF_STR_FIRST; s <= SF_STR_LAST; s++) {
            const char *v = sf_get_string(in, s);
            if (v && *v)
                sf_set_string(p.out, s, v);
        }
    }

    rbuf = malloc(sizeof(float) * READ_BLOCK * (size_t)ii.channels);
    if (!rbuf) {
        app_err(SUB, "'%s': out of memory", in_path);
        goto done;
    }

    double t0 = app_now(), tlast = -1.0;
    const char *shown = app_base_name(in_path);
    sf_count_t nread = 0;
    /* The header's length is an estimate for the progress bar only. */
    const sf_count_t est = ii.frames > 0 && ii.frames < ain.max_frames ? ii.frames : 0;
    app_progress(cfg->prog, shown, 0, est, ii.samplerate, t0);
    int read_failed = 0;
    while (st == SW_OK && !app_stop_requested) {
        sf_count_t got = app_audio_read(&ain, rbuf, READ_BLOCK);
        if (got < 0)
            read_failed = 1;
        if (got <= 0)
            break;
        nread += got;
        st = sw_offline_denoiser_process(dn, rbuf, (size_t)got, sink_write, &p, err, sizeof err);
        app_progress_every(cfg->prog, &tlast, 0, shown, nread, est > nread ? est : nread, ii.samplerate, t0);
    }
    if (app_stop_requested) {
        app_progress_clear(cfg->prog);
        app_err(SUB, "'%s': interrupted; '%s' not written", in_path, out_path);
        goto done;
    }
    if (st != SW_OK)
        goto failed;
    if (read_failed) {
        app_progress_clear(cfg->prog);
        app_err(SUB, "'%s': %s", in_path, ain.err);
        goto done;
    }
    if (nread == 0) {
        app_progress_clear(cfg->prog);
        app_err(SUB, "'%s': empty file (no audio frames)", in_path);
        goto done;
    }
    if (nread != ii.frames && ii.frames != SF_COUNT_MAX) {
        app_progress_clear(cfg->prog);
        app_warn(SUB, "'%s': header says %lld frames but %lld could be read; output has %lld",
                 in_path, (long long)ii.frames, (long long)nread, (long long)nread);
    }

    /* Flush: the output gets as long as the input. */
    if ((st = sw_offline_denoiser_finish(dn, sink_write, &p, err, sizeof err)) != SW_OK)
        goto failed;
    app_progress(cfg->prog, shown, nread, nread, ii.samplerate, t0); /* show the finished bar (100%) */
    app_progress_clear(cfg->prog);

    if (to_stdout) {
        int e = sf_close(p.out);
        p.out = NULL;
        if (e != 0 || fflush(stdout) != 0) {
            app_err(SUB, "'%s': cannot write standard output: %s", in_path, sf_error_number(e));
            goto done;
        }
    } else {
        p.out = NULL;
        if (app_outfile_commit(&of, SUB, in_path) != 0)
            goto done;
        if (app_protect_add_output(&cfg->prot, SUB, out_path, in_path) != 0)
            goto done;
    }
    cfg->last_dur = (double)nread / ii.samplerate;
    if (!cfg->quiet) {
        double el = app_now() - t0;
        double dur = (double)nread / ii.samplerate;
        char fin[96], fout[96];
        app_describe_format(ii.format, fin, sizeof fin);
        app_describe_format(out_format, fout, sizeof fout);
        fprintf(stderr, "%s -> %s  [%.2f s, %d Hz, %d ch, %s%s%s%s] %.2f s, %.1fx real time\n",
                in_path, out_path, dur, ii.samplerate, ii.channels, fin,
                strcmp(fin, fout) ? " -> " : "", strcmp(fin, fout) ? fout : "",
                sw_offline_denoiser_work_rate(dn) != ii.samplerate ? ", resampled" : "", el,
                el > 0 ? dur / el : 0.0);
    }
    rc = 0;
    goto done;
failed: /* a write failure has been reported by sink_write; anything else is reported here */
    if (!p.failed)
        app_err(SUB, "'%s': %s", in_path, err);
done:
    if (rc != 0)
        app_progress_clear(cfg->prog);
    if (to_stdout && p.out)
        sf_close(p.out); /* failed midway: what was written stays written (a pipe) */
    p.out = NULL;
    cfg->last_secs = app_now() - t_file;
    app_outfile_abort(&of); /* no-op after a successful commit */
    sw_offline_denoiser_destroy(dn);
    free(rbuf);
    app_audio_close(&ain);
    return rc;
}

/* ------------------------------------------------------------ files and jobs -- */

/* One input of the run: its planned output and format. */
typedef struct {
    const char *in;
    char out[PATH_MAX + 64];
    app_fmt_alias fmt;       /* used when has_fmt */
    int has_fmt;
} dn_task;

enum { DN_PENDING = 0, DN_DONE, DN_FAILED };

/* What became of it (in shared memory under --jobs: plain data only). */
typedef struct {
    int state;               /* DN_* */
    double dur, secs;        /* audio seconds (-1: unknown), wall seconds */
    char err[512];           /* the error message when failed */
} dn_result;

static void run_task(run_cfg *cfg, const dn_task *t, dn_result *r)
{
    app_last_error[0] = '\0';
    int rc = denoise_file(cfg, t->in, t->out, t->has_fmt ? &t->fmt : NULL);
    r->dur = cfg->last_dur;
    r->secs = cfg->last_secs;
    if (rc == 0) {
        r->state = DN_DONE;
    } else {
        snprintf(r->err, sizeof r->err, "%s", app_last_error[0] ? app_last_error : "failed");
        r->state = DN_FAILED;
    }
}

/* The pending tasks, one after the other in this process, until a signal. */
static void run_pending(run_cfg *cfg, const dn_task *tasks, dn_result *res, int n)
{
    for (int i = 0; i < n && !app_stop_requested; i++)
        if (res[i].state == DN_PENDING)
            run_task(cfg, &tasks[i], &res[i]);
}

/* "DIR/NAME" with DIR resolved (links, ..), for telling two outputs apart; "" if DIR cannot be. */
static void out_key(const char *out, char *key, size_t len)
{
    char dir[PATH_MAX], real[PATH_MAX];
    if (strchr(out, '/'))
        app_dir_name(out, dir, sizeof dir);
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, real)) {
        key[0] = '\0';
        return;
    }
    snprintf(key, len, "%s/%s", real, app_base_name(out));
}

/* --jobs N: N worker processes (fork: the model is shared copy-on-write) take the files in
 * turn from a counter in shared memory and write their results there; a file whose worker
 * died is reported as such. Two inputs that would write one output are refused up front (the
 * sequential run refuses the second when it comes to it). */
static void run_jobs(run_cfg *cfg, const dn_task *tasks, dn_result *res_out, int n, int jobs)
{
    for (int i = 0; i < n; i++) {
        char ki[PATH_MAX + 80], kj[PATH_MAX + 80];
        if (res_out[i].state != DN_PENDING)
            continue;
        out_key(tasks[i].out, ki, sizeof ki);
        for (int j = 0; j < i && ki[0]; j++) {
            if (res_out[j].state == DN_FAILED)
                continue;
            out_key(tasks[j].out, kj, sizeof kj);
            if (!strcmp(ki, kj)) {
                app_err(SUB, "'%s': output '%s' is also the output of '%s'", tasks[i].in, tasks[i].out,
                        tasks[j].in);
                res_out[i].state = DN_FAILED;
                snprintf(res_out[i].err, sizeof res_out[i].err, "%s", app_last_error);
                break;
            }
        }
    }
    size_t head = 64, size = head + sizeof(dn_result) * (size_t)n;
    void *shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED) {
        app_warn(SUB, "--jobs: no shared memory (%s); one file at a time", strerror(errno));
        run_pending(cfg, tasks, res_out, n);
        return;
    }
    int *next = shm;
    dn_result *res = (dn_result *)((char *)shm + head);
    memcpy(res, res_out, sizeof(dn_result) * (size_t)n);
    *next = 0;
    if (jobs > n)
        jobs = n;
    fflush(stdout);
    fflush(stderr);
    pid_t pids[256];
    int started = 0;
    for (int k = 0; k < jobs; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            app_warn(SUB, "--jobs: cannot start worker %d: %s", k + 1, strerror(errno));
            break;
        }
        if (pid == 0) {
            cfg->prog = NULL; /* one progress bar per file would mix: per-file lines only */
            for (;;) {
                int i = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);
                if (i >= n || app_stop_requested)
                    break;
                if (res[i].state == DN_PENDING)
                    run_task(cfg, &tasks[i], &res[i]);
            }
            fflush(stdout);
            fflush(stderr);
            _exit(0);
        }
        pids[started++] = pid;
    }
    if (!started) /* no worker at all: this process does the work */
        run_pending(cfg, tasks, res, n);
    int forwarded = 0;
    for (int k = 0; k < started; k++) {
        while (waitpid(pids[k], NULL, 0) < 0 && errno == EINTR) {
            if (app_stop_requested && !forwarded) { /* pass an interruption on to the workers */
                for (int m = 0; m < started; m++)
                    kill(pids[m], SIGTERM);
                forwarded = 1;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (res[i].state == DN_PENDING && *next > i && !app_stop_requested)
            snprintf(res[i].err, sizeof res[i].err, "not processed: its worker process died");
    memcpy(res_out, res, sizeof(dn_result) * (size_t)n);
    munmap(shm, size);
}

/* Standard input and output: "-" as IN (once) and -o -. 0, or -1 after a usage message. */
static int usage_stdio(char **inputs, int n_in, const char *out_opt, const char *fmt_name,
                       const app_raw_format *raw)
{
    int dash = 0;
    for (int i = 0; i < n_in; i++)
        dash += !strcmp(inputs[i], "-");
    int to_stdout = out_opt && !strcmp(out_opt, "-");
    if (dash > 1) {
        app_err(SUB, "standard input ('-') can be read once");
        return -1;
    }
    if (dash && !out_opt) {
        app_err(SUB, "reading standard input needs -o FILE or -o - (standard output)");
        return -1;
    }
    if (to_stdout && n_in > 1) {
        app_err(SUB, "-o - (standard output) takes a single input (got %d)", n_in);
        return -1;
    }
    if (to_stdout && fmt_name) {
        app_err(SUB, "-o - writes a WAV stream, or raw samples with --raw-format: no --format");
        return -1;
    }
    if (raw && !dash && !to_stdout) {
        app_err(SUB, "--raw-format is for standard input ('-') and output (-o -)");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ command -- */

/* APP_OPT_FN for --raw-format. */
static int opt_raw(const char *sub, const char *arg, void *dst)
{
    char why[160];
    if (app_raw_parse(arg, dst, why, sizeof why) == 0)
        return 0;
    app_err(sub, "%s", why);
    return -1;
}

/* After --help: the installed model's path. */
static int help_model(const char *sub, const char *arg, void *dst)
{
    (void)sub, (void)arg, (void)dst;
    char inst[PATH_MAX];
    printf("\nInstalled model: %s\n", app_installed_model_path(&app_model_denoise, inst, sizeof inst));
    return 0;
}

int cmd_denoise(int argc, char **argv)
{
    const char *out_opt = NULL, *suffix = "_clean", *model_path = NULL, *fmt_name = NULL;
    double mix = 1.0, limit = 100.0;
    int quiet = 0, json = 0, has_raw = 0;
    long jobs = 1;
    app_raw_format rawf;
    const app_opt opts[] = {
        { "output", 'o', APP_OPT_STR, .dst = &out_opt },
        { "suffix", 's', APP_OPT_STR, .dst = &suffix },
        APP_DENOISE_OPTIONS(model_path, mix, limit),
        { "format", 'f', APP_OPT_STR, .dst = &fmt_name },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help, .fn = help_model },
        { "raw-format", 0, APP_OPT_FN, .dst = &rawf, .seen = &has_raw, .fn = opt_raw },
        { "jobs", 'j', APP_OPT_LONG, .dst = &jobs, 1, 256 },
        { "json", 0, APP_OPT_FLAG, .dst = &json },
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 1, 0);
    if (parsed >= 0)
        return parsed;
    const app_raw_format *raw = has_raw ? &rawf : NULL;
    int n_in = argc - optind;
    char **inputs = argv + optind;
    if (n_in < 1) {
        app_err(SUB, "no input files (try 'statewave denoise --help')");
        return SW_EXIT_USAGE;
    }
    app_fmt_alias force, *force_fmt = NULL;
    if (fmt_name) {
        if (app_lookup_format(fmt_name, &force)) {
            app_err(SUB, "unknown --format '%s' (try wav, flac, ogg, opus, aiff, caf, mp3, ...)", fmt_name);
            return SW_EXIT_USAGE;
        }
        force_fmt = &force;
    }
    int out_is_dir = 0;
    if (out_opt) {
        struct stat st;
        size_t ol = strlen(out_opt);
        if (ol == 0) {
            app_err(SUB, "empty --output");
            return SW_EXIT_USAGE;
        }
        if (stat(out_opt, &st) == 0 && S_ISDIR(st.st_mode))
            out_is_dir = 1;
        else if (out_opt[ol - 1] == '/') {
            app_err(SUB, "output folder '%s' does not exist", out_opt);
            return SW_EXIT_FAIL;
        }
        if (!out_is_dir && n_in > 1) {
            app_err(SUB, "-o FILE takes a single input (got %d); use -o DIR/ or --suffix", n_in);
            return SW_EXIT_USAGE;
        }
    }
    if (strchr(suffix, '/')) {
        app_err(SUB, "--suffix must not contain '/'");
        return SW_EXIT_USAGE;
    }
    if (usage_stdio(inputs, n_in, out_opt, fmt_name, raw) != 0)
        return SW_EXIT_USAGE;

    /* The model is loaded once for the whole run. */
    sw_model *model = NULL;
    char used[PATH_MAX + 64];
    if (app_load_model(SUB, &app_model_denoise, model_path, &model, used, sizeof used) != 0)
        return SW_EXIT_FAIL;
    if (!quiet)
        fprintf(stderr, "model: %s\n", used);

    run_cfg cfg = { .model = model, .mix = (float)mix, .limit_db = (float)limit, .quiet = quiet,
                    .prog = quiet ? NULL : app_progress_stream(), .prot = { 0 } };
    /* What no output may be: every input and the model (outfile.h). */
    int prot_failed = app_protect_add(&cfg.prot, SUB, used, "model") != 0;
    for (int i = 0; i < n_in && !prot_failed; i++)
        prot_failed = app_protect_add(&cfg.prot, SUB, inputs[i], "input file") != 0;
    if (prot_failed) {
        app_protect_free(&cfg.prot);
        sw_model_free(model);
        return SW_EXIT_FAIL;
    }

    app_sigtrap sig = { .set = 0 };
    app_sigtrap_set(&sig, 0);

    /* Plan every file (its output and format), then run them: one after the other, or
     * --jobs at a time in worker processes. */
    dn_task *tasks = calloc((size_t)n_in, sizeof *tasks);
    dn_result *res = calloc((size_t)n_in, sizeof *res);
    if (!tasks || !res) {
        app_err(SUB, "out of memory");
        free(tasks);
        free(res);
        app_protect_free(&cfg.prot);
        sw_model_free(model);
        return SW_EXIT_FAIL;
    }
    cfg.raw = raw;
    const double t_run = app_now();
    for (int i = 0; i < n_in; i++) {
        const char *in = inputs[i];
        dn_task *t = &tasks[i];
        char *out_path = t->out;
        const size_t out_size = sizeof t->out;
        t->in = in;
        if (out_opt && !out_is_dir) {
            snprintf(out_path, out_size, "%s", out_opt);
            /* -o FILE with a known extension picks the format unless --format did. */
            app_fmt_alias ext_fmt;
            if (!force_fmt && strcmp(out_opt, "-") && app_lookup_format(app_ext_of(out_opt), &ext_fmt) == 0) {
                SF_INFO probe;
                memset(&probe, 0, sizeof probe);
                SNDFILE *s = strcmp(in, "-") ? sf_open(in, SFM_READ, &probe) : NULL;
                int same = s && (probe.format & SF_FORMAT_TYPEMASK) == ext_fmt.major &&
                           (!ext_fmt.subtype || (probe.format & SF_FORMAT_SUBMASK) == ext_fmt.subtype);
                if (s)
                    sf_close(s);
                t->has_fmt = !same;
                t->fmt = ext_fmt;
                continue;
            }
        } else {
            const char *b = app_base_name(in);
            const char *e = app_ext_of(in);
            size_t stem = strlen(b) - (*e ? strlen(e) + 1 : 0);
            char dir[PATH_MAX];
            if (out_is_dir)
                snprintf(dir, sizeof dir, "%s", out_opt);
            else if (strchr(in, '/'))
                app_dir_name(in, dir, sizeof dir);
            else
                dir[0] = '\0'; /* plain name in the current folder: keep it plain */
            size_t dl = strlen(dir);
            const char *sep = (!dl || dir[dl - 1] == '/') ? "" : "/";
            const char *oe = force_fmt ? force_fmt->ext : e;
            int n = snprintf(out_path, out_size, "%s%s%.*s%s%s%s", dir, sep, (int)stem, b,
                             suffix, *oe ? "." : "", oe);
            if (n < 0 || (size_t)n >= out_size) {
                app_err(SUB, "'%s': output path too long", in);
                res[i].state = DN_FAILED;
                snprintf(res[i].err, sizeof res[i].err, "%s", app_last_error);
                continue;
            }
        }
        if (force_fmt) {
            t->has_fmt = 1;
            t->fmt = *force_fmt;
        }
    }
    if (jobs > 1 && n_in > 1)
        run_jobs(&cfg, tasks, res, n_in, (int)jobs);
    else
        run_pending(&cfg, tasks, res, n_in);
    int failures = 0;
    for (int i = 0; i < n_in; i++) {
        if (res[i].state == DN_PENDING) {
            res[i].state = DN_FAILED;
            snprintf(res[i].err, sizeof res[i].err, "not processed (interrupted)");
        }
        failures += res[i].state == DN_FAILED;
    }
    if (json) {
        app_json_file *jf = calloc((size_t)n_in, sizeof *jf);
        if (jf) {
            for (int i = 0; i < n_in; i++)
                jf[i] = (app_json_file){ .input = tasks[i].in, .output = tasks[i].out,
                                         .duration = res[i].dur, .seconds = res[i].secs,
                                         .error = res[i].state == DN_FAILED ? res[i].err : NULL };
            /* with -o - the audio owns standard output */
            app_json_summary(out_opt && !strcmp(out_opt, "-") ? stderr : stdout, "denoise", jf, n_in,
                             app_now() - t_run);
            free(jf);
        }
    }
    free(tasks);
    free(res);
    int interrupted = app_stop_requested;
    app_sigtrap_restore(&sig);
    app_protect_free(&cfg.prot);
    sw_model_free(model);
    if (interrupted)
        return SW_EXIT_FAIL;
    if (failures) {
        if (n_in > 1)
            app_err(SUB, "%d of %d files failed", failures, n_in);
        return SW_EXIT_FAIL;
    }
    return SW_EXIT_OK;
}
