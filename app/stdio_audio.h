/* stdio_audio.h — audio on standard input and output, for pipelines
 * (`ffmpeg ... -f wav - | statewave denoise - -o - | ...`).
 *   input  "-": WAV (or any format libsndfile reads from a pipe: WAV, AIFF, AU, ...), or raw
 *          samples described by --raw-format;
 *   output "-": into a pipe, WAV with the streaming header (RIFF and data sizes 0xFFFFFFFF: the
 *          length is not known when the header goes out, and a pipe cannot be rewound; libsndfile
 *          cannot write WAV to a pipe, so the header is written here); redirected into a file, a
 *          complete WAV; raw samples with --raw-format. Samples are clipped as file outputs are.
 * Raw format: ENC:RATE:CHANNELS, ENC one of s16le s24le s32le f32le f64le (little-endian),
 * e.g. s16le:16000:1 or f32le:48000:2. */
#ifndef SW_APP_STDIO_AUDIO_H
#define SW_APP_STDIO_AUDIO_H

#include <stddef.h>
#include <sndfile.h>

#include "audioin.h"

typedef struct {
    int subtype;   /* SF_FORMAT_PCM_16, _PCM_24, _PCM_32, _FLOAT or _DOUBLE */
    int rate;
    int channels;
} app_raw_format;

/* Parse "ENC:RATE:CHANNELS". 0, or -1 with a message in err. */
int app_raw_parse(const char *spec, app_raw_format *rf, char *err, size_t errlen);

/* Open standard input as an audio reader (audioin.h: read to the real end, capped at
 * max_seconds): raw when rf is non-NULL, else whatever libsndfile recognises on a pipe.
 * 0, or -1 with a->err set. */
int app_stdin_audio_open(app_audio_in *a, const app_raw_format *rf, double max_seconds);

/* Open standard output for `channels` x `rate` audio of sample format `subtype` (one of those
 * above): a WAV stream when wav != 0 (header written first), raw little-endian samples else.
 * NULL with a message in err on failure (standard output a terminal, write error). */
SNDFILE *app_stdout_open(int rate, int channels, int subtype, int wav, char *err, size_t errlen);

/* The subtype a stream output gets for an input of libsndfile format `format`: the input's
 * sample format when a WAV stream can carry it (PCM 16/24/32, float, double), else float. */
int app_stream_subtype(int format);

#endif
