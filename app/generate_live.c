/* generate_live.c — `statewave generate --live`: the main-thread half. Makes the
 * resampler and the render-ahead ring (generate_rt.c), fills the ring, starts the rendering
 * thread that keeps it full and the PortAudio stream that plays from it, and watches the
 * run: --seconds, signals, a stream that stops or stalls (device lost). The threads share
 * sw_gen_rt through C11 atomics only. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "generate_live.h"
#include "generate_rt.h"
#include "pa_util.h"

#define SUB "generate"

static unsigned long long ld(atomic_ullong *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static double dbfs(double x)
{
    return x > 0 ? 20.0 * log10(x) : -INFINITY;
}

/* The rendering thread: keeps the ring full, napping for an eighth of the ring between
 * top-ups (62 ms at the 0.5 s ring), so a stall shorter than 7/8 of the ring is inaudible. */
typedef struct {
    sw_gen_rt *rt;
    _Atomic int stop; /* set by the main thread */
    long nap_ns;      /* sleep between top-ups */
} render_thread;

static void *render_main(void *arg)
{
    render_thread *t = arg;
    while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
        sw_gen_rt_fill(t->rt);
        struct timespec nap = { 0, t->nap_ns };
        nanosleep(&nap, NULL);
    }
    return NULL;
}

/* Ask for SCHED_FIFO at the lowest real-time priority, below any audio server's threads,
 * so that ordinary load cannot starve the rendering; where the system does not allow it,
 * the thread runs at normal priority and the ring alone absorbs the delays. Returns the
 * policy's name for the setup line. */
static const char *render_priority(pthread_t th)
{
    struct sched_param sp = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
    if (sp.sched_priority < 1)
        sp.sched_priority = 1;
    return pthread_setschedparam(th, SCHED_FIFO, &sp) == 0 ? "SCHED_FIFO" : "normal priority";
}

