/* vknn — reference element-wise activations. */
#include "ref_internal.h"

#include <string.h>

/* Comparisons, not fminf/fmaxf, so that NaN propagates as in the ONNX
 * reference. */
gboolean vknn_ref_relu(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                       VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    int64_t k = ref_numel(&in[0].shape);
    for (int64_t i = 0; i < k; i++)
        out[0].data[i] = in[0].data[i] < 0.0f ? 0.0f : in[0].data[i];
    return TRUE;
}

gboolean vknn_ref_leaky_relu(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                             VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    float alpha = vknn_node_attr_float(n, "alpha", 0.01f);
    int64_t k = ref_numel(&in[0].shape);
    for (int64_t i = 0; i < k; i++) {
        float x = in[0].data[i];
        out[0].data[i] = x < 0.0f ? alpha * x : x;
    }
    return TRUE;
}

gboolean vknn_ref_clip(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                       VknnRefTensor *out, GError **err)
{
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    float lo, hi;
    /* Opset 11 turned the bounds from attributes into optional inputs. */
    if (m->opset >= 11) {
        lo = vknn_ref_input_scalar(n, in, 1, -INFINITY);
        hi = vknn_ref_input_scalar(n, in, 2, INFINITY);
    } else {
        lo = vknn_node_attr_float(n, "min", -INFINITY);
        hi = vknn_node_attr_float(n, "max", INFINITY);
    }
    int64_t k = ref_numel(&in[0].shape);
    for (int64_t i = 0; i < k; i++) {
        float x = in[0].data[i];
        out[0].data[i] = x < lo ? lo : x > hi ? hi : x;
    }
    return TRUE;
}

gboolean vknn_ref_sigmoid(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                          VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    int64_t k = ref_numel(&in[0].shape);
    for (int64_t i = 0; i < k; i++)
        out[0].data[i] = (float)(1.0 / (1.0 + exp(-(double)in[0].data[i])));
    return TRUE;
}

gboolean vknn_ref_tanh(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                       VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    int64_t k = ref_numel(&in[0].shape);
    for (int64_t i = 0; i < k; i++)
        out[0].data[i] = (float)tanh((double)in[0].data[i]);
    return TRUE;
}

/* Identity, and Dropout in inference: nothing is dropped. */
gboolean vknn_ref_identity(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                           VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    int64_t k = ref_numel(&in[0].shape);
    if (k > 0)
        memcpy(out[0].data, in[0].data, k * sizeof(float));
    /* Dropout's optional mask: every element kept (true as 1.0). */
    if (n->n_outputs > 1 && out[1].data) {
        int64_t km = ref_numel(&out[1].shape);
        for (int64_t i = 0; i < km; i++)
            out[1].data[i] = 1.0f;
    }
    return TRUE;
}
