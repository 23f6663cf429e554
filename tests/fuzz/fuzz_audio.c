/* fuzz_audio.c — libFuzzer target for the audio input path of every command (app/audioin.c
 * over libsndfile): the bytes are a file as libsndfile would see it on disk (WAV, FLAC, Ogg,
 * AIFF, CAF, ... chosen by its header).
 *
 * Each input is read twice, as the commands read: streamed in blocks (denoise, transfer), and
 * whole, mixed to mono (generate --prompt, --reverb-ir). Both must end at the same frame count,
 * never past the cap, and a refusal must say why. The cap is the reader's own code with a
 * smaller number (FUZZ_MAX_FRAMES), so a header claiming hours ends an iteration quickly.
 * libsndfile itself is the system's library, not instrumented: ASan still sees its heap use
 * through the allocator and the intercepted libc calls, but coverage feedback comes from the
 * reader only, so the corpus (one small file per format) matters more than for other targets.
 * Built by `make fuzz` (mk/fuzz.mk); corpus in tests/fuzz/corpus/audio. */
#include <stdint.h>
#include <stdlib.h>

#include "audioin.h"

#define FUZZ_MAX_FRAMES 200000
#define BLOCK 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float buf[BLOCK * APP_MAX_INPUT_CHANNELS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    app_audio_in a;
    if (app_audio_open_memory(&a, data, size, APP_MAX_INPUT_SECONDS, APP_AUDIO_READ_WHOLE) != 0) {
        if (!a.err[0] || a.sf)
            abort();
        return 0;
    }
    if (a.info.channels < 1 || a.info.channels > APP_MAX_INPUT_CHANNELS || a.info.samplerate < 1)
        abort();
    if (a.max_frames > FUZZ_MAX_FRAMES)
        a.max_frames = FUZZ_MAX_FRAMES;
    /* streamed, as denoise and transfer read */
    sf_count_t total = 0, got;
    int stream_err = 0;
    while ((got = app_audio_read(&a, buf, BLOCK)) > 0) {
        if (got > BLOCK)
            abort();
        total += got;
    }
    if (got < 0) {
        if (!a.err[0])
            abort();
        stream_err = 1;
    }
    if (total > a.max_frames || total != a.nread)
        abort();
    const sf_count_t cap = a.max_frames;
    app_audio_close(&a);

    /* whole, mixed to mono, as --prompt and --reverb-ir read: the same bytes, the same frames */
    if (app_audio_open_memory(&a, data, size, APP_MAX_INPUT_SECONDS, APP_AUDIO_READ_WHOLE) != 0)
        abort(); /* it opened a moment ago */
    a.max_frames = cap;
    float *x = NULL;
    size_t n = 0;
    if (app_audio_read_mono(&a, 0, &x, &n) == 0) {
        if (stream_err || !x || n == 0 || (sf_count_t)n != total)
            abort();
    } else if (x || !a.err[0] || (!stream_err && total > 0)) {
        abort();
    }
    free(x);
    app_audio_close(&a);
    return 0;
}
