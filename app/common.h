/* common.h — shared bits of the `statewave` command: exit codes, model lookup,
 * option parsing helpers, terminal checks. Nothing here runs on an audio thread. */
#ifndef SW_APP_COMMON_H
#define SW_APP_COMMON_H

#include <signal.h>
#include <stdio.h>
#include "statewave.h"

/* Exit status convention of every subcommand. */
enum {
    SW_EXIT_OK = 0,      /* everything asked for was done */
    SW_EXIT_FAIL = 1,    /* a processing error (some file failed, device lost, no model, ...) */
    SW_EXIT_USAGE = 2    /* bad command line */
};

/* Program name used as the prefix of every message ("statewave"). */
extern const char *sw_app_name;

/* Message helpers: "statewave: <sub>: ..." on stderr. */
void app_err(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_warn(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text of the last app_err message (without the prefix), for --json summaries. */
extern char app_last_error[512];

/* s made safe to show on a terminal, in buf[len] (returned): control characters (C0, DEL, C1,
 * newline and tab included), bidirectional overrides and bytes that are not UTF-8 come out as
 * \xNN / \uNNNN escapes and the backslash as \\, so a name taken from a file or a model (a
 * timbre, a tensor, a path) cannot move the cursor, recolour or hide text. Cut short to fit.
 * app_err and app_warn apply the same to their whole message (its own newlines, tabs and
 * backslashes kept). */
const char *app_printable(const char *s, char *buf, size_t len);

/* Parse a whole string as a finite double in [lo, hi]. 0 on success, -1 otherwise. */
int app_parse_double(const char *s, double lo, double hi, double *out);
/* Parse a whole string as a long in [lo, hi]. 0 on success, -1 otherwise. */
int app_parse_long(const char *s, long lo, long hi, long *out);

/* app_parse_double for the argument s of option --name; on failure "--NAME wants a number in
 * [LO,HI], got 'S'" is reported for `sub`. 0 on success, -1 otherwise. */
int app_opt_double(const char *sub, const char *name, const char *s, double lo, double hi, double *out);

/* After getopt_long returned option `c` with an out-of-range argument `arg`: prints
 * "bad value 'ARG' for --NAME (see --help for the range)", NAME looked up in the
 * command's long-option table `opts` (NULL-terminated, as given to getopt_long).
 * Returns SW_EXIT_USAGE. */
struct option;
int app_err_bad_value(const char *sub, const struct option *opts, int c, const char *arg);
/* After getopt_long returned an option command `sub` does not know (it has said why): prints
 * "Try 'statewave SUB --help'." and returns SW_EXIT_USAGE. */
int app_usage_hint(const char *sub);

/* Which model a command needs: its task, file name and environment variable. */
typedef struct {
    const char *task;  /* config "task" the model must have ("denoise", "generate") */
    const char *file;  /* file name in presets/ and in the installed data folder */
    const char *env;   /* environment variable naming a model file */
} app_model_kind;
extern const app_model_kind app_model_denoise;   /* denoise.safetensors, $STATEWAVE_MODEL */

/* The denoiser's long options, alike in `denoise` and `live`: -m/--model, -x/--mix, -l/--limit-db. */
#define APP_DENOISE_OPTIONS                                                                       \
    { "model", required_argument, NULL, 'm' }, { "mix", required_argument, NULL, 'x' },           \
    { "limit-db", required_argument, NULL, 'l' }
extern const app_model_kind app_model_generate;  /* generate.safetensors, $STATEWAVE_GENERATE_MODEL */

/* Find and load a model of `kind`, in this order:
 *   explicit (the --model argument, may be NULL), $<kind->env>,
 *   <dir of the executable>/../presets/<file>, SW_DATADIR/<file>.
 * The first candidate that is *given* (explicit / env) or *exists* (the two defaults) is
 * loaded; a load error there is final (no silent fallback to another model).
 * On success *model is set and `used` (size usedlen) receives the path. On failure prints
 * an error naming every path tried and returns -1. */
int app_load_model(const char *sub, const app_model_kind *kind, const char *explicit_path,
                   sw_model **model, char *used, size_t usedlen);

/* The folder of the running executable into buf[len]. 0, or -1 if unknown. */
int app_exe_dir(char *buf, size_t len);

/* The compiled-in fallback <PREFIX>/share/statewave/<file> into buf. */
const char *app_installed_model_path(const app_model_kind *kind, char *buf, size_t len);

/* Seconds from a monotonic clock. */
double app_now(void);

/* The stream progress output should go to: stderr if it is a terminal, else stdout if
 * that is a terminal, else NULL (no progress at all). */
FILE *app_progress_stream(void);

/* One progress-bar update on `f` (no-op if f is NULL): percent, bar, speed as x real time
 * (done/rate audio seconds per elapsed second since t0), ETA and a name. */
void app_progress(FILE *f, const char *name, double done, double total, double rate, double t0);
/* app_progress at most every 0.1 s, or at once when `force`: *tlast is the time of the last
 * update (app_now; start it at -1). */
void app_progress_every(FILE *f, double *tlast, int force, const char *name, double done, double total,
                        double rate, double t0);
/* Erase the progress line (no-op if f is NULL). */
void app_progress_clear(FILE *f);

/* "1:05" / "1:02:03" for a duration in seconds (negative or huge -> "--:--"). */
void app_fmt_duration(double s, char *buf, size_t len);

/* The app's one signal handler. SIGINT and SIGTERM (and SIGHUP for the live runs, which
 * a closed terminal should stop too) set app_stop_requested instead of killing the process,
 * so that a command finishes or removes its file, or stops its stream, and exits cleanly.
 * app_sigtrap_set clears the flag, installs the handler and keeps the old actions;
 * app_sigtrap_restore puts them back (a no-op if never set). */
extern volatile sig_atomic_t app_stop_requested;
typedef struct {
    struct sigaction old_int;  /* SIGINT's previous action */
    struct sigaction old_term; /* SIGTERM's previous action */
    struct sigaction old_hup;  /* SIGHUP's previous action (when with_hup) */
    int with_hup;              /* SIGHUP is trapped too */
    int set;                   /* 1 while our handler is installed */
} app_sigtrap;
void app_sigtrap_set(app_sigtrap *t, int with_hup);
void app_sigtrap_restore(app_sigtrap *t);

#endif
