/* patch_model.h — parsing of patch:Get / patch:Set messages about a plugin's model-file
 * property, shared by the denoiser and the instrument plugins. Header-only.
 *
 * Threading: audio (real-time). It only reads the atom in place: no allocation, no copy. */
#ifndef SW_LV2_PATCH_MODEL_H
#define SW_LV2_PATCH_MODEL_H

#include <stddef.h>
#include <string.h>

#include <lv2/atom/util.h>

#include "uris.h"

typedef enum {
    SW_PATCH_IGNORE,     /* not a patch message about this property */
    SW_PATCH_GET,        /* patch:Get of the property (or of everything): reply with the current path */
    SW_PATCH_SET,        /* patch:Set with a usable path: *path (not NUL-terminated), *len in 1..max_len-1 */
    SW_PATCH_BAD_VALUE,  /* patch:Set whose value is not a non-empty atom:Path / atom:String */
    SW_PATCH_TOO_LONG    /* patch:Set whose path has max_len bytes or more */
} sw_patch_msg;

static inline sw_patch_msg sw_patch_parse_model(const sw_lv2_uris *u, const LV2_Atom_Object *obj,
                                                LV2_URID property, size_t max_len,
                                                const char **path, size_t *len)
{
    const LV2_Atom_URID *prop = NULL;
    if (obj->body.otype == u->patch_Get) {
        lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, 0);
        if (!prop || (prop->atom.type == u->atom_URID && prop->body == property))
            return SW_PATCH_GET;
        return SW_PATCH_IGNORE;
    }
    if (obj->body.otype != u->patch_Set)
        return SW_PATCH_IGNORE;
    const LV2_Atom *value = NULL;
    lv2_atom_object_get(obj, u->patch_property, (const LV2_Atom **)&prop, u->patch_value, &value, 0);
    if (!prop || prop->atom.type != u->atom_URID || prop->body != property)
        return SW_PATCH_IGNORE;
    if (!value || (value->type != u->atom_Path && value->type != u->atom_String) || value->size < 2)
        return SW_PATCH_BAD_VALUE;
    const char *s = (const char *)LV2_ATOM_BODY_CONST(value);
    const size_t n = strnlen(s, value->size); /* the body need not be NUL-terminated */
    if (n == 0)
        return SW_PATCH_BAD_VALUE;
    if (n >= max_len)
        return SW_PATCH_TOO_LONG;
    *path = s;
    *len = n;
    return SW_PATCH_SET;
}

#endif
