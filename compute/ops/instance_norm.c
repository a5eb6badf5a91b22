/* InstanceNormalization: statistics per (n, c) over H x W, then the affine
 * apply (channel_affine.c) with a fused activation. */
#include <stdint.h>
#include "instance_norm.comp.spv.h"
#include "instance_norm_grad.comp.spv.h"
#include "norm.h"

typedef struct {
    int32_t c4, hw;
    float eps;
} StatsPush;

static const VknnShader instance_norm_shader = VKNN_SHADER(instance_norm, 2, 1, StatsPush);

/* gamma and beta as [c4][2] vec4. */
static float *pack_gamma_beta(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnValue *g = vknn_node_input(r->model, r->step->node, 1);
    const VknnValue *b = vknn_node_input(r->model, r->step->node, 2);
    const int64_t c = g->shape.dims[0];
    vknn_tensor_set_shape(t, &(VknnShape){2, {VKNN_DIV_UP(c, 4) * 2, 4}});
    float *data = g_malloc0(t->bytes);
    for (int64_t ch = 0; ch < c; ch++) {
        data[(ch / 4 * 2) * 4 + ch % 4] = g->data[ch];
        data[(ch / 4 * 2 + 1) * 4 + ch % 4] = b->data[ch];
    }
    return data;
}

VknnTensor *vknn_instance_norm_stats(VknnRecord *r, const VknnNode *norm, const VknnTensor *x,
                                     GError **err)
{
    return vknn_record_node_scratch(r, norm, "stats", &(VknnShape){2, {x->n * x->c4 * 2, 4}}, err);
}

static gboolean in_record(VknnRecord *r, GError **err)
{
    const VknnTensor *x = r->in[0];
    VknnTensor *gb = vknn_record_packed(r, "instance_norm", pack_gamma_beta, NULL, err);
    VknnTensor *stats = gb ? vknn_instance_norm_stats(r, r->step->node, x, err) : NULL;
    if (!stats)
        return FALSE;
    const uint32_t local = vknn_reduce_local_size(r->ctx);
    VknnPipeline *p = vknn_op_pipeline(r, &instance_norm_shader, local, NULL, 0, err);
    if (!p)
        return FALSE;
    StatsPush pc = {
        .c4 = x->c4,
        .hw = x->h * x->w,
        .eps = vknn_node_attr_float(r->step->node, "epsilon", 1e-5f),
    };
    const VknnTensor *bind[] = {x, gb, stats};
    vknn_cmd_dispatch(r->cmd, p, bind, &pc, x->n * x->c4, 1, 1);
    return r->step->stats_only || vknn_channel_affine_record(r, stats, TRUE, err);
}

typedef struct {
    int32_t c4, hw, batch;
    float eps;
} GradPush;

static const VknnShader instance_norm_grad_shader = VKNN_SHADER(instance_norm_grad, 3, 3, GradPush);

/* Gradients of the input, scale and bias in one pass per channel block
 * (statistics recomputed from the kept input). Outputs that are not needed
 * go to a scratch tensor. */
static gboolean in_backward(VknnGradRecord *g, GError **err)
{
    VknnRecord *r = &g->fwd;
    const VknnTensor *x = r->in[0];
    VknnTensor *gb = vknn_record_packed(r, "instance_norm", pack_gamma_beta, NULL, err);
    VknnTensor *out[3] = {g->gx[0], g->gx[1], g->gx[2]};
    for (int i = 0; gb && i < 3; i++)
        if (!out[i])
            out[i] = vknn_record_scratch(r, i == 0 ? &x->shape : &(VknnShape){1, {x->c4 * 4}}, err);
    if (!gb || !out[0] || !out[1] || !out[2])
        return FALSE;
    const uint32_t local = vknn_reduce_local_size(r->ctx);
    VknnPipeline *p = vknn_op_pipeline(r, &instance_norm_grad_shader, local, NULL, 0, err);
    if (!p)
        return FALSE;
    GradPush pc = {x->c4, x->h * x->w, x->n, vknn_node_attr_float(r->step->node, "epsilon", 1e-5f)};
    const VknnTensor *bind[] = {x, g->gy[0], gb, out[0], out[1], out[2]};
    vknn_cmd_dispatch(r->cmd, p, bind, &pc, x->c4, 1, 1);
    return TRUE;
}

const VknnKernel vknn_kernel_instance_norm = {
    .record = in_record,
    .backward = in_backward,
    .in_place = TRUE,
};
