/* Element-wise activations: Relu, LeakyRelu, Clip, Sigmoid, Tanh. The
 * executor fuses Relu, LeakyRelu and Clip into a preceding Conv or
 * InstanceNormalization where it can; these kernels run the rest. */
#include <stdint.h>
#include "unary.comp.spv.h"
#include "unary_grad.comp.spv.h"
#include "op.h"

#include <math.h>

enum { OP_RELU, OP_LEAKY, OP_CLIP, OP_SIGMOID, OP_TANH };

typedef struct {
    int32_t count, hw, c, c4;
    float alpha, beta;
} UnaryPush;

static const VknnShader unary_shader = VKNN_SHADER(unary, 1, 1, UnaryPush);

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

/* ---- backward ----------------------------------------------------------- */

enum { GRAD_RELU, GRAD_CLIP, GRAD_LEAKY, GRAD_SIGMOID, GRAD_TANH, GRAD_SCALE, GRAD_ADD };

typedef struct {
    int32_t count;
    float alpha, beta;
} UnaryGradPush;

static const VknnShader unary_grad_shader = VKNN_SHADER(unary_grad, 2, 1, UnaryGradPush);

static gboolean record_grad(VknnRecord *r, int op, gboolean guided, float alpha, float beta,
                            const VknnTensor *y, const VknnTensor *gy, VknnTensor *gx, GError **err)
{
    const int32_t spec[] = {op, guided};
    VknnPipeline *p = vknn_op_pipeline(r, &unary_grad_shader, 64, spec, 2, err);
    if (!p)
        return FALSE;
    UnaryGradPush pc = {(int32_t)vknn_tensor_texels(gx), alpha, beta};
    const VknnTensor *bind[] = {y ? y : gy, gy, gx};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

gboolean vknn_activation_backward(VknnRecord *r, const VknnActivation *act, VknnGradMode mode,
                                  const VknnTensor *y, const VknnTensor *gy, VknnTensor *gx,
                                  GError **err)
{
    static const int ops[] = {
        [VKNN_ACT_RELU] = GRAD_RELU, [VKNN_ACT_CLIP] = GRAD_CLIP, [VKNN_ACT_LEAKY] = GRAD_LEAKY};
    g_return_val_if_fail(act->act != VKNN_ACT_NONE, FALSE);
    return record_grad(r, ops[act->act], mode == VKNN_GRAD_GUIDED && act->act == VKNN_ACT_RELU,
                       act->alpha, act->beta, y, gy, gx, err);
}

gboolean vknn_grad_scale(VknnRecord *r, float alpha, const VknnTensor *gy, VknnTensor *gx,
                         GError **err)
{
    return record_grad(r, GRAD_SCALE, FALSE, alpha, 0, NULL, gy, gx, err);
}

gboolean vknn_grad_add(VknnRecord *r, const VknnTensor *a, const VknnTensor *b, VknnTensor *out,
                       GError **err)
{
    return record_grad(r, GRAD_ADD, FALSE, 0, 0, a, b, out, err);
}

static gboolean activation_backward(VknnGradRecord *g, GError **err)
{
    VknnActivation a;
    if (!vknn_node_activation(g->fwd.model, g->fwd.step->node, &a, err))
        return FALSE;
    return vknn_activation_backward(&g->fwd, &a, g->mode, g->fwd.out[0], g->gy[0], g->gx[0], err);
}

static gboolean sigmoid_backward(VknnGradRecord *g, GError **err)
{
    return record_grad(&g->fwd, GRAD_SIGMOID, FALSE, 0, 0, g->fwd.out[0], g->gy[0], g->gx[0], err);
}

static gboolean tanh_backward(VknnGradRecord *g, GError **err)
{
    return record_grad(&g->fwd, GRAD_TANH, FALSE, 0, 0, g->fwd.out[0], g->gy[0], g->gx[0], err);
}

#define UNARY(record_fn, backward_fn)                                                              \
    {                                                                                              \
        .record = record_fn, .backward = backward_fn, .in_place = TRUE                             \
    }
const VknnKernel vknn_kernel_relu = UNARY(activation_record, activation_backward);
const VknnKernel vknn_kernel_leaky_relu = UNARY(activation_record, activation_backward);
const VknnKernel vknn_kernel_clip = UNARY(activation_record, activation_backward);
const VknnKernel vknn_kernel_sigmoid = UNARY(sigmoid_record, sigmoid_backward);
const VknnKernel vknn_kernel_tanh = UNARY(tanh_record, tanh_backward);
