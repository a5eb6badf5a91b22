/* Operator classes: what the importer, shape inference and the executor
 * know about each ONNX operator.
 *
 * One ONNX op type = one VknnOpClass, defined in the compute/ops/ file of
 * its family and listed in ops/registry.c. A class infers output shapes
 * (rejecting attributes and shapes it cannot run with a message naming the
 * node), counts FLOPs, and records its Vulkan dispatches for one step of
 * the executor's plan. */
#pragma once

#include "../vknn-private.h"

typedef struct VknnNet VknnNet;
typedef struct VknnStep VknnStep;

/* Activation fused into the producing kernel (spec constant ACT in shaders). */
typedef enum {
    VKNN_ACT_NONE = 0,
    VKNN_ACT_RELU = 1,
    VKNN_ACT_CLIP = 2,  /* min(max(x, alpha), beta) */
    VKNN_ACT_LEAKY = 3, /* x < 0 ? alpha * x : x */
} VknnAct;

typedef struct {
    VknnAct act;
    float alpha, beta;
} VknnActivation;

/* Padding mode of a Pad node fused into a convolution's input reads. */
typedef enum {
    VKNN_PAD_ZERO = 0,
    VKNN_PAD_REFLECT = 1,
    VKNN_PAD_EDGE = 2,
} VknnPadMode;

#define VKNN_STEP_MAX_IO 8

/* One kernel invocation of the plan: usually one ONNX node, sometimes a node
 * with its neighbours fused in, or one of several kernels of a node. */
struct VknnStep {
    const VknnOpClass *klass;
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

/* What a class's record() gets: the step, its tensors and the executor. */
typedef struct {
    VknnNet *net;
    VknnContext *ctx;
    VknnCmd *cmd;
    const VknnModel *model;
    const VknnStep *step;
    VknnTensor *in[VKNN_STEP_MAX_IO]; /* NULL for omitted or host-only constant inputs */
    VknnTensor *out[VKNN_STEP_MAX_IO];
} VknnRecord;

/* What a class's backward() gets: the forward step as record() saw it, the
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

struct VknnOpClass {
    const char *op_type;
    /* Checks attributes and input shapes, sets the output shapes. */
    gboolean (*infer)(VknnModel *m, VknnNode *n, GError **err);
    /* FLOPs (2 per multiply-add) at inferred shapes; NULL: one per output element. */
    double (*flops)(const VknnModel *m, const VknnNode *n);
    /* Records the step's dispatches (NULL only for pure views). */
    gboolean (*record)(VknnRecord *r, GError **err);
    /* Inputs (bit i = input i) that are read on the host at record time
     * (pads, scales, shapes, Clip bounds) and need no device copy. */
    unsigned host_inputs;
    /* Output 0 is input 0 with another shape (Identity, Flatten, Reshape):
     * the executor aliases them when their channel-packed layouts agree and
     * calls record() to copy otherwise. */
    gboolean is_view;
    /* Records the step's backward pass (NULL: none on the device; views
     * are handled by the executor). */
    gboolean (*backward)(VknnGradRecord *g, GError **err);
    /* Optional: vec4 texels record() will ask of each vknn_net_workspace
     * slot, so the executor can size the shared workspace before recording
     * (raises texels[i], never lowers them). */
    void (*workspace)(const VknnRecord *r, int64_t texels[VKNN_WORKSPACE_SLOTS]);
    /* Optional: TRUE when output 0 is the inputs stacked along channels in
     * order (a channel Concat); the executor may then have the inputs'
     * producers write their slices in place and elide the step. */
    gboolean (*stacks_channels)(const VknnModel *m, const VknnNode *n);
    /* Output 0 may overwrite input 0 when they have one layout and input 0
     * dies at this step: every invocation reads the elements it writes
     * before writing them, and no other invocation reads them. */
    gboolean in_place;
};

/* The class of an ONNX op type, or NULL when unsupported. */
const VknnOpClass *vknn_op_lookup(const char *op_type);

/* ---- helpers shared by op implementations ------------------------------- */

/* Error helpers that name the node: "node 'conv1' (Conv): <message>". */
gboolean vknn_node_error(GError **err, VknnErrorCode code, const VknnNode *n, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Input i's shape; NULL if omitted. */
const VknnShape *vknn_in_shape(const VknnModel *m, const VknnNode *n, int i);
VknnShape *vknn_out_shape(VknnModel *m, const VknnNode *n, int i);
/* Checks the input count is within [min, max] and inputs [0, required) are given. */
gboolean vknn_check_inputs(const VknnNode *n, int min, int max, GError **err);
/* Requires input i to have the given rank (or rank in [lo, hi] with the range version). */
gboolean vknn_check_rank(const VknnModel *m, const VknnNode *n, int i, int lo, int hi,
                         GError **err);
/* Requires input i to be a constant (weights, pads, ...). */
gboolean vknn_check_constant(const VknnModel *m, const VknnNode *n, int i, GError **err);
/* Reads a constant input as int64 values (from int_data, or floats rounded). */
int vknn_const_ints(const VknnModel *m, const VknnNode *n, int i, int64_t *out, int max);
/* Reads a constant input as floats; returns the count, -1 when omitted/empty. */
int vknn_const_floats(const VknnModel *m, const VknnNode *n, int i, float *out, int max);

/* Executor services for record(). */
/* A device tensor holding constant value `value` packed by `pack` (called
 * once per net with the value's host data; it fills `t`'s shape via
 * vknn_tensor_set_shape and returns a g_malloc'd buffer of t->bytes).
 * `variant` distinguishes several packings of one value. Cached per net. */
typedef float *(*VknnPackFunc)(const VknnRecord *r, VknnTensor *t, void *user);
VknnTensor *vknn_net_packed(VknnRecord *r, const char *key, VknnPackFunc pack, void *user,
                            GError **err);
/* A device tensor private to this step (statistics, partial sums), alive for
 * the plan's lifetime. */
VknnTensor *vknn_net_scratch(VknnRecord *r, const VknnShape *shape, GError **err);
/* The scratch tensor of (node, key), created on the first call: shared by
 * the steps of one plan that name the same node (a norm and its consumer). */
VknnTensor *vknn_net_node_scratch(VknnRecord *r, const VknnNode *node, const char *key,
                                  const VknnShape *shape, GError **err);
/* Temporary storage of at least `texels` vec4 shared by all steps (slot
 * VKNN_WORKSPACE_*): valid only within one step, which keeps the
 * plan's memory flat however many steps need it. Sized before recording
 * from the classes' workspace(); a larger request allocates anew. */
VknnTensor *vknn_net_workspace(VknnRecord *r, int slot, int64_t texels, GError **err);
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
