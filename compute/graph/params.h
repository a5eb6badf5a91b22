/* Node parameters that the graph checks and the kernels and the executor
 * read too: each family's attribute readers, defined in
 * graph/schema/<family>.c, in the order of ops.def. Vulkan-free. */
#pragma once

#include "graph/schema.h"
#include "graph/window.h"

/* An activation, as a node computes it or a kernel applies it fused (spec
 * constant ACT in shaders). */
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

/* Padding mode of a Pad node (fused into a convolution's input reads). */
typedef enum {
    VKNN_PAD_ZERO = 0,
    VKNN_PAD_REFLECT = 1,
    VKNN_PAD_EDGE = 2,
} VknnPadMode;

/* ---- Conv ----------------------------------------------------------------------------------- */

/* Validates a Conv node's inputs and reads its window and group
 *. */
gboolean vknn_conv_params(const VknnModel *m, const VknnNode *n, VknnWindow *w, int64_t *group,
                          GError **err);
/* Per-output-channel scale and shift of a BatchNormalization folded into a
 * convolution (identity when bn is NULL). */
void vknn_conv_bn_fold(const VknnModel *m, const VknnNode *bn, int64_t oc, float *scale,
                       float *shift);

/* ---- ConvTranspose -------------------------------------------------------------------------- */

/* Window, group and output size of a ConvTranspose node per the ONNX spec,
 * including output_padding and output_shape. */
gboolean vknn_conv_transpose_params(const VknnModel *m, const VknnNode *n, VknnWindow *w,
                                    int64_t out[2], GError **err);

/* ---- InstanceNormalization, BatchNormalization ---------------------------------------------- */

/* Checks inputs 1..n_inputs-1 of a normalisation node are constant vectors
 * with one value per channel of input 0. */
gboolean vknn_check_channel_params(const VknnModel *m, const VknnNode *n, GError **err);

/* ---- activations ---------------------------------------------------------------------------- */

/* Clip bounds of a Clip node (attributes before opset 11, constant inputs
 * after); unbounded sides are +-INFINITY. */
gboolean vknn_clip_bounds(const VknnModel *m, const VknnNode *n, float *lo, float *hi,
                          GError **err);
/* The activation a Relu, LeakyRelu or Clip node computes; FALSE (without
 * setting err) for other ops, FALSE with err for a Clip it cannot fuse. */
gboolean vknn_node_activation(const VknnModel *m, const VknnNode *n, VknnActivation *act,
                              GError **err);

/* ---- Add, Sub, Mul, Div --------------------------------------------------------------------- */

/* Right-aligns s into 4 dims padded with leading 1s (numpy broadcasting). */
void vknn_right_align(const VknnShape *s, int64_t out[4]);

/* ---- Pad ------------------------------------------------------------------------------------ */

/* Reads pads ([x1_begin, x2_begin, ..., x1_end, ...], 2 * rank values), mode
 * and constant value of a Pad node (attributes before opset 11, inputs
 * after). */
gboolean vknn_pad_params(const VknnModel *m, const VknnNode *n, int64_t pads[8], VknnPadMode *mode,
                         float *value, GError **err);

/* ---- Resize, Upsample ----------------------------------------------------------------------- */

/* Resize parameters; the enums are the spec constants of
 * shaders/resize.comp. */
enum {
    VKNN_CTM_HALF_PIXEL,
    VKNN_CTM_ASYMMETRIC,
    VKNN_CTM_ALIGN_CORNERS,
    VKNN_CTM_PYTORCH_HALF_PIXEL,
    VKNN_CTM_TF_HALF_PIXEL
};
enum { VKNN_NEAREST_ROUND_FLOOR, VKNN_NEAREST_ROUND_CEIL, VKNN_NEAREST_FLOOR, VKNN_NEAREST_CEIL };

typedef struct {
    gboolean linear;
    int ctm, nearest;
    float scales[4];
    int64_t out[4];
} VknnResizeParams;
/* Reads a Resize or Upsample node's mode and scales or sizes (from the
 * attribute or the input its op and opset use). */
gboolean vknn_resize_params(const VknnModel *m, const VknnNode *n, VknnResizeParams *p,
                            GError **err);
/* The integer factor s (2..4) of a nearest Resize/Upsample of H and W that
 * reads source pixel floor(x / s) — which a convolution can fuse into its
 * input reads — or 0. Needs inferred shapes. */
int vknn_resize_nearest_factor(const VknnModel *m, const VknnNode *n);

/* ---- pools ---------------------------------------------------------------------------------- */

/* Checks a MaxPool or AveragePool node and computes its window and output
 * size. */
gboolean vknn_pool_params(const VknnModel *m, const VknnNode *n, VknnWindow *w, int64_t out[2],
                          GError **err);

/* ---- Concat --------------------------------------------------------------------------------- */

/* The axis of a Concat node for inputs of rank `rank`; out of range when
 * missing or invalid. */
int vknn_concat_axis(const VknnNode *n, int rank);

/* ---- Gemm, MatMul --------------------------------------------------------------------------- */

/* Whether a node of the gemm family is a Gemm (with C, alpha, beta) rather
 * than a MatMul; M, K, N of its product, honouring transA/transB. */
gboolean vknn_is_gemm(const VknnNode *n);
gboolean vknn_gemm_dims(const VknnModel *m, const VknnNode *n, int64_t *rows, int64_t *inner,
                        int64_t *cols, GError **err);

/* ---- Softmax -------------------------------------------------------------------------------- */

/* A Softmax input viewed as [outer, len, inner] for the op's axis
 * semantics at its opset. */
gboolean vknn_softmax_view(const VknnModel *m, const VknnNode *n, int64_t *outer, int64_t *len,
                           int64_t *inner, GError **err);
