/* Conv: 2D convolution, grouped and dilated. */
#include "graph/params.h"

#include <math.h>

gboolean vknn_conv_params(const VknnModel *m, const VknnNode *n, VknnWindow *w, int64_t *group,
                          GError **err)
{
    if (!vknn_check_inputs(n, 2, 3, err) || !vknn_check_rank(m, n, 0, 4, 4, err) ||
        !vknn_check_rank(m, n, 1, 4, 4, err) || !vknn_check_constant(m, n, 1, err))
        return FALSE;
    if (n->n_inputs == 3 && n->inputs[2] >= 0 && !vknn_check_constant(m, n, 2, err))
        return FALSE;
    const VknnShape *ws = vknn_in_shape(m, n, 1);
    *group = vknn_node_attr_int(n, "group", 1);
    if (*group < 1 || *group > (1 << 30)) /* bounded: conv_infer multiplies by it */
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid group");
    return vknn_window_parse(n, &ws->dims[2], w, err);
}

static gboolean conv_infer(VknnModel *m, VknnNode *n, GError **err)
{
    VknnWindow w;
    int64_t group, out[2];
    if (!vknn_conv_params(m, n, &w, &group, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0), *ws = vknn_in_shape(m, n, 1);
    const VknnShape *b = vknn_in_shape(m, n, 2);
    if (x->dims[1] != ws->dims[1] * group || ws->dims[0] % group)
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                               "input has %" G_GINT64_FORMAT
                               " channels but the weights expect %" G_GINT64_FORMAT
                               " x group %" G_GINT64_FORMAT,
                               x->dims[1], ws->dims[1], group);
    if (b && (b->rank != 1 || b->dims[0] != ws->dims[0]))
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                               "bias must have one value per output channel");
    if (!vknn_window_output(n, &w, &x->dims[2], out, err))
        return FALSE;
    *vknn_out_shape(m, n, 0) = (VknnShape){4, {x->dims[0], ws->dims[0], out[0], out[1]}};
    return TRUE;
}

static double conv_flops(const VknnModel *m, const VknnNode *n)
{
    const VknnShape *ws = vknn_in_shape(m, n, 1);
    const VknnShape *y = &vknn_node_output(m, n, 0)->shape;
    return 2.0 * vknn_shape_numel(y) * ws->dims[1] * ws->dims[2] * ws->dims[3];
}

void vknn_conv_bn_fold(const VknnModel *m, const VknnNode *bn, int64_t oc, float *scale,
                       float *shift)
{
    for (int64_t o = 0; o < oc; o++) {
        scale[o] = 1.0f;
        shift[o] = 0.0f;
    }
    if (!bn)
        return;
    const float eps = vknn_node_attr_float(bn, "epsilon", 1e-5f);
    const float *g = vknn_node_input(m, bn, 1)->data, *b = vknn_node_input(m, bn, 2)->data;
    const float *mean = vknn_node_input(m, bn, 3)->data, *var = vknn_node_input(m, bn, 4)->data;
    for (int64_t o = 0; o < oc; o++) {
        scale[o] = g[o] / sqrtf(var[o] + eps);
        shift[o] = b[o] - mean[o] * scale[o];
    }
}

const VknnOpSchema vknn_schema_conv = {VKNN_SCHEMA_OF(Conv), .infer = conv_infer,
                                       .flops = conv_flops};
