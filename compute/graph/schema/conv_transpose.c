/* ConvTranspose: transposed 2D convolution ("deconvolution"), group 1. */
#include "graph/params.h"

/* Window, group and output size of a ConvTranspose node per the ONNX spec,
 * including output_padding and output_shape. */
gboolean vknn_conv_transpose_params(const VknnModel *m, const VknnNode *n, VknnWindow *w,
                                    int64_t out[2], GError **err)
{
    if (!vknn_check_inputs(n, 2, 3, err) || !vknn_check_rank(m, n, 0, 4, 4, err) ||
        !vknn_check_rank(m, n, 1, 4, 4, err) || !vknn_check_constant(m, n, 1, err))
        return FALSE;
    if (n->n_inputs == 3 && n->inputs[2] >= 0 && !vknn_check_constant(m, n, 2, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0), *ws = vknn_in_shape(m, n, 1);
    if (!vknn_window_parse(n, &ws->dims[2], w, err))
        return FALSE;
    const int64_t group = vknn_node_attr_int(n, "group", 1);
    if (group != 1)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "group %" G_GINT64_FORMAT " is not supported (only 1)", group);
    if (x->dims[1] != ws->dims[0])
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                               "input has %" G_GINT64_FORMAT
                               " channels, weights expect %" G_GINT64_FORMAT,
                               x->dims[1], ws->dims[0]);
    int64_t opad[2] = {0, 0}, oshape[2];
    if (vknn_node_attr_ints(n, "output_padding", opad, 2) > 2)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "output_padding must have 2 values");
    const int n_oshape = vknn_node_attr_ints(n, "output_shape", oshape, 2);
    for (int a = 0; a < 2; a++) /* before the arithmetic below uses them */
        if (opad[a] < 0 || opad[a] >= MAX(w->s[a], w->d[a]))
            return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid output_padding");
    for (int a = 0; a < 2; a++) {
        const int64_t in = x->dims[2 + a];
        const int64_t full = w->s[a] * (in - 1) + opad[a] + (w->k[a] - 1) * w->d[a] + 1;
        int64_t want = -1;
        if (n_oshape == 2)
            want = oshape[a];
        else if (w->auto_pad == VKNN_AUTO_PAD_SAME_UPPER || w->auto_pad == VKNN_AUTO_PAD_SAME_LOWER)
            want = in * w->s[a];
        if (want > 0) {
            const int64_t total = full - want;
            if (total < 0)
                return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "output_shape is too large");
            const gboolean upper = w->auto_pad == VKNN_AUTO_PAD_SAME_UPPER;
            w->pads[a] = upper ? total / 2 : total - total / 2;
            w->pads[a + 2] = total - w->pads[a];
        } else if (w->auto_pad == VKNN_AUTO_PAD_VALID) {
            w->pads[a] = w->pads[a + 2] = 0;
        }
        out[a] = full - w->pads[a] - w->pads[a + 2];
    }
    return TRUE;
}

static gboolean ct_infer(VknnModel *m, VknnNode *n, GError **err)
{
    VknnWindow w;
    int64_t out[2];
    if (!vknn_conv_transpose_params(m, n, &w, out, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0), *ws = vknn_in_shape(m, n, 1);
    const VknnShape *b = vknn_in_shape(m, n, 2);
    if (b && (b->rank != 1 || b->dims[0] != ws->dims[1]))
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                               "bias must have one value per output channel");
    *vknn_out_shape(m, n, 0) = (VknnShape){4, {x->dims[0], ws->dims[1], out[0], out[1]}};
    return TRUE;
}

static double ct_flops(const VknnModel *m, const VknnNode *n)
{
    const VknnShape *x = vknn_in_shape(m, n, 0), *ws = vknn_in_shape(m, n, 1);
    return 2.0 * vknn_shape_numel(x) * ws->dims[1] * ws->dims[2] * ws->dims[3];
}

const VknnOpSchema vknn_schema_conv_transpose = {
    VKNN_SCHEMA_OF(ConvTranspose),
    .infer = ct_infer,
    .flops = ct_flops,
};
