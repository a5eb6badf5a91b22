/* Resize (opset 10+) and Upsample: nearest and (bi)linear on H and W. */
#include "graph/params.h"

#include <math.h>
#include <string.h>

static int lookup(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (g_str_equal(s, names[i]))
            return i;
    return -1;
}

static gboolean read_mode(const VknnModel *m, const VknnNode *n, VknnResizeParams *p, GError **err)
{
    const char *mode = vknn_node_attr_string(n, "mode", "nearest");
    if (g_str_equal(mode, "linear") || g_str_equal(mode, "bilinear"))
        p->linear = TRUE;
    else if (!g_str_equal(mode, "nearest"))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "mode '%s' is not supported", mode);
    /* Upsample and Resize-10 sample at x_out / scale and floor for nearest. */
    const gboolean legacy = vknn_node_op(n) == VKNN_OP_Upsample || m->opset < 11;
    p->ctm = legacy ? VKNN_CTM_ASYMMETRIC : VKNN_CTM_HALF_PIXEL;
    p->nearest = legacy ? VKNN_NEAREST_FLOOR : VKNN_NEAREST_ROUND_FLOOR;
    if (legacy)
        return TRUE;
    static const char *const ctms[] = {"half_pixel", "asymmetric", "align_corners",
                                       "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    const char *c = vknn_node_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = vknn_node_attr_string(n, "nearest_mode", "round_prefer_floor");
    p->ctm = lookup(c, ctms, G_N_ELEMENTS(ctms));
    p->nearest = lookup(nm, nearests, G_N_ELEMENTS(nearests));
    if (p->ctm < 0)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "coordinate_transformation_mode '%s' is not supported", c);
    if (p->nearest < 0)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "nearest_mode '%s' is not supported",
                               nm);
    return TRUE;
}

/* Scales (or sizes) from the attribute or the right input for the op/opset. */
gboolean vknn_resize_params(const VknnModel *m, const VknnNode *n, VknnResizeParams *p,
                            GError **err)
{
    memset(p, 0, sizeof *p);
    if (!vknn_check_inputs(n, 1, 4, err) || !read_mode(m, n, p, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    const int rank = x->rank;
    int count = -1;
    gboolean sizes = FALSE;
    int64_t sz[4];
    if (vknn_node_op(n) == VKNN_OP_Upsample && m->opset < 9) {
        const VknnAttr *a = vknn_node_attr(n, "scales");
        if (a && a->type == VKNN_ATTR_FLOATS && a->n == rank)
            memcpy(p->scales, a->floats, sizeof(float) * rank), count = rank;
    } else {
        const int scales_input = vknn_node_op(n) == VKNN_OP_Upsample || m->opset < 11 ? 1 : 2;
        for (int i = scales_input; i < n->n_inputs; i++)
            if (n->inputs[i] >= 0 && !vknn_check_constant(m, n, i, err))
                return FALSE;
        count = vknn_const_floats(m, n, scales_input, p->scales, 4);
        if (count <= 0 && n->n_inputs > 3 && (count = vknn_const_ints(m, n, 3, sz, 4)) > 0)
            sizes = TRUE;
    }
    if (count != rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "needs %d scales or sizes", rank);
    for (int i = 0; i < rank; i++) {
        double out = sizes ? (double)sz[i] : floor((double)x->dims[i] * p->scales[i]);
        if (sizes)
            p->scales[i] = (float)sz[i] / (float)x->dims[i];
        if (!(p->scales[i] > 0.0f) || !(out >= 1 && out <= (1 << 20))) /* NaN fails too */
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "invalid scale or size on axis %d", i);
        p->out[i] = (int64_t)out;
    }
    const char *ctm = vknn_node_attr_string(n, "coordinate_transformation_mode", "");
    if (g_str_equal(ctm, "tf_crop_and_resize"))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "tf_crop_and_resize is not supported");
    return TRUE;
}

int vknn_resize_nearest_factor(const VknnModel *m, const VknnNode *n)
{
    VknnResizeParams p;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    if (!x || x->rank != 4 || !vknn_resize_params(m, n, &p, NULL) || p.linear)
        return 0;
    /* With an integer factor s, asymmetric + floor and half_pixel + round
     * both pick source pixel floor(x / s). */
    const gboolean floor_pick =
        (p.ctm == VKNN_CTM_ASYMMETRIC && p.nearest == VKNN_NEAREST_FLOOR) ||
        (p.ctm == VKNN_CTM_HALF_PIXEL && p.nearest == VKNN_NEAREST_ROUND_FLOOR);
    const int64_t s = p.out[2] / x->dims[2];
    if (!floor_pick || p.out[0] != x->dims[0] || p.out[1] != x->dims[1] || s < 2 || s > 4 ||
        p.out[2] != s * x->dims[2] || p.out[3] != s * x->dims[3] || p.scales[2] != (float)s ||
        p.scales[3] != (float)s)
        return 0;
    return (int)s;
}

static gboolean resize_infer(VknnModel *m, VknnNode *n, GError **err)
{
    VknnResizeParams p;
    if (!vknn_resize_params(m, n, &p, err))
        return FALSE;
    VknnShape *y = vknn_out_shape(m, n, 0);
    *y = *vknn_in_shape(m, n, 0);
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = p.out[i];
    return TRUE;
}

const VknnOpSchema vknn_schema_resize = {
    VKNN_SCHEMA_OF(Resize),
    .infer = resize_infer,
    .host_inputs = 0xe,
};
const VknnOpSchema vknn_schema_upsample = {
    VKNN_SCHEMA_OF(Upsample),
    .infer = resize_infer,
    .host_inputs = 0x2,
};
