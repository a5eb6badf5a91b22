/* vknn — the reference backward pass: walks the model's nodes in reverse
 * topological order and back-propagates d loss / d value with plain loops
 * that follow the maths of each op, for testing the Vulkan backward kernels.
 *
 * Like the forward reference it shares no code with the Vulkan shaders.
 * Gradients are accumulated in double and converted to float at the end, so
 * the reference does not depend on the order of its sums. A backward kernel
 * adds (+=) into the gradient of each input, which is how a value that feeds
 * several nodes (or one node twice, as in x * x) sums its contributions. */
#include "ref_internal.h"

#include <string.h>

/* What the backward kernel of one node sees. */
typedef struct {
    const VknnModel *m;
    const VknnNode *n;
    const VknnRefTensor *in;  /* forward inputs, bound as vknn_ref_run binds them */
    const VknnRefTensor *out; /* forward outputs (model shapes, values from the run) */
    const double *gy;         /* d loss / d output 0 */
    double **gx;              /* d loss / d input i, added into; NULL when not wanted */
    gboolean guided;
} RefGrad;

typedef gboolean (*RefGradFunc)(const RefGrad *g, GError **err);

/* Gradient buffer of input i, or NULL when it is omitted or not wanted. */
static double *grad_in(const RefGrad *g, int i)
{
    return i < g->n->n_inputs ? g->gx[i] : NULL;
}

/* ---- element-wise activations -------------------------------------------- */

/* d loss / d x of one element, from x and d loss / d y; p holds the op's
 * parameters. */
typedef double (*ElemGrad)(const RefGrad *g, const double *p, double x, double gy);

static gboolean grad_elementwise(const RefGrad *g, ElemGrad fn, const double *p, GError **err)
{
    if (!vknn_ref_check_same_shape(g->n, g->in, g->out, err))
        return FALSE;
    double *gx = grad_in(g, 0);
    int64_t k = ref_numel(&g->in[0].shape);
    for (int64_t i = 0; gx && i < k; i++)
        gx[i] += fn(g, p, g->in[0].data[i], g->gy[i]);
    return TRUE;
}

/* Nothing passes at x == 0, as PyTorch's threshold_backward; guided
 * back-propagation also drops the negative gradients. */
static double elem_relu(const RefGrad *g, const double *p, double x, double gy)
{
    (void)p;
    if (!(x > 0.0) || (g->guided && !(gy > 0.0)))
        return 0.0;
    return gy;
}

/* Slope 1 for x > 0, alpha otherwise (PyTorch's choice at 0). */
static double elem_leaky_relu(const RefGrad *g, const double *p, double x, double gy)
{
    (void)g;
    return x > 0.0 ? gy : p[0] * gy;
}

/* Strictly inside the bounds only: a clipped element, or one on a bound,
 * passes nothing. */
static double elem_clip(const RefGrad *g, const double *p, double x, double gy)
{
    (void)g;
    return x > p[0] && x < p[1] ? gy : 0.0;
}

static double elem_sigmoid(const RefGrad *g, const double *p, double x, double gy)
{
    (void)g, (void)p;
    double s = 1.0 / (1.0 + exp(-x));
    return gy * s * (1.0 - s);
}

static double elem_tanh(const RefGrad *g, const double *p, double x, double gy)
{
    (void)g, (void)p;
    double t = tanh(x);
    return gy * (1.0 - t * t);
}

static gboolean grad_relu(const RefGrad *g, GError **err)
{
    return grad_elementwise(g, elem_relu, NULL, err);
}

static gboolean grad_leaky_relu(const RefGrad *g, GError **err)
{
    double alpha = vknn_node_attr_float(g->n, "alpha", 0.01f);
    return grad_elementwise(g, elem_leaky_relu, &alpha, err);
}

/* Bounds as the forward reads them: inputs since opset 11, attributes
 * before. They are constants (shape inference insists), so they get no
 * gradient. */
static gboolean grad_clip(const RefGrad *g, GError **err)
{
    double b[2];
    if (g->m->opset >= 11) {
        b[0] = vknn_ref_input_scalar(g->n, g->in, 1, -INFINITY);
        b[1] = vknn_ref_input_scalar(g->n, g->in, 2, INFINITY);
    } else {
        b[0] = vknn_node_attr_float(g->n, "min", -INFINITY);
        b[1] = vknn_node_attr_float(g->n, "max", INFINITY);
    }
    return grad_elementwise(g, elem_clip, b, err);
}

static gboolean grad_sigmoid(const RefGrad *g, GError **err)
{
    return grad_elementwise(g, elem_sigmoid, NULL, err);
}

static gboolean grad_tanh(const RefGrad *g, GError **err)
{
    return grad_elementwise(g, elem_tanh, NULL, err);
}

/* Identity, Dropout (inference: nothing dropped), Flatten and Reshape keep
 * the row-major element order: the gradient is gy with the input's shape.
 * Reshape's shape input gets none. */
