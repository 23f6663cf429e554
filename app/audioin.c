/* audioin.c — see audioin.h. */
#include "audioin.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MONO_BLOCK 4096 /* frames per read in app_audio_read_mono */

/* "24 h", "10 min", "60 s" for a cap in messages. */
static void fmt_cap(double s, char *buf, size_t len)
{
    if (s >= 3600.0 && fmod(s, 3600.0) == 0.0)
        snprintf(buf, len, "%g h", s / 3600.0);
    else if (s >= 60.0 && fmod(s, 60.0) == 0.0 && s != 60.0)
        snprintf(buf, len, "%g min", s / 60.0);
    else
        snprintf(buf, len, "%g s", s);
}

/* After sf_open*: the layout checks and the cap in frames. 0 or -1 (a->err set, file closed). */
static int finish_open(app_audio_in *a, double max_seconds, int mode)
{
    const SF_INFO *i = &a->info;
    char cap[32];
    fmt_cap(max_seconds, cap, sizeof cap);
    a->max_seconds = max_seconds;
    if (i->channels < 1 || i->channels > APP_MAX_INPUT_CHANNELS) {
        snprintf(a->err, sizeof a->err, "unsupported layout: %d channels (1..%d)", i->channels,
                 APP_MAX_INPUT_CHANNELS);
        goto fail;
    }
    if (i->samplerate < 1) {
        snprintf(a->err, sizeof a->err, "unsupported sample rate %d Hz", i->samplerate);
        goto fail;
    }
    /* rate <= 2^31 and seconds <= a day: the product fits in a double exactly enough and in
     * sf_count_t. */
    a->max_frames = (sf_count_t)ceil(max_seconds * (double)i->samplerate);
    /* SF_COUNT_MAX is libsndfile's "length unknown" (a stream): only the data can tell. */
    if (mode == APP_AUDIO_STREAMED && i->frames > a->max_frames && i->frames != SF_COUNT_MAX) {
        snprintf(a->err, sizeof a->err, "its header claims %.0f s of audio, more than the %s this command reads",
                 (double)i->frames / i->samplerate, cap);
        goto fail;
    }
    return 0;
fail:
    sf_close(a->sf);
    a->sf = NULL;
    return -1;
}

int app_audio_open(app_audio_in *a, const char *path, double max_seconds, int mode)
{
    memset(a, 0, sizeof *a);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(a->err, sizeof a->err, "it is a directory");
        return -1;
    }
    a->sf = sf_open(path, SFM_READ, &a->info);
    if (!a->sf) {
        snprintf(a->err, sizeof a->err, "%s", sf_strerror(NULL));
        return -1;
    }
    return finish_open(a, max_seconds, mode);
}

/* ------------------------------------------------------------ memory input -- */

static sf_count_t vio_len(void *user)
{
    return ((app_audio_in *)user)->mem.len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *user)
{
    app_audio_in *a = user;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? a->mem.pos : a->mem.len;
    sf_count_t p = base + off;
    if (p < 0)
        return -1;
    a->mem.pos = p; /* past the end is allowed, as for a file; reads there give nothing */
    return p;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    app_audio_in *a = user;
    if (count <= 0 || a->mem.pos >= a->mem.len)
        return 0;
    sf_count_t n = a->mem.len - a->mem.pos < count ? a->mem.len - a->mem.pos : count;
    memcpy(ptr, a->mem.data + a->mem.pos, (size_t)n);
    a->mem.pos += n;
    return n;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr;
    (void)count;
    (void)user;
    return 0;
}

static sf_count_t vio_tell(void *user)
{
    return ((app_audio_in *)user)->mem.pos;
}

int app_audio_open_memory(app_audio_in *a, const void *data, size_t len, double max_seconds, int mode)
{
    static SF_VIRTUAL_IO vio = { vio_len, vio_seek, vio_read, vio_write, vio_tell };
    memset(a, 0, sizeof *a);
    a->mem.data = data;
    a->mem.len = (sf_count_t)len;
    a->sf = sf_open_virtual(&vio, SFM_READ, &a->info, a);
    if (!a->sf) {
        snprintf(a->err, sizeof a->err, "%s", sf_strerror(NULL));
        return -1;
    }
    return finish_open(a, max_seconds, mode);
}

/* ------------------------------------------------------------------ reading -- */

sf_count_t app_audio_read(app_audio_in *a, float *buf, sf_count_t frames)
{
    if (!a->sf) {
        snprintf(a->err, sizeof a->err, "not open");
        return -1;
    }
    if (frames <= 0)
        return 0;
    sf_count_t room = a->max_frames - a->nread;
    if (room <= 0) {
        /* At the cap: one more frame means the input is longer than the command reads. */
        float probe[APP_MAX_INPUT_CHANNELS];
        if (sf_readf_float(a->sf, probe, 1) > 0) {
            char cap[32];
            fmt_cap(a->max_seconds, cap, sizeof cap);
            snprintf(a->err, sizeof a->err, "longer than the %s this command reads", cap);
            return -1;
        }
        room = 0;
    } else {
        sf_count_t got = sf_readf_float(a->sf, buf, frames < room ? frames : room);
        if (got > 0) {
            a->nread += got;
            return got;
        }
    }
    if (sf_error(a->sf) != SF_ERR_NO_ERROR) {
        snprintf(a->err, sizeof a->err, "read error after %lld frames: %s", (long long)a->nread,
                 sf_strerror(a->sf));
        return -1;
    }
    return 0; /* the real end of the data */
}

int app_audio_read_mono(app_audio_in *a, sf_count_t limit, float **x, size_t *n)
{
    *x = NULL;
    *n = 0;
    const int C = a->info.channels;
    float *blk = malloc(sizeof(float) * MONO_BLOCK * (size_t)C);
    float *out = NULL;
    size_t len = 0, cap = 0;
    if (!blk)
        goto nomem;
    for (;;) {
        sf_count_t want = MONO_BLOCK;
        if (limit > 0) {
            if ((sf_count_t)len >= limit)
                break;
            if (limit - (sf_count_t)len < want)
                want = limit - (sf_count_t)len;
        }
        sf_count_t got = app_audio_read(a, blk, want);
        if (got < 0)
            goto fail;
        if (got == 0)
            break;
        if (len + (size_t)got > cap) { /* grows with the data, never from the header's claim */
            size_t nc = cap ? 2 * cap : 65536;
            while (nc < len + (size_t)got)
                nc *= 2;
            float *p = realloc(out, sizeof(float) * nc);
            if (!p)
                goto nomem;
            out = p;
            cap = nc;
        }
        for (sf_count_t i = 0; i < got; i++) {
            float s = 0.0f;
            for (int c = 0; c < C; c++)
                s += blk[i * C + c];
            out[len + (size_t)i] = s / (float)C;
        }
        len += (size_t)got;
    }
    free(blk);
    if (len == 0) {
        snprintf(a->err, sizeof a->err, "empty file (no audio frames)");
        free(out);
        return -1;
    }
    *x = out;
    *n = len;
    return 0;
nomem:
    snprintf(a->err, sizeof a->err, "out of memory");
fail:
    free(blk);
    free(out);
    return -1;
}

void app_audio_close(app_audio_in *a)
{
    if (a->sf)
        sf_close(a->sf);
    a->sf = NULL;
}
