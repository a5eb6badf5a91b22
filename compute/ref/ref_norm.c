/* vknn — reference InstanceNormalization, BatchNormalization (inference) and LRN. */
#include "ref_internal.h"

gboolean vknn_ref_norm_param(const VknnNode *n, const VknnRefTensor *in, int i, int64_t chans,
                             GError **err)
{
    if (!vknn_ref_need_input(n, in, i, 1, VKNN_MAX_RANK, err))
        return FALSE;
    if (ref_numel(&in[i].shape) != chans)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "input %d has %" G_GINT64_FORMAT " elements, %" G_GINT64_FORMAT
                             " channels expected",
                             i, ref_numel(&in[i].shape), chans);
    return TRUE;
}

gboolean vknn_ref_instance_norm(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                                VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 3, VKNN_MAX_RANK, err))
        return FALSE;
    int64_t chans = in[0].shape.dims[1];
    if (!vknn_ref_norm_param(n, in, 1, chans, err) || !vknn_ref_norm_param(n, in, 2, chans, err) ||
        !vknn_ref_check_output(n, out, 0, &in[0].shape, err))
        return FALSE;
    double eps = vknn_node_attr_float(n, "epsilon", 1e-5f);
    int64_t planes = in[0].shape.dims[0] * chans;
    int64_t size = ref_numel(&in[0].shape) / MAX(planes, 1);
    for (int64_t p = 0; p < planes; p++) {
        const float *x = in[0].data + p * size;
        float *y = out[0].data + p * size;
        /* Two passes: the variance of centred values does not cancel. */
        double sum = 0.0, sq = 0.0;
        for (int64_t i = 0; i < size; i++)
            sum += x[i];
        double mean = sum / size;
        for (int64_t i = 0; i < size; i++)
            sq += (x[i] - mean) * (x[i] - mean);
        double inv = 1.0 / sqrt(sq / size + eps);
        double scale = in[1].data[p % chans], bias = in[2].data[p % chans];
        for (int64_t i = 0; i < size; i++)
            y[i] = (float)((x[i] - mean) * inv * scale + bias);
    }
    return TRUE;
}

gboolean vknn_ref_batch_norm(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                             VknnRefTensor *out, GError **err)
{
    (void)m;
    if (vknn_node_attr_int(n, "training_mode", 0))
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "training_mode=1");
    if (!vknn_ref_need_input(n, in, 0, 2, VKNN_MAX_RANK, err))
        return FALSE;
    int64_t chans = in[0].shape.dims[1];
    for (int i = 1; i <= 4; i++)
        if (!vknn_ref_norm_param(n, in, i, chans, err))
            return FALSE;
    if (!vknn_ref_check_output(n, out, 0, &in[0].shape, err))
        return FALSE;
    double eps = vknn_node_attr_float(n, "epsilon", 1e-5f);
    int64_t planes = in[0].shape.dims[0] * chans;
    int64_t size = ref_numel(&in[0].shape) / MAX(planes, 1);
    for (int64_t p = 0; p < planes; p++) {
        int64_t c = p % chans;
        double scale = in[1].data[c] / sqrt((double)in[4].data[c] + eps);
        double shift = in[2].data[c] - in[3].data[c] * scale;
        const float *x = in[0].data + p * size;
        float *y = out[0].data + p * size;
        for (int64_t i = 0; i < size; i++)
            y[i] = (float)(x[i] * scale + shift);
    }
    /* Old opsets list running mean/var among the outputs; in inference they
     * are the inputs unchanged. */
    for (int i = 1; i < n->n_outputs && i <= 2; i++)
        if (out[i].data && ref_numel(&out[i].shape) == chans)
            for (int64_t c = 0; c < chans; c++)
                out[i].data[c] = in[2 + i].data[c];
    return TRUE;
}

/* LRN as the ONNX specification writes it: the sum of squares over channels
 * [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)], clipped. */
gboolean vknn_ref_lrn(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 3, VKNN_MAX_RANK, err) ||
        !vknn_ref_check_output(n, out, 0, &in[0].shape, err))
        return FALSE;
    const int64_t size = vknn_node_attr_int(n, "size", 0);
    if (size < 1)
        return vknn_ref_fail(err, VKNN_ERROR_PARSE, n, "size must be positive");
    const double alpha = vknn_node_attr_float(n, "alpha", 1e-4f);
    const double beta = vknn_node_attr_float(n, "beta", 0.75f);
    const double bias = vknn_node_attr_float(n, "bias", 1.0f);
    const int64_t batch = in[0].shape.dims[0], chans = in[0].shape.dims[1];
    const int64_t plane = ref_numel(&in[0].shape) / MAX(batch * chans, 1);
    const int64_t before = (size - 1) / 2, after = size - 1 - before;
    for (int64_t b = 0; b < batch; b++) {
        const float *x = in[0].data + b * chans * plane;
        float *y = out[0].data + b * chans * plane;
        for (int64_t c = 0; c < chans; c++) {
            for (int64_t i = 0; i < plane; i++) {
                double sum = 0.0;
                for (int64_t k = MAX(c - before, 0); k <= MIN(c + after, chans - 1); k++)
                    sum += (double)x[k * plane + i] * x[k * plane + i];
                y[c * plane + i] = (float)(x[c * plane + i] / pow(bias + alpha / size * sum, beta));
            }
        }
    }
    return TRUE;
}