static gboolean grad_identity(const RefGrad *g, GError **err)
{
    if (!vknn_ref_need_input(g->n, g->in, 0, 0, VKNN_MAX_RANK, err))
        return FALSE;
    int64_t k = ref_numel(&g->in[0].shape);
    if (ref_numel(&g->out[0].shape) != k) {
        char a[96], b[96];
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, g->n, "input %s and output %s differ in size",
                             vknn_ref_shape_str(&g->in[0].shape, a, sizeof a),
                             vknn_ref_shape_str(&g->out[0].shape, b, sizeof b));
    }
    double *gx = grad_in(g, 0);
    for (int64_t i = 0; gx && i < k; i++)
        gx[i] += g->gy[i];
    return TRUE;
}

/* ---- Add, Sub, Mul --------------------------------------------------------- */

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL } BinOp;

/* An input that broadcasts along an axis has stride 0 there, so every
 * output element it fed adds its share into the same element: that is the
 * sum of the gradient over the broadcast dims. */
static gboolean grad_binary(const RefGrad *g, BinOp op, GError **err)
{
    const VknnRefTensor *in = g->in;
    VknnShape ys;
    if (!vknn_ref_binary_shape(g->n, in, g->out, &ys, err))
        return FALSE;

    int64_t d[4], sa[4], sb[4];
    vknn_ref_dims4(&ys, d);
    vknn_ref_broadcast_strides(&in[0].shape, &ys, sa);
    vknn_ref_broadcast_strides(&in[1].shape, &ys, sb);
    const float *a = in[0].data, *b = in[1].data;
    double *ga = grad_in(g, 0), *gb = grad_in(g, 1);
    const double *gy = g->gy;
    for (int64_t i0 = 0; i0 < d[0]; i0++)
        for (int64_t i1 = 0; i1 < d[1]; i1++)
            for (int64_t i2 = 0; i2 < d[2]; i2++)
                for (int64_t i3 = 0; i3 < d[3]; i3++) {
                    int64_t ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
                    int64_t ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
                    double dy = *gy++;
                    if (ga)
                        ga[ia] += op == BIN_MUL ? dy * b[ib] : dy;
                    if (gb)
                        gb[ib] += op == BIN_MUL ? dy * a[ia] : op == BIN_SUB ? -dy : dy;
                }
    return TRUE;
}

static gboolean grad_add(const RefGrad *g, GError **err)
{
    return grad_binary(g, BIN_ADD, err);
}

static gboolean grad_sub(const RefGrad *g, GError **err)
{
    return grad_binary(g, BIN_SUB, err);
}

static gboolean grad_mul(const RefGrad *g, GError **err)
{
    return grad_binary(g, BIN_MUL, err);
}

/* ---- Conv ------------------------------------------------------------------ */

/* Checks a Conv or ConvTranspose bias against the feature count. */
static gboolean conv_bias(const RefGrad *g, int64_t feats, GError **err)
{
    if (vknn_ref_has_input(g->n, g->in, 2) && ref_numel(&g->in[2].shape) != feats)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, g->n,
                             "bias has %" G_GINT64_FORMAT " elements, %" G_GINT64_FORMAT
                             " expected",
                             ref_numel(&g->in[2].shape), feats);
    return TRUE;
}

typedef struct {
    int64_t batch, chans, h, w; /* input */
    int64_t feats, cpg, kh, kw; /* weights [feats, cpg, kh, kw] */
    int64_t fpg;                /* features per group */
    RefWindow win;
} ConvGeom;

static gboolean conv_geom(const RefGrad *g, ConvGeom *c, GError **err)
{
    const VknnNode *n = g->n;
    if (!vknn_ref_need_input(n, g->in, 0, 4, 4, err) ||
        !vknn_ref_need_input(n, g->in, 1, 4, 4, err))
        return FALSE;
    const int64_t *xd = g->in[0].shape.dims, *wd = g->in[1].shape.dims;
    *c = (ConvGeom){xd[0], xd[1], xd[2], xd[3], wd[0], wd[1], wd[2], wd[3], 0};
    int64_t group;
    if (!vknn_ref_conv_group(n, xd, wd, &group, err))
        return FALSE;
    c->fpg = c->feats / group;
    if (!conv_bias(g, c->feats, err) ||
        !vknn_ref_window_init(n, xd + 2, wd + 2, FALSE, &c->win, err))
        return FALSE;
    VknnShape want = {4, {c->batch, c->feats, c->win.out[0], c->win.out[1]}};
    return vknn_ref_check_output(n, g->out, 0, &want, err);
}

/* y[b,f,oy,ox] = bias[f] + sum over c, ky, kx of
 *   x[b, c0 + c, oy*stride - pad + ky*dilation, ...] * w[f, c, ky, kx]
 * with c0 the first channel of f's group and taps on padding reading 0.
 * Each product sends gy to x through w and to w through x; bias gets gy. */
