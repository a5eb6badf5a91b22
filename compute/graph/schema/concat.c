/* Concat along any axis. */
#include "graph/params.h"

/* The axis of a Concat node for inputs of rank `rank` (may be out of range). */
int vknn_concat_axis(const VknnNode *n, int rank)
{
    const int64_t a = vknn_node_attr_int(n, "axis", G_MININT64);
    return (int)(a < 0 ? a + rank : a);
}

static gboolean concat_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, VKNN_MAX_NODE_IO, err) || !vknn_check_rank(m, n, 0, 1, 4, err))
        return FALSE;
    const VknnShape *first = vknn_in_shape(m, n, 0);
    const int axis = vknn_concat_axis(n, first->rank);
    if (axis < 0 || axis >= first->rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "missing or invalid axis");
    VknnShape y = *first;
    for (int i = 1; i < n->n_inputs; i++) {
        const VknnShape *s = vknn_in_shape(m, n, i);
        gboolean ok = s && s->rank == y.rank;
        for (int d = 0; ok && d < y.rank; d++)
            ok = d == axis || s->dims[d] == y.dims[d];
        if (!ok)
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                                   "input %d does not match the others outside axis %d", i, axis);
        y.dims[axis] += s->dims[axis];
    }
    *vknn_out_shape(m, n, 0) = y;
    return TRUE;
}

const VknnOpSchema vknn_schema_concat = {VKNN_SCHEMA_OF(Concat), .infer = concat_infer};
