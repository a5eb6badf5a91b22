/* Sliding-window parameters shared by Conv, ConvTranspose and the pools. */
#include "graph/schema.h"
#include "graph/window.h"

#include <string.h>

gboolean vknn_window_parse(const VknnNode *n, const int64_t *kernel_dims, VknnWindow *w,
                           GError **err)
{
    int64_t v[4];
    memset(w, 0, sizeof *w);
    int k = vknn_node_attr_ints(n, "kernel_shape", v, 2);
    if (k >= 0 && k != 2)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "kernel_shape has %d dims; vknn runs 2D windows only", k);
    w->k[0] = k == 2 ? v[0] : kernel_dims ? kernel_dims[0] : 0;
    w->k[1] = k == 2 ? v[1] : kernel_dims ? kernel_dims[1] : 0;
    if (w->k[0] <= 0 || w->k[1] <= 0 || w->k[0] > 64 || w->k[1] > 64 ||
        (kernel_dims && (kernel_dims[0] != w->k[0] || kernel_dims[1] != w->k[1])))
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid or inconsistent kernel_shape");
    static const char *names[] = {"strides", "dilations"};
    int64_t *dst[] = {w->s, w->d};
    for (int a = 0; a < 2; a++) {
        k = vknn_node_attr_ints(n, names[a], v, 2);
        if (k >= 0 && k != 2)
            return vknn_node_error(err, VKNN_ERROR_PARSE, n, "%s must have 2 values", names[a]);
        dst[a][0] = k == 2 ? v[0] : 1;
        dst[a][1] = k == 2 ? v[1] : 1;
        if (dst[a][0] < 1 || dst[a][1] < 1 || dst[a][0] > 64 || dst[a][1] > 64)
            return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid %s", names[a]);
    }
    k = vknn_node_attr_ints(n, "pads", v, 4);
    if (k >= 0 && k != 4)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "pads must have 4 values");
    for (int i = 0; i < 4; i++) {
        w->pads[i] = k == 4 ? v[i] : 0;
        if (w->pads[i] < 0 || w->pads[i] > 1024)
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "invalid pads");
    }
    const char *ap = vknn_node_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") == 0)
        w->auto_pad = VKNN_AUTO_PAD_NOTSET;
    else if (strcmp(ap, "VALID") == 0)
        w->auto_pad = VKNN_AUTO_PAD_VALID;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        w->auto_pad = VKNN_AUTO_PAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        w->auto_pad = VKNN_AUTO_PAD_SAME_LOWER;
    else
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "unknown auto_pad '%s'", ap);
    w->ceil_mode = vknn_node_attr_int(n, "ceil_mode", 0) != 0;
    return TRUE;
}

gboolean vknn_window_output(const VknnNode *n, VknnWindow *w, const int64_t in[2], int64_t out[2],
                            GError **err)
{
    for (int a = 0; a < 2; a++) {
        const int64_t span = (w->k[a] - 1) * w->d[a] + 1;
        if (w->auto_pad == VKNN_AUTO_PAD_VALID) {
            w->pads[a] = w->pads[a + 2] = 0;
        } else if (w->auto_pad != VKNN_AUTO_PAD_NOTSET) {
            const int64_t o = (in[a] + w->s[a] - 1) / w->s[a];
            const int64_t total = MAX((o - 1) * w->s[a] + span - in[a], 0);
            const int64_t small = total / 2;
            w->pads[a] = w->auto_pad == VKNN_AUTO_PAD_SAME_UPPER ? small : total - small;
            w->pads[a + 2] = total - w->pads[a];
        }
        const int64_t room = in[a] + w->pads[a] + w->pads[a + 2] - span;
        if (room < 0)
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                                   "input size %" G_GINT64_FORMAT
                                   " is smaller than the %" G_GINT64_FORMAT "-pixel window",
                                   in[a], span);
        out[a] = (w->ceil_mode ? room + w->s[a] - 1 : room) / w->s[a] + 1;
        /* As PyTorch and ONNX Runtime: the last window must start inside the
         * input or its leading padding. */
        if (w->ceil_mode && (out[a] - 1) * w->s[a] >= in[a] + w->pads[a])
            out[a]--;
    }
    return TRUE;
}