static gboolean grad_conv(const RefGrad *g, GError **err)
{
    ConvGeom c;
    if (!conv_geom(g, &c, err))
        return FALSE;
    const RefWindow *win = &c.win;
    const float *x = g->in[0].data, *wt = g->in[1].data;
    double *gx = grad_in(g, 0), *gw = grad_in(g, 1), *gb = grad_in(g, 2);
    const double *gy = g->gy;
    for (int64_t b = 0; b < c.batch; b++)
        for (int64_t f = 0; f < c.feats; f++)
            for (int64_t oy = 0; oy < win->out[0]; oy++)
                for (int64_t ox = 0; ox < win->out[1]; ox++) {
                    double dy = *gy++;
                    if (gb)
                        gb[f] += dy;
                    int64_t c0 = (f / c.fpg) * c.cpg;
                    for (int64_t ci = 0; ci < c.cpg; ci++)
                        for (int64_t ky = 0; ky < c.kh; ky++) {
                            int64_t iy =
                                oy * win->stride[0] - win->pad_begin[0] + ky * win->dilation[0];
                            if (iy < 0 || iy >= c.h)
                                continue;
                            for (int64_t kx = 0; kx < c.kw; kx++) {
                                int64_t ix =
                                    ox * win->stride[1] - win->pad_begin[1] + kx * win->dilation[1];
                                if (ix < 0 || ix >= c.w)
                                    continue;
                                int64_t xi = ((b * c.chans + c0 + ci) * c.h + iy) * c.w + ix;
                                int64_t wi = ((f * c.cpg + ci) * c.kh + ky) * c.kw + kx;
                                if (gx)
                                    gx[xi] += dy * wt[wi];
                                if (gw)
                                    gw[wi] += dy * x[xi];
                            }
                        }
                }
    return TRUE;
}

/* ---- ConvTranspose --------------------------------------------------------- */

/* The definition as a scatter (the forward reference gathers): input pixel
 * (iy, ix) of channel ci adds x * w[ci, fo, ky, kx] to output pixel
 * (iy*stride - pad + ky*dilation, ...) of feature g*opg + fo, g = ci's group;
 * outputs cropped by the padding receive nothing. Bias gets gy. */
static gboolean grad_conv_transpose(const RefGrad *g, GError **err)
{
    const VknnNode *n = g->n;
    if (!vknn_ref_need_input(n, g->in, 0, 4, 4, err) ||
        !vknn_ref_need_input(n, g->in, 1, 4, 4, err))
        return FALSE;
    const int64_t *xd = g->in[0].shape.dims, *wd = g->in[1].shape.dims;
    int64_t batch = xd[0], chans = xd[1], h = xd[2], w = xd[3];
    int64_t group;
    if (!vknn_ref_trans_group(n, xd, wd, &group, err))
        return FALSE;
    int64_t opg = wd[1], feats = opg * group, cpg = chans / group, kh = wd[2], kw = wd[3];
    RefTransWindow t;
    if (!conv_bias(g, feats, err) || !vknn_ref_trans_window(n, xd + 2, wd + 2, &t, err))
        return FALSE;
    VknnShape want = {4, {batch, feats, t.out[0], t.out[1]}};
    if (!vknn_ref_check_output(n, g->out, 0, &want, err))
        return FALSE;

    const float *x = g->in[0].data, *wt = g->in[1].data;
    double *gx = grad_in(g, 0), *gw = grad_in(g, 1), *gb = grad_in(g, 2);
    int64_t oh = t.out[0], ow = t.out[1];
    for (int64_t b = 0; b < batch; b++)
        for (int64_t ci = 0; ci < chans; ci++)
            for (int64_t iy = 0; iy < h; iy++)
                for (int64_t ix = 0; ix < w; ix++) {
                    int64_t xi = ((b * chans + ci) * h + iy) * w + ix;
                    for (int64_t fo = 0; fo < opg; fo++) {
                        int64_t f = (ci / cpg) * opg + fo;
                        for (int64_t ky = 0; ky < kh; ky++) {
                            int64_t oy = iy * t.stride[0] - t.pad_begin[0] + ky * t.dilation[0];
                            if (oy < 0 || oy >= oh)
                                continue;
                            for (int64_t kx = 0; kx < kw; kx++) {
                                int64_t ox = ix * t.stride[1] - t.pad_begin[1] + kx * t.dilation[1];
                                if (ox < 0 || ox >= ow)
                                    continue;
                                double dy = g->gy[((b * feats + f) * oh + oy) * ow + ox];
                                int64_t wi = ((ci * opg + fo) * kh + ky) * kw + kx;
                                if (gx)
                                    gx[xi] += dy * wt[wi];
                                if (gw)
                                    gw[wi] += dy * x[xi];
                            }
                        }
                    }
                }
    for (int64_t b = 0; gb && b < batch; b++)
        for (int64_t f = 0; f < feats; f++)
            for (int64_t p = 0; p < oh * ow; p++)
                gb[f] += g->gy[(b * feats + f) * oh * ow + p];
    return TRUE;
}

/* ---- pools ----------------------------------------------------------------- */

/* The window of a pool node, and its output shape checked. */
static gboolean pool_window(const RefGrad *g, RefWindow *win, GError **err)
{
    if (!vknn_ref_pool_window(g->n, g->in, win, err))
        return FALSE;
    const int64_t *xd = g->in[0].shape.dims;
    VknnShape want = {4, {xd[0], xd[1], win->out[0], win->out[1]}};
    return vknn_ref_check_output(g->n, g->out, 0, &want, err);
}

