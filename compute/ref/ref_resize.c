/* vknn — reference Resize (opsets 10 to 19, nearest and linear) and
 * Upsample. */
#include "ref_internal.h"

#include <string.h>

typedef enum {
    CT_HALF_PIXEL,
    CT_ASYMMETRIC,
    CT_ALIGN_CORNERS,
    CT_PYTORCH_HALF_PIXEL,
    CT_TF_HALF_PIXEL_FOR_NN,
} CoordMode;

typedef enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } NearestMode;

typedef struct {
    gboolean linear;
    CoordMode coord;
    NearestMode nearest;
    double scale[VKNN_MAX_RANK]; /* per axis, as the coordinate transform uses it */
    VknnShape out;
} ResizePlan;

/* Index of a string in names, or -1. */
static int lookup(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static gboolean resize_mode(const VknnNode *n, ResizePlan *p, GError **err)
{
    const char *mode = vknn_node_attr_string(n, "mode", "nearest");
    /* Upsample-7 spelled linear "bilinear" in some exporters. */
    if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear"))
        p->linear = TRUE;
    else if (!strcmp(mode, "nearest"))
        p->linear = FALSE;
    else
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "mode '%s'", mode);
    return TRUE;
}

/* Attributes of Resize-11 and later. */
static gboolean resize_attrs(const VknnNode *n, ResizePlan *p, GError **err)
{
    static const char *const coords[] = {"half_pixel", "asymmetric", "align_corners",
                                         "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    const char *c = vknn_node_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = vknn_node_attr_string(n, "nearest_mode", "round_prefer_floor");
    int ci = lookup(c, coords, G_N_ELEMENTS(coords));
    int ni = lookup(nm, nearests, G_N_ELEMENTS(nearests));
    if (ci < 0)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "coordinate_transformation_mode '%s'",
                             c);
    if (ni < 0)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "nearest_mode '%s'", nm);
    if (vknn_node_attr_int(n, "antialias", 0) || vknn_node_attr(n, "axes") ||
        strcmp(vknn_node_attr_string(n, "keep_aspect_ratio_policy", "stretch"), "stretch"))
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n,
                             "antialias, axes and keep_aspect_ratio_policy");
    p->coord = (CoordMode)ci;
    p->nearest = (NearestMode)ni;
    return resize_mode(n, p, err);
}

/* Output dims from per-axis scales: floor(in * scale). */
static gboolean plan_from_scales(const VknnNode *n, const VknnShape *xs, const float *scales,
                                 int count, ResizePlan *p, GError **err)
{
    if (count != xs->rank)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "%d scales for rank %d", count, xs->rank);
    p->out.rank = xs->rank;
    for (int a = 0; a < xs->rank; a++) {
        if (!(scales[a] > 0.0f))
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "scale %g on axis %d", scales[a], a);
        p->scale[a] = scales[a];
        p->out.dims[a] = (int64_t)floor((double)xs->dims[a] * scales[a]);
    }
    return TRUE;
}

/* Inputs of Resize-11 and later: X, roi, scales, sizes. */
static gboolean resize_inputs(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                              ResizePlan *p, GError **err)
{
    const VknnShape *xs = &in[0].shape;
    gboolean has_scales = vknn_ref_has_input(n, in, 2), has_sizes = vknn_ref_has_input(n, in, 3);
    if (has_scales == has_sizes)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "exactly one of scales and sizes is needed");
    if (has_scales)
        return plan_from_scales(n, xs, in[2].data, (int)ref_numel(&in[2].shape), p, err);

    int64_t sizes[VKNN_MAX_RANK];
    int count;
    if (!vknn_ref_input_ints(m, n, in, 3, sizes, VKNN_MAX_RANK, &count, err))
        return FALSE;
    if (count != xs->rank)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "%d sizes for rank %d", count, xs->rank);
    p->out.rank = xs->rank;
    for (int a = 0; a < xs->rank; a++) {
        p->out.dims[a] = sizes[a];
        /* As onnxruntime: the scale implied by sizes, in float. */
        p->scale[a] = (float)sizes[a] / (float)xs->dims[a];
    }
    return TRUE;
}

/* Input coordinate of output coordinate x along one axis. */
static double resize_coord(const ResizePlan *p, int axis, int64_t x, int64_t in, int64_t out)
{
    double s = p->scale[axis];
    switch (p->coord) {
    case CT_HALF_PIXEL:
        return (x + 0.5) / s - 0.5;
    case CT_PYTORCH_HALF_PIXEL:
        return out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN_CORNERS:
        return out > 1 ? x * (double)(in - 1) / (double)(out - 1) : 0.0;
    case CT_ASYMMETRIC:
        return x / s;
    case CT_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / s;
    }
    return 0.0;
}

static int64_t nearest_index(NearestMode mode, double x, int64_t in)
{
    double fl = floor(x), r;
    switch (mode) {
    case NM_ROUND_PREFER_FLOOR:
        r = x - fl == 0.5 ? fl : round(x);
        break;
    case NM_ROUND_PREFER_CEIL:
        r = x - fl == 0.5 ? fl + 1.0 : round(x);
        break;
    case NM_FLOOR:
        r = fl;
        break;
    default:
        r = ceil(x);
        break;
    }
    return r < 0.0 ? 0 : r > in - 1 ? in - 1 : (int64_t)r;
}

