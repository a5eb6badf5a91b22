/* vknn — reference MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool
 * (NCHW). */
#include "ref_internal.h"

#include <float.h>

gboolean vknn_ref_pool_window(const VknnNode *n, const VknnRefTensor *in, RefWindow *win,
                              GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 4, 4, err))
        return FALSE;
    int64_t kernel[4];
    if (vknn_node_attr_ints(n, "kernel_shape", kernel, 4) != 2)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "kernel_shape must have 2 values");
    gboolean ceil_mode = vknn_node_attr_int(n, "ceil_mode", 0) != 0;
    return vknn_ref_window_init(n, in[0].shape.dims + 2, kernel, ceil_mode, win, err);
}

/* Maximum of one window of one plane; *arg receives its position in the
 * plane (row-major) or -1 when the window holds no input. */
float vknn_ref_max_window(const RefWindow *w, const float *x, int64_t h, int64_t wd, int64_t oy,
                          int64_t ox, int64_t *arg)
{
    float best = -FLT_MAX;
    *arg = -1;
    for (int64_t ky = 0; ky < w->kernel[0]; ky++) {
        int64_t iy = oy * w->stride[0] - w->pad_begin[0] + ky * w->dilation[0];
        if (iy < 0 || iy >= h)
            continue;
        for (int64_t kx = 0; kx < w->kernel[1]; kx++) {
            int64_t ix = ox * w->stride[1] - w->pad_begin[1] + kx * w->dilation[1];
            if (ix < 0 || ix >= wd)
                continue;
            float v = x[iy * wd + ix];
            if (*arg < 0 || v > best || isnan(v)) {
                best = v;
                *arg = iy * wd + ix;
                if (isnan(v))
                    return v;
            }
        }
    }
    return best;
}

gboolean vknn_ref_max_pool(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                           VknnRefTensor *out, GError **err)
{
    (void)m;
    RefWindow win;
    if (!vknn_ref_pool_window(n, in, &win, err))
        return FALSE;
    const int64_t *xd = in[0].shape.dims;
    VknnShape want = {4, {xd[0], xd[1], win.out[0], win.out[1]}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;
    gboolean indices = n->n_outputs > 1 && out[1].data;
    if (indices && !vknn_ref_check_output(n, out, 1, &want, err))
        return FALSE;
    gboolean col_major = vknn_node_attr_int(n, "storage_order", 0) != 0;

    int64_t h = xd[2], w = xd[3], planes = xd[0] * xd[1], k = 0;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oy = 0; oy < win.out[0]; oy++)
            for (int64_t ox = 0; ox < win.out[1]; ox++, k++) {
                int64_t arg;
                out[0].data[k] =
                    vknn_ref_max_window(&win, in[0].data + p * h * w, h, w, oy, ox, &arg);
                if (!indices)
                    continue;
                /* Indices into the flattened input, as floats. */
                int64_t pos = col_major && arg >= 0 ? (arg % w) * h + arg / w : arg;
                out[1].data[k] = (float)(arg < 0 ? -1 : p * h * w + pos);
            }
    return TRUE;
}

int64_t vknn_ref_avg_count(const RefWindow *w, int64_t h, int64_t wd, int64_t oy, int64_t ox,
                           gboolean include_pad)
{
    int64_t count = 0;
    for (int64_t ky = 0; ky < w->kernel[0]; ky++) {
        int64_t iy = oy * w->stride[0] - w->pad_begin[0] + ky * w->dilation[0];
        gboolean in_y = iy >= 0 && iy < h;
        gboolean pad_y = iy >= -w->pad_begin[0] && iy < h + w->pad_end[0];
        for (int64_t kx = 0; kx < w->kernel[1]; kx++) {
            int64_t ix = ox * w->stride[1] - w->pad_begin[1] + kx * w->dilation[1];
            gboolean in_x = ix >= 0 && ix < wd;
            gboolean pad_x = ix >= -w->pad_begin[1] && ix < wd + w->pad_end[1];
            if ((in_y && in_x) || (include_pad && pad_y && pad_x))
                count++;
        }
    }
    return count;
}

/* Mean of one average window over vknn_ref_avg_count's divisor. */
static double avg_window(const RefWindow *w, const float *x, int64_t h, int64_t wd, int64_t oy,
                         int64_t ox, gboolean include_pad)
{
    const int64_t count = vknn_ref_avg_count(w, h, wd, oy, ox, include_pad);
    double sum = 0.0;
    for (int64_t ky = 0; count && ky < w->kernel[0]; ky++) {
        int64_t iy = oy * w->stride[0] - w->pad_begin[0] + ky * w->dilation[0];
        for (int64_t kx = 0; iy >= 0 && iy < h && kx < w->kernel[1]; kx++) {
            int64_t ix = ox * w->stride[1] - w->pad_begin[1] + kx * w->dilation[1];
            if (ix >= 0 && ix < wd)
                sum += x[iy * wd + ix];
        }
    }
    return count ? sum / count : 0.0;
}

gboolean vknn_ref_average_pool(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                               VknnRefTensor *out, GError **err)
{
    (void)m;
    RefWindow win;
    if (!vknn_ref_pool_window(n, in, &win, err))
        return FALSE;
    const int64_t *xd = in[0].shape.dims;
    VknnShape want = {4, {xd[0], xd[1], win.out[0], win.out[1]}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;
    gboolean include_pad = vknn_node_attr_int(n, "count_include_pad", 0) != 0;
    int64_t h = xd[2], w = xd[3], planes = xd[0] * xd[1];
    float *y = out[0].data;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oy = 0; oy < win.out[0]; oy++)
            for (int64_t ox = 0; ox < win.out[1]; ox++)
                *y++ = (float)avg_window(&win, in[0].data + p * h * w, h, w, oy, ox, include_pad);
    return TRUE;
}

/* Global pools reduce every axis after N and C, of any spatial rank. */
static gboolean global_pool(const VknnNode *n, const VknnRefTensor *in, VknnRefTensor *out,
                            gboolean max, GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 3, VKNN_MAX_RANK, err))
        return FALSE;
    VknnShape want = in[0].shape;
    for (int a = 2; a < want.rank; a++)
        want.dims[a] = 1;
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;
    int64_t planes = want.dims[0] * want.dims[1];
    int64_t size = ref_numel(&in[0].shape) / MAX(planes, 1);
    for (int64_t p = 0; p < planes; p++) {
        const float *x = in[0].data + p * size;
        double acc = max ? -INFINITY : 0.0;
        for (int64_t i = 0; i < size; i++)
            acc = max ? (x[i] > acc || isnan(x[i]) ? x[i] : acc) : acc + x[i];
        out[0].data[p] = (float)(max ? acc : acc / size);
    }
    return TRUE;
}

gboolean vknn_ref_global_average_pool(const VknnModel *m, const VknnNode *n,
                                      const VknnRefTensor *in, VknnRefTensor *out, GError **err)
{
    (void)m;
    return global_pool(n, in, out, FALSE, err);
}

gboolean vknn_ref_global_max_pool(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                                  VknnRefTensor *out, GError **err)
{
    (void)m;
    return global_pool(n, in, out, TRUE, err);
}