/* The whole gradient of a window goes to its maximum. The optional Indices
 * output is piecewise constant: it back-propagates nothing. */
static gboolean grad_max_pool(const RefGrad *g, GError **err)
{
    RefWindow win;
    if (!pool_window(g, &win, err))
        return FALSE;
    const int64_t *xd = g->in[0].shape.dims;
    int64_t h = xd[2], w = xd[3], planes = xd[0] * xd[1];
    double *gx = grad_in(g, 0);
    const double *gy = g->gy;
    for (int64_t p = 0; gx && p < planes; p++)
        for (int64_t oy = 0; oy < win.out[0]; oy++)
            for (int64_t ox = 0; ox < win.out[1]; ox++) {
                double dy = *gy++;
                int64_t arg;
                vknn_ref_max_window(&win, g->in[0].data + p * h * w, h, w, oy, ox, &arg);
                if (arg >= 0)
                    gx[p * h * w + arg] += dy;
            }
    return TRUE;
}

/* Every input tap of a window gets gy / divisor. */
static gboolean grad_average_pool(const RefGrad *g, GError **err)
{
    RefWindow win;
    if (!pool_window(g, &win, err))
        return FALSE;
    gboolean include_pad = vknn_node_attr_int(g->n, "count_include_pad", 0) != 0;
    const int64_t *xd = g->in[0].shape.dims;
    int64_t h = xd[2], w = xd[3], planes = xd[0] * xd[1];
    double *gx = grad_in(g, 0);
    const double *gy = g->gy;
    for (int64_t p = 0; gx && p < planes; p++)
        for (int64_t oy = 0; oy < win.out[0]; oy++)
            for (int64_t ox = 0; ox < win.out[1]; ox++) {
                double dy = *gy++;
                int64_t count = vknn_ref_avg_count(&win, h, w, oy, ox, include_pad);
                if (!count)
                    continue;
                for (int64_t ky = 0; ky < win.kernel[0]; ky++) {
                    int64_t iy = oy * win.stride[0] - win.pad_begin[0] + ky * win.dilation[0];
                    if (iy < 0 || iy >= h)
                        continue;
                    for (int64_t kx = 0; kx < win.kernel[1]; kx++) {
                        int64_t ix = ox * win.stride[1] - win.pad_begin[1] + kx * win.dilation[1];
                        if (ix >= 0 && ix < w)
                            gx[p * h * w + iy * w + ix] += dy / count;
                    }
                }
            }
    return TRUE;
}

/* Global pools reduce every axis after N and C: the mean sends gy / size to
 * each element, the max all of gy to the first maximum (first NaN). */
static gboolean grad_global_pool(const RefGrad *g, gboolean max, GError **err)
{
    if (!vknn_ref_need_input(g->n, g->in, 0, 3, VKNN_MAX_RANK, err))
        return FALSE;
    VknnShape want = g->in[0].shape;
    for (int a = 2; a < want.rank; a++)
        want.dims[a] = 1;
    if (!vknn_ref_check_output(g->n, g->out, 0, &want, err))
        return FALSE;
    int64_t planes = want.dims[0] * want.dims[1];
    int64_t size = ref_numel(&g->in[0].shape) / MAX(planes, 1);
    double *gx = grad_in(g, 0);
    for (int64_t p = 0; gx && p < planes && size > 0; p++) {
        const float *x = g->in[0].data + p * size;
        if (!max) {
            for (int64_t i = 0; i < size; i++)
                gx[p * size + i] += g->gy[p] / size;
            continue;
        }
        int64_t arg = 0;
        for (int64_t i = 1; i < size && !isnan(x[arg]); i++)
            if (x[i] > x[arg] || isnan(x[i]))
                arg = i;
        gx[p * size + arg] += g->gy[p];
    }
    return TRUE;
}

static gboolean grad_global_average_pool(const RefGrad *g, GError **err)
{
    return grad_global_pool(g, FALSE, err);
}

static gboolean grad_global_max_pool(const RefGrad *g, GError **err)
{
    return grad_global_pool(g, TRUE, err);
}

/* ---- Pad, Resize, Upsample --------------------------------------------------- */

/* Pad and nearest Resize/Upsample copy input elements: y[o] = x[src(o)], or
 * a constant fill. The backward scatters gy[o] into gx[src(o)], so an input
 * pixel sums the gradient of all its copies. src is read off the forward
 * reference itself, run on x[i] = i and on x[i] = i + 0.5: an output that
 * moves by 0.5 copies input element y, one that stays put is a fill. This
 * way the backward cannot disagree with the forward about which pixel a
 * coordinate transform, rounding rule or padding mode picks. */
