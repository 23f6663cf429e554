# mk/bench.mk — the benchmarks behind README's figures (bench/): `make bench` runs BENCH_CMDS in
# order and stops at the first failure; each prints its figure and how it was measured.
#   build/bench/bench_core       one recurrent step per layer type and size: ns, GFLOP/s, share of FMA peak
#   bench/bench_denoise.sh       10 min of 48 kHz audio through build/statewave next to a sox I/O floor
#   bench/bench_generate.py      the C generator (build/bench/bench_generate) and PyTorch step() side by side
#   build/bench/bench_lv2        the LV2 denoiser in a lilv host: instantiate time, CPU per channel, memory
#   bench/bench_lv2_first.sh     the denoiser's first instantiate+activate in fresh processes (median, worst)
#   build/bench/bench_synth_lv2  the LV2 instrument and transfer effect: instantiate, CPU with 1 and 16
#                                notes (only when the bundle has the instrument: trained models present)
#   bench/bench_batch.py         statewave-batch (the Python package over Dask) on dev-set clips
#   build/bench/bench_synth      the instrument engine: 16 voices at 48 kHz, 256-sample blocks
#   bench/bench_compose.py       the composer's cost per event: C (build/tools/compose_probe) next to
#                                PyTorch step()
# Not run by `make bench`: bench/bench_side_by_side.sh A_ROOT compares another built checkout with this one,
# interleaved (generator, instrument, denoiser).
# A C benchmark bench/<name>.c is built by `make` into build/bench/<name> (linked with the library,
# -Itests/common); add it to BENCH_BINS and BENCH_CMDS. Scripts carry their interpreter in the shebang.

BENCH_BINS := $(BUILD)/bench/bench_core $(BUILD)/bench/bench_generate $(BUILD)/bench/bench_lv2 \
  $(if $(SYNTH_TIMBRES),$(BUILD)/bench/bench_synth_lv2) $(BUILD)/bench/bench_synth
BENCH_CMDS += $(BUILD)/bench/bench_core bench/bench_denoise.sh bench/bench_generate.py \
  $(BUILD)/bench/bench_lv2 bench/bench_lv2_first.sh $(if $(SYNTH_TIMBRES),$(BUILD)/bench/bench_synth_lv2) \
  bench/bench_batch.py $(BUILD)/bench/bench_synth bench/bench_compose.py

ALL_TARGETS += $(BENCH_BINS)

.PHONY: bench

$(BUILD)/bench/%: bench/%.c $(LIB) $(wildcard tests/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/common $(CFLAGS_ALL) $< -o $@ $(LIB) $(LDLIBS_ALL)

bench: all
	@set -e; for c in $(BENCH_CMDS); do echo "== $$c"; $$c; done
