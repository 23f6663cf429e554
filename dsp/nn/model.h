/* model.h — the loaded model (internal): tensor table, config, built layer tree. */
#ifndef SW_MODEL_H
#define SW_MODEL_H

#include "core.h"
#include "layer.h"

/* Frames per chunk in sw_net_process. Chunks are aligned to multiples of SW_CHUNK in the
 * stream's own frame count, so a chunk boundary (where the non-finite guard may reset the
 * state) falls on the same frame however the caller splits its blocks. */
#define SW_CHUNK 64

struct sw_model {
    sw_tensor *tensors;  /* [n_tensors] sorted by name (bsearch) */
    int n_tensors;
    char *names;         /* all tensor names back to back (owned) */
    float *weights;      /* all tensor data, each 64-byte aligned (owned) */
    int d_input, d_output;
    char *task;          /* config "task" or "" (owned) */
    char *task_params;   /* config "task_params" as compact JSON, "{}" if absent (owned) */
    size_t param_count;  /* floats of tensors used by the network */
    sw_stack top;        /* the network */
    size_t state_floats; /* recurrent state of one net */
    size_t scratch_floats; /* scratch of one net for a chunk of SW_CHUNK frames */
};

/* A net's recurrent state as a plain array of state_floats(model) floats plus its frame clock,
 * for engines that start a stream from a saved state (dsp/engines/synth.c: a voice starts at its note's
 * rest state). dst/src must hold swi_net_state_floats(n) floats. [RT] */
size_t swi_net_state_floats(const sw_net *n);
void swi_net_save_state(const sw_net *n, float *dst, uint64_t *t);
void swi_net_load_state(sw_net *n, const float *src, uint64_t t);

/* Several nets of one model stepped together (the instrument's voices): every net advances by
 * one frame exactly as sw_net_step would advance it (same floats, same non-finite guard), but
 * the linear and S4D layers run as one batched product over the shared weights, which are then
 * read once for the batch instead of once per net. Other layer types step net by net inside
 * the batched walk. A batch owns the scratch for up to max_nets nets; create/free are not RT,
 * swi_net_step_batch is [RT]. */
typedef struct swi_batch swi_batch;
swi_batch *swi_batch_create(const sw_model *m, int max_nets);
void swi_batch_free(swi_batch *bt);
/* nets[i] (all built on the batch's model, distinct) steps on in[i] into out[i], i < count. */
void swi_net_step_batch(swi_batch *bt, sw_net *const *nets, const float *const *in, float *const *out, int count);

#endif
