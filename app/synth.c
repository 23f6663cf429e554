/* synth.c — `statewave synth`: the planned neural instrument (MIDI -> audio). No synth
 * model ships yet, so it only describes its planned interface (--help) and otherwise
 * fails with status 1. It never produces output. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "common.h"

static const char help[] =
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
    "  -h, --help              this help\n"
    "\n"
    "(For the audio generator that does ship, see 'statewave generate --help'.)\n";

int cmd_synth(int argc, char **argv)
{
    /* Any --help prints the planned interface (exit 0); everything else fails with the
     * same clear message, whatever the arguments, so no script mistakes it for output. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(help, stdout);
            return SW_EXIT_OK;
        }
    }
    app_err("synth", "not available in this build: no generator model shipped yet for the "
                     "synthesizer (see 'statewave synth --help')");
    return SW_EXIT_FAIL;
}
