/* warmup.h — the engines' first-render warm-up (public part: dsp/statewave.h, block
 * "resampling, warm-up"). Each renders a short stretch through the public engine calls and
 * resets the engine, so page faults and cold caches are paid before real time starts while
 * the output afterwards is what a fresh engine renders. No state of its own. */
#ifndef SW_WARMUP_H
#define SW_WARMUP_H

#include "statewave.h"

#endif
