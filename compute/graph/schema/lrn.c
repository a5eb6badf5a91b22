/* LRN: local response normalization across channels (AlexNet, GoogLeNet):
 * y = x / (bias + alpha / size * sum of x^2 over `size` neighbouring
 * channels)^beta. */
#include "graph/params.h"

#include <math.h>

static gboolean lrn_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 3, 4, err))
        return FALSE;
    const int64_t size = vknn_node_attr_int(n, "size", 0);
    if (size < 1 || size > 1024)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "size must lie in 1..1024");
    const float alpha = vknn_node_attr_float(n, "alpha", 1e-4f);
    const float beta = vknn_node_attr_float(n, "beta", 0.75f);
    const float bias = vknn_node_attr_float(n, "bias", 1.0f);
    if (!isfinite(alpha) || !isfinite(beta) || !isfinite(bias))
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "alpha, beta and bias must be finite");
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

/* A square, a multiply-add per summed channel, and the power and division. */
static double lrn_flops(const VknnModel *m, const VknnNode *n)
{
    const int64_t size = vknn_node_attr_int(n, "size", 1);
    return (double)vknn_shape_numel(vknn_in_shape(m, n, 0)) * (2.0 * size + 3.0);
}

const VknnOpSchema vknn_schema_lrn = {VKNN_SCHEMA_OF(LRN), .infer = lrn_infer, .flops = lrn_flops};
