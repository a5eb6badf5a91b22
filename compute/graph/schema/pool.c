/* MaxPool and AveragePool over H and W. */
#include "graph/params.h"

gboolean vknn_pool_params(const VknnModel *m, const VknnNode *n, VknnWindow *w, int64_t out[2],
                          GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 4, 4, err) ||
        !vknn_window_parse(n, NULL, w, err))
        return FALSE;
    if (n->n_outputs > 1 && n->outputs[1] >= 0)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "the Indices output is not supported");
    if (vknn_node_op(n) == VKNN_OP_AveragePool && (w->d[0] != 1 || w->d[1] != 1))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "dilated average pooling");
    if (w->pads[0] >= w->k[0] || w->pads[2] >= w->k[0] || w->pads[1] >= w->k[1] ||
        w->pads[3] >= w->k[1])
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "pads must be smaller than the kernel");
    return vknn_window_output(n, w, &vknn_in_shape(m, n, 0)->dims[2], out, err);
}

static gboolean pool_infer(VknnModel *m, VknnNode *n, GError **err)
{
    VknnWindow w;
    int64_t out[2];
    if (!vknn_pool_params(m, n, &w, out, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    *vknn_out_shape(m, n, 0) = (VknnShape){4, {x->dims[0], x->dims[1], out[0], out[1]}};
    return TRUE;
}

static double pool_flops(const VknnModel *m, const VknnNode *n)
{
    VknnWindow w;
    if (!vknn_window_parse(n, NULL, &w, NULL))
        return 0;
    return (double)vknn_shape_numel(&vknn_node_output(m, n, 0)->shape) * w.k[0] * w.k[1];
}

const VknnOpSchema vknn_schema_max_pool = {
    VKNN_SCHEMA_OF(MaxPool),
    .infer = pool_infer,
    .flops = pool_flops,
};
const VknnOpSchema vknn_schema_average_pool = {
    VKNN_SCHEMA_OF(AveragePool),
    .infer = pool_infer,
    .flops = pool_flops,
};