static gboolean grad_gather(const RefGrad *g, GError **err)
{
    const VknnNode *n = g->n;
    if (!vknn_ref_need_input(n, g->in, 0, 1, VKNN_MAX_RANK, err))
        return FALSE;
    if (vknn_node_op(n) != VKNN_OP_Pad) {
        const char *mode = vknn_node_attr_string(n, "mode", "nearest");
        if (strcmp(mode, "nearest"))
            return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n,
                                 "mode '%s': no reference backward (nearest only)", mode);
    }
    int64_t k = ref_numel(&g->in[0].shape), ko = ref_numel(&g->out[0].shape);
    /* i + 0.5 must be exact in float. */
    if (k > (1 << 22))
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n,
                             "input of %" G_GINT64_FORMAT
                             " elements: the reference backward takes at "
                             "most 2^22",
                             k);
    VknnRefFunc fn = vknn_ref_lookup(n->op_type);
    if (!fn)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "no reference backward");

    VknnRefTensor *in = g_memdup2(g->in, sizeof *in * MAX(n->n_inputs, 1));
    VknnRefTensor *out = g_new0(VknnRefTensor, MAX(n->n_outputs, 1));
    float *probe = g_new(float, MAX(k, 1));
    float *y[2] = {g_new(float, MAX(ko, 1)), g_new(float, MAX(ko, 1))};
    in[0].data = probe;
    gboolean ok = TRUE;
    for (int pass = 0; ok && pass < 2; pass++) {
        for (int64_t i = 0; i < k; i++)
            probe[i] = (float)i + (pass ? 0.5f : 0.0f);
        out[0] = (VknnRefTensor){g->out[0].shape, y[pass]};
        ok = fn(g->m, n, in, out, err);
    }
    double *gx = grad_in(g, 0);
    for (int64_t o = 0; ok && gx && o < ko; o++) {
        if (y[1][o] - y[0][o] != 0.5f)
            continue;
        int64_t src = (int64_t)y[0][o];
        if (src < 0 || src >= k || (float)src != y[0][o]) {
            ok = vknn_ref_fail(err, VKNN_ERROR_FAILED, n,
                               "output %" G_GINT64_FORMAT " is not a copy", o);
            break;
        }
        gx[src] += g->gy[o];
    }
    g_free(y[0]);
    g_free(y[1]);
    g_free(probe);
    g_free(out);
    g_free(in);
    return ok;
}

/* ---- Concat, Softmax ------------------------------------------------------- */

/* Each outer index of the output is one contiguous block of every input in
 * turn: the gradient is cut into the same blocks. */
static gboolean grad_concat(const RefGrad *g, GError **err)
{
    const VknnNode *n = g->n;
    if (!vknn_ref_need_input(n, g->in, 0, 1, VKNN_MAX_RANK, err))
        return FALSE;
    VknnShape want = g->in[0].shape;
    int axis;
    if (!vknn_ref_axis(n, vknn_node_attr_int(n, "axis", 0), want.rank, 0, &axis, err))
        return FALSE;
    for (int i = 1; i < n->n_inputs; i++) {
        if (!vknn_ref_need_input(n, g->in, i, want.rank, want.rank, err))
            return FALSE;
        want.dims[axis] += g->in[i].shape.dims[axis];
    }
    if (!vknn_ref_check_output(n, g->out, 0, &want, err))
        return FALSE;
    int64_t outer = vknn_ref_dims_product(&want, 0, axis);
    const double *gy = g->gy;
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_inputs; i++) {
            const VknnShape *s = &g->in[i].shape;
            int64_t block = vknn_ref_dims_product(s, axis, s->rank);
            double *gx = grad_in(g, i);
            for (int64_t j = 0; gx && j < block; j++)
                gx[o * block + j] += gy[j];
            gy += block;
        }
    return TRUE;
}

/* y = softmax(x) along the axis (before opset 13: over the 2-D view
 * [outer, rest] around it, as the forward does):
 * d x_k = y_k * (gy_k - sum_j gy_j y_j), with y recomputed in double. */
static gboolean grad_softmax(const RefGrad *g, GError **err)
{
    if (!vknn_ref_check_same_shape(g->n, g->in, g->out, err))
        return FALSE;
    const VknnShape *xs = &g->in[0].shape;
    gboolean coerce_2d = g->m->opset < 13;
    int axis;
    if (!vknn_ref_axis(g->n, vknn_node_attr_int(g->n, "axis", coerce_2d ? 1 : -1), xs->rank, 0,
                       &axis, err))
        return FALSE;
    int64_t outer = vknn_ref_dims_product(xs, 0, axis);
    int64_t len = coerce_2d ? vknn_ref_dims_product(xs, axis, xs->rank) : xs->dims[axis];
    int64_t inner = coerce_2d ? 1 : vknn_ref_dims_product(xs, axis + 1, xs->rank);
    double *gx = grad_in(g, 0);
    double *y = g_new(double, MAX(len, 1));
    for (int64_t o = 0; gx && o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * len * inner + i;
            const float *x = g->in[0].data + base;
            const double *gy = g->gy + base;
            double mx = -INFINITY, sum = 0.0, dot = 0.0;
            for (int64_t k = 0; k < len; k++)
                mx = MAX(mx, x[k * inner]);
            for (int64_t k = 0; k < len; k++) {
                y[k] = exp(x[k * inner] - mx);
                sum += y[k];
            }
            for (int64_t k = 0; k < len; k++) {
                y[k] /= sum;
                dot += gy[k * inner] * y[k];
            }
            for (int64_t k = 0; k < len; k++)
                gx[base + k * inner] += y[k] * (gy[k * inner] - dot);
        }
    g_free(y);
    return TRUE;
}

