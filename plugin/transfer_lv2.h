/* transfer_lv2.h — descriptor of the timbre-transfer effect (the timbre table is in synth_lv2.h). */
#ifndef SW_TRANSFER_LV2_H
#define SW_TRANSFER_LV2_H

#include <stdint.h>

#include <lv2/core/lv2.h>

/* The index-th timbre-transfer descriptor, or NULL past the last one. [Discovery class] */
const LV2_Descriptor *sw_transfer_lv2_descriptor(uint32_t index);

#endif
