/* audioin.h — every audio input of the `statewave` commands (denoise and transfer inputs,
 * generate --prompt, --reverb-ir) is read through this one reader, which never trusts the
 * file's header for anything that matters:
 *   - the length: the audio is read to the real end of its data, whatever the header claims;
 *     the header's frame count is only an estimate for progress bars. A header that claims more
 *     frames than the file holds gives exactly the frames that are there.
 *   - the size: an input whose data turns out longer than the command's cap is refused with a
 *     message naming the cap (APP_MAX_*_SECONDS below). For streamed inputs (denoise, transfer:
 *     hours) a header that claims more than the cap is refused at once, rather than after
 *     hours of work; inputs read whole (a prompt, an impulse response: minutes at most) are
 *     read and measured whatever their header claims. The whole-file reader never allocates
 *     from the header's claim, only as data arrives.
 *   - the layout: channels and rate are checked before any buffer is sized from them.
 * Errors are returned as one sentence in the reader (a->err), for the caller to print. */
#ifndef SW_APP_AUDIOIN_H
#define SW_APP_AUDIOIN_H

#include <stddef.h>
#include <sndfile.h>

/* Caps on an input's duration (at its own sample rate). */
#define APP_MAX_INPUT_SECONDS (24.0 * 3600.0) /* streamed inputs: denoise, transfer */
#define APP_MAX_PROMPT_SECONDS 600.0          /* generate --prompt (held in memory) */
#define APP_MAX_IR_SECONDS 60.0               /* --reverb-ir (held in memory; the engine takes 10 s) */
#define APP_MAX_INPUT_CHANNELS 256            /* more is not an audio recording */

typedef struct {
    SNDFILE *sf;            /* open while reading; NULL otherwise */
    SF_INFO info;           /* the header's claims (frames: an estimate only) */
    sf_count_t max_frames;  /* the cap in frames at info.samplerate */
    sf_count_t nread;       /* frames delivered so far */
    double max_seconds;     /* the cap, for messages */
    struct {                /* memory input (app_audio_open_memory) */
        const unsigned char *data;
        sf_count_t len, pos;
    } mem;
    char err[256];          /* why the last call failed */
} app_audio_in;

/* How app_audio_open treats a header claiming more than the cap. */
enum { APP_AUDIO_READ_WHOLE = 0,   /* read and measure (the data decides) */
       APP_AUDIO_STREAMED = 1 };   /* refuse at once */

/* Open `path` for reading with a cap of max_seconds. 0, or -1 with a->err set (missing file,
 * a directory, not audio, bad layout, with APP_AUDIO_STREAMED a header claiming more than the
 * cap). */
int app_audio_open(app_audio_in *a, const char *path, double max_seconds, int mode);
/* The same from bytes in memory (data must outlive the reader): the fuzz target's entry. */
int app_audio_open_memory(app_audio_in *a, const void *data, size_t len, double max_seconds, int mode);
/* Read up to `frames` interleaved frames into buf[frames * channels]. Returns the frames read
 * (> 0), 0 at the real end of the data, -1 on a read error or when the data runs past the cap
 * (a->err says which). */
sf_count_t app_audio_read(app_audio_in *a, float *buf, sf_count_t frames);
/* Read the rest (at most `limit` frames more if limit > 0, else to the end, within the cap),
 * channels mixed to mono, into a buffer that grows as data arrives. On success *x (malloc'ed,
 * caller frees) holds *n >= 1 samples; -1 with a->err set otherwise (no audio at all is an
 * error: "empty"). */
int app_audio_read_mono(app_audio_in *a, sf_count_t limit, float **x, size_t *n);
void app_audio_close(app_audio_in *a);

#endif