/* ---- Gemm, MatMul ---------------------------------------------------------- */

/* Y[i,j] = alpha * sum_k A'[i,k] B'[k,j] + beta * C[i,j], A' and B' the
 * optionally transposed operands:
 *   d A'[i,k] = alpha * sum_j gy[i,j] B'[k,j]
 *   d B'[k,j] = alpha * sum_i A'[i,k] gy[i,j]
 *   d C       = beta * gy, summed over the axes C is broadcast along
 *               (stride 0 there, as in grad_binary). */
static gboolean grad_gemm_common(const RefGrad *g, gboolean ta, gboolean tb, double alpha,
                                 double beta, GError **err)
{
    const VknnNode *n = g->n;
    const VknnRefTensor *in = g->in;
    if (!vknn_ref_need_input(n, in, 0, 2, 2, err) || !vknn_ref_need_input(n, in, 1, 2, 2, err))
        return FALSE;
    int64_t rows, depth, cols;
    if (!vknn_ref_gemm_dims(n, in, ta, tb, &rows, &depth, &cols, err))
        return FALSE;
    gboolean has_c = vknn_node_op(n) == VKNN_OP_Gemm && vknn_ref_has_input(n, in, 2);
    int64_t csr = 0, csc = 0;
    if (has_c && !vknn_ref_gemm_c_strides(n, &in[2].shape, rows, cols, &csr, &csc, err))
        return FALSE;
    VknnShape want = {2, {rows, cols}};
    if (!vknn_ref_check_output(n, g->out, 0, &want, err))
        return FALSE;

    /* Element (i, k) of A' and (k, j) of B' in row-major storage. */
    int64_t a_si = ta ? 1 : depth, a_sk = ta ? rows : 1;
    int64_t b_sk = tb ? 1 : cols, b_sj = tb ? depth : 1;
    double *ga = grad_in(g, 0), *gb = grad_in(g, 1), *gc = has_c ? grad_in(g, 2) : NULL;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double dy = g->gy[i * cols + j];
            if (gc)
                gc[i * csr + j * csc] += beta * dy;
            for (int64_t k = 0; k < depth; k++) {
                int64_t ai = i * a_si + k * a_sk, bi = k * b_sk + j * b_sj;
                if (ga)
                    ga[ai] += alpha * dy * in[1].data[bi];
                if (gb)
                    gb[bi] += alpha * dy * in[0].data[ai];
            }
        }
    return TRUE;
}

static gboolean grad_gemm(const RefGrad *g, GError **err)
{
    const VknnNode *n = g->n;
    return grad_gemm_common(
        g, vknn_node_attr_int(n, "transA", 0) != 0, vknn_node_attr_int(n, "transB", 0) != 0,
        vknn_node_attr_float(n, "alpha", 1.0f), vknn_node_attr_float(n, "beta", 1.0f), err);
}

/* 2-D operands only (the ranks other than 2 fail in grad_gemm_common). */
static gboolean grad_matmul(const RefGrad *g, GError **err)
{
    return grad_gemm_common(g, FALSE, FALSE, 1.0, 0.0, err);
}

/* ---- InstanceNormalization ------------------------------------------------- */

/* Per plane, xh = (x - mean) * inv with inv = 1 / sqrt(var + eps) (biased
 * variance) and y = scale * xh + bias:
 *   d bias  = sum gy,   d scale = sum gy * xh,
 *   d x     = inv * (dxh - mean(dxh) - xh * mean(dxh * xh)),  dxh = scale * gy,
 * the last two terms being the paths through the mean and the variance. */
static gboolean grad_instance_norm(const RefGrad *g, GError **err)
{
    const VknnNode *n = g->n;
    const VknnRefTensor *in = g->in;
    if (!vknn_ref_need_input(n, in, 0, 3, VKNN_MAX_RANK, err))
        return FALSE;
    int64_t chans = in[0].shape.dims[1];
    if (!vknn_ref_norm_param(n, in, 1, chans, err) || !vknn_ref_norm_param(n, in, 2, chans, err) ||
        !vknn_ref_check_output(n, g->out, 0, &in[0].shape, err))
        return FALSE;
    double eps = vknn_node_attr_float(n, "epsilon", 1e-5f);
    int64_t planes = in[0].shape.dims[0] * chans;
    int64_t size = ref_numel(&in[0].shape) / MAX(planes, 1);
    double *gx = grad_in(g, 0), *gs = grad_in(g, 1), *gbias = grad_in(g, 2);
    for (int64_t p = 0; p < planes && size > 0; p++) {
        const float *x = in[0].data + p * size;
        const double *gy = g->gy + p * size;
        int64_t c = p % chans;
        double mean = 0.0, var = 0.0, sum_g = 0.0, sum_gxh = 0.0;
        for (int64_t i = 0; i < size; i++)
            mean += x[i];
        mean /= size;
        for (int64_t i = 0; i < size; i++)
            var += (x[i] - mean) * (x[i] - mean);
        double inv = 1.0 / sqrt(var / size + eps);
        for (int64_t i = 0; i < size; i++) {
            sum_g += gy[i];
            sum_gxh += gy[i] * (x[i] - mean) * inv;
        }
        if (gbias)
            gbias[c] += sum_g;
        if (gs)
            gs[c] += sum_gxh;
        double scale = in[1].data[c];
        for (int64_t i = 0; gx && i < size; i++) {
            double xh = (x[i] - mean) * inv;
            gx[p * size + i] += inv * scale * (gy[i] - sum_g / size - xh * sum_gxh / size);
        }
    }
    return TRUE;
}

