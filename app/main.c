/* main.c — `statewave`: subcommand dispatch, --help and --version. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    { "denoise",  cmd_denoise,  "denoise audio files (any format libsndfile reads)" },
    { "live",     cmd_live,     "denoise a live input (microphone -> speakers) through PortAudio" },
    { "devices",  cmd_devices,  "list audio devices" },
    { "generate", cmd_generate, "generate audio with the SSM music generator (piano, 16 kHz)" },
    { "synth",    cmd_synth,    "play a MIDI file with the polyphonic neural instrument (to a file or --live)" },
    { "compose",  cmd_compose,  "continue a MIDI file (or compose) with the SSM composer, to MIDI or --render audio" },
    { "transfer", cmd_transfer, "timbre transfer: a monophonic recording played in a learned timbre" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s COMMAND [OPTIONS] [ARGS]\n"
            "       %s COMMAND --help\n"
            "       %s --version | --help\n"
            "\n"
            "Real-time neural audio with causal state-space models.\n"
            "\n"
            "Commands:\n",
            sw_app_name, sw_app_name, sw_app_name);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Exit status: 0 success, 1 processing error, 2 usage error.\n"
            "Model lookup: --model FILE, else $STATEWAVE_MODEL (generate: $STATEWAVE_GENERATE_MODEL),\n"
            "else <executable dir>/../presets/{denoise,generate}.safetensors, else the installed copy.\n"
            "synth/transfer: --model FILE, else --timbre NAME ($STATEWAVE_TIMBRE, default violin) as\n"
            "NAME.safetensors in $STATEWAVE_INSTRUMENTS, <executable dir>/../presets/instruments, or\n"
            "the installed instruments folder.\n");
}

static void version(void)
{
    char sf[128];
    app_sndfile_version(sf, sizeof sf);
    printf("%s %s (libstatewave %s; %s; %s; %s)\n", sw_app_name, SW_VERSION_STRING,
           SW_VERSION_STRING, sf, app_portaudio_version(), sw_resample_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SW_EXIT_USAGE;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        usage(stdout);
        return SW_EXIT_OK;
    }
    if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
        version();
        return SW_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(c, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "%s: error: unknown command '%s'\n\n", sw_app_name, c);
    usage(stderr);
    return SW_EXIT_USAGE;
}
