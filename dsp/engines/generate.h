/* generate.h — internals of the autoregressive generator (dsp/engines/generate.c), exposed for tests.
 *
 * The public API is the "generator" section of statewave.h. Here: the sampler that turns
 * up to 512 logits into one class (temperature, top-p nucleus, seeded RNG), usable on its own. */
#ifndef SW_GENERATE_H
#define SW_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#define SW_GEN_CLASSES 256
#define SW_SAMPLER_MAX_CLASSES 512      /* the sampler's bound: the composer has 389 tokens */

/* xorshift64* generator; state never 0. */
typedef struct { uint64_t s; } sw_rng;
void sw_rng_seed(sw_rng *r, uint64_t seed);   /* splitmix64 of the seed -> nonzero state */
uint64_t sw_rng_next(sw_rng *r);
float sw_rng_uniform(sw_rng *r);              /* [0, 1), 24 random bits */

/* Scratch the sampler needs, preallocated by the owner (no allocation while sampling). */
typedef struct {
    float w[SW_SAMPLER_MAX_CLASSES];        /* [classes] unnormalized probabilities exp((l - max)/T) */
    uint16_t idx[SW_SAMPLER_MAX_CLASSES];   /* [classes] class order for the nucleus selection */
} sw_sampler_scratch;

/* Draw one class from softmax(logits / temperature) restricted to the top-p nucleus:
 * the smallest set of most likely classes whose probability reaches top_p (ties broken
 * deterministically). temperature < 1e-3 -> argmax (lowest index on ties).
 * Non-finite logits count as -inf; if all are, class `fallback` is returned.
 * Bounded time (quickselect over at most n classes), no allocation. [RT] */
int sw_sample_logits(const float *logits, int n, float temperature, float top_p,
                     sw_rng *rng, sw_sampler_scratch *s, int fallback);

#endif
