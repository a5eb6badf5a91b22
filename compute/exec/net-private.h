/* Executor internals shared by net.c (forward) and backward.c. */
#pragma once

#include "exec/exec.h"
#include "exec/kernels.h"
#include "exec/lower.h"

typedef struct VknnBackward VknnBackward;

/* Profiling: a device timestamp before each recorded step and one at the
 * end (vknn_net_set_profiling). */
typedef struct {
    VkQueryPool pool; /* VK_NULL_HANDLE: not profiling */
    GArray *steps;    /* guint: plan step index of each interval */
    guint capacity;
} StepClock;

/* Starts a clock for up to n steps when profiling is on and the device has
 * timestamps (resets its queries in cmd). */
gboolean vknn_step_clock_start(VknnNet *net, StepClock *c, guint n, VknnCmd *cmd, GError **err);
/* Marks the start of plan step `step` (G_MAXUINT: the end) in cmd. */
void vknn_step_clock_mark(StepClock *c, VknnCmd *cmd, guint step);
/* The step times of the last submission of cmd (GArray of VknnStepTime). */
GArray *vknn_step_clock_read(VknnNet *net, const StepClock *c, GError **err);
void vknn_step_clock_clear(VknnContext *ctx, StepClock *c);

/* A device buffer owned by the net with one tensor in it (weights, scratch). */
typedef struct {
    VknnBuffer *buffer;
    VknnTensor tensor;
} OwnedTensor;

/* Everything that depends on the input shapes. */
typedef struct {
    GArray *steps;          /* VknnStep */
    VknnTensor *tensors;    /* per value */
    gboolean *materialised; /* per value: has device storage (activations, inputs) */
    int *root;              /* per value: the value whose storage it shares */
    VknnBuffer *arena;
    GPtrArray *scratch;       /* OwnedTensor* */
    GHashTable *node_scratch; /* "node/key" -> VknnTensor* in scratch (vknn_net_node_scratch) */
    VknnTensor *workspace[VKNN_WORKSPACE_SLOTS]; /* shared by steps, in scratch */
    GPtrArray *staging;                          /* VknnBuffer* per graph input */
    VknnCmd *cmd;          /* upload + network, recorded at the first vknn_net_run */
    int dispatches;        /* per run of the network */
    StepClock clock;       /* profiling of the forward pass */
    VkQueryPool run_clock; /* 2 timestamps around the network in cmd, or null */
    uint64_t arena_bytes, naive_bytes;
    VknnBackward *backward; /* when gradients are requested */
    gboolean ran;           /* the network ran since planning: activations are valid */
    guint n_values;         /* size of the per-value arrays */
} Plan;

struct VknnNet {
    VknnContext *ctx;
    VknnModel *model;
    guint n_values;     /* values of the model when the per-value arrays were sized */
    gboolean *kept;     /* per value: vknn_net_keep() */
    GHashTable *packed; /* key -> OwnedTensor*: weights and constants */
    uint64_t weight_bytes;
    VknnShape *shapes; /* input shapes of the current plan, NULL when unplanned */
    guint shape_generation; /* the model's when the plan's shapes were inferred */
    Plan *plan;
    gboolean profiling;
    VknnPrecision precision;
    gboolean *grad_wanted; /* per value: vknn_net_request_grad() */
    GArray *grad_outputs;  /* int: values seeded by vknn_net_backward, NULL: the first output */
    VknnGradMode grad_mode;
};

/* A recording context for step st into cmd, with the net's storage
 * (VknnRecordStore). */
VknnRecord vknn_net_recording(VknnNet *net, VknnCmd *cmd, const VknnStep *st);
/* A device tensor owned by the plan (scratch: gradients, statistics). */
VknnTensor *vknn_net_scratch(VknnRecord *r, const VknnShape *shape, GError **err);

/* Drops the plan (next prepare replans). */
void vknn_net_invalidate_plan(VknnNet *net);
/* Grows the per-value arrays when values were added to the model since. */
void vknn_net_follow_model(VknnNet *net);

/* ---- backward.c ---------------------------------------------------------- */

/* Whether any gradient was requested: then the plan keeps every activation. */
gboolean vknn_net_wants_grads(const VknnNet *net);
/* Plans the backward pass of the forward plan p (its steps and tensor
 * offsets known), allocating nothing: vknn_backward_bytes then tells the
 * gradients' storage, for the budget, and vknn_backward_allocate makes it. */
gboolean vknn_backward_plan(VknnNet *net, Plan *p, GError **err);
uint64_t vknn_backward_bytes(const Plan *p);
/* Whether every gradient tensor is within the device's buffer limits. */
gboolean vknn_backward_fits(const VknnContext *ctx, const Plan *p, GError **err);
gboolean vknn_backward_allocate(VknnNet *net, Plan *p, GError **err);
void vknn_backward_free(VknnContext *ctx, VknnBackward *b);
