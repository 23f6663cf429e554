/* outfile.h — crash- and disk-full-safe audio output: the audio goes to a temp file in the
 * output's folder (mkstemp), which replaces the output by rename() only after every write,
 * sf_close, fsync and close succeeded. On any failure the temp file is removed, so a
 * failed run leaves neither a partial output nor a temp file behind. */
#ifndef SW_APP_OUTFILE_H
#define SW_APP_OUTFILE_H

#include <limits.h>
#include <sndfile.h>

typedef struct {
    SNDFILE *sf;               /* open for writing while active; NULL otherwise */
    int fd;                    /* the temp file's descriptor, -1 when closed */
    int have_tmp;              /* 1 while the temp file exists on disk */
    char tmp[PATH_MAX + 32];   /* temp file path: <dir>/.<name>.tmp-XXXXXX */
    char dir[PATH_MAX];        /* folder of the output */
    const char *out;           /* final path (caller's string) */
} app_outfile;

/* Create the temp file for `out_path` and open it with libsndfile as `info` describes.
 * `sub`/`label` prefix error messages ("statewave <sub>: error: '<label>': ..."). 0 or -1. */
int app_outfile_open(app_outfile *o, const char *sub, const char *label, const char *out_path,
                     SF_INFO *info);
/* Finish: sf_close, fsync, close, rename over the output, sync the folder. 0 or -1 (then
 * the temp file is already removed). */
int app_outfile_commit(app_outfile *o, const char *sub, const char *label);
/* Why a write to `sf` failed: libsndfile's message plus the system's reason from
 * `saved_errno` (errno right after the failed call) when libsndfile's is generic. */
void app_sf_write_reason(SNDFILE *sf, int saved_errno, char *buf, size_t len);

/* Give up: close and remove the temp file (no-op if nothing is open). */
void app_outfile_abort(app_outfile *o);

#endif
