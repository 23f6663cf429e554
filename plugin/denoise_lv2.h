/* denoise_lv2.h — descriptors of the denoiser plugins (index 0 mono, 1 stereo). */
#ifndef SW_DENOISE_LV2_H
#define SW_DENOISE_LV2_H

#include <stdint.h>

#include <lv2/core/lv2.h>

/* The index-th denoiser descriptor, or NULL past the last one. [Discovery class] */
const LV2_Descriptor *sw_denoise_lv2_descriptor(uint32_t index);

#endif
