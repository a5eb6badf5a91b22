/* MaxPool and AveragePool over H and W. */
#include <stdint.h>
#include "pool.comp.spv.h"
#include "pool_grad.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count, ih, iw, oh, ow;
    int32_t pad_t, pad_l, pad_b, pad_r;
} PoolPush;

static const VknnShader pool_shader = VKNN_SHADER(pool, 1, 1, PoolPush);
static const VknnShader pool_grad_shader = VKNN_SHADER(pool_grad, 2, 1, PoolPush);

/* Records pool.comp (forward: x -> y, or with argmax x -> the index of each
 * window's maximum) or pool_grad.comp (argmax, gy -> gx): same window, spec
 * constants and push constants. */
static gboolean pool_dispatch(VknnRecord *r, const VknnShader *sh, const VknnTensor *const *bind,
                              int n_bind, gboolean argmax, GError **err)
{
    const VknnNode *n = r->step->node;
    VknnWindow w;
    int64_t out[2];
    if (!vknn_pool_params(r->model, n, &w, out, err))
        return FALSE;
    const gboolean is_max = vknn_node_op(n) == VKNN_OP_MaxPool;
    const int32_t spec[] = {is_max,          (int32_t)w.k[0],
                            (int32_t)w.k[1], (int32_t)w.s[0],
                            (int32_t)w.s[1], (int32_t)w.d[0],
                            (int32_t)w.d[1], (int32_t)vknn_node_attr_int(n, "count_include_pad", 0),
                            argmax};
    VknnPipeline *p = vknn_op_pipeline(r, sh, 64, spec, G_N_ELEMENTS(spec), err);
    if (!p)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    PoolPush pc = {
        .count = (int32_t)vknn_tensor_texels(bind[n_bind - 1]),
        .ih = x->h,
        .iw = x->w,
        .oh = y->h,
        .ow = y->w,
        .pad_t = (int32_t)w.pads[0],
        .pad_l = (int32_t)w.pads[1],
        .pad_b = (int32_t)w.pads[2],
        .pad_r = (int32_t)w.pads[3],
    };
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

static gboolean pool_record(VknnRecord *r, GError **err)
{
    const VknnTensor *bind[] = {r->in[0], r->out[0]};
    return pool_dispatch(r, &pool_shader, bind, 2, FALSE, err);
}

/* MaxPool: a pass finds each window's maximum once, so the gather per input
 * pixel reads one index per covering window instead of the whole window
 * (SqueezeNet's first MaxPool backward on lavapipe: 14 -> ~1 ms). */
static gboolean pool_backward(VknnGradRecord *g, GError **err)
{
    VknnRecord *r = &g->fwd;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    const VknnTensor *arg = g->gy[0]; /* average pooling reads no index */
    if (vknn_node_op(r->step->node) == VKNN_OP_MaxPool) {
        if ((int64_t)x->h * x->w >= (1 << 24))
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, r->step->node,
                                   "MaxPool backward over planes of 2^24 pixels or more");
        VknnTensor *t = vknn_record_scratch(r, &(VknnShape){4, {y->n, y->c, y->h, y->w}}, err);
        const VknnTensor *find[] = {x, t};
        if (!t || !pool_dispatch(r, &pool_shader, find, 2, TRUE, err))
            return FALSE;
        arg = t;
    }
    const VknnTensor *bind[] = {arg, g->gy[0], g->gx[0]};
    return pool_dispatch(r, &pool_grad_shader, bind, 3, FALSE, err);
}

const VknnKernel vknn_kernel_max_pool = {.record = pool_record, .backward = pool_backward};
const VknnKernel vknn_kernel_average_pool = {.record = pool_record, .backward = pool_backward};
