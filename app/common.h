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

/* Length of the well-formed UTF-8 sequence at s (1-4) with its code point in *cp, or 0 (also
 * for overlong forms, surrogates and code points past U+10FFFF). */
int app_utf8_seq(const unsigned char *s, unsigned *cp);

/* Parse a whole string as a finite double in [lo, hi]. 0 on success, -1 otherwise. */
int app_parse_double(const char *s, double lo, double hi, double *out);

/* One option of a command's table for app_parse_opts. */
typedef enum {
    APP_OPT_FLAG,   /* no argument: *(int *)dst = 1 */
    APP_OPT_OFF,    /* no argument: *(int *)dst = 0 */
    APP_OPT_STR,    /* *(const char **)dst = the argument */
    APP_OPT_DBL,    /* *(double *)dst = a number in [lo, hi] */
    APP_OPT_LONG,   /* *(long *)dst = an integer in [lo, hi] */
    APP_OPT_U64,    /* *(unsigned long long *)dst = 0..2^64-1 (a seed) */
    APP_OPT_FN,     /* fn(sub, argument, dst): 0, 1 for a bad value, -1 when it has said why */
    APP_OPT_HELP    /* no argument: print the text dst on stdout, then fn(sub, NULL, NULL) if set; exit 0 */
} app_opt_kind;
typedef int app_opt_fn(const char *sub, const char *arg, void *dst);
typedef struct {
    const char *name;  /* the long name */
    char letter;       /* its short form, 0 for none */
    app_opt_kind kind;
    void *dst;         /* where the value goes (see app_opt_kind) */
    double lo, hi;     /* the range of a number */
    int *seen;         /* set to 1 when the option is given; may be NULL */
    app_opt_fn *fn;    /* APP_OPT_FN's parser */
} app_opt;

/* Parse argv[1..] with getopt_long against opts[n] (the long options in table order, which
 * getopt's "ambiguous option" message follows), storing each value as its entry says. A number
 * out of range: "bad value 'ARG' for --NAME (see --help for the range)", or with `wants` set
 * "--NAME wants a number in [LO,HI], got 'ARG'". An option the table does not know: getopt's
 * message and "Try 'statewave SUB --help'.". With no_args, an argument left after the options
 * is refused. Returns -1 to go on (the arguments left start at optind), else the exit status
 * (SW_EXIT_OK after --help, SW_EXIT_USAGE). */
int app_parse_opts(const char *sub, int argc, char **argv, const app_opt *opts, int n, int wants, int no_args);
#define APP_NOPTS(t) ((int)(sizeof(t) / sizeof((t)[0])))

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
extern const app_model_kind app_model_generate;  /* generate.safetensors, $STATEWAVE_GENERATE_MODEL */

/* The denoiser's options, alike in `denoise` and `live`: -m/--model FILE, --mix, --limit-db. */
#define APP_DENOISE_OPTIONS(model, mix, limit)                                                    \
    { "model", 'm', APP_OPT_STR, .dst = &(model) },                                               \
    { "mix", 0, APP_OPT_DBL, .dst = &(mix), 0.0, 1.0 },                                           \
    { "limit-db", 0, APP_OPT_DBL, .dst = &(limit), 0.0, 100.0 }

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

/* Write all n bytes of p to fd (retrying after EINTR and short writes). 0, or -1 with errno set. */
int app_write_all(int fd, const void *p, size_t n);

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
