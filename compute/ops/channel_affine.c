/* Per-channel affine transform with fused activation: the apply step of
 * InstanceNormalization, and BatchNormalization when no convolution precedes
 * it to fold into. */
#include <stdint.h>
#include "channel_affine.comp.spv.h"
#include "norm.h"

#include <math.h>

typedef struct {
    int32_t count, hw, c, c4;
    int32_t per_batch;
    float alpha, beta;
} AffinePush;
_Static_assert(sizeof(AffinePush) <= 128, "push constants exceed the guaranteed 128 bytes");

static const VknnShader channel_affine_shader = VKNN_SHADER(channel_affine, 2, 1, AffinePush);

gboolean vknn_channel_affine_record(VknnRecord *r, const VknnTensor *params, gboolean per_batch,
                                    GError **err)
{
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const int32_t spec[] = {r->step->act.act};
    VknnPipeline *p = vknn_op_pipeline(r, &channel_affine_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    AffinePush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .hw = y->h * y->w,
        .c = y->c,
        .c4 = y->c4,
        .per_batch = per_batch,
        .alpha = r->step->act.alpha,
        .beta = r->step->act.beta,
    };
    const VknnTensor *bind[] = {x, params, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

/* ---- BatchNormalization (inference) ------------------------------------ */

/* Scale and shift as [c4][2] vec4. */
static float *pack_bn(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnModel *m = r->model;
    const VknnNode *n = r->step->node;
    const int64_t c = vknn_in_shape(m, n, 1)->dims[0], c4 = VKNN_DIV_UP(c, 4);
    const float eps = vknn_node_attr_float(n, "epsilon", 1e-5f);
    const float *g = vknn_node_input(m, n, 1)->data, *b = vknn_node_input(m, n, 2)->data;
    const float *mean = vknn_node_input(m, n, 3)->data, *var = vknn_node_input(m, n, 4)->data;
    vknn_tensor_set_shape(t, &(VknnShape){2, {c4 * 2, 4}});
    float *data = g_malloc0(t->bytes);
    for (int64_t ch = 0; ch < c; ch++) {
        const float s = g[ch] / sqrtf(var[ch] + eps);
        data[(ch / 4 * 2) * 4 + ch % 4] = s;
        data[(ch / 4 * 2 + 1) * 4 + ch % 4] = b[ch] - mean[ch] * s;
    }
    return data;
}

static gboolean bn_record(VknnRecord *r, GError **err)
{
    VknnTensor *params = vknn_record_packed(r, "batch_norm", pack_bn, NULL, err);
    return params && vknn_channel_affine_record(r, params, FALSE, err);
}

const VknnKernel vknn_kernel_batch_norm = {.record = bn_record, .in_place = TRUE};
