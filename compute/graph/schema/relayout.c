/* Flatten, Reshape, Identity, Dropout (inference): views of their input
 * with another shape. */
#include "graph/schema.h"

static gboolean identity_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, 3, err))
        return FALSE;
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && vknn_node_output(m, n, 1)->n_consumers)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "the mask output is not supported");
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    if (n->n_outputs > 1 && n->outputs[1] >= 0)
        *vknn_out_shape(m, n, 1) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

static gboolean flatten_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 1, 4, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    int64_t axis = vknn_node_attr_int(n, "axis", 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis > x->rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid axis");
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < x->rank; i++)
        *(i < axis ? &outer : &inner) *= x->dims[i];
    *vknn_out_shape(m, n, 0) = (VknnShape){2, {outer, inner}};
    return TRUE;
}

static gboolean reshape_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 2, 2, err) || !vknn_check_constant(m, n, 1, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    int64_t want[VKNN_MAX_RANK];
    const int rank = vknn_const_ints(m, n, 1, want, VKNN_MAX_RANK);
    if (rank < 0 || rank > VKNN_MAX_RANK)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "target rank must be 0..4");
    const gboolean allowzero = vknn_node_attr_int(n, "allowzero", 0) != 0;
    VknnShape y = {.rank = rank};
    const int64_t total = vknn_shape_numel(x); /* <= 2^32: inference bounds every shape */
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < rank; i++) {
        y.dims[i] = want[i] == 0 && !allowzero && i < x->rank ? x->dims[i] : want[i];
        if (y.dims[i] == -1 && infer < 0)
            infer = i;
        else if (y.dims[i] <= 0 || y.dims[i] > total / known) /* too large: also no overflow */
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "invalid target dimension %d", i);
        else
            known *= y.dims[i];
    }
    if (infer >= 0 && known > 0 && total % known == 0)
        y.dims[infer] = total / known;
    if (vknn_shape_numel(&y) != total)
        return vknn_node_error(
            err, VKNN_ERROR_SHAPE, n,
            "cannot reshape %" G_GINT64_FORMAT " elements to the requested shape", total);
    *vknn_out_shape(m, n, 0) = y;
    return TRUE;
}

const VknnOpSchema vknn_schema_identity = {
    VKNN_SCHEMA_OF(Identity),
    .infer = identity_infer,
    .is_view = TRUE,
};
const VknnOpSchema vknn_schema_dropout = {
    VKNN_SCHEMA_OF(Dropout),
    .infer = identity_infer,
    .host_inputs = 0x6,
    .is_view = TRUE,
};
const VknnOpSchema vknn_schema_flatten = {
    VKNN_SCHEMA_OF(Flatten),
    .infer = flatten_infer,
    .is_view = TRUE,
};
const VknnOpSchema vknn_schema_reshape = {
    VKNN_SCHEMA_OF(Reshape),
    .infer = reshape_infer,
    .host_inputs = 0x2,
    .is_view = TRUE,
};