int app_generate_live(sw_generator *gen, const app_gen_live_opts *o, const char *model_used,
                      const char *settings, int *still_in_use)
{
    *still_in_use = 0;
    if (app_pa_init(SUB) != 0)
        return SW_EXIT_FAIL;
    int rc = SW_EXIT_FAIL;
    PaStream *stream = NULL;
    SRC_STATE *src = NULL;
    sw_gen_rt *rt = NULL;
    float *ring = NULL;
    render_thread rth = { .rt = NULL };
    pthread_t render_tid;
    int render_started = 0;
    const char *render_prio = "";
    const char *end_reason = "error";
    app_sigtrap sig = { .set = 0 };
    const int model_rate = sw_generator_sample_rate(gen);
    PaError pe;

    app_pa_output po;
    if (app_pa_pick_output(SUB, o->device, o->host_api, o->rate, &po) != 0)
        goto out;
    const double rate = po.rate;
    if (!src_is_valid_ratio(rate / model_rate)) {
        app_err(SUB, "cannot resample %d Hz to %.0f Hz; pass --rate", model_rate, rate);
        goto out;
    }
    if (rate != model_rate) {
        int e = 0;
        src = src_new(SW_GEN_RT_SRC_TYPE, 1, &e);
        if (!src) {
            app_err(SUB, "cannot make the resampler (%d -> %.0f Hz): %s", model_rate, rate, src_strerror(e));
            goto out;
        }
        src_reset(src); /* writes its buffers now, so the callback does not page-fault them in */
    }
    const size_t ring_cap = sw_gen_rt_ring_frames(rate);
    rt = calloc(1, sizeof *rt);
    ring = calloc(ring_cap, sizeof *ring);
    if (!rt || !ring) {
        app_err(SUB, "out of memory");
        goto out;
    }
    sw_gen_rt_init(rt, gen, src, rate, po.channels, ring, ring_cap);
    if (!sw_gen_rt_lock_free(rt)) {
        app_err(SUB, "C11 atomics are not lock-free on this platform; refusing to run real-time");
        goto out;
    }
    sw_gen_rt_fill(rt); /* the stream starts with a full ring */

    if (app_pa_open_output(SUB, &po, o->latency_ms, o->frames, sw_gen_callback, sw_gen_finished, rt,
                           &stream) != 0)
        goto out;

    app_sigtrap_set(&sig, 1);

    rth.rt = rt;
    atomic_init(&rth.stop, 0);
    rth.nap_ns = (long)(1e9 * SW_GEN_RT_AHEAD_S / 8);
    int pe_thr = pthread_create(&render_tid, NULL, render_main, &rth);
    if (pe_thr != 0) {
        app_err(SUB, "cannot start the rendering thread: %s", strerror(pe_thr));
        goto out_sig;
    }
    render_started = 1;
    render_prio = render_priority(render_tid);
    pe = Pa_StartStream(stream);
    if (pe != paNoError) {
        app_err(SUB, "cannot start stream: %s", Pa_GetErrorText(pe));
        goto out_sig;
    }
    double srate, out_lat;
    app_pa_print_output_setup(SUB, stream, &po, o->frames, &srate, &out_lat);
    printf("model: %s (%d Hz", model_used, model_rate);
    if (src)
        printf(", resampled to %.0f Hz by libsamplerate '%s')\n", srate, src_get_name(SW_GEN_RT_SRC_TYPE));
    else
        printf(", played as is)\n");
    printf("settings: %s\n", settings);
    printf("rendering: %.0f ms ahead of the output (%zu frames), thread at %s\n",
           1e3 * (double)ring_cap / rate, ring_cap, render_prio);
    printf("latency: output %.2f ms\n", out_lat * 1e3);
    fflush(stdout);

    int show_status = isatty(STDERR_FILENO) && !o->quiet;
    if (show_status)
        fprintf(stderr, "Ctrl-C stops\n");
    double t0 = app_now(), last_status = 0.0;
    app_pa_watch watch;
    app_pa_watch_start(&watch, t0, out_lat);
    end_reason = "signal";
    rc = SW_EXIT_OK;
    for (;;) {
        struct timespec nap = { 0, 20 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        double now = app_now();
        if (app_stop_requested)
            break;
        if (o->seconds > 0.0 && now - t0 >= o->seconds) {
            end_reason = "seconds";
            break;
        }
        unsigned long long cb = ld(&rt->callbacks);
        if (app_pa_watch_check(SUB, &watch, stream, atomic_load(&rt->finished), cb, now) != 0) {
            end_reason = "device-lost";
            rc = SW_EXIT_FAIL;
            break;
        }
        if (show_status && now - last_status >= 0.25) {
            last_status = now;
            fprintf(stderr, "\r\033[K[%7.1f s] %llu frames  %.1f s generated  xruns %llu  "
                            "rms %.1f dBFS  ahead %3.0f ms  starved %llu",
                    now - t0, ld(&rt->frames), ld(&rt->rendered) / (double)model_rate,
                    ld(&rt->xrun_callbacks), dbfs(sw_gen_rt_rms(rt)),
                    1e3 * (double)sw_gen_rt_buffered(rt) / srate, ld(&rt->starved));
            fflush(stderr);
        }
    }
    double ran = app_now() - t0;
    if (show_status)
        fputs("\r\033[K", stderr);
    if (rc == SW_EXIT_OK && app_pa_stop_stream(SUB, stream) != 0)
        rc = SW_EXIT_FAIL;
    atomic_store(&rth.stop, 1);
    pthread_join(render_tid, NULL);
    render_started = 0;
    /* A lost device is not stopped: the stream already is inactive, and PortAudio's JACK
     * host API can wait forever for a callback that will never come. */
    unsigned long long ncb = ld(&rt->callbacks), nfr = ld(&rt->frames);
    /* DSP load: time inside the callback relative to the audio it produced; render load:
     * the rendering thread's time relative to the audio it rendered. */
    double dsp = nfr ? (ld(&rt->busy_ns) * 1e-9) / (nfr / srate) : 0.0;
    unsigned long long ngen = ld(&rt->rendered);
    double render_load = ngen ? (ld(&rt->render_ns) * 1e-9) / ((double)ngen / model_rate) : 0.0;
    printf("summary: frames=%llu callbacks=%llu xruns=%llu out_underflow=%llu out_overflow=%llu "
           "starved=%llu generated=%llu generated_s=%.2f buffered=%zu rms_dbfs=%.1f peak=%.3f "
           "src_errors=%llu cb_mean_ms=%.3f cb_max_ms=%.3f dsp_load=%.3f render_load=%.3f "
           "seconds=%.2f rate=%.0f end=%s\n",
           nfr, ncb, ld(&rt->xrun_callbacks), ld(&rt->out_underflow), ld(&rt->out_overflow),
           ld(&rt->starved), ngen, ngen / (double)model_rate, sw_gen_rt_buffered(rt),
           dbfs(sw_gen_rt_rms(rt)), sw_gen_rt_peak(rt), ld(&rt->src_errors),
           ncb ? ld(&rt->busy_ns) * 1e-6 / ncb : 0.0, ld(&rt->max_ns) * 1e-6, dsp, render_load, ran,
           srate, end_reason);
    fflush(stdout);
    if (!strcmp(end_reason, "device-lost")) {
        /* Closing a stream or terminating PortAudio against a dead server blocks (JACK host
         * API). The process is about to exit, so skip that cleanup; rt, the converter and
         * the generator stay allocated because a host thread might still hold the
         * callback's pointer. */
        *still_in_use = 1;
        return rc;
    }
    app_pa_arm_shutdown_watchdog(SUB, rc, 5);
out_sig:
    if (render_started) {
        atomic_store(&rth.stop, 1);
        pthread_join(render_tid, NULL);
    }
    app_sigtrap_restore(&sig);
out:
    if (stream)
        Pa_CloseStream(stream);
    Pa_Terminate();
    alarm(0);
    free(rt);
    free(ring);
    if (src)
        src_delete(src);
    return rc;
}
