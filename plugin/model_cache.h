/* model_cache.h — process-wide sharing of loaded sw_model files between plugin instances.
 *
 * A session with many denoiser instances would otherwise hold one copy of the same
 * weights per instance. sw_model is immutable after loading and may be shared by any
 * number of engines on any threads (statewave.h), so instances that load the same file
 * (same device, inode, size and modification time) share one sw_model, refcounted.
 *
 * Threading: every function here may allocate, lock and do file I/O, so they belong to
 * the instantiation, worker and state classes only — never the audio thread.
 */
#ifndef SW_LV2_MODEL_CACHE_H
#define SW_LV2_MODEL_CACHE_H

#include <stddef.h>

#include "statewave.h"

/* Load `path` (or take another reference to an already loaded copy of the same file).
 * On failure returns NULL and writes a message into err. */
const sw_model *sw_lv2_model_acquire(const char *path, char *err, size_t errlen);
/* Drop one reference; the model is freed with the last one. NULL is a no-op. */
void sw_lv2_model_release(const sw_model *m);

#endif
