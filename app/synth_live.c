/* synth_live.c — `statewave synth --live`: the main-thread half. Opens a PortAudio output
 * stream, creates the synth at the stream's rate, hands the song player to the callback
 * (synth_rt.c) and watches the run: end of song, signals, a stream that stops or stalls
 * (device lost). The callback and this thread share app_synth_rt through C11 atomics only;
 * the song's events were all parsed before the stream starts and are read-only from then on. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "pa_util.h"
#include "synth_live.h"
#include "synth_rt.h"

#define SUB "synth"

static unsigned long long ld(atomic_ullong *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static double dbfs(double x)
{
    return x > 0 ? 20.0 * log10(x) : -INFINITY;
}

int app_synth_live(const sw_model *model, const app_midi_song *song, const app_synth_live_opts *o,
                   const char *model_used, int *still_in_use)
{
    *still_in_use = 0;
    if (app_pa_init(SUB) != 0)
        return SW_EXIT_FAIL;
    int rc = SW_EXIT_FAIL;
    PaStream *stream = NULL;
    sw_synth *synth = NULL;
    app_synth_rt *rt = NULL;
    const char *end_reason = "error";
    app_sigtrap sig = { .set = 0 };
    char err[512];
    PaError pe;

    app_pa_output po;
    if (app_pa_pick_output(SUB, o->device, o->host_api, o->rate, &po) != 0)
        goto out;
    const double rate = po.rate;
    /* Everything the callback will touch is made here, before the stream exists. */
    sw_status st = sw_synth_create(model, rate, o->voices, &synth, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "cannot create the instrument from '%s' at %.0f Hz: %s: %s", model_used, rate,
                sw_status_str(st), err);
        goto out;
    }
    if (o->ir && (st = sw_synth_set_reverb_ir(synth, o->ir, o->ir_n, o->ir_rate, err, sizeof err)) != SW_OK) {
        app_err(SUB, "reverb impulse response '%s': %s: %s", o->ir_path, sw_status_str(st), err);
        goto out;
    }
    app_synth_warm_up(synth, rate, o->voices);
    app_synth_apply_controls(synth, &o->controls);
    rt = calloc(1, sizeof *rt);
    if (!rt) {
        app_err(SUB, "out of memory");
        goto out;
    }
    app_synth_rt_init(rt, synth, song, rate, o->tail_s, app_synth_quiet_s(o->ir ? (double)o->ir_n / o->ir_rate : 0.0),
                      po.channels);
    if (!app_synth_rt_lock_free(rt)) {
        app_err(SUB, "C11 atomics are not lock-free on this platform; refusing to run real-time");
        goto out;
    }

    if (app_pa_open_output(SUB, &po, o->latency_ms, o->frames, app_synth_callback, app_synth_finished, rt,
                           &stream) != 0)
        goto out;

    app_sigtrap_set(&sig, 1);

    pe = Pa_StartStream(stream);
    if (pe != paNoError) {
        app_err(SUB, "cannot start stream: %s", Pa_GetErrorText(pe));
        goto out_sig;
    }
    double srate, out_lat;
    app_pa_print_output_setup(SUB, stream, &po, o->frames, &srate, &out_lat);
    char pu[3 * PATH_MAX], pt[256]; /* the path and the model's timbre name: shown escaped */
    printf("model: %s (timbre \"%s\"), %d voices\n", app_printable(model_used, pu, sizeof pu),
           app_printable(sw_synth_timbre(synth), pt, sizeof pt), o->voices);
    printf("song: %zu notes, %zu events, last event at %.2f s\n", song->n_notes, song->n,
           song->last_event_s);
    printf("latency: output %.2f ms\n", out_lat * 1e3);
    fflush(stdout);

    int show_status = isatty(STDERR_FILENO) && !o->quiet;
    if (show_status)
        fprintf(stderr, "Ctrl-C stops\n");
    double t0 = app_now(), last_status = 0.0;
    /* After the song ends in the callback, what it wrote still has to come out of the
     * device: wait the output latency plus a margin before stopping. */
    const unsigned long long drain = (unsigned long long)llround((out_lat + 0.05) * srate);
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
        unsigned long long done_at = ld(&rt->done_at), fr = ld(&rt->frames);
        if (done_at && fr >= done_at + drain) {
            end_reason = "song";
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
            fprintf(stderr, "\r\033[K[%7.1f / %.1f s] events %llu/%zu  voices %2d  xruns %llu  rms %.1f dBFS  cpu %3.0f%%",
                    fr / srate, song->last_event_s, ld(&rt->events_done), song->n,
                    atomic_load_explicit(&rt->voices, memory_order_relaxed), ld(&rt->xrun_callbacks),
                    dbfs(app_synth_rt_rms(rt)), 100.0 * Pa_GetStreamCpuLoad(stream));
            fflush(stderr);
        }
    }
    double ran = app_now() - t0;
    if (show_status)
        fputs("\r\033[K", stderr);
    if (rc == SW_EXIT_OK && app_pa_stop_stream(SUB, stream) != 0)
        rc = SW_EXIT_FAIL;
    unsigned long long ncb = ld(&rt->callbacks), nfr = ld(&rt->frames);
    double dsp = nfr ? (ld(&rt->busy_ns) * 1e-9) / (nfr / srate) : 0.0;
    printf("summary: frames=%llu callbacks=%llu xruns=%llu events=%llu/%zu rms_dbfs=%.1f peak=%.3f "
           "cb_mean_ms=%.3f cb_max_ms=%.3f dsp_load=%.3f seconds=%.2f rate=%.0f end=%s\n",
           nfr, ncb, ld(&rt->xrun_callbacks), ld(&rt->events_done), song->n, dbfs(app_synth_rt_rms(rt)),
           app_synth_rt_peak(rt), ncb ? ld(&rt->busy_ns) * 1e-6 / ncb : 0.0, ld(&rt->max_ns) * 1e-6, dsp,
           ran, srate, end_reason);
    fflush(stdout);
    if (!strcmp(end_reason, "device-lost")) {
        /* As in generate --live: closing against a dead JACK server can block forever, and a
         * host thread may still hold the callback's pointer; the process is about to exit. */
        *still_in_use = 1;
        return rc;
    }
    app_pa_arm_shutdown_watchdog(SUB, rc, 5);
out_sig:
    app_sigtrap_restore(&sig);
out:
    if (stream)
        Pa_CloseStream(stream);
    Pa_Terminate();
    alarm(0);
    free(rt);
    sw_synth_destroy(synth);
    return rc;
}
