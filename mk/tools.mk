# mk/tools.mk — developer and evaluation tools (tools/). Every tools/<name>.c is built by `make`
# into build/tools/<name> (linked with the library, -Itests/common):
#   denoise_devset   the C denoiser on the 60 dev clips: SI-SDR(i), engine cost per frame; with -o DIR
#                    it also writes the outputs (make denoise-devset, mk/eval.mk)
#   denoise_longrun  SI-SDR cost of 1-60 s lead-ins before dev clips (make denoise-longrun)
#   gen_probe        the generator for scripts: teacher-forced distributions, NLL, rendering
#                    (tests/py/test_generate_parity.py, tests/app/test_cli.sh, train/sashimi/)
#   compose_probe    the composer for scripts: teacher-forced distributions, cost per event
#                    (tests/py/test_compose.py, train/compose/eval.py)
#   synth_probe      the instrument for scripts: analysis, rendering, transfer on raw float32 files
#                    (tests/py/test_synth_parity.py)
#   lv2_render       a lilv host with a synchronous worker playing a fixed score through the bundle
#                    (tools/compare_outputs.sh)
# The shell tools (compare_outputs.sh, fresh_check.sh, test_stress.sh, make_demo_example.sh) run
# as they are. build/tools/opus2pcm, a training tool, is built by mk/train.mk.

TOOLS_SRC := $(sort $(wildcard tools/*.c))
TOOLS     := $(TOOLS_SRC:%.c=$(BUILD)/%)

ALL_TARGETS += $(TOOLS)

$(BUILD)/tools/%: tools/%.c $(LIB) $(wildcard tests/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)
