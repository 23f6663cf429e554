/* statewave_lv2.c — the bundle's one exported symbol.
 *
 * statewave.so holds every plugin of the bundle. Each plugin family contributes a
 * descriptor function (sw_<family>_lv2_descriptor); lv2_descriptor() concatenates them,
 * so a family is one more entry in `families`, one more TTL file and one more manifest
 * entry (denoise: 2 effects; generate: 1 instrument; synth: 1 instrument; transfer: 1 effect;
 * continue: 1 MIDI plugin). Discovery class.
 */
#include <stddef.h>
#include <stdint.h>

#include <lv2/core/lv2.h>

#include "lv2_base.h"

typedef const LV2_Descriptor *(*family_fn)(uint32_t index);

static const family_fn families[] = {
    sw_denoise_lv2_descriptor,
    sw_generate_lv2_descriptor,
    sw_synth_lv2_descriptor,
    sw_transfer_lv2_descriptor,
    sw_continue_lv2_descriptor,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        uint32_t i = 0;
        while (families[f](i))
            i++;
        if (index < i)
            return families[f](index);
        index -= i;
    }
    return NULL;
}
