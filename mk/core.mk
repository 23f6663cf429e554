# mk/core.mk — the core of libstatewave (dsp/ model loader, net, layers): extra rules.
# The hot kernels are compiled at -O3 with FMA contraction (see dsp/kernels.c).
$(BUILD)/dsp/kernels.o: CFLAGS_ALL += -O3 -ffp-contract=fast
