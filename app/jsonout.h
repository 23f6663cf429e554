/* jsonout.h — `--json` summaries: one JSON document per run, written when the run ends. */
#ifndef SW_APP_JSONOUT_H
#define SW_APP_JSONOUT_H

#include <stdio.h>

/* One processed file. Strings are the caller's; error is NULL when the file was done. */
typedef struct {
    const char *input, *output;
    double duration;   /* seconds of audio (-1: unknown, e.g. not read) */
    double seconds;    /* wall time the file took */
    const char *error; /* the error message, NULL if none */
} app_json_file;

/* {"command": cmd, "files": [...], "done": n, "failed": m, "seconds": wall} + newline. */
void app_json_summary(FILE *f, const char *cmd, const app_json_file *files, int n, double wall);

#endif
