/* jsonout.c — `--json` summaries (jsonout.h). */
#include <math.h>
#include <stdio.h>

#include "common.h"
#include "jsonout.h"

/* s as a JSON string (quotes, escapes; bytes that are not UTF-8 as \u00XX). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            p++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            p++;
        } else {
            unsigned cp;
            int n = app_utf8_seq(p, &cp);
            if (n) {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            } else { /* not UTF-8: the byte as its Latin-1 code point */
                fprintf(f, "\\u%04x", c);
                p++;
            }
        }
    }
    fputc('"', f);
}

static void num(FILE *f, double v)
{
    if (isfinite(v) && v >= 0)
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

void app_json_summary(FILE *f, const char *cmd, const app_json_file *files, int n, double wall)
{
    int failed = 0;
    fprintf(f, "{\"command\": ");
    json_string(f, cmd);
    fprintf(f, ", \"files\": [");
    for (int i = 0; i < n; i++) {
        const app_json_file *x = &files[i];
        failed += x->error != NULL;
        fprintf(f, "%s\n  {\"input\": ", i ? "," : "");
        json_string(f, x->input);
        fprintf(f, ", \"output\": ");
        if (x->output && !x->error)
            json_string(f, x->output);
        else
            fputs("null", f);
        fprintf(f, ", \"duration\": ");
        num(f, x->duration);
        fprintf(f, ", \"seconds\": ");
        num(f, x->seconds);
        fprintf(f, ", \"error\": ");
        if (x->error)
            json_string(f, x->error);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fprintf(f, "%s], \"done\": %d, \"failed\": %d, \"seconds\": ", n ? "\n" : "", n - failed, failed);
    num(f, wall);
    fprintf(f, "}\n");
    fflush(f);
}