/* ---- the pass -------------------------------------------------------------- */

#define grad_none NULL
static const struct {
    RefGradFunc fn;
    gboolean params; /* its constant inputs (weights, biases) get gradients too */
} grad_table[VKNN_OP_COUNT] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    [VKNN_OP_##type] = {grad_##ref_grad, grad_params},
#include "ops.def"
#undef VKNN_OP
};
#undef grad_none

/* The reference backward of node n's op, or NULL. */
static RefGradFunc grad_of(const VknnNode *n)
{
    return grad_table[vknn_node_op(n)].fn;
}

/* State of one backward pass, indexed by value. */
typedef struct {
    VknnModel *m;
    VknnRefTensor *slots; /* forward value; data borrowed (NULL: not available) */
    double **grad;        /* d loss / d value; NULL where not wanted */
    GPtrArray *scratch;
} RefBack;

/* Binds every forward value as vknn_ref_run did: constants from the model
 * (int64-only ones through a float copy), graph inputs from `inputs`, the
 * rest from `values`, whose shapes must be the inferred ones. */
static gboolean bind_values(RefBack *r, GHashTable *values, const VknnRefTensor *inputs,
                            GError **err)
{
    for (guint i = 0; i < r->m->values->len; i++) {
        const VknnValue *v = vknn_model_value(r->m, i);
        VknnRefTensor *t = &r->slots[i];
        t->shape = v->shape;
        if (v->kind == VKNN_VALUE_CONSTANT) {
            int64_t k = ref_numel(&v->shape);
            t->data = v->data;
            if (!t->data && v->int_data && k > 0) {
                t->data = g_new(float, k);
                for (int64_t j = 0; j < k; j++)
                    t->data[j] = (float)v->int_data[j];
                g_ptr_array_add(r->scratch, t->data);
            }
        } else if (v->kind == VKNN_VALUE_ACTIVATION) {
            const VknnRefTensor *f = g_hash_table_lookup(values, v->name);
            if (f && !ref_shape_equal(&f->shape, &v->shape)) {
                char a[96], b[96];
                g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                            "value '%s' has shape %s in values but %s for these inputs", v->name,
                            vknn_ref_shape_str(&f->shape, a, sizeof a),
                            vknn_ref_shape_str(&v->shape, b, sizeof b));
                return FALSE;
            }
            t->data = f ? f->data : NULL;
        }
    }
    for (guint i = 0; i < r->m->inputs->len; i++) {
        int idx = g_array_index(r->m->inputs, int, i);
        if (!inputs[i].data && ref_numel(&inputs[i].shape) > 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "graph input '%s' has no data",
                        vknn_model_value(r->m, idx)->name);
            return FALSE;
        }
        r->slots[idx] = inputs[i];
    }
    return TRUE;
}

/* Marks the values that need a gradient: those on a path from a graph
 * input to the output (reachable from an input, and the output depends on
 * them), plus the constant inputs of the nodes with parameters (grad_table's
 * `params`) on such a path. Returns whether node i is on a path in on_path. */
static void mark_wanted(const VknnModel *m, int output, gboolean *wanted, gboolean *on_path)
{
    guint nv = m->values->len, nn = m->nodes->len;
    gboolean *from_input = g_new0(gboolean, MAX(nv, 1));
    gboolean *to_output = g_new0(gboolean, MAX(nv, 1));
    for (guint i = 0; i < m->inputs->len; i++)
        from_input[g_array_index(m->inputs, int, i)] = TRUE;
    for (guint i = 0; i < nn; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        gboolean any = FALSE;
        for (int j = 0; j < n->n_inputs; j++)
            any |= n->inputs[j] >= 0 && from_input[n->inputs[j]];
        for (int j = 0; any && j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                from_input[n->outputs[j]] = TRUE;
    }
    to_output[output] = TRUE;
    for (guint i = nn; i-- > 0;) {
        const VknnNode *n = vknn_model_node(m, i);
        gboolean any = FALSE;
        for (int j = 0; j < n->n_outputs; j++)
            any |= n->outputs[j] >= 0 && to_output[n->outputs[j]];
        for (int j = 0; any && j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                to_output[n->inputs[j]] = TRUE;
    }
    for (guint i = 0; i < nv; i++)
        wanted[i] = from_input[i] && to_output[i];
    /* Only output 0 carries a gradient (Dropout's mask and MaxPool's
     * indices are piecewise constant). */
    for (guint i = 0; i < nn; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        on_path[i] = n->n_outputs > 0 && n->outputs[0] >= 0 && wanted[n->outputs[0]];
        const gboolean params = grad_table[vknn_node_op(n)].params;
        for (int j = 0; on_path[i] && params && j < n->n_inputs; j++)
            if (n->inputs[j] >= 0 && vknn_model_value(m, n->inputs[j])->kind == VKNN_VALUE_CONSTANT)
                wanted[n->inputs[j]] = TRUE;
    }
    g_free(from_input);
    g_free(to_output);
}

static gboolean back_node(RefBack *r, const VknnNode *n, gboolean guided, GError **err)
{
    const RefGradFunc grad = grad_of(n);
    if (!grad)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "no reference backward");
    g_autofree VknnRefTensor *in = g_new0(VknnRefTensor, MAX(n->n_inputs, 1));
    g_autofree VknnRefTensor *out = g_new0(VknnRefTensor, MAX(n->n_outputs, 1));
    g_autofree double **gx = g_new0(double *, MAX(n->n_inputs, 1));
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0)
            continue;
        in[i] = r->slots[n->inputs[i]];
        gx[i] = r->grad[n->inputs[i]];
        if (!in[i].data && ref_numel(&in[i].shape) > 0)
            return vknn_ref_fail(err, VKNN_ERROR_FAILED, n, "input '%s' is not in values",
                                 vknn_model_value(r->m, n->inputs[i])->name);
    }
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0)
            out[i] = r->slots[n->outputs[i]];
    RefGrad g = {r->m, n, in, out, r->grad[n->outputs[0]], gx, guided};
    return grad(&g, err);
}

