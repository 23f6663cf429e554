/* warmup.c — sw_generator_warm_up, sw_synth_warm_up, sw_transfer_warm_up, sw_composer_warm_up
 * (see warmup.h). */
#include "warmup.h"

#include <math.h>

void sw_generator_warm_up(sw_generator *g)
{
    float scratch[1600];
    size_t n = (size_t)sw_generator_sample_rate(g) / 10;
    for (size_t pos = 0; pos < n; pos += 1600)
        sw_generator_render(g, scratch, n - pos < 1600 ? n - pos : 1600);
    sw_generator_reset(g);
}

void sw_synth_warm_up(sw_synth *s, double rate, int voices)
{
    float scratch[512];
    for (int v = 0; v < voices; v++)
        sw_synth_note_on(s, 48 + v % 36, 100);
    size_t n = (size_t)(0.1 * rate);
    for (size_t pos = 0; pos < n; pos += 512)
        sw_synth_process(s, scratch, n - pos < 512 ? n - pos : 512);
    sw_synth_reset(s);
}

void sw_transfer_warm_up(sw_transfer *t)
{
    float x[256];
    for (int i = 0; i < 256; i++)
        x[i] = 0.1f * sinf(0.05f * (float)i);
    sw_transfer_process(t, x, x, 256);
    sw_transfer_reset(t);
}

void sw_composer_warm_up(sw_composer *c)
{
    for (int i = 0; i < 8; i++)
        sw_composer_next(c);
    sw_composer_reset(c);
}
