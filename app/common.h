/* common.h — shared bits of the `statewave` command: exit codes, model lookup,
 * option parsing helpers, terminal checks. Nothing here runs on an audio thread. */
#ifndef SW_APP_COMMON_H
#define SW_APP_COMMON_H

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

/* Parse a whole string as a finite double in [lo, hi]. 0 on success, -1 otherwise. */
int app_parse_double(const char *s, double lo, double hi, double *out);
/* Parse a whole string as a long in [lo, hi]. 0 on success, -1 otherwise. */
int app_parse_long(const char *s, long lo, long hi, long *out);

/* Find and load the denoise model, in this order:
 *   explicit (the --model argument, may be NULL), $STATEWAVE_MODEL,
 *   <dir of the executable>/../presets/denoise.safetensors, SW_DATADIR/denoise.safetensors.
 * The first candidate that is *given* (explicit / env) or *exists* (the two defaults) is
 * loaded; a load error there is final (no silent fallback to another model).
 * On success *model is set and `used` (size usedlen) receives the path. On failure prints
 * an error naming every path tried and returns -1. */
int app_load_model(const char *sub, const char *explicit_path, sw_model **model,
                   char *used, size_t usedlen);

/* The compiled-in fallback: <PREFIX>/share/statewave/denoise.safetensors. */
const char *app_installed_model_path(void);

/* Seconds from a monotonic clock. */
double app_now(void);

/* The stream progress output should go to: stderr if it is a terminal, else stdout if
 * that is a terminal, else NULL (no progress at all). */
FILE *app_progress_stream(void);

/* "1:05" / "1:02:03" for a duration in seconds (negative or huge -> "--:--"). */
void app_fmt_duration(double s, char *buf, size_t len);

#endif
