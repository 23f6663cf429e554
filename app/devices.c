/* devices.c — `statewave devices`, and PortAudio's quiet initialisation (stream.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "stream.h"

#define SUB "devices"

static const char help[] =
    "Usage: statewave devices [-h]\n"
    "\n"
    "List the audio devices PortAudio sees: index (for live --input/--output), host API,\n"
    "input and output channel counts, default sample rate and name. 'in'/'out' in the\n"
    "default column marks the host API's default input/output device; '*' marks\n"
    "PortAudio's overall defaults (what 'statewave live' uses without --host-api).\n"
    "The JACK host API appears only while a JACK server is running.\n"
    "Set STATEWAVE_DEBUG=1 to see the host APIs' own probe messages.\n";

const char *app_portaudio_version(void)
{
    const PaVersionInfo *v = Pa_GetVersionInfo();
    return v && v->versionText ? v->versionText : "PortAudio";
}

int app_pa_init(const char *sub)
{
    int saved = -1;
    fflush(stderr);
    if (!getenv("STATEWAVE_DEBUG")) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            saved = dup(STDERR_FILENO);
            dup2(devnull, STDERR_FILENO);
            close(devnull);
        }
    }
    PaError e = Pa_Initialize();
    if (saved >= 0) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (e != paNoError) {
        app_err(sub, "cannot initialise PortAudio: %s", Pa_GetErrorText(e));
        return -1;
    }
    return 0;
}

int cmd_devices(int argc, char **argv)
{
    const app_opt opts[] = { { "help", 'h', APP_OPT_HELP, .dst = (void *)help } };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 1);
    if (parsed >= 0)
        return parsed;
    if (app_pa_init(SUB) != 0)
        return SW_EXIT_FAIL;
    PaDeviceIndex n = Pa_GetDeviceCount();
    if (n < 0) {
        app_err(SUB, "cannot list devices: %s", Pa_GetErrorText(n));
        Pa_Terminate();
        return SW_EXIT_FAIL;
    }
    PaDeviceIndex gin = Pa_GetDefaultInputDevice(), gout = Pa_GetDefaultOutputDevice();
    printf("%3s  %-26s %3s %4s %7s  %-9s %s\n", "#", "host API", "in", "out", "rate", "default", "name");
    for (PaDeviceIndex i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
        char def[16] = "";
        int hin = h && h->defaultInputDevice == i, hout = h && h->defaultOutputDevice == i;
        snprintf(def, sizeof def, "%s%s%s%s", hin ? "in" : "", hin && hout ? "," : "",
                 hout ? "out" : "", (i == gin || i == gout) ? "*" : "");
        printf("%3d  %-26s %3d %4d %7.0f  %-9s %s\n", i, h ? h->name : "?", d->maxInputChannels,
               d->maxOutputChannels, d->defaultSampleRate, def[0] ? def : "-", d->name);
    }
    if (n == 0)
        printf("(no devices)\n");
    printf("default input: %s, default output: %s\n",
           gin >= 0 ? Pa_GetDeviceInfo(gin)->name : "none",
           gout >= 0 ? Pa_GetDeviceInfo(gout)->name : "none");
    Pa_Terminate();
    return SW_EXIT_OK;
}
