/* BatchNormalization (inference), and the per-channel parameter check of
 * the normalisations. */
#include "graph/params.h"

gboolean vknn_check_channel_params(const VknnModel *m, const VknnNode *n, GError **err)
{
    const int64_t channels = vknn_in_shape(m, n, 0)->dims[1];
    for (int i = 1; i < n->n_inputs; i++) {
        const VknnShape *s = vknn_in_shape(m, n, i);
        if (!vknn_check_constant(m, n, i, err))
            return FALSE;
        if (s->rank != 1 || s->dims[0] != channels)
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                                   "input %d must have one value per channel", i);
    }
    return TRUE;
}

static gboolean bn_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 5, 5, err) || !vknn_check_rank(m, n, 0, 2, 4, err))
        return FALSE;
    if (!vknn_check_channel_params(m, n, err))
        return FALSE;
    if (vknn_node_attr_int(n, "training_mode", 0) != 0 || n->n_outputs > 1)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "training mode is not supported");
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

const VknnOpSchema vknn_schema_batch_norm = {
    VKNN_SCHEMA_OF(BatchNormalization),
    .infer = bn_infer,
};
