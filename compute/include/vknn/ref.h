/* vknn — plain-C reference executor.
 *
 * Runs a VknnModel op by op on the CPU in float32 NCHW with straightforward
 * loops that follow the ONNX specification. It is slow on purpose and shares
 * no kernel code with the Vulkan path, so tests can compare the two.
 */
#pragma once

#include <vknn/model.h>

G_BEGIN_DECLS

typedef struct {
    VknnShape shape;
    float *data; /* numel(shape) floats, row-major; NULL for an omitted input */
} VknnRefTensor;

/* Reference kernel of one ONNX op: reads in[0..n->n_inputs-1], writes
 * out[0..n->n_outputs-1] whose shapes and buffers the caller has prepared
 * from the model's inferred shapes. Constant inputs (weights, pads, scales)
 * are in `in` as floats too; int64 constants are also at
 * vknn_node_input(m, n, i)->int_data. */
typedef gboolean (*VknnRefFunc)(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                                VknnRefTensor *out, GError **err);

/* The reference kernel for an op type, or NULL. */
VknnRefFunc vknn_ref_lookup(const char *op_type);

/* Runs the whole model on inputs (one per graph input, shapes included).
 * On success returns a table name -> VknnRefTensor* holding every value
 * computed (activations and outputs); free with g_hash_table_unref. */
GHashTable *vknn_ref_run(VknnModel *m, const VknnRefTensor *inputs, GError **err);

/* Reference backward pass over the model's ONNX nodes (no lowering, no
 * fusion), for testing the Vulkan one. `values` is the table returned by
 * vknn_ref_run for `inputs`; seed = d loss / d output, output's shape.
 * guided: every Relu back-propagates g * [x > 0] * [g > 0].
 * Returns a table name -> VknnRefTensor* with the gradient of every graph
 * input and intermediate value that output depends on (output itself: the
 * seed), and of every constant input of the Conv, ConvTranspose, Gemm and
 * InstanceNormalization nodes on the way (weights, biases, scales, in their
 * ONNX layout); free with g_hash_table_unref. Ops without a
 * reference backward fail with an error naming the node. */
GHashTable *vknn_ref_backward(VknnModel *m, GHashTable *values, const VknnRefTensor *inputs,
                              const char *output, const VknnRefTensor *seed, gboolean guided,
                              GError **err);

/* Dense optical flow, the algorithm temporal stabilisation runs on the
 * device (shaders/temporal_*.comp), for tests: for each pixel x of the
 * grey image tmpl (w x h), the displacement d with target(x + d) ~ tmpl(x),
 * by pyramidal Lucas-Kanade (levels >= 1, 2x2-mean levels; iterations steps
 * per level over a (2R+1)^2 window, R = VKNN_REF_FLOW_RADIUS, with the mean
 * of both images' gradients; normal equations regularised by lambda; a step
 * at most VKNN_REF_FLOW_MAX_STEP px), down to level `finest` (0: full
 * size). uv: that level's w x h x 2 floats (u, v), in its pixels. */
#define VKNN_REF_FLOW_RADIUS 3
#define VKNN_REF_FLOW_MAX_STEP 2.0
void vknn_ref_flow(const float *tmpl, const float *target, int w, int h, int levels, int finest,
                   int iterations, float lambda, float *uv);

G_END_DECLS
