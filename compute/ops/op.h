/* The kernel tier: how each operator runs on the device.
 *
 * One ONNX op type = one VknnKernel, vknn_kernel_<name> in ops/<family>.c,
 * listed in ops.def (its shape inference is the graph's: graph/schema.h).
 * A kernel records the Vulkan dispatches of one step of the executor's plan
 * into the command buffer, tensors and storage it is handed (VknnRecord),
 * and never calls the executor: the executor (exec/) calls down into
 * kernels, and lends them storage through VknnRecordStore. */
#pragma once

#include "graph/params.h"
#include "runtime/runtime.h"

#include <vknn/net.h> /* VknnPrecision, VknnGradMode */

typedef struct VknnStep VknnStep;
typedef struct VknnKernel VknnKernel;

#define VKNN_STEP_MAX_IO VKNN_MAX_NODE_IO

/* One kernel invocation of the plan: usually one ONNX node, sometimes a node
 * with its neighbours fused in, or one of several kernels of a node. */
struct VknnStep {
    const VknnKernel *kernel;
    const VknnNode *node; /* the node whose attributes apply */
    int n_in, n_out;
    int in[VKNN_STEP_MAX_IO]; /* executor value ids, -1 = omitted */
    int out[VKNN_STEP_MAX_IO];
    VknnActivation act;   /* fused activation */
    VknnPadMode pad_mode; /* fused Pad: mode and extra pads [t, l, b, r] */
    int pad_extra[4];
    const VknnNode *fused_bn; /* BatchNormalization folded into a Conv */
    int upsample;    /* Conv input: nearest upsampling by this factor fused in (0 = none) */
    gboolean elided; /* nothing to record: its inputs' producers write its output in place */
    /* Conv input: normalized while read by this InstanceNormalization node's
     * statistics (vknn_instance_norm_stats), then input_norm_act applied. */
    const VknnNode *input_norm;
    VknnActivation input_norm_act;
    gboolean stats_only; /* InstanceNormalization: statistics only, no output */
};

typedef struct VknnRecord VknnRecord;

/* A device tensor holding constant data packed by `pack` (called once per
 * net with the step; it fills `t`'s shape via vknn_tensor_set_shape and
 * returns a g_malloc'd buffer of t->bytes). */
typedef float *(*VknnPackFunc)(const VknnRecord *r, VknnTensor *t, void *user);

/* Storage the executor lends a kernel while it records, alive as long as
 * the plan (or, for `packed`, the net): the kernel tier states what it
 * needs, the executor provides it. */
typedef struct {
    /* The constant tensor of (the step's node, key), packed on first use
     * and cached per net: weights, biases, transformed kernels. */
    VknnTensor *(*packed)(VknnRecord *r, const char *key, VknnPackFunc pack, void *user,
                          GError **err);
    /* A tensor private to this step (statistics, partial sums). */
    VknnTensor *(*scratch)(VknnRecord *r, const VknnShape *shape, GError **err);
    /* The tensor of (node, key), created on the first call: shared by the
     * steps of one plan that name the same node (a norm and its consumer). */
    VknnTensor *(*node_scratch)(VknnRecord *r, const VknnNode *node, const char *key,
                                const VknnShape *shape, GError **err);
    /* Temporary storage of at least `texels` vec4 shared by all steps (slot
     * VKNN_WORKSPACE_*): valid only within one step, which keeps the plan's
     * memory flat however many steps need it. Sized before recording from
     * the kernels' workspace(); a larger request allocates anew. */
    VknnTensor *(*workspace)(VknnRecord *r, int slot, int64_t texels, GError **err);
} VknnRecordStore;

/* What a kernel's record() gets: the step, its tensors, where to record. */
struct VknnRecord {
    const VknnRecordStore *store;
    void *owner; /* the executor's, for store */
    VknnContext *ctx;
    VknnCmd *cmd;
    const VknnModel *model;
    const VknnStep *step;
    VknnPrecision precision;
    VknnTensor *in[VKNN_STEP_MAX_IO]; /* NULL for omitted or host-only constant inputs */
    VknnTensor *out[VKNN_STEP_MAX_IO];
};

/* What a kernel's backward() gets: the forward step as record() saw it, the
 * gradients of its outputs and where its inputs' gradients go. */
typedef struct {
    VknnRecord fwd; /* forward tensors: activations of the last run */
    /* Gradient of each output (NULL: no gradient reaches it). A fused
     * activation is already applied: gy[0] is the gradient of the kernel's
     * pre-activation result. */
    const VknnTensor *gy[VKNN_STEP_MAX_IO];
    /* Where input k's gradient is written (overwritten, not accumulated:
     * the executor sums contributions); NULL: not needed. Constant inputs
     * (weights) get tensors of shape [1, dims[0], numel / dims[0], 1],
     * whose row-major order is the constant's ONNX order. */
    VknnTensor *gx[VKNN_STEP_MAX_IO];
    VknnGradMode mode;
} VknnGradRecord;

