/* continue_lv2.h — descriptor of Statewave Continue, the MIDI continuation plugin (one plugin,
 * index 0). */
#ifndef SW_CONTINUE_LV2_H
#define SW_CONTINUE_LV2_H

#include <stdint.h>

#include <lv2/core/lv2.h>

/* The index-th Continue descriptor, or NULL past the last one. [Discovery class] */
const LV2_Descriptor *sw_continue_lv2_descriptor(uint32_t index);

#endif
