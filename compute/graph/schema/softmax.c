/* Softmax along one axis (opset 13), or over the flattened trailing axes
 * (opsets < 13). */
#include "graph/params.h"

/* The tensor viewed as [outer, len, inner] for the op's axis semantics. */
gboolean vknn_softmax_view(const VknnModel *m, const VknnNode *n, int64_t *outer, int64_t *len,
                           int64_t *inner, GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 1, 4, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    int64_t axis = vknn_node_attr_int(n, "axis", m->opset >= 13 ? -1 : 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis >= x->rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid axis");
    *outer = *len = *inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            *outer *= x->dims[i];
        else if (i == axis || m->opset < 13)
            *len *= x->dims[i];
        else
            *inner *= x->dims[i];
    }
    return TRUE;
}

static gboolean softmax_infer(VknnModel *m, VknnNode *n, GError **err)
{
    int64_t outer, len, inner;
    if (!vknn_softmax_view(m, n, &outer, &len, &inner, err))
        return FALSE;
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

const VknnOpSchema vknn_schema_softmax = {VKNN_SCHEMA_OF(Softmax), .infer = softmax_infer};
