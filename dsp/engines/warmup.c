/* warmup.c — sw_generator_warm_up, sw_synth_warm_up (see warmup.h). */
#include "warmup.h"

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
