/* vknn — reference Conv and ConvTranspose (2-D, NCHW). */
#include "ref_internal.h"

#include <string.h>

/* Spatial convolutions only: 1-D and 3-D models are rejected rather than
 * silently reshaped. */
static gboolean conv_inputs(const VknnNode *n, const VknnRefTensor *in, GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 4, 4, err) || !vknn_ref_need_input(n, in, 1, 4, 4, err))
        return FALSE;
    return TRUE;
}

/* kernel_shape is optional; when present it must agree with the weights. */
static gboolean conv_kernel_attr(const VknnNode *n, const int64_t kernel[2], GError **err)
{
    int64_t ks[4];
    int k = vknn_node_attr_ints(n, "kernel_shape", ks, 4);
    if (k >= 0 && (k != 2 || ks[0] != kernel[0] || ks[1] != kernel[1]))
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "kernel_shape does not match the weights");
    return TRUE;
}

static gboolean conv_bias(const VknnNode *n, const VknnRefTensor *in, int64_t channels,
                          GError **err)
{
    if (vknn_ref_has_input(n, in, 2) && ref_numel(&in[2].shape) != channels)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "bias has %" G_GINT64_FORMAT " elements, %" G_GINT64_FORMAT
                             " expected",
                             ref_numel(&in[2].shape), channels);
    return TRUE;
}

gboolean vknn_ref_conv(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                       VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!conv_inputs(n, in, err))
        return FALSE;
    const int64_t *xd = in[0].shape.dims, *wd = in[1].shape.dims;
    int64_t batch = xd[0], chans = xd[1], h = xd[2], w = xd[3];
    int64_t feats = wd[0], cpg = wd[1];
    int64_t group;
    if (!vknn_ref_conv_group(n, xd, wd, &group, err))
        return FALSE;
    RefWindow win;
    if (!conv_kernel_attr(n, wd + 2, err) || !conv_bias(n, in, feats, err) ||
        !vknn_ref_window_init(n, xd + 2, wd + 2, FALSE, &win, err))
        return FALSE;
    VknnShape want = {4, {batch, feats, win.out[0], win.out[1]}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    const float *x = in[0].data, *wt = in[1].data;
    const float *bias = vknn_ref_has_input(n, in, 2) ? in[2].data : NULL;
    int64_t fpg = feats / group, kh = wd[2], kw = wd[3];
    float *y = out[0].data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t f = 0; f < feats; f++)
            for (int64_t oy = 0; oy < win.out[0]; oy++)
                for (int64_t ox = 0; ox < win.out[1]; ox++) {
                    double acc = bias ? bias[f] : 0.0;
                    int64_t c0 = (f / fpg) * cpg;
                    for (int64_t c = 0; c < cpg; c++)
                        for (int64_t ky = 0; ky < kh; ky++) {
                            int64_t iy =
                                oy * win.stride[0] - win.pad_begin[0] + ky * win.dilation[0];
                            if (iy < 0 || iy >= h)
                                continue;
                            for (int64_t kx = 0; kx < kw; kx++) {
                                int64_t ix =
                                    ox * win.stride[1] - win.pad_begin[1] + kx * win.dilation[1];
                                if (ix < 0 || ix >= w)
                                    continue;
                                acc += (double)x[((b * chans + c0 + c) * h + iy) * w + ix] *
                                       wt[((f * cpg + c) * kh + ky) * kw + kx];
                            }
                        }
                    *y++ = (float)acc;
                }
    return TRUE;
}

static gboolean trans_ints(const VknnNode *n, const char *name, int64_t *v, int want, GError **err)
{
    int64_t tmp[8];
    int k = vknn_node_attr_ints(n, name, tmp, 8);
    if (k < 0)
        return TRUE;
    if (k != want)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n,
                             "attribute %s has %d values, %d expected (2-D spatial only)", name, k,
                             want);
    memcpy(v, tmp, want * sizeof *v);
    return TRUE;
}

gboolean vknn_ref_trans_window(const VknnNode *n, const int64_t in[2], const int64_t kernel[2],
                               RefTransWindow *t, GError **err)
{
    int64_t pads[4] = {0, 0, 0, 0}, out_pad[2] = {0, 0}, out_shape[4];
    for (int a = 0; a < 2; a++)
        t->stride[a] = t->dilation[a] = 1;
    if (!trans_ints(n, "strides", t->stride, 2, err) ||
        !trans_ints(n, "dilations", t->dilation, 2, err) || !trans_ints(n, "pads", pads, 4, err) ||
        !trans_ints(n, "output_padding", out_pad, 2, err))
        return FALSE;
    /* output_shape may list the spatial dims only, or all four. */
    int n_os = vknn_node_attr_ints(n, "output_shape", out_shape, 4);
    if (n_os == 4)
        memmove(out_shape, out_shape + 2, 2 * sizeof *out_shape);
    else if (n_os >= 0 && n_os != 2)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "output_shape has %d values", n_os);

    const char *auto_pad = vknn_node_attr_string(n, "auto_pad", "NOTSET");
    gboolean same_upper = !strcmp(auto_pad, "SAME_UPPER");
    gboolean same = same_upper || !strcmp(auto_pad, "SAME_LOWER");
    gboolean valid = !strcmp(auto_pad, "VALID");
    if (!same && !valid && strcmp(auto_pad, "NOTSET") && *auto_pad)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "auto_pad '%s'", auto_pad);

    for (int a = 0; a < 2; a++) {
        if (t->stride[a] < 1 || t->dilation[a] < 1 || out_pad[a] < 0)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                                 "bad strides, dilations or output_padding");
        int64_t full =
            t->stride[a] * (in[a] - 1) + out_pad[a] + (kernel[a] - 1) * t->dilation[a] + 1;
        int64_t pad_end;
        if (n_os >= 0 || same) {
            /* ONNX: pads follow from the requested size; the odd unit of
             * padding goes at the end for SAME_UPPER, at the beginning otherwise. */
            int64_t target = n_os >= 0 ? out_shape[a] : in[a] * t->stride[a];
            int64_t total = full - target;
            t->pad_begin[a] = same_upper ? total / 2 : total - total / 2;
            pad_end = total - t->pad_begin[a];
        } else if (valid) {
            t->pad_begin[a] = pad_end = 0;
        } else {
            t->pad_begin[a] = pads[a];
            pad_end = pads[a + 2];
        }
        t->out[a] = full - t->pad_begin[a] - pad_end;
        if (t->out[a] < 1)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                                 "output size along spatial axis %d is %" G_GINT64_FORMAT, a,
                                 t->out[a]);
    }
    return TRUE;
}

