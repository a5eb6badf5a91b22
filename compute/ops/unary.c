/* Element-wise activations: Relu, LeakyRelu, Clip, Sigmoid, Tanh. The
 * executor fuses Relu, LeakyRelu and Clip into a preceding Conv or
 * InstanceNormalization where it can; these kernels run the rest. */
#include <stdint.h>
#include "unary.comp.spv.h"
#include "unary.h"

#include <math.h>

enum { OP_RELU, OP_LEAKY, OP_CLIP, OP_SIGMOID, OP_TANH };

typedef struct {
    int32_t count, hw, c, c4;
    float alpha, beta;
} UnaryPush;

static const VknnShader unary_shader = VKNN_SHADER(unary, 1, 1, UnaryPush);

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
    if (g_str_equal(n->op_type, "Relu")) {
        act->act = VKNN_ACT_RELU;
    } else if (g_str_equal(n->op_type, "LeakyRelu")) {
        act->act = VKNN_ACT_LEAKY;
        act->alpha = vknn_node_attr_float(n, "alpha", 0.01f);
    } else if (g_str_equal(n->op_type, "Clip")) {
        act->act = VKNN_ACT_CLIP;
        return vknn_clip_bounds(m, n, &act->alpha, &act->beta, err);
    } else {
        act->act = VKNN_ACT_NONE;
        return FALSE;
    }
    return TRUE;
}

static gboolean record(VknnRecord *r, int op, float alpha, float beta, GError **err)
{
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const int32_t spec[] = {op};
    VknnPipeline *p = vknn_op_pipeline(r, &unary_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    UnaryPush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .hw = y->h * y->w,
        .c = y->c,
        .c4 = y->c4,
        .alpha = alpha,
        .beta = beta,
    };
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

static gboolean activation_record(VknnRecord *r, GError **err)
{
    VknnActivation a;
    if (!vknn_node_activation(r->model, r->step->node, &a, err))
        return FALSE;
    static const int ops[] = {
        [VKNN_ACT_RELU] = OP_RELU, [VKNN_ACT_CLIP] = OP_CLIP, [VKNN_ACT_LEAKY] = OP_LEAKY};
    return record(r, ops[a.act], a.alpha, a.beta, err);
}

static gboolean sigmoid_record(VknnRecord *r, GError **err)
{
    return record(r, OP_SIGMOID, 0, 0, err);
}

static gboolean tanh_record(VknnRecord *r, GError **err)
{
    return record(r, OP_TANH, 0, 0, err);
}

const VknnOpClass vknn_op_relu = {"Relu", unary_infer, NULL, activation_record, 0};
const VknnOpClass vknn_op_leaky_relu = {"LeakyRelu", unary_infer, NULL, activation_record, 0};
const VknnOpClass vknn_op_clip = {"Clip", unary_infer, NULL, activation_record, 0x6};
const VknnOpClass vknn_op_sigmoid = {"Sigmoid", unary_infer, NULL, sigmoid_record, 0};
const VknnOpClass vknn_op_tanh = {"Tanh", unary_infer, NULL, tanh_record, 0};
