/* vknn — reference Pad: constant, reflect, edge (and wrap) on any axis;
 * negative pads crop. */
#include "ref_internal.h"

#include <string.h>

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } PadMode;

/* Index in the input of coordinate i along an axis of length len, or -1 for
 * the constant. */
static int64_t pad_source(PadMode mode, int64_t i, int64_t len)
{
    if (i >= 0 && i < len)
        return i;
    switch (mode) {
    case PAD_CONSTANT:
        return -1;
    case PAD_EDGE:
        return i < 0 ? 0 : len - 1;
    case PAD_WRAP:
        return (i % len + len) % len;
    case PAD_REFLECT: {
        /* Reflection repeats with period 2*(len-1); numpy's rule for pads
         * wider than the axis. */
        if (len == 1)
            return 0;
        int64_t period = 2 * (len - 1);
        i = (i % period + period) % period;
        return i < len ? i : period - i;
    }
    }
    return -1;
}

/* begin/end per axis of a rank-`rank` tensor, from the pads input (opset 11,
 * with opset 18's optional axes) or attribute (older opsets). */
static gboolean pad_amounts(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                            int rank, int64_t begin[4], int64_t end[4], float *value, GError **err)
{
    int64_t raw[8], axes[4];
    int count, n_axes = rank;
    for (int a = 0; a < 4; a++) {
        begin[a] = end[a] = 0;
        axes[a] = a;
    }
    if (m->opset >= 11) {
        if (!vknn_ref_input_ints(m, n, in, 1, raw, 8, &count, err))
            return FALSE;
        *value = vknn_ref_input_scalar(n, in, 2, 0.0f);
        if (vknn_ref_has_input(n, in, 3) &&
            !vknn_ref_input_ints(m, n, in, 3, axes, 4, &n_axes, err))
            return FALSE;
    } else {
        count = vknn_node_attr_ints(n, "pads", raw, 8);
        *value = vknn_node_attr_float(n, "value", 0.0f);
    }
    if (count != 2 * n_axes)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "%d pads for %d axes", count, n_axes);
    for (int j = 0; j < n_axes; j++) {
        int64_t a = axes[j] < 0 ? axes[j] + rank : axes[j];
        if (a < 0 || a >= rank)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "axis %" G_GINT64_FORMAT " out of range",
                                 axes[j]);
        begin[a] = raw[j];
        end[a] = raw[j + n_axes];
    }
    return TRUE;
}

static gboolean pad_mode(const VknnNode *n, PadMode *mode, GError **err)
{
    static const char *const names[] = {"constant", "reflect", "edge", "wrap"};
    const char *s = vknn_node_attr_string(n, "mode", "constant");
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *mode = (PadMode)i;
            return TRUE;
        }
    return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "mode '%s'", s);
}

gboolean vknn_ref_pad(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 1, VKNN_MAX_RANK, err))
        return FALSE;
    const VknnShape *xs = &in[0].shape;
    int rank = xs->rank;
    int64_t begin[4], end[4];
    float value;
    PadMode mode = PAD_CONSTANT;
    if (!pad_mode(n, &mode, err) || !pad_amounts(m, n, in, rank, begin, end, &value, err))
        return FALSE;
    VknnShape want = {rank, {0}};
    for (int a = 0; a < rank; a++) {
        want.dims[a] = xs->dims[a] + begin[a] + end[a];
        int64_t kept = xs->dims[a] + MIN(begin[a], 0) + MIN(end[a], 0);
        if (kept < 0 || (want.dims[a] > kept && kept == 0 && mode != PAD_CONSTANT))
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                                 "cannot pad axis %d of size %" G_GINT64_FORMAT
                                 " by %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT,
                                 a, xs->dims[a], begin[a], end[a]);
    }
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    /* Work on 4-D views, leading axes unpadded. Negative pads crop the
     * input before the rest is padded (as onnxruntime): along each axis the
     * padding modes see the window [skip, skip + len) of the input. */
    int64_t id[4], od[4], pad[4] = {0, 0, 0, 0}, skip[4] = {0, 0, 0, 0}, len[4];
    vknn_ref_dims4(xs, id);
    vknn_ref_dims4(&want, od);
    memcpy(len, id, sizeof len);
    for (int a = 0; a < rank; a++) {
        int j = 4 - rank + a;
        pad[j] = MAX(begin[a], 0);
        skip[j] = MAX(-begin[a], 0);
        len[j] = id[j] - skip[j] - MAX(-end[a], 0);
    }
    float *y = out[0].data;
    for (int64_t i0 = 0; i0 < od[0]; i0++)
        for (int64_t i1 = 0; i1 < od[1]; i1++)
            for (int64_t i2 = 0; i2 < od[2]; i2++)
                for (int64_t i3 = 0; i3 < od[3]; i3++) {
                    int64_t o[4] = {i0, i1, i2, i3}, src = 0;
                    for (int a = 0; a < 4 && src >= 0; a++) {
                        int64_t s = pad_source(mode, o[a] - pad[a], len[a]);
                        src = s < 0 ? -1 : src * id[a] + skip[a] + s;
                    }
                    *y++ = src < 0 ? value : in[0].data[src];
                }
    return TRUE;
}
