/* Gemm and MatMul on 2D tensors: Y = alpha * A' B' + beta * C. */
#include <stdint.h>
#include "gemm.comp.spv.h"
#include "gemm_grad.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t m, k, k4, n, n4;
    float alpha, beta;
} GemmPush;

static const VknnShader gemm_shader = VKNN_SHADER(gemm, 3, 1, GemmPush);

enum { C_NONE, C_COLUMN, C_SCALAR };

/* Constant B as [K][N4] vec4 (the channel-packed layout of [K, N]). */
static float *pack_b(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnNode *n = r->step->node;
    const VknnValue *b = vknn_node_input(r->model, n, 1);
    const gboolean tb = vknn_node_attr_int(n, "transB", 0);
    const int64_t k = b->shape.dims[tb ? 1 : 0], cols = b->shape.dims[tb ? 0 : 1];
    vknn_tensor_set_shape(t, &(VknnShape){2, {k, cols}});
    float *data = g_malloc0(t->bytes);
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < cols; j++)
            data[(i * t->c4 + j / 4) * 4 + j % 4] = b->data[tb ? j * k + i : i * cols + j];
    return data;
}

/* C as [N4] vec4 when it varies along columns. */
static float *pack_c(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnValue *c = vknn_node_input(r->model, r->step->node, 2);
    const int64_t cols = GPOINTER_TO_INT(user);
    vknn_tensor_set_shape(t, &(VknnShape){2, {1, cols}});
    float *data = g_malloc0(t->bytes);
    for (int64_t j = 0; j < cols; j++)
        data[j] = c->data[j];
    return data;
}

static gboolean gemm_record(VknnRecord *r, GError **err)
{
    const VknnNode *n = r->step->node;
    int64_t rows, inner, cols;
    if (!vknn_gemm_dims(r->model, n, &rows, &inner, &cols, err))
        return FALSE;
    const VknnValue *bv = vknn_node_input(r->model, n, 1);
    const VknnValue *cv = vknn_node_input(r->model, n, 2);
    if (vknn_node_attr_int(n, "transA", 0))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "transA = 1 is not supported");
    if (bv->kind != VKNN_VALUE_CONSTANT && vknn_node_attr_int(n, "transB", 0))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "transB = 1 needs a constant B");
    if (cv && (cv->kind != VKNN_VALUE_CONSTANT || (cv->shape.rank == 2 && cv->shape.dims[0] != 1)))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "C must be a constant row or scalar");

    VknnTensor *a = vknn_record_in(r, 0, NULL, err), *b = NULL, *c = NULL;
    if (a)
        b = bv->kind == VKNN_VALUE_CONSTANT ? vknn_record_packed(r, "gemm.b", pack_b, NULL, err)
                                            : r->in[1];
    int c_mode = C_NONE;
    if (b) {
        c = b; /* bound but unused without C */
        if (cv && vknn_shape_numel(&cv->shape) == 1) {
            c_mode = C_SCALAR;
            c = vknn_record_in(r, 2, &(VknnShape){1, {1}}, err);
        } else if (cv) {
            c_mode = C_COLUMN;
            c = vknn_record_packed(r, "gemm.c", pack_c, GINT_TO_POINTER((int)cols), err);
        }
    }
    if (!c)
        return FALSE;
    const int32_t spec[] = {c_mode};
    const uint32_t local = vknn_tile_local_size(r->ctx);
    VknnPipeline *p = vknn_op_pipeline(r, &gemm_shader, local, spec, 1, err);
    if (!p)
        return FALSE;
    GemmPush pc = {
        .m = (int32_t)rows,
        .k = (int32_t)inner,
        .k4 = (int32_t)VKNN_DIV_UP(inner, 4),
        .n = (int32_t)cols,
        .n4 = (int32_t)VKNN_DIV_UP(cols, 4),
        .alpha = vknn_is_gemm(n) ? vknn_node_attr_float(n, "alpha", 1.0f) : 1.0f,
        .beta = vknn_is_gemm(n) ? vknn_node_attr_float(n, "beta", 1.0f) : 1.0f,
    };
    const VknnTensor *bind[] = {a, b, c, r->out[0]};
    vknn_cmd_dispatch(r->cmd, p, bind, &pc, VKNN_DIV_UP(pc.n4, local), pc.m, 1);
    return TRUE;
}

/* ---- backward ----------------------------------------------------------- */

typedef struct {
    int32_t count, k4, n, n4;
    float alpha;
} GemmGradPush;

static const VknnShader gemm_grad_shader = VKNN_SHADER(gemm_grad, 2, 1, GemmGradPush);

/* Constant B as the forward uses it, one row per output column: [N][K4]
 * vec4 over k (the channel-packed layout of [N, K]). */
static float *pack_b_rows(const VknnRecord *r, VknnTensor *t, void *user)
{
    const VknnNode *n = r->step->node;
    const VknnValue *b = vknn_node_input(r->model, n, 1);
    const gboolean tb = vknn_is_gemm(n) && vknn_node_attr_int(n, "transB", 0);
    const int64_t k = b->shape.dims[tb ? 1 : 0], cols = b->shape.dims[tb ? 0 : 1];
    vknn_tensor_set_shape(t, &(VknnShape){2, {cols, k}});
    float *data = g_malloc0(t->bytes);
    for (int64_t j = 0; j < cols; j++)
        for (int64_t i = 0; i < k; i++)
            data[(j * t->c4 + i / 4) * 4 + i % 4] = b->data[tb ? j * k + i : i * cols + j];
    return data;
}

/* Gradient of A only: classifiers end in Gemm with constant weights, and
 * the explanation methods need the gradient flowing to the features. */
static gboolean gemm_backward(VknnGradRecord *g, GError **err)
{
    VknnRecord *r = &g->fwd;
    const VknnNode *n = r->step->node;
    if (g->gx[1] || (n->n_inputs > 2 && g->gx[2]))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "gradients of B and C are not supported on the device");
    if (vknn_node_input(r->model, n, 1)->kind != VKNN_VALUE_CONSTANT)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "backward pass needs a constant B");
    if (!g->gx[0])
        return TRUE;
    VknnTensor *b = vknn_record_packed(r, "gemm.b_rows", pack_b_rows, NULL, err);
    VknnPipeline *p = b ? vknn_op_pipeline(r, &gemm_grad_shader, 64, NULL, 0, err) : NULL;
    if (!p)
        return FALSE;
    const VknnTensor *gy = g->gy[0], *ga = g->gx[0];
    GemmGradPush pc = {
        .count = (int32_t)vknn_tensor_texels(ga),
        .k4 = ga->c4,
        .n = gy->c,
        .n4 = gy->c4,
        .alpha = vknn_is_gemm(n) ? vknn_node_attr_float(n, "alpha", 1.0f) : 1.0f,
    };
    const VknnTensor *bind[] = {gy, b, ga};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnKernel vknn_kernel_gemm = {.record = gemm_record, .backward = gemm_backward};
const VknnKernel vknn_kernel_matmul = {.record = gemm_record, .backward = gemm_backward};
