/* pa_util.h — PortAudio helpers shared by `live` and `devices` (main thread only). */
#ifndef SW_APP_PA_UTIL_H
#define SW_APP_PA_UTIL_H

#include <portaudio.h>

/* Pa_Initialize with stderr muted (ALSA/JACK probe noise such as "cannot find card"),
 * unless $STATEWAVE_DEBUG is set. Prints an error and returns -1 on failure. */
int app_pa_init(const char *sub);

/* Host API index whose name contains `name` (case-insensitive; "jack" matches
 * "JACK Audio Connection Kit"), or -1 after printing the available ones. */
PaHostApiIndex app_pa_find_host_api(const char *sub, const char *name);

/* Device for `spec` within host API `api` (or any API if api < 0): a device index as
 * listed by `statewave devices`, or a case-insensitive substring of its name. The device
 * must have at least `min_in` input and `min_out` output channels. -1 (message printed)
 * if none. */
PaDeviceIndex app_pa_find_device(const char *sub, const char *spec, PaHostApiIndex api,
                                 int min_in, int min_out);

/* Shutdown watchdog: a host API talking to a dead server (JACK killed, USB device pulled)
 * can block forever in stop/close/terminate. Arms alarm(seconds); if it fires, prints
 * "statewave <sub>: warning: audio shutdown hung; exiting without it" and _exit(rc).
 * Call when everything worth keeping (the summary) is printed; alarm(0) disarms it.
 * `sub` must be a string literal (kept by pointer). */
void app_pa_arm_shutdown_watchdog(const char *sub, int rc, unsigned seconds);

#endif