/* Workspace slots: texels are RGBA32F, or RGBA16F in the _F16 slots. */
enum {
    VKNN_WORKSPACE_A,
    VKNN_WORKSPACE_B,
    VKNN_WORKSPACE_A_F16,
    VKNN_WORKSPACE_B_F16,
    VKNN_WORKSPACE_SLOTS
};

struct VknnKernel {
    /* Records the step's dispatches (NULL only for pure views). */
    gboolean (*record)(VknnRecord *r, GError **err);
    /* Records the step's backward pass (NULL: none on the device; views
     * are handled by the executor). */
    gboolean (*backward)(VknnGradRecord *g, GError **err);
    /* Optional: vec4 texels record() will ask of each workspace slot, so the
     * executor can size the shared workspace before recording (raises
     * texels[i], never lowers them). */
    void (*workspace)(const VknnRecord *r, int64_t texels[VKNN_WORKSPACE_SLOTS]);
    /* Optional: TRUE when output 0 is the inputs stacked along channels in
     * order (a channel Concat); the executor may then have the inputs'
     * producers write their slices in place and elide the step. */
    gboolean (*stacks_channels)(const VknnModel *m, const VknnNode *n);
    /* Output 0 may overwrite input 0 when they have one layout and input 0
     * dies at this step: every invocation reads the elements it writes
     * before writing them, and no other invocation reads them. */
    gboolean in_place;
    /* Which of the family's ops this is, for kernels that serve several
     * (binary.c's operator, pool.c's reduction). */
    int variant;
};

/* ---- helpers shared by kernels ----------------------------------------------- */

static inline VknnTensor *vknn_record_packed(VknnRecord *r, const char *key, VknnPackFunc pack,
                                             void *user, GError **err)
{
    return r->store->packed(r, key, pack, user, err);
}
static inline VknnTensor *vknn_record_scratch(VknnRecord *r, const VknnShape *shape, GError **err)
{
    return r->store->scratch(r, shape, err);
}
static inline VknnTensor *vknn_record_node_scratch(VknnRecord *r, const VknnNode *node,
                                                   const char *key, const VknnShape *shape,
                                                   GError **err)
{
    return r->store->node_scratch(r, node, key, shape, err);
}
static inline VknnTensor *vknn_record_workspace(VknnRecord *r, int slot, int64_t texels,
                                                GError **err)
{
    return r->store->workspace(r, slot, texels, err);
}
/* Input i as a device tensor: the activation, or for a constant its
 * channel-packed device copy, laid out with shape `as` when given (same
 * element count; e.g. a [C,1,1] constant as [1,C,1,1]). */
VknnTensor *vknn_record_in(VknnRecord *r, int i, const VknnShape *as, GError **err);

/* Workgroup width of the one-workgroup-per-plane reductions (instance-norm
 * statistics, global pooling): wide on GPUs; lavapipe runs 8 lanes per SIMD
 * batch and pays for every barrier, so it gets narrower ones. */
static inline uint32_t vknn_reduce_local_size(const VknnContext *ctx)
{
    return ctx->gpu_tuning ? 256 : 64;
}

/* Workgroup width of the kernels whose invocations each accumulate a tile
 * or a long sum (convolution and its gradients, Winograd GEMM, Gemm). On a
 * CPU device 8: one SIMD batch on lavapipe (wider groups measured 8-35%
 * slower, ../shared/notes/lavapipe-kernels.md). A GPU needs whole warps or
 * waves: 8 would leave 3/4 of an NVIDIA warp idle. */
static inline uint32_t vknn_tile_local_size(const VknnContext *ctx)
{
    return ctx->gpu_tuning ? 64 : 8;
}

/* Backward helpers shared by ops and the executor (ops/unary.c). */
/* gx = gy * f'(y) for an activation, from its output y; guided Relu also
 * drops negative gradients. */
gboolean vknn_activation_backward(VknnRecord *r, const VknnActivation *act, VknnGradMode mode,
                                  const VknnTensor *y, const VknnTensor *gy, VknnTensor *gx,
                                  GError **err);
/* gx = alpha * gy (same layout). */
gboolean vknn_grad_scale(VknnRecord *r, float alpha, const VknnTensor *gy, VknnTensor *gx,
                         GError **err);
/* out = a + b (same layout). */
gboolean vknn_grad_add(VknnRecord *r, const VknnTensor *a, const VknnTensor *b, VknnTensor *out,
                       GError **err);

/* Convenience: pipeline with local size (x, 1, 1). */
VknnPipeline *vknn_op_pipeline(VknnRecord *r, const VknnShader *sh, uint32_t local_x,
                               const int32_t *spec, int n_spec, GError **err);
