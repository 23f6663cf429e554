/* commands.h — the subcommands of `statewave`; each returns an exit status (common.h). */
#ifndef SW_APP_COMMANDS_H
#define SW_APP_COMMANDS_H

#include <stddef.h>

int cmd_denoise(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_transfer(int argc, char **argv);
int cmd_compose(int argc, char **argv);

/* Library versions for --version (devices.c: PortAudio, formats.c: libsndfile). */
const char *app_portaudio_version(void);
void app_sndfile_version(char *buf, size_t len);

#endif
