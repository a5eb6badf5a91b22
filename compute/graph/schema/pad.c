/* Pad: constant, reflect or edge padding. */
#include "graph/params.h"

gboolean vknn_pad_params(const VknnModel *m, const VknnNode *n, int64_t pads[8], VknnPadMode *mode,
                         float *value, GError **err)
{
    const int rank = vknn_in_shape(m, n, 0)->rank;
    const char *ms = vknn_node_attr_string(n, "mode", "constant");
    if (g_str_equal(ms, "constant"))
        *mode = VKNN_PAD_ZERO;
    else if (g_str_equal(ms, "reflect"))
        *mode = VKNN_PAD_REFLECT;
    else if (g_str_equal(ms, "edge"))
        *mode = VKNN_PAD_EDGE;
    else
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "pad mode '%s' is not supported",
                               ms);
    *value = 0.0f;
    int count;
    if (m->opset < 11) {
        count = vknn_node_attr_ints(n, "pads", pads, 8);
        *value = vknn_node_attr_float(n, "value", 0.0f);
    } else {
        if (!vknn_check_constant(m, n, 1, err))
            return FALSE;
        count = vknn_const_ints(m, n, 1, pads, 8);
        if (n->n_inputs > 2 && n->inputs[2] >= 0) {
            if (!vknn_check_constant(m, n, 2, err))
                return FALSE;
            vknn_const_floats(m, n, 2, value, 1);
        }
    }
    if (count != 2 * rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "pads must have %d values", 2 * rank);
    for (int i = 0; i < 2 * rank; i++)
        if (pads[i] < 0 || pads[i] > 4096)
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                                   "pads must lie in 0..4096 (negative pads crop; not supported)");
    return TRUE;
}

static gboolean pad_infer(VknnModel *m, VknnNode *n, GError **err)
{
    int64_t pads[8];
    VknnPadMode mode;
    float value;
    if (!vknn_check_inputs(n, 1, 3, err) || !vknn_check_rank(m, n, 0, 1, 4, err) ||
        !vknn_pad_params(m, n, pads, &mode, &value, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    VknnShape *y = vknn_out_shape(m, n, 0);
    *y = *x;
    for (int i = 0; i < x->rank; i++) {
        if (mode == VKNN_PAD_REFLECT && (pads[i] >= x->dims[i] || pads[i + x->rank] >= x->dims[i]))
            return vknn_node_error(
                err, VKNN_ERROR_SHAPE, n,
                "reflection padding needs each padded dimension larger than the pad");
        y->dims[i] += pads[i] + pads[i + x->rank];
    }
    return TRUE;
}

const VknnOpSchema vknn_schema_pad = {VKNN_SCHEMA_OF(Pad), .infer = pad_infer, .host_inputs = 0x6};
