/* generate_lv2.h — descriptor of the generator instrument (one plugin, index 0). */
#ifndef SW_GENERATE_LV2_H
#define SW_GENERATE_LV2_H

#include <stdint.h>

#include <lv2/core/lv2.h>

/* The index-th generator descriptor, or NULL past the last one. [Discovery class] */
const LV2_Descriptor *sw_generate_lv2_descriptor(uint32_t index);

#endif