/* Checks the output name and the seed's shape; returns the value index or -1. */
static int find_output(const VknnModel *m, const char *output, const VknnRefTensor *seed,
                       GError **err)
{
    int idx = output ? vknn_model_find_value(m, output) : -1;
    if (idx < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no value named '%s'",
                    output ? output : "(null)");
        return -1;
    }
    const VknnValue *v = vknn_model_value(m, idx);
    if (!ref_shape_equal(&seed->shape, &v->shape) || (!seed->data && ref_numel(&seed->shape) > 0)) {
        char a[96], b[96];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "seed of shape %s%s for '%s' of shape %s",
                    vknn_ref_shape_str(&seed->shape, a, sizeof a),
                    seed->data ? "" : " without data", output,
                    vknn_ref_shape_str(&v->shape, b, sizeof b));
        return -1;
    }
    return idx;
}

/* Gradients that were wanted, as float tensors in a new table. */
static GHashTable *collect(const RefBack *r)
{
    GHashTable *res = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, vknn_ref_tensor_free);
    for (guint i = 0; i < r->m->values->len; i++) {
        if (!r->grad[i])
            continue;
        const VknnValue *v = vknn_model_value(r->m, i);
        int64_t k = ref_numel(&v->shape);
        VknnRefTensor *t = g_new0(VknnRefTensor, 1);
        t->shape = v->shape;
        t->data = g_new0(float, MAX(k, 1));
        for (int64_t j = 0; j < k; j++)
            t->data[j] = (float)r->grad[i][j];
        g_hash_table_replace(res, g_strdup(v->name), t);
    }
    return res;
}

GHashTable *vknn_ref_backward(VknnModel *m, GHashTable *values, const VknnRefTensor *inputs,
                              const char *output, const VknnRefTensor *seed, gboolean guided,
                              GError **err)
{
    /* Shapes as vknn_ref_run inferred them for these inputs (another run
     * may have changed them since). */
    guint n_in = m->inputs->len, nv = m->values->len, nn = m->nodes->len;
    g_autofree VknnShape *shapes = g_new0(VknnShape, MAX(n_in, 1));
    for (guint i = 0; i < n_in; i++)
        shapes[i] = inputs[i].shape;
    if (!vknn_model_infer_shapes(m, shapes, err))
        return NULL;
    int out_idx = find_output(m, output, seed, err);
    if (out_idx < 0)
        return NULL;

    RefBack r = {
        .m = m,
        .slots = g_new0(VknnRefTensor, MAX(nv, 1)),
        .grad = g_new0(double *, MAX(nv, 1)),
        .scratch = g_ptr_array_new_with_free_func(g_free),
    };
    g_autofree gboolean *wanted = g_new0(gboolean, MAX(nv, 1));
    g_autofree gboolean *on_path = g_new0(gboolean, MAX(nn, 1));
    mark_wanted(m, out_idx, wanted, on_path);
    for (guint i = 0; i < nv; i++)
        if (wanted[i])
            r.grad[i] = g_new0(double, MAX(ref_numel(&vknn_model_value(m, i)->shape), 1));
    if (r.grad[out_idx])
        for (int64_t j = 0; j < ref_numel(&seed->shape); j++)
            r.grad[out_idx][j] = seed->data[j];

    gboolean ok = bind_values(&r, values, inputs, err);
    for (guint i = nn; ok && i-- > 0;)
        if (on_path[i])
            ok = back_node(&r, vknn_model_node(m, i), guided, err);
    GHashTable *res = ok ? collect(&r) : NULL;
    for (guint i = 0; i < nv; i++)
        g_free(r.grad[i]);
    g_free(r.grad);
    g_free(r.slots);
    g_ptr_array_unref(r.scratch);
    return res;
}
