/* InstanceNormalization: statistics per (n, c) over H x W, then a
 * per-channel scale and shift. */
#include "graph/params.h"

static gboolean in_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 3, 3, err) || !vknn_check_rank(m, n, 0, 3, 4, err))
        return FALSE;
    if (!vknn_check_channel_params(m, n, err))
        return FALSE;
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

const VknnOpSchema vknn_schema_instance_norm = {
    VKNN_SCHEMA_OF(InstanceNormalization),
    .infer = in_infer,
};
