/* Element-wise activations: Relu, LeakyRelu, Clip, Sigmoid, Tanh. */
#include "graph/params.h"

#include <math.h>

static gboolean unary_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, 3, err))
        return FALSE;
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

gboolean vknn_clip_bounds(const VknnModel *m, const VknnNode *n, float *lo, float *hi, GError **err)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    if (m->opset < 11) {
        *lo = vknn_node_attr_float(n, "min", -INFINITY);
        *hi = vknn_node_attr_float(n, "max", INFINITY);
        return TRUE;
    }
    float *bound[] = {lo, hi};
    for (int i = 1; i < 3; i++) {
        if (i >= n->n_inputs || n->inputs[i] < 0)
            continue;
        if (!vknn_check_constant(m, n, i, err))
            return FALSE;
        if (vknn_const_floats(m, n, i, bound[i - 1], 1) != 1)
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "bound %d must be a scalar", i);
    }
    return TRUE;
}

gboolean vknn_node_activation(const VknnModel *m, const VknnNode *n, VknnActivation *act,
                              GError **err)
{
    act->alpha = act->beta = 0.0f;
    switch (vknn_node_op(n)) {
    case VKNN_OP_Relu:
        act->act = VKNN_ACT_RELU;
        return TRUE;
    case VKNN_OP_LeakyRelu:
        act->act = VKNN_ACT_LEAKY;
        act->alpha = vknn_node_attr_float(n, "alpha", 0.01f);
        return TRUE;
    case VKNN_OP_Clip:
        act->act = VKNN_ACT_CLIP;
        return vknn_clip_bounds(m, n, &act->alpha, &act->beta, err);
    default:
        act->act = VKNN_ACT_NONE;
        return FALSE;
    }
}

const VknnOpSchema vknn_schema_relu = {VKNN_SCHEMA_OF(Relu), .infer = unary_infer};
const VknnOpSchema vknn_schema_leaky_relu = {VKNN_SCHEMA_OF(LeakyRelu), .infer = unary_infer};
const VknnOpSchema vknn_schema_clip = {VKNN_SCHEMA_OF(Clip), .infer = unary_infer,
                                       .host_inputs = 0x6};
const VknnOpSchema vknn_schema_sigmoid = {VKNN_SCHEMA_OF(Sigmoid), .infer = unary_infer};
const VknnOpSchema vknn_schema_tanh = {VKNN_SCHEMA_OF(Tanh), .infer = unary_infer};
