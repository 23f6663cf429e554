/* generate_rt.c — the PortAudio callback of `statewave generate --live`. Everything here
 * runs on the audio thread: plain loads/stores, relaxed atomics, memcpy/memset, the [RT]
 * generator calls and src_process on a converter made before the stream started (it
 * works in the converter's own buffers); no allocation, locks, printing or I/O. See
 * generate_rt.h for the contract. */
#include "generate_rt.h"
#include "rt_util.h"

#include <math.h>
#include <string.h>

_Static_assert(sizeof(double) == sizeof(unsigned long long), "sumsq_bits holds a double");
_Static_assert(sizeof(float) == sizeof(uint32_t), "peak_bits holds a float");

void sw_gen_rt_init(sw_gen_rt *rt, sw_generator *gen, SRC_STATE *src, double device_rate,
                    int out_channels)
{
    memset(rt, 0, sizeof *rt);
    rt->gen = gen;
    rt->src = src;
    rt->ratio = device_rate / sw_generator_sample_rate(gen);
    rt->out_channels = out_channels;
    atomic_init(&rt->frames, 0);
    atomic_init(&rt->rendered, 0);
    atomic_init(&rt->callbacks, 0);
    atomic_init(&rt->xrun_callbacks, 0);
    atomic_init(&rt->out_underflow, 0);
    atomic_init(&rt->out_overflow, 0);
    atomic_init(&rt->src_errors, 0);
    atomic_init(&rt->sumsq_bits, 0);
    atomic_init(&rt->peak_bits, 0);
    atomic_init(&rt->busy_ns, 0);
    atomic_init(&rt->max_ns, 0);
    atomic_init(&rt->finished, 0);
}

void sw_gen_rt_warm_up(sw_generator *gen)
{
    float scratch[1600];
    size_t n = (size_t)sw_generator_sample_rate(gen) / 10;
    for (size_t pos = 0; pos < n; pos += 1600)
        sw_generator_render(gen, scratch, n - pos < 1600 ? n - pos : 1600);
    sw_generator_reset(gen);
}

int sw_gen_rt_lock_free(const sw_gen_rt *rt)
{
    return atomic_is_lock_free(&rt->frames) && atomic_is_lock_free(&rt->peak_bits) &&
           atomic_is_lock_free(&rt->finished);
}

double sw_gen_rt_rms(sw_gen_rt *rt)
{
    unsigned long long n = atomic_load_explicit(&rt->frames, memory_order_relaxed);
    unsigned long long b = atomic_load_explicit(&rt->sumsq_bits, memory_order_relaxed);
    double s;
    memcpy(&s, &b, sizeof s);
    return n ? sqrt(s / (double)n) : 0.0;
}

double sw_gen_rt_peak(sw_gen_rt *rt)
{
    uint32_t b = atomic_load_explicit(&rt->peak_bits, memory_order_relaxed);
    float p;
    memcpy(&p, &b, sizeof p);
    return p;
}

/* Refill rt->buf when it is used up: render about as many model-rate samples as the
 * `missing` device-rate frames need (at least 1, at most the buffer). */
static void refill(sw_gen_rt *rt, unsigned long missing)
{
    if (rt->buf_pos < rt->buf_len)
        return;
    double want = ceil((double)missing / rt->ratio);
    int n = want < 1.0 ? 1 : want > SW_GEN_RT_CHUNK ? SW_GEN_RT_CHUNK : (int)want;
    sw_generator_render(rt->gen, rt->buf, (size_t)n);
    rt->buf_pos = 0;
    rt->buf_len = n;
    atomic_fetch_add_explicit(&rt->rendered, (unsigned long long)n, memory_order_relaxed);
}

int sw_gen_callback(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                    void *user)
{
    (void)input;
    (void)time_info;
    sw_gen_rt *rt = user;
    const unsigned long long t_start = app_rt_now_ns();
    float *const *out = output; /* [out_channels][frames] (paNonInterleaved) */

    app_rt_bump(&rt->callbacks);
    if (status & (paOutputUnderflow | paOutputOverflow)) {
        app_rt_bump(&rt->xrun_callbacks);
        if (status & paOutputUnderflow)
            app_rt_bump(&rt->out_underflow);
        if (status & paOutputOverflow)
            app_rt_bump(&rt->out_overflow);
    }
    if (!out)
        return paContinue;

    float *o = out[0];
    unsigned long done = 0;
    while (done < frames) {
        refill(rt, frames - done);
        long avail = rt->buf_len - rt->buf_pos;
        if (!rt->src) { /* device at the model rate: the rendered samples are the output */
            unsigned long m = (unsigned long)avail < frames - done ? (unsigned long)avail : frames - done;
            memcpy(o + done, rt->buf + rt->buf_pos, m * sizeof(float));
            rt->buf_pos += (int)m;
            done += m;
            continue;
        }
        SRC_DATA d = {
            .data_in = rt->buf + rt->buf_pos, .input_frames = avail,
            .data_out = o + done, .output_frames = (long)(frames - done),
            .end_of_input = 0, .src_ratio = rt->ratio,
        };
        int e = src_process(rt->src, &d);
        if (e || (d.input_frames_used == 0 && d.output_frames_gen == 0)) {
            /* Cannot happen with a valid ratio and non-empty buffers; never spin here. */
            memset(o + done, 0, (frames - done) * sizeof(float));
            app_rt_bump(&rt->src_errors);
            break;
        }
        rt->buf_pos += (int)d.input_frames_used;
        done += (unsigned long)d.output_frames_gen;
    }

    double s = rt->sumsq;
    float pk = rt->peak;
    for (unsigned long i = 0; i < frames; i++) {
        s += (double)o[i] * o[i];
        float a = fabsf(o[i]);
        if (a > pk)
            pk = a;
    }
    rt->sumsq = s;
    rt->peak = pk;
    unsigned long long sb; /* same size as double (checked below) */
    uint32_t pb;
    memcpy(&sb, &s, sizeof sb);
    memcpy(&pb, &pk, sizeof pb);
    atomic_store_explicit(&rt->sumsq_bits, sb, memory_order_relaxed);
    atomic_store_explicit(&rt->peak_bits, pb, memory_order_relaxed);

    for (int c = 1; c < rt->out_channels; c++)
        memcpy(out[c], o, frames * sizeof(float));
    atomic_fetch_add_explicit(&rt->frames, frames, memory_order_relaxed);
    app_rt_account_time(&rt->busy_ns, &rt->max_ns, t_start);
    return paContinue;
}

void sw_gen_finished(void *user)
{
    sw_gen_rt *rt = user;
    atomic_store_explicit(&rt->finished, 1, memory_order_relaxed);
}
