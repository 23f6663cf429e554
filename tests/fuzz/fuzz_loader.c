/* fuzz_loader.c — libFuzzer target for the model loader and the network runtime.
 *
 * Any byte string goes through sw_model_load_memory; if it loads, a net is created and run
 * for a few frames (steps and a block, with a NaN in the input), then reset and freed.
 * Built by `make fuzz` (mk/fuzz.mk) with clang -fsanitize=fuzzer,address,undefined.
 *
 * Built with -DSW_FUZZ_SEEDS_MAIN instead, this file is the seed-corpus writer: it writes
 * valid small models (every layer type, alone and together) into the directory argv[1],
 * so the fuzzer starts from files that get past the header checks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statewave.h"
#include "core_util.h"

#ifndef SW_FUZZ_SEEDS_MAIN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sw_model *m = NULL;
    char err[256];
    if (sw_model_load_memory(data, size, &m, err, sizeof err) != SW_OK) {
        if (m) abort();                     /* a failed load must not hand out a model */
        if (!err[0]) abort();               /* ... and must say why */
        return 0;
    }
    sw_net *n = NULL;
    if (sw_net_create(m, &n, err, sizeof err) == SW_OK) {
        const int di = sw_model_d_input(m), dout = sw_model_d_output(m);
        float *x = calloc((size_t)di * 9, sizeof *x), *y = calloc((size_t)dout * 9, sizeof *y);
        for (int i = 0; i < di * 9; i++) x[i] = (float)((i * 37) % 11) - 5.0f;
        x[0] = NAN;
        for (int t = 0; t < 4; t++) sw_net_step(n, x + t * di, y + t * dout);
        sw_net_process(n, x, y, 9);
        for (int i = 0; i < dout * 9; i++)
            if (!isfinite(y[i])) abort();   /* the output is always finite */
        sw_net_reset(n);
        sw_net_step(n, x, y);
        free(x);
        free(y);
        sw_net_destroy(n);
    }
    (void)sw_model_param_count(m);
    (void)sw_model_tensor(m, "golden.input", NULL, NULL);
    sw_model_free(m);
    return 0;
}

#else

static void write_seed(const char *dir, const char *name, tw_file *f, const char *cfg)
{
    char path[512];
    size_t len;
    unsigned char *b = tw_build(f, cfg, &len);
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    FILE *o = fopen(path, "wb");
    if (!o || fwrite(b, 1, len, o) != len) { perror(path); exit(1); }
    fclose(o);
    free(b);
    tw_free(f);
}

#define ONE(name, adder, body)                                                                 \
    do {                                                                                       \
        tw_init(f, 1);                                                                         \
        adder;                                                                                 \
        write_seed(dir, name, f,                                                               \
                   "{\"version\":1,\"d_input\":4,\"d_output\":4,\"task\":\"test\",\"layers\":[" body "]}"); \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s corpus-dir\n", argv[0]); return 2; }
    const char *dir = argv[1];
    tw_file *f = malloc(sizeof *f);
    char cfg[8192];
    tw_init(f, 3);
    tw_model_all(f, 0, cfg, sizeof cfg);
    write_seed(dir, "all", f, cfg);
    tw_init(f, 4);
    tw_model_all(f, 1, cfg, sizeof cfg);
    write_seed(dir, "all_embedding", f, cfg);
    ONE("linear", tw_linear(f, "l", 4, 4, 1), "{\"type\":\"linear\",\"name\":\"l\",\"d_in\":4,\"d_out\":4,\"bias\":true}");
    ONE("conv1d", tw_conv1d(f, "c", 4, 3), "{\"type\":\"conv1d\",\"name\":\"c\",\"d\":4,\"kernel\":3}");
    ONE("norm", tw_norm(f, "n", 4, 1), "{\"type\":\"norm\",\"name\":\"n\",\"kind\":\"layer\",\"d\":4,\"eps\":1e-5}");
    ONE("act", (void)0, "{\"type\":\"act\",\"fn\":\"gelu\",\"d\":4},{\"type\":\"residual\",\"layers\":[{\"type\":\"act\",\"fn\":\"silu\",\"d\":4}]}");
    ONE("s4d", tw_s4d(f, "s", 4, 2), "{\"type\":\"s4d\",\"name\":\"s\",\"d\":4,\"n\":2,\"disc\":\"zoh\"}");
    ONE("lru", tw_lru(f, "s", 4, 2), "{\"type\":\"lru\",\"name\":\"s\",\"d\":4,\"n\":2}");
    ONE("s5", tw_s5(f, "s", 4, 2), "{\"type\":\"s5\",\"name\":\"s\",\"d\":4,\"p\":2,\"disc\":\"bilinear\",\"conj\":true}");
    ONE("mamba", tw_mamba(f, "m", 4, 8, 2, 2, 1),
        "{\"type\":\"mamba\",\"name\":\"m\",\"d\":4,\"d_inner\":8,\"d_state\":2,\"d_conv\":2,\"dt_rank\":1}");
    ONE("pool", tw_pool(f, "p", 4, 2, 1),
        "{\"type\":\"pool\",\"name\":\"p\",\"d\":4,\"factor\":2,\"expand\":1,\"layers\":[{\"type\":\"act\",\"fn\":\"relu\",\"d\":4}]}");
    /* BF16 weight matrices (linear, pool, mamba projections): the second dtype's paths */
    ONE("linear_bf16", (tw_linear(f, "l", 4, 5, 1), tw_linear(f, "o", 5, 4, 0), tw_bf16(f, "l.weight"), tw_bf16(f, "o.weight")),
        "{\"type\":\"linear\",\"name\":\"l\",\"d_in\":4,\"d_out\":5,\"bias\":true},"
        "{\"type\":\"linear\",\"name\":\"o\",\"d_in\":5,\"d_out\":4,\"bias\":false}");
    ONE("pool_mamba_bf16",
        (tw_pool(f, "p", 4, 2, 1), tw_mamba(f, "m", 4, 8, 2, 2, 1), tw_bf16(f, "p.down.weight"), tw_bf16(f, "p.up.weight"),
         tw_bf16(f, "m.in_proj.weight"), tw_bf16(f, "m.x_proj.weight"), tw_bf16(f, "m.dt_proj.weight"),
         tw_bf16(f, "m.out_proj.weight")),
        "{\"type\":\"pool\",\"name\":\"p\",\"d\":4,\"factor\":2,\"expand\":1,\"layers\":[{\"type\":\"act\",\"fn\":\"relu\",\"d\":4}]},"
        "{\"type\":\"mamba\",\"name\":\"m\",\"d\":4,\"d_inner\":8,\"d_state\":2,\"d_conv\":2,\"dt_rank\":1}");
    ONE("glu", tw_linear(f, "l", 4, 8, 0),
        "{\"type\":\"linear\",\"name\":\"l\",\"d_in\":4,\"d_out\":8,\"bias\":false},{\"type\":\"glu\",\"d_in\":8}");
    free(f);
    return 0;
}
#endif