static void resize_nearest(const ResizePlan *p, const VknnRefTensor *x, float *y)
{
    int64_t id[4], od[4], *map[4];
    int lead = 4 - x->shape.rank;
    vknn_ref_dims4(&x->shape, id);
    vknn_ref_dims4(&p->out, od);
    for (int a = 0; a < 4; a++) {
        map[a] = g_new(int64_t, od[a]);
        for (int64_t o = 0; o < od[a]; o++)
            map[a][o] = a < lead ? 0
                                 : nearest_index(p->nearest,
                                                 resize_coord(p, a - lead, o, id[a], od[a]), id[a]);
    }
    for (int64_t i0 = 0; i0 < od[0]; i0++)
        for (int64_t i1 = 0; i1 < od[1]; i1++)
            for (int64_t i2 = 0; i2 < od[2]; i2++)
                for (int64_t i3 = 0; i3 < od[3]; i3++)
                    *y++ =
                        x->data[((map[0][i0] * id[1] + map[1][i1]) * id[2] + map[2][i2]) * id[3] +
                                map[3][i3]];
    for (int a = 0; a < 4; a++)
        g_free(map[a]);
}

typedef struct {
    int64_t i0, i1;
    double frac;
} LinearTap;

/* Clamping the source coordinate to the input is the edge padding that the
 * ONNX reference applies around the input. */
static LinearTap *linear_taps(const ResizePlan *p, int axis, int64_t in, int64_t out)
{
    LinearTap *t = g_new(LinearTap, out);
    for (int64_t o = 0; o < out; o++) {
        double x = resize_coord(p, axis, o, in, out);
        x = x < 0.0 ? 0.0 : x > in - 1 ? (double)(in - 1) : x;
        t[o].i0 = (int64_t)floor(x);
        t[o].i1 = MIN(t[o].i0 + 1, in - 1);
        t[o].frac = x - t[o].i0;
    }
    return t;
}

/* Bilinear over the last two axes; the leading ones keep their size. */
static void resize_linear(const ResizePlan *p, const VknnRefTensor *x, float *y)
{
    int r = x->shape.rank;
    int64_t h = x->shape.dims[r - 2], w = x->shape.dims[r - 1];
    int64_t oh = p->out.dims[r - 2], ow = p->out.dims[r - 1];
    int64_t planes = ref_numel(&x->shape) / MAX(h * w, 1);
    LinearTap *ty = linear_taps(p, r - 2, h, oh), *tx = linear_taps(p, r - 1, w, ow);
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *src = x->data + pl * h * w;
        for (int64_t oy = 0; oy < oh; oy++) {
            const float *r0 = src + ty[oy].i0 * w, *r1 = src + ty[oy].i1 * w;
            double fy = ty[oy].frac;
            for (int64_t ox = 0; ox < ow; ox++) {
                double fx = tx[ox].frac;
                double top = r0[tx[ox].i0] * (1.0 - fx) + r0[tx[ox].i1] * fx;
                double bot = r1[tx[ox].i0] * (1.0 - fx) + r1[tx[ox].i1] * fx;
                *y++ = (float)(top * (1.0 - fy) + bot * fy);
            }
        }
    }
    g_free(ty);
    g_free(tx);
}

static gboolean resize_run(const VknnNode *n, const VknnRefTensor *in, VknnRefTensor *out,
                           const ResizePlan *p, GError **err)
{
    const VknnShape *xs = &in[0].shape;
    for (int a = 0; a < xs->rank; a++) {
        if (p->out.dims[a] < 1)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "empty output on axis %d", a);
        if (p->linear && a < xs->rank - 2 && p->out.dims[a] != xs->dims[a])
            return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n,
                                 "linear resize of axis %d (only the last two axes)", a);
    }
    if (p->linear && xs->rank < 2)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "linear resize of a rank-%d tensor",
                             xs->rank);
    if (!vknn_ref_check_output(n, out, 0, &p->out, err))
        return FALSE;
    if (p->linear)
        resize_linear(p, &in[0], out[0].data);
    else
        resize_nearest(p, &in[0], out[0].data);
    return TRUE;
}

/* Upsample, and Resize-10 which shares its semantics: the scales given, the
 * asymmetric transform, nearest rounding down. */
static gboolean upsample_plan(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                              ResizePlan *p, GError **err)
{
    p->coord = CT_ASYMMETRIC;
    p->nearest = NM_FLOOR;
    if (!resize_mode(n, p, err))
        return FALSE;
    if (m->opset >= 9 || vknn_node_op(n) == VKNN_OP_Resize) {
        if (!vknn_ref_has_input(n, in, 1))
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "scales input missing");
        return plan_from_scales(n, &in[0].shape, in[1].data, (int)ref_numel(&in[1].shape), p, err);
    }
    const VknnAttr *a = vknn_node_attr(n, "scales");
    if (!a || a->type != VKNN_ATTR_FLOATS)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "no scales attribute");
    return plan_from_scales(n, &in[0].shape, a->floats, a->n, p, err);
}

gboolean vknn_ref_resize(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                         VknnRefTensor *out, GError **err)
{
    ResizePlan p = {0};
    if (!vknn_ref_need_input(n, in, 0, 1, VKNN_MAX_RANK, err))
        return FALSE;
    if (m->opset < 11) {
        if (!upsample_plan(m, n, in, &p, err))
            return FALSE;
    } else if (!resize_attrs(n, &p, err) || !resize_inputs(m, n, in, &p, err)) {
        return FALSE;
    }
    return resize_run(n, in, out, &p, err);
}

gboolean vknn_ref_upsample(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                           VknnRefTensor *out, GError **err)
{
    ResizePlan p = {0};
    if (!vknn_ref_need_input(n, in, 0, 1, VKNN_MAX_RANK, err) || !upsample_plan(m, n, in, &p, err))
        return FALSE;
    return resize_run(n, in, out, &p, err);
}
