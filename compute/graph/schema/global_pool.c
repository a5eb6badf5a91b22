/* GlobalAveragePool and GlobalMaxPool: one value per (n, c). */
#include "graph/schema.h"

static gboolean global_pool_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 3, 4, err))
        return FALSE;
    VknnShape *y = vknn_out_shape(m, n, 0);
    *y = *vknn_in_shape(m, n, 0);
    for (int i = 2; i < y->rank; i++)
        y->dims[i] = 1;
    return TRUE;
}

static double global_pool_flops(const VknnModel *m, const VknnNode *n)
{
    return (double)vknn_shape_numel(vknn_in_shape(m, n, 0));
}

const VknnOpSchema vknn_schema_global_average_pool = {
    VKNN_SCHEMA_OF(GlobalAveragePool),
    .infer = global_pool_infer,
    .flops = global_pool_flops,
};
const VknnOpSchema vknn_schema_global_max_pool = {
    VKNN_SCHEMA_OF(GlobalMaxPool),
    .infer = global_pool_infer,
    .flops = global_pool_flops,
};