/* One output element: the sum over every input pixel and tap that lands on
 * it, written as a gather so each element has one double accumulator. */
static double trans_point(const RefTransWindow *t, const float *x, const float *wt, int64_t h,
                          int64_t w, int64_t cin_g, int64_t cin_stride, int64_t w_cstride,
                          int64_t kh, int64_t kw, int64_t oy, int64_t ox)
{
    double acc = 0.0;
    for (int64_t ky = 0; ky < kh; ky++) {
        int64_t ty = oy + t->pad_begin[0] - ky * t->dilation[0];
        if (ty < 0 || ty % t->stride[0] || ty / t->stride[0] >= h)
            continue;
        for (int64_t kx = 0; kx < kw; kx++) {
            int64_t tx = ox + t->pad_begin[1] - kx * t->dilation[1];
            if (tx < 0 || tx % t->stride[1] || tx / t->stride[1] >= w)
                continue;
            int64_t pix = (ty / t->stride[0]) * w + tx / t->stride[1];
            for (int64_t c = 0; c < cin_g; c++)
                acc += (double)x[c * cin_stride + pix] * wt[c * w_cstride + ky * kw + kx];
        }
    }
    return acc;
}

gboolean vknn_ref_conv_group(const VknnNode *n, const int64_t *xd, const int64_t *wd,
                             int64_t *group, GError **err)
{
    *group = vknn_node_attr_int(n, "group", 1);
    if (*group < 1 || wd[1] * *group != xd[1] || wd[0] % *group)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "input channels %" G_GINT64_FORMAT ", weights %" G_GINT64_FORMAT
                             "x%" G_GINT64_FORMAT " and group %" G_GINT64_FORMAT " do not agree",
                             xd[1], wd[0], wd[1], *group);
    return TRUE;
}

gboolean vknn_ref_trans_group(const VknnNode *n, const int64_t *xd, const int64_t *wd,
                              int64_t *group, GError **err)
{
    *group = vknn_node_attr_int(n, "group", 1);
    if (*group < 1 || wd[0] != xd[1] || xd[1] % *group)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "input channels %" G_GINT64_FORMAT ", weights %" G_GINT64_FORMAT
                             " and group %" G_GINT64_FORMAT " do not agree",
                             xd[1], wd[0], *group);
    return TRUE;
}

gboolean vknn_ref_conv_transpose(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                                 VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!conv_inputs(n, in, err))
        return FALSE;
    const int64_t *xd = in[0].shape.dims, *wd = in[1].shape.dims;
    int64_t batch = xd[0], chans = xd[1], h = xd[2], w = xd[3];
    int64_t group;
    if (!vknn_ref_trans_group(n, xd, wd, &group, err))
        return FALSE;
    int64_t opg = wd[1], feats = opg * group, cpg = chans / group, kh = wd[2], kw = wd[3];
    RefTransWindow t;
    if (!conv_kernel_attr(n, wd + 2, err) || !conv_bias(n, in, feats, err) ||
        !vknn_ref_trans_window(n, xd + 2, wd + 2, &t, err))
        return FALSE;
    VknnShape want = {4, {batch, feats, t.out[0], t.out[1]}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    const float *bias = vknn_ref_has_input(n, in, 2) ? in[2].data : NULL;
    float *y = out[0].data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t f = 0; f < feats; f++) {
            int64_t g = f / opg;
            /* Weight layout [C_in, C_out/group, kH, kW]. */
            const float *x = in[0].data + (b * chans + g * cpg) * h * w;
            const float *wt = in[1].data + ((g * cpg) * opg + f % opg) * kh * kw;
            for (int64_t oy = 0; oy < t.out[0]; oy++)
                for (int64_t ox = 0; ox < t.out[1]; ox++) {
                    double acc =
                        trans_point(&t, x, wt, h, w, cpg, h * w, opg * kh * kw, kh, kw, oy, ox);
                    *y++ = (float)(acc + (bias ? bias[f] : 0.0));
                }
        }
    return TRUE;
}
