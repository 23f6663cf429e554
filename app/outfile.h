/* outfile.h — the one output rule of every command that writes a file (denoise, generate,
 * synth, transfer):
 *   - nothing a user owns is destroyed: an output path is refused when it is a directory, a
 *     device, a FIFO or a socket, a symbolic link (never written through, never replaced: this
 *     also keeps `-o DIR/` from following a link out of DIR), or when it resolves (through
 *     links in its folders, or as a hard link: same st_dev/st_ino) to any file the command
 *     reads: its audio inputs, prompt, impulse response, MIDI file or model
 *     (app_protect_set), or an output this run already wrote;
 *   - crash- and disk-full-safe: the audio goes to a temp file in the output's folder (mkstemp,
 *     O_EXCL: it never follows a link), which replaces the output by rename() only after every
 *     write, sf_close, fsync and close succeeded, and after the rule was checked once more. On
 *     any failure the temp file is removed, so a failed run leaves neither a partial output nor
 *     a temp file behind.
 * The rule is checked before anything is created or written (app_outfile_open), and commands
 * check it early too (app_output_check), before any long work. */
#ifndef SW_APP_OUTFILE_H
#define SW_APP_OUTFILE_H

#include <limits.h>
#include <sndfile.h>
#include <stdio.h>
#include <sys/types.h>

#include "common.h"
#include "formats.h"

/* A file the command reads, which no output may be. */
typedef struct {
    dev_t dev;
    ino_t ino;
    const char *path;  /* as given; the caller's string, which must outlive the set */
    const char *what;  /* "input file", "prompt", "model", ... for messages */
    int output;        /* 1: an output this run wrote (path: the input it came from) */
} app_protected;

typedef struct {
    app_protected *f;  /* [cap], malloc'ed */
    size_t n, cap;
} app_protect_set;

/* Add `path` (followed through links, as it will be read) as `what`. A path that cannot be
 * stat'ed (missing) is skipped: it cannot be overwritten by a new file either, and reading it
 * fails with its own message. 0, or -1 on out of memory (message printed). */
int app_protect_add(app_protect_set *s, const char *sub, const char *path, const char *what);
/* Add the output `out` this run just wrote from input `from`: a later output of the same run
 * that resolves to it is refused too (two inputs of one name into one -o DIR/). */
int app_protect_add_output(app_protect_set *s, const char *sub, const char *out, const char *from);
void app_protect_free(app_protect_set *s);

/* The rule for `out` against `s` (may be NULL): 0 if it may be written, else -1 with a message
 * ("statewave <sub>: error: ['<label>': ]..."; label may be NULL). */
int app_output_check(const char *sub, const char *label, const char *out, const app_protect_set *s);

typedef struct {
    SNDFILE *sf;               /* open for writing while active (an audio file); NULL otherwise */
    int fd;                    /* the temp file's descriptor, -1 when closed */
    int have_tmp;              /* 1 while the temp file exists on disk */
    char tmp[PATH_MAX + 32];   /* temp file path: <dir>/.<name>.tmp-XXXXXX */
    char dir[PATH_MAX];        /* folder of the output */
    const char *out;           /* final path (caller's string) */
    const app_protect_set *prot; /* checked again before the rename; the caller's, may be NULL */
} app_outfile;
/* Nothing open yet: app_outfile of = APP_OUTFILE_INIT; */
#define APP_OUTFILE_INIT { .fd = -1 }

/* Check the rule (app_output_check) for `out_path` against `prot` (may be NULL; kept for the
 * commit), then create the temp file and open it with libsndfile as `info` describes (info
 * NULL: a file that is not audio, which the caller writes to o->fd).
 * `sub`/`label` prefix error messages ("statewave <sub>: error: '<label>': ..."). 0 or -1. */
int app_outfile_open(app_outfile *o, const char *sub, const char *label, const char *out_path,
                     SF_INFO *info, const app_protect_set *prot);
/* Finish: sf_close (an audio file), fsync, close, the rule once more, rename over the output,
 * sync the folder. 0 or -1 (then the temp file is already removed). */
int app_outfile_commit(app_outfile *o, const char *sub, const char *label);
/* Why a write to `sf` failed: libsndfile's message plus the system's reason from
 * `saved_errno` (errno right after the failed call) when libsndfile's is generic. */
void app_sf_write_reason(SNDFILE *sf, int saved_errno, char *buf, size_t len);

/* Give up: close and remove the temp file (no-op if nothing is open). */
void app_outfile_abort(app_outfile *o);

/* The output format: --format `fmt_name` if given (an unknown name: message, -1), else by the
 * extension of `out_path` (may be NULL), WAV when the extension names no format. */
int app_output_format(const char *sub, const char *fmt_name, const char *out_path, app_fmt_alias *fmt);

/* A mono render into a file (generate, synth, transfer): its format, the signal handler, the
 * output's temp file, the progress bar and the clock. Nothing open yet: APP_RENDER_INIT. */
typedef struct {
    app_outfile of;           /* the output's temp file */
    app_sigtrap sig;          /* SIGINT/SIGTERM while rendering */
    const char *sub;          /* the command, for messages */
    const char *out_path;     /* the output (caller's string) */
    int format;               /* SF_FORMAT_* of the output */
    int rate;                 /* samples per second */
    FILE *prog;               /* progress stream, NULL when quiet or not a terminal */
    const char *shown;        /* the name on the progress bar (caller's string) */
    double t0, tlast;         /* start of the render, last progress update (app_now) */
    char fd[96];              /* the format described, after app_render_finish */
} app_render;
#define APP_RENDER_INIT { .of = APP_OUTFILE_INIT }

/* The output format for `fmt` (the codec of in_format where it fits, app_choose_output_format)
 * for mono audio at `rate` Hz; then the signal handler, the temp file (app_outfile_open against
 * `prot`) tagged "statewave <sub> <version>", the progress stream (none when quiet) and the
 * clock. 0, or -1 with a message. */
int app_render_open(app_render *r, const char *sub, const char *out_path, const app_fmt_alias *fmt, int in_format,
                    int rate, const app_protect_set *prot, int quiet, const char *shown);
/* Write n samples of x (n = 0 writes nothing); on failure clear the progress line, report why
 * (naming the output and the temp file) and return -1. */
int app_render_write(app_render *r, const float *x, size_t n);
/* The progress bar at `done` of `total` samples (app_progress_every). */
void app_render_progress(app_render *r, double done, double total, int force);
/* After the render loop: on a signal, clear the progress line, report that the output was not
 * written and return 1; else 0. */
int app_render_stopped(app_render *r);
/* The end: clear the progress line, commit the output (app_outfile_commit; -1 on failure), warn
 * that n_clip samples (if any) were clipped unless the format is float or double, and describe
 * the format into r->fd for the summary line. */
int app_render_finish(app_render *r, size_t n_clip);
/* Seconds since app_render_open. */
double app_render_elapsed(const app_render *r);
/* Restore the signal handler and remove the temp file if it was not committed. */
void app_render_close(app_render *r);

#endif
