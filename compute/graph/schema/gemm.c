/* Gemm and MatMul on 2D tensors: Y = alpha * A' B' + beta * C. */
#include "graph/params.h"

gboolean vknn_is_gemm(const VknnNode *n)
{
    return vknn_node_op(n) == VKNN_OP_Gemm;
}

/* M, K, N of the product, honouring transA/transB. */
gboolean vknn_gemm_dims(const VknnModel *m, const VknnNode *n, int64_t *rows, int64_t *inner,
                        int64_t *cols, GError **err)
{
    if (!vknn_check_inputs(n, 2, vknn_is_gemm(n) ? 3 : 2, err) ||
        !vknn_check_rank(m, n, 0, 2, 2, err) || !vknn_check_rank(m, n, 1, 2, 2, err))
        return FALSE;
    const VknnShape *a = vknn_in_shape(m, n, 0), *b = vknn_in_shape(m, n, 1);
    const gboolean ta = vknn_node_attr_int(n, "transA", 0), tb = vknn_node_attr_int(n, "transB", 0);
    *rows = a->dims[ta ? 1 : 0];
    *inner = a->dims[ta ? 0 : 1];
    *cols = b->dims[tb ? 0 : 1];
    if (b->dims[tb ? 1 : 0] != *inner)
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                               "inner dimensions differ (%" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT
                               ")",
                               *inner, b->dims[tb ? 1 : 0]);
    return TRUE;
}

static gboolean gemm_infer(VknnModel *m, VknnNode *n, GError **err)
{
    int64_t rows, inner, cols;
    if (!vknn_gemm_dims(m, n, &rows, &inner, &cols, err))
        return FALSE;
    const VknnShape *c = vknn_in_shape(m, n, 2);
    if (c) {
        const int64_t last = c->rank ? c->dims[c->rank - 1] : 1;
        const int64_t first = c->rank == 2 ? c->dims[0] : 1;
        if ((last != 1 && last != cols) || (first != 1 && first != rows) || c->rank > 2)
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "C does not broadcast to the output");
    }
    *vknn_out_shape(m, n, 0) = (VknnShape){2, {rows, cols}};
    return TRUE;
}

static double gemm_flops(const VknnModel *m, const VknnNode *n)
{
    int64_t rows, inner, cols;
    if (!vknn_gemm_dims(m, n, &rows, &inner, &cols, NULL))
        return 0;
    return 2.0 * rows * inner * cols;
}

const VknnOpSchema vknn_schema_gemm = {VKNN_SCHEMA_OF(Gemm), .infer = gemm_infer,
                                       .flops = gemm_flops};
const VknnOpSchema vknn_schema_matmul = {
    VKNN_SCHEMA_OF(MatMul),
    .infer = gemm_infer,
    .flops = gemm_flops,
};
