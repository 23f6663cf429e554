/* generate.c — `statewave generate` and `statewave synth`: the planned music
 * generators. No generator model ships yet, so both only describe their planned
 * interface (--help) and otherwise fail with status 1. They never produce output. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common.h"

static const char generate_help[] =
    "Usage: statewave generate [OPTIONS] -o OUT\n"
    "\n"
    "NOT AVAILABLE IN THIS BUILD: no generator model is shipped yet. This command\n"
    "is reserved; it always exits with status 1. Planned interface:\n"
    "\n"
    "Generate music autoregressively with an SSM language model over MIDI-like\n"
    "events, rendered to audio (or written as a MIDI file).\n"
    "\n"
    "  -o, --output FILE       output file (.wav/.flac/... audio, or .mid for events)\n"
    "  -m, --model FILE        generator model (task \"generate\")\n"
    "  -s, --seconds S         length to generate (default 30)\n"
    "      --prompt FILE       continue this MIDI file instead of starting from silence\n"
    "      --temperature T     sampling temperature (default 1.0)\n"
    "      --top-p P           nucleus sampling threshold (default 0.95)\n"
    "      --seed N            random seed (default: from the clock)\n"
    "      --rate R            audio sample rate (default 48000)\n"
    "  -q, --quiet             no progress output\n"
    "  -h, --help              this help\n";

static const char synth_help[] =
    "Usage: statewave synth [OPTIONS] MIDI -o OUT\n"
    "\n"
    "NOT AVAILABLE IN THIS BUILD: no synthesizer model is shipped yet. This command\n"
    "is reserved; it always exits with status 1. Planned interface:\n"
    "\n"
    "Render a MIDI file to audio with a neural (SSM) instrument model, or play it\n"
    "live from a MIDI input.\n"
    "\n"
    "  -o, --output FILE       output audio file (format from the extension)\n"
    "  -m, --model FILE        instrument model (task \"synth\")\n"
    "      --instrument NAME   instrument preset inside the model\n"
    "      --rate R            sample rate (default 48000)\n"
    "      --live              play from a MIDI input through PortAudio instead\n"
    "  -q, --quiet             no progress output\n"
    "  -h, --help              this help\n";

/* Any --help anywhere prints the planned interface (exit 0); everything else fails with
 * the same clear message, whatever the arguments, so scripts cannot mistake it for output. */
static int stub(const char *name, const char *help, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(help, stdout);
            return SW_EXIT_OK;
        }
    }
    app_err(name, "not available in this build: no generator model shipped yet "
                  "(see '%s %s --help' for the planned interface)", sw_app_name, name);
    return SW_EXIT_FAIL;
}

int cmd_generate(int argc, char **argv) { return stub("generate", generate_help, argc, argv); }
int cmd_synth(int argc, char **argv) { return stub("synth", synth_help, argc, argv); }
