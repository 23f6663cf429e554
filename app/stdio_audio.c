/* stdio_audio.c — audio on standard input and output (stdio_audio.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "stdio_audio.h"

static const struct { const char *name; int subtype, bytes; } encs[] = {
    { "s16le", SF_FORMAT_PCM_16, 2 }, { "s24le", SF_FORMAT_PCM_24, 3 }, { "s32le", SF_FORMAT_PCM_32, 4 },
    { "f32le", SF_FORMAT_FLOAT, 4 },  { "f64le", SF_FORMAT_DOUBLE, 8 },
};

static int bytes_of(int subtype)
{
    for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++)
        if (encs[i].subtype == subtype)
            return encs[i].bytes;
    return 0;
}

int app_raw_parse(const char *spec, app_raw_format *rf, char *err, size_t errlen)
{
    char enc[16];
    long rate, ch;
    char extra;
    if (!spec || sscanf(spec, "%15[^:]:%ld:%ld%c", enc, &rate, &ch, &extra) != 3) {
        snprintf(err, errlen, "--raw-format wants ENC:RATE:CHANNELS (e.g. s16le:16000:1), got '%s'",
                 spec ? spec : "");
        return -1;
    }
    rf->subtype = 0;
    for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++)
        if (!strcmp(enc, encs[i].name))
            rf->subtype = encs[i].subtype;
    if (!rf->subtype) {
        snprintf(err, errlen, "--raw-format: unknown encoding '%s' (s16le, s24le, s32le, f32le, f64le)", enc);
        return -1;
    }
    if (rate < 1000 || rate > 768000 || ch < 1 || ch > 256) {
        snprintf(err, errlen, "--raw-format: rate %ld or channels %ld out of range (1000..768000 Hz, 1..256)",
                 rate, ch);
        return -1;
    }
    rf->rate = (int)rate;
    rf->channels = (int)ch;
    return 0;
}

int app_stdin_audio_open(app_audio_in *a, const app_raw_format *rf, double max_seconds)
{
    if (!rf) {
        if (isatty(STDIN_FILENO)) {
            memset(a, 0, sizeof *a);
            snprintf(a->err, sizeof a->err, "standard input is a terminal, not audio");
            return -1;
        }
        /* libsndfile reads "-" as standard input */
        if (app_audio_open(a, "-", max_seconds, APP_AUDIO_STREAMED) != 0) {
            static const char hint[] = " (raw samples need --raw-format)";
            size_t n = strlen(a->err);
            if (n + sizeof hint <= sizeof a->err)
                memcpy(a->err + n, hint, sizeof hint);
            return -1;
        }
        return 0;
    }
    memset(a, 0, sizeof *a);
    a->info.format = SF_FORMAT_RAW | rf->subtype | SF_ENDIAN_LITTLE;
    a->info.samplerate = rf->rate;
    a->info.channels = rf->channels;
    a->sf = sf_open_fd(STDIN_FILENO, SFM_READ, &a->info, 0);
    if (!a->sf) {
        snprintf(a->err, sizeof a->err, "cannot read standard input: %s", sf_strerror(NULL));
        return -1;
    }
    a->info.frames = SF_COUNT_MAX; /* a stream: only the data tells the length */
    a->max_seconds = max_seconds;
    a->max_frames = (sf_count_t)(max_seconds * rf->rate + 0.5);
    return 0;
}

static void put16(unsigned char *p, unsigned v) { p[0] = v & 255; p[1] = (v >> 8) & 255; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* libsndfile on standard output in format oi->format, clipping like file outputs (outfile.c). */
static SNDFILE *open_stdout(SF_INFO *oi, char *err, size_t errlen)
{
    SNDFILE *sf = sf_open_fd(STDOUT_FILENO, SFM_WRITE, oi, 0);
    if (!sf)
        snprintf(err, errlen, "cannot write audio to standard output: %s", sf_strerror(NULL));
    else
        sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return sf;
}

SNDFILE *app_stdout_open(int rate, int channels, int subtype, int wav, char *err, size_t errlen)
{
    int bytes = bytes_of(subtype);
    if (!bytes) {
        snprintf(err, errlen, "internal error: no stream encoding for subtype 0x%x", subtype);
        return NULL;
    }
    if (isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "standard output is a terminal: redirect it (-o - > out.wav, or | ...)");
        return NULL;
    }
    SF_INFO oi;
    memset(&oi, 0, sizeof oi);
    oi.samplerate = rate;
    oi.channels = channels;
    struct stat st;
    if (wav && fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
        lseek(STDOUT_FILENO, 0, SEEK_CUR) == 0) {
        /* redirected into a file: a complete WAV, its sizes filled in at the end */
        oi.format = SF_FORMAT_WAV | subtype;
        return open_stdout(&oi, err, errlen);
    }
    if (wav) {
        /* a pipe: 44-byte canonical header: PCM (1) or IEEE float (3); sizes unknown (0xFFFFFFFF). */
        unsigned char h[44];
        int is_float = subtype == SF_FORMAT_FLOAT || subtype == SF_FORMAT_DOUBLE;
        memcpy(h, "RIFF", 4);
        put32(h + 4, 0xFFFFFFFFu);
        memcpy(h + 8, "WAVEfmt ", 8);
        put32(h + 16, 16);
        put16(h + 20, is_float ? 3 : 1);
        put16(h + 22, (unsigned)channels);
        put32(h + 24, (uint32_t)rate);
        put32(h + 28, (uint32_t)rate * (uint32_t)channels * (uint32_t)bytes);
        put16(h + 32, (unsigned)(channels * bytes));
        put16(h + 34, (unsigned)(8 * bytes));
        memcpy(h + 36, "data", 4);
        put32(h + 40, 0xFFFFFFFFu);
        if (app_write_all(STDOUT_FILENO, h, sizeof h) != 0) {
            snprintf(err, errlen, "cannot write to standard output: %s", strerror(errno));
            return NULL;
        }
    }
    oi.format = SF_FORMAT_RAW | subtype | SF_ENDIAN_LITTLE;
    return open_stdout(&oi, err, errlen);
}

int app_stream_subtype(int format)
{
    int st = format & SF_FORMAT_SUBMASK;
    switch (st) {
    case SF_FORMAT_PCM_16: case SF_FORMAT_PCM_24: case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT:
    case SF_FORMAT_DOUBLE:
        return st;
    default:
        return SF_FORMAT_FLOAT;
    }
}
