/* opus2pcm.c — decode Ogg Opus files to raw PCM for the training scripts.
 *
 *     opus2pcm FILE...      (or: opus2pcm - < list, one path per line)
 *
 * For each file, in order, writes to stdout a little-endian uint32 sample count n followed by
 * n int16 samples: mono (channels averaged), 48 kHz (Opus always decodes at 48 kHz). A file
 * that cannot be decoded writes n = 0xFFFFFFFF and a message on stderr, and the exit status
 * becomes 1, so the caller can tell which file failed.
 *
 * Why a tool of its own: the training machine has no audio decoder, and the training audio
 * travels there as the original Opus files (the smallest form of it). Built statically
 * (make build/tools/opus2pcm) against libopusfile, it runs on any x86-64 Linux. */
#include <opusfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECONDS 3600                /* refuse files that decode to more than an hour */
#define MAX_SAMPLES (48000 * MAX_SECONDS)

static int put_u32(uint32_t v)
{
    unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
    return fwrite(b, 1, 4, stdout) == 4 ? 0 : -1;
}

/* Decodes one file into *pcm (grown as needed). Returns the sample count, or -1. */
static long decode(const char *path, int16_t **pcm, size_t *cap)
{
    int err = 0;
    OggOpusFile *f = op_open_file(path, &err);
    if (!f) {
        fprintf(stderr, "opus2pcm: %s: not an Ogg Opus file (error %d)\n", path, err);
        return -1;
    }
    long n = 0;
    float buf[5760 * 2];
    for (;;) {
        int got = op_read_float_stereo(f, buf, 5760 * 2); /* channels mixed down to stereo */
        if (got < 0) {
            fprintf(stderr, "opus2pcm: %s: decode error %d\n", path, got);
            op_free(f);
            return -1;
        }
        if (got == 0)
            break;
        if (n + got > MAX_SAMPLES) {
            fprintf(stderr, "opus2pcm: %s: longer than %d s\n", path, MAX_SECONDS);
            op_free(f);
            return -1;
        }
        if ((size_t)(n + got) > *cap) {
            size_t nc = (*cap ? *cap * 2 : 48000 * 8);
            while (nc < (size_t)(n + got))
                nc *= 2;
            int16_t *p = realloc(*pcm, nc * sizeof **pcm);
            if (!p) {
                fprintf(stderr, "opus2pcm: %s: out of memory\n", path);
                op_free(f);
                return -1;
            }
            *pcm = p;
            *cap = nc;
        }
        for (int i = 0; i < got; i++) {
            float v = 0.5f * (buf[2 * i] + buf[2 * i + 1]) * 32768.0f;
            v = v > 32767.0f ? 32767.0f : (v < -32768.0f ? -32768.0f : v);
            (*pcm)[n + i] = (int16_t)(v < 0 ? v - 0.5f : v + 0.5f);
        }
        n += got;
    }
    op_free(f);
    return n;
}

static int emit(const char *path, int16_t **pcm, size_t *cap)
{
    long n = decode(path, pcm, cap);
    if (n < 0)
        return put_u32(0xFFFFFFFFu) ? -2 : -1;
    if (put_u32((uint32_t)n))
        return -2;
    for (long i = 0; i < n; i++) { /* little-endian regardless of the host */
        unsigned char b[2] = {(unsigned)(*pcm)[i] & 0xff, ((unsigned)(*pcm)[i] >> 8) & 0xff};
        if (fwrite(b, 1, 2, stdout) != 2)
            return -2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: opus2pcm FILE...   |   opus2pcm - < list-of-paths\n");
        return 2;
    }
    int16_t *pcm = NULL;
    size_t cap = 0;
    int status = 0;
    if (argc == 2 && strcmp(argv[1], "-") == 0) {
        char line[4096];
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = 0;
            if (!line[0])
                continue;
            int r = emit(line, &pcm, &cap);
            if (r == -2)
                goto write_error;
            if (r)
                status = 1;
        }
    } else {
        for (int i = 1; i < argc; i++) {
            int r = emit(argv[i], &pcm, &cap);
            if (r == -2)
                goto write_error;
            if (r)
                status = 1;
        }
    }
    free(pcm);
    if (fflush(stdout)) {
        fprintf(stderr, "opus2pcm: write error\n");
        return 1;
    }
    return status;
write_error:
    free(pcm);
    fprintf(stderr, "opus2pcm: write error\n");
    return 1;
}
