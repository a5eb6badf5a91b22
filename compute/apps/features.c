/* What a CNN's features say about a set of images (vknn/features.h): a
 * layer's activations read back from the device, and on the host, nearest
 * neighbours, PCA and t-SNE embeddings, receptive fields and the images
 * that most activate a channel. */
#include "apps/classifier.h"
#include "apps/linalg.h"

#include <vknn/features.h>
#include <vknn/net.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- features on the device -------------------------------------------------- */

struct VknnFeatureNet {
    VknnModel *model;
    VknnNet *net;
    float mean[3], std[3];
    const char *layer, *input_name;
    int channels, height, width; /* the layer's, at the last run */
    float *buf;                  /* the normalised input */
    gsize buf_len;
};

/* Ops between the penultimate features and the class scores that neither
 * weigh nor mix channels. */
static gboolean is_head_passthrough(const char *op)
{
    static const char *const ops[] = {"Flatten",    "Reshape", "GlobalAveragePool", "GlobalMaxPool",
                                      "Relu",       "Clip",    "Sigmoid",           "Softmax",
                                      "LogSoftmax", "Dropout", "Identity",          "Squeeze"};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++)
        if (g_str_equal(op, ops[i]))
            return TRUE;
    return FALSE;
}

/* The input of the classifier's final Gemm / MatMul / Conv, or NULL. A
 * network whose output is a map (style transfer, segmentation) has none:
 * its last Conv's input is no feature vector. */
static const char *penultimate(VknnModel *m, GError **err)
{
    const VknnShape shape = vknn_model_default_input_shape(m, 0, 224, 224);
    if (!vknn_model_infer_shapes(m, &shape, err))
        return NULL;
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    if (out->shape.rank == 4 && out->shape.dims[2] * out->shape.dims[3] > 1) {
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "output '%s' is %s, not class scores: not a classifier, name the feature "
                    "layer",
                    out->name, vknn_shape_str(&out->shape, s, sizeof s));
        return NULL;
    }
    const VknnValue *v = out;
    while (v->producer >= 0) {
        const VknnNode *n = vknn_model_node(m, v->producer);
        if (g_str_equal(n->op_type, "Gemm") || g_str_equal(n->op_type, "MatMul") ||
            g_str_equal(n->op_type, "Conv"))
            return vknn_node_input(m, n, 0)->name;
        if (!is_head_passthrough(n->op_type))
            break;
        v = vknn_node_input(m, n, 0);
    }
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                "no final Gemm or Conv before output '%s' (only Flatten, pools and activations "
                "may follow it): name the feature layer",
                out->name);
    return NULL;
}

/* A value's name, or the first output of a node of that name. */
static const VknnValue *find_layer(const VknnModel *m, const char *layer, GError **err)
{
    const int v = vknn_model_find_value(m, layer);
    if (v >= 0)
        return vknn_model_value(m, v);
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        if (n->name && g_str_equal(n->name, layer) && n->n_outputs > 0)
            return vknn_node_output(m, n, 0);
    }
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                "layer '%s' not found in the model (vknn info lists its tensors)", layer);
    return NULL;
}

VknnFeatureNet *vknn_feature_net_new(VknnContext *ctx, VknnModel *model,
                                     const VknnFrameInputParams *input, const char *layer,
                                     GError **err)
{
    if (!vknn_check_image_input(model, err))
        return NULL;
    const char *name = layer ? layer : penultimate(model, err);
    const VknnValue *v = name ? find_layer(model, name, err) : NULL;
    if (!v)
        return NULL;
    if (v->kind != VKNN_VALUE_ACTIVATION) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "layer '%s' is not computed by the network (an input or a weight)", v->name);
        return NULL;
    }
    g_autoptr(VknnFeatureNet) f = g_new0(VknnFeatureNet, 1);
    f->model = model;
    f->layer = v->name;
    f->input_name = vknn_model_value(model, g_array_index(model->inputs, int, 0))->name;
    memcpy(f->mean, input->mean, sizeof f->mean);
    memcpy(f->std, input->std, sizeof f->std);
    f->net = vknn_net_new(ctx, model, err);
    if (!f->net || !vknn_net_keep(f->net, f->layer, err))
        return NULL;
    return g_steal_pointer(&f);
}

void vknn_feature_net_free(VknnFeatureNet *f)
{
    if (!f)
        return;
    vknn_net_free(f->net);
    g_free(f->buf);
    g_free(f);
}

const char *vknn_feature_net_layer(const VknnFeatureNet *f)
{
    return f->layer;
}

/* C, h, w of the layer at the prepared size: [1, C, h, w] or [1, C, ...]. */
static gboolean layer_dims(VknnFeatureNet *f, GError **err)
{
    const VknnShape *s = vknn_net_shape(f->net, f->layer);
    if (!s || s->rank < 2 || s->dims[0] != 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "layer '%s' is not a [1, C, ...] tensor of one image", f->layer);
        return FALSE;
    }
    f->channels = (int)s->dims[1];
    f->height = s->rank == 4 ? (int)s->dims[2] : 1;
    f->width = s->rank == 4 ? (int)s->dims[3] : (s->rank == 3 ? (int)s->dims[2] : 1);
    return TRUE;
}

gboolean vknn_feature_net_run(VknnFeatureNet *f, const float *pixels, int width, int height,
                              GError **err)
{
    if (width < 1 || height < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "empty image (%dx%d)", width, height);
        return FALSE;
    }
    const VknnShape s = {4, {1, 3, height, width}};
    const gsize hw = (gsize)width * height;
    if (!vknn_net_prepare(f->net, &s, err) || !layer_dims(f, err))
        return FALSE;
    if (f->buf_len < 3 * hw) {
        f->buf = g_renew(float, f->buf, 3 * hw);
        f->buf_len = 3 * hw;
    }
    for (int c = 0; c < 3; c++)
        for (gsize i = 0; i < hw; i++)
            f->buf[c * hw + i] = (pixels[c * hw + i] - f->mean[c]) / f->std[c];
    const float *inputs[] = {f->buf};
    return vknn_net_run(f->net, inputs, err);
}

void vknn_feature_net_dims(const VknnFeatureNet *f, int *channels, int *height, int *width)
{
    *channels = f->channels;
    *height = f->height;
    *width = f->width;
}

gboolean vknn_feature_net_read(VknnFeatureNet *f, float *out, GError **err)
{
    return vknn_net_read(f->net, f->layer, out, err);
}

gboolean vknn_feature_net_vector(VknnFeatureNet *f, float *out, GError **err)
{
    const gsize hw = (gsize)f->height * f->width;
    g_autofree float *map = g_new(float, f->channels *hw);
    if (!vknn_feature_net_read(f, map, err))
        return FALSE;
    for (int c = 0; c < f->channels; c++) {
        double s = 0;
        for (gsize i = 0; i < hw; i++)
            s += map[c * hw + i];
        out[c] = (float)(s / hw);
    }
    return TRUE;
}

/* ---- nearest neighbours ----------------------------------------------------------- */

static int by_distance(const void *a, const void *b)
{
    const VknnNeighbour *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    return x->index - y->index;
}

int vknn_nearest(const float *points, int n, int dim, const float *query, int k, VknnNeighbour *out)
{
    g_autofree VknnNeighbour *all = g_new(VknnNeighbour, MAX(n, 1));
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int d = 0; d < dim; d++) {
            const double t = (double)points[(gsize)i * dim + d] - query[d];
            s += t * t;
        }
        all[i] = (VknnNeighbour){i, (float)sqrt(s)};
    }
    qsort(all, n, sizeof *all, by_distance);
    const int m = CLAMP(k, 0, n);
    memcpy(out, all, sizeof *out * m);
    return m;
}

/* ---- PCA ----------------------------------------------------------------------------- */

/* The points minus their mean, in double. */
static double *centred(const float *points, int n, int dim)
{
    double *x = g_new(double, (gsize)n *dim);
    for (int d = 0; d < dim; d++) {
        double mean = 0;
        for (int i = 0; i < n; i++)
            mean += points[(gsize)i * dim + d];
        mean /= n;
        for (int i = 0; i < n; i++)
            x[(gsize)i * dim + d] = points[(gsize)i * dim + d] - mean;
    }
    return x;
}

/* Flips each axis of xy so that its largest-magnitude coordinate is
 * positive: eigenvectors have no sign of their own. */
static void orient_axes(float *xy, int n)
{
    for (int a = 0; a < 2; a++) {
        float big = 0;
        for (int i = 0; i < n; i++)
            if (fabsf(xy[i * 2 + a]) > fabsf(big))
                big = xy[i * 2 + a];
        for (int i = 0; big < 0 && i < n; i++)
            xy[i * 2 + a] = -xy[i * 2 + a];
    }
}

gboolean vknn_pca_2d(const float *points, int n, int dim, float *xy, GError **err)
{
    if (n < 1 || dim < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "PCA of %d points of %d dimensions", n, dim);
        return FALSE;
    }
    g_autofree double *x = centred(points, n, dim);
    const gboolean gram = n < dim; /* the smaller of the two eigenproblems */
    const int m = gram ? n : dim;
    g_autofree double *a = g_new0(double, (gsize)m *m);
    g_autofree double *values = g_new(double, m), *vectors = g_new(double, (gsize)m *m);
    for (int p = 0; p < m; p++)
        for (int q = p; q < m; q++) {
            double s = 0;
            if (gram)
                for (int d = 0; d < dim; d++)
                    s += x[(gsize)p * dim + d] * x[(gsize)q * dim + d];
            else
                for (int i = 0; i < n; i++)
                    s += x[(gsize)i * dim + p] * x[(gsize)i * dim + q];
            a[p * m + q] = a[q * m + p] = s;
        }
    if (!vknn_sym_eigen(a, m, values, vectors)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "PCA: the eigensolver did not converge");
        return FALSE;
    }
    const double tiny = 1e-12 * MAX(values[0], 0.0);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < n; i++) {
            double c = 0;
            if (k < m && values[k] > tiny) {
                if (gram) /* X v_k = sqrt(lambda_k) u_k */
                    c = sqrt(values[k]) * vectors[(gsize)k * m + i];
                else
                    for (int d = 0; d < dim; d++)
                        c += x[(gsize)i * dim + d] * vectors[(gsize)k * m + d];
            }
            xy[i * 2 + k] = (float)c;
        }
    orient_axes(xy, n);
    return TRUE;
}

/* ---- t-SNE ------------------------------------------------------------------------------ */

/* Row i of the conditional probabilities P(j | i) for the squared distances
 * d (row i of them): a Gaussian of precision beta, found by binary search
 * so that the row's entropy is log(perplexity). Distances are taken
 * relative to the nearest neighbour's, which changes nothing after
 * normalisation but keeps exp() from underflowing to an all-zero row. */
static void conditional_row(const double *d, int n, int i, double perplexity, double *p)
{
    double dmin = INFINITY;
    for (int j = 0; j < n; j++)
        if (j != i)
            dmin = fmin(dmin, d[j]);
    const double target = log(perplexity);
    double beta = 1, lo = -INFINITY, hi = INFINITY;
    for (int tries = 0; tries < 100; tries++) {
        double sum = 0, dp = 0;
        for (int j = 0; j < n; j++) {
            p[j] = j == i ? 0 : exp(-(d[j] - dmin) * beta);
            sum += p[j];
            dp += (d[j] - dmin) * p[j];
        }
        const double entropy = log(sum) + beta * dp / sum;
        for (int j = 0; j < n; j++)
            p[j] /= sum;
        const double diff = entropy - target;
        if (fabs(diff) < 1e-5)
            break;
        if (diff > 0) { /* too flat: sharpen */
            lo = beta;
            beta = isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
            hi = beta;
            beta = isinf(lo) ? beta / 2 : (beta + lo) / 2;
        }
    }
}

/* The symmetrised joint probabilities P (n x n), P_ij = (P(j|i) + P(i|j)) / 2n. */
static double *joint_probabilities(const float *points, int n, int dim, double perplexity)
{
    g_autofree double *d = g_new(double, (gsize)n *n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < dim; k++) {
                const double t = (double)points[(gsize)i * dim + k] - points[(gsize)j * dim + k];
                s += t * t;
            }
            d[(gsize)i * n + j] = s;
        }
    double *p = g_new(double, (gsize)n *n);
    for (int i = 0; i < n; i++)
        conditional_row(d + (gsize)i * n, n, i, perplexity, p + (gsize)i * n);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            const double s = MAX((p[(gsize)i * n + j] + p[(gsize)j * n + i]) / (2.0 * n), 1e-12);
            p[(gsize)i * n + j] = p[(gsize)j * n + i] = s;
        }
    return p;
}

/* Gradient of KL(P || Q) at y (n x 2) into g; p scaled by `scale`. */
static void tsne_gradient(const double *p, double scale, const double *y, int n, double *num,
                          double *g)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            const double dx = y[i * 2] - y[j * 2], dy = y[i * 2 + 1] - y[j * 2 + 1];
            const double t = i == j ? 0 : 1 / (1 + dx * dx + dy * dy);
            num[(gsize)i * n + j] = t;
            sum += t;
        }
    for (int i = 0; i < n; i++) {
        double gx = 0, gy = 0;
        for (int j = 0; j < n; j++) {
            const double t = num[(gsize)i * n + j];
            const double q = MAX(t / sum, 1e-12);
            const double f = 4 * (scale * p[(gsize)i * n + j] - q) * t;
            gx += f * (y[i * 2] - y[j * 2]);
            gy += f * (y[i * 2 + 1] - y[j * 2 + 1]);
        }
        g[i * 2] = gx;
        g[i * 2 + 1] = gy;
    }
}

/* A standard normal number (Box-Muller) from r. */
static double gaussian(GRand *r)
{
    const double u = 1.0 - g_rand_double(r), v = g_rand_double(r);
    return sqrt(-2 * log(u)) * cos(2 * G_PI * v);
}

gboolean vknn_tsne(const float *points, int n, int dim, const VknnTsneParams *params, float *xy,
                   GError **err)
{
    if (n < 1 || dim < 1 || !(params->learning_rate >= 0) || !(params->perplexity > 0)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "t-SNE of %d points of %d dimensions, perplexity %g, learning rate %g", n, dim,
                    params->perplexity, params->learning_rate);
        return FALSE;
    }
    const double perplexity = MAX(MIN(params->perplexity, (n - 1) / 3.0), 1.0);
    const double rate = params->learning_rate > 0
                            ? params->learning_rate
                            : MAX(n / MAX(params->exaggeration, 1.0f) / 4.0, 50.0);
    g_autofree double *p = joint_probabilities(points, n, dim, perplexity);
    g_autofree double *y = g_new(double, 2 * n), *g = g_new(double, 2 * n);
    g_autofree double *step = g_new0(double, 2 * n), *gains = g_new(double, 2 * n);
    g_autofree double *num = g_new(double, (gsize)n *n);
    g_autoptr(GRand) r = g_rand_new_with_seed(params->seed);
    for (int i = 0; i < 2 * n; i++) {
        y[i] = 1e-4 * gaussian(r);
        gains[i] = 1;
    }
    for (int it = 0; it < params->iterations; it++) {
        const gboolean early = it < params->exaggeration_iterations;
        tsne_gradient(p, early ? params->exaggeration : 1.0, y, n, num, g);
        const double momentum = early ? 0.5 : 0.8;
        /* The reference code's gains: grow where the gradient turned
         * against the last step, shrink where it kept its direction. */
        for (int i = 0; i < 2 * n; i++) {
            gains[i] = (g[i] > 0) != (step[i] > 0) ? gains[i] + 0.2 : gains[i] * 0.8;
            gains[i] = MAX(gains[i], 0.01);
            step[i] = momentum * step[i] - rate * gains[i] * g[i];
            y[i] += step[i];
        }
        for (int a = 0; a < 2; a++) { /* centred, as the reference code keeps it */
            double mean = 0;
            for (int i = 0; i < n; i++)
                mean += y[i * 2 + a];
            for (int i = 0; i < n; i++)
                y[i * 2 + a] -= mean / n;
        }
    }
    for (int i = 0; i < 2 * n; i++)
        xy[i] = (float)y[i];
    return TRUE;
}

/* ---- thumbnail canvas --------------------------------------------------------------------- */

/* Pastes a 3 x th x tw thumbnail with its top-left corner at (x0, y0), clipped. */
static void paste(const float *thumb, int tw, int th, int x0, int y0, float *canvas, int size)
{
    for (int c = 0; c < 3; c++)
        for (int y = MAX(0, -y0); y < th && y0 + y < size; y++)
            for (int x = MAX(0, -x0); x < tw && x0 + x < size; x++)
                canvas[((gsize)c * size + y0 + y) * size + x0 + x] =
                    thumb[((gsize)c * th + y) * tw + x];
}

void vknn_thumbnail_canvas(const float *xy, int n, const float *const *thumbs, int tw, int th,
                           int size, float *canvas)
{
    for (gsize i = 0; i < 3 * (gsize)size * size; i++)
        canvas[i] = 1.0f;
    float lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < n; i++)
        for (int a = 0; a < 2; a++) {
            lo[a] = fminf(lo[a], xy[i * 2 + a]);
            hi[a] = fmaxf(hi[a], xy[i * 2 + a]);
        }
    /* One scale for both axes, so that distances look like distances. */
    const double room[2] = {MAX(size - tw, 1), MAX(size - th, 1)};
    double scale = INFINITY;
    for (int a = 0; a < 2; a++)
        if (hi[a] > lo[a])
            scale = fmin(scale, room[a] / (hi[a] - lo[a]));
    if (isinf(scale))
        scale = 0;
    for (int i = 0; i < n; i++) {
        const double cx = size / 2.0 + (xy[i * 2] - (lo[0] + hi[0]) / 2) * scale;
        const double cy = size / 2.0 + (xy[i * 2 + 1] - (lo[1] + hi[1]) / 2) * scale;
        paste(thumbs[i], tw, th, (int)lround(cx - tw / 2.0), (int)lround(cy - th / 2.0), canvas,
              size);
    }
}

/* ---- receptive fields -------------------------------------------------------------------------
 */

/* What the walk knows of a value: a field, none (constants), or that it
 * mixes all positions (and which node made it so). */
typedef struct {
    enum { RF_NONE, RF_FIELD, RF_GLOBAL, RF_UNSUPPORTED } kind;
    VknnReceptiveField rf;
    const VknnNode *culprit;
} FieldState;

static gboolean is_window_op(const char *op)
{
    return g_str_equal(op, "Conv") || g_str_equal(op, "MaxPool") ||
           g_str_equal(op, "AveragePool") || g_str_equal(op, "LpPool");
}

static gboolean is_global_op(const char *op)
{
    static const char *const ops[] = {
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "Gemm",   "MatMul",
        "Flatten",           "Reshape",       "ReduceMean",   "Softmax"};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++)
        if (g_str_equal(op, ops[i]))
            return TRUE;
    return FALSE;
}

static gboolean is_resampling_op(const char *op)
{
    return g_str_equal(op, "Resize") || g_str_equal(op, "Upsample") ||
           g_str_equal(op, "ConvTranspose");
}

/* The union of the fields of n's non-constant inputs. */
static FieldState union_of_inputs(const VknnNode *n, const FieldState *st)
{
    FieldState out = {.kind = RF_NONE};
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0)
            continue;
        const FieldState *s = &st[n->inputs[i]];
        if (s->kind == RF_GLOBAL || s->kind == RF_UNSUPPORTED)
            return *s;
        if (s->kind != RF_FIELD)
            continue;
        if (out.kind == RF_NONE) {
            out = *s;
            continue;
        }
        for (int a = 0; a < 2; a++) {
            const int end = MAX(out.rf.start[a] + out.rf.size[a], s->rf.start[a] + s->rf.size[a]);
            out.rf.start[a] = MIN(out.rf.start[a], s->rf.start[a]);
            out.rf.size[a] = end - out.rf.start[a];
            out.rf.jump[a] = MAX(out.rf.jump[a], s->rf.jump[a]);
        }
    }
    return out;
}

/* A Conv's or a pool's window: kernel from the weights or kernel_shape. */
static gboolean grow_by_window(const VknnModel *m, const VknnNode *n, VknnReceptiveField *rf)
{
    int64_t k[2] = {1, 1}, s[2] = {1, 1}, d[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
    const VknnValue *w = g_str_equal(n->op_type, "Conv") ? vknn_node_input(m, n, 1) : NULL;
    if (w && w->shape.rank == 4) {
        k[0] = w->shape.dims[2];
        k[1] = w->shape.dims[3];
    } else if (vknn_node_attr_ints(n, "kernel_shape", k, 2) != 2) {
        return FALSE;
    }
    const char *auto_pad = vknn_node_attr_string(n, "auto_pad", "NOTSET");
    if (!g_str_equal(auto_pad, "NOTSET") && !g_str_equal(auto_pad, "VALID"))
        return FALSE;
    vknn_node_attr_ints(n, "strides", s, 2);
    vknn_node_attr_ints(n, "dilations", d, 2);
    vknn_node_attr_ints(n, "pads", pads, 4);
    for (int a = 0; a < 2; a++) {
        rf->start[a] -= (int)pads[a] * rf->jump[a];
        rf->size[a] += (int)(d[a] * (k[a] - 1)) * rf->jump[a];
        rf->jump[a] *= (int)s[a];
    }
    return TRUE;
}

/* A Pad node's begin pads of H and W move the start. */
static gboolean shift_by_pad(const VknnModel *m, const VknnNode *n, VknnReceptiveField *rf)
{
    int64_t pads[8] = {0};
    const VknnValue *pv = n->n_inputs > 1 ? vknn_node_input(m, n, 1) : NULL;
    int count;
    if (pv && pv->int_data) {
        count = (int)MIN(vknn_shape_numel(&pv->shape), 8);
        memcpy(pads, pv->int_data, sizeof(int64_t) * count);
    } else {
        count = vknn_node_attr_ints(n, "pads", pads, 8);
    }
    if (count != 8)
        return FALSE;
    for (int a = 0; a < 2; a++)
        rf->start[a] -= (int)pads[2 + a] * rf->jump[a];
    return TRUE;
}

static FieldState node_field(const VknnModel *m, const VknnNode *n, const FieldState *st)
{
    FieldState s = union_of_inputs(n, st);
    if (s.kind != RF_FIELD)
        return s;
    gboolean ok = TRUE;
    if (is_global_op(n->op_type))
        return (FieldState){.kind = RF_GLOBAL, .culprit = n};
    if (is_resampling_op(n->op_type))
        return (FieldState){.kind = RF_UNSUPPORTED, .culprit = n};
    if (is_window_op(n->op_type))
        ok = grow_by_window(m, n, &s.rf);
    else if (g_str_equal(n->op_type, "Pad"))
        ok = shift_by_pad(m, n, &s.rf);
    return ok ? s : (FieldState){.kind = RF_UNSUPPORTED, .culprit = n};
}

static const char *node_label(const VknnModel *m, const VknnNode *n)
{
    return n->name && *n->name ? n->name : vknn_node_output(m, n, 0)->name;
}

gboolean vknn_receptive_field(const VknnModel *model, const char *layer, VknnReceptiveField *rf,
                              GError **err)
{
    const VknnValue *target = find_layer(model, layer, err);
    if (!target)
        return FALSE;
    g_autofree FieldState *st = g_new0(FieldState, model->values->len);
    for (guint i = 0; i < model->inputs->len; i++)
        st[g_array_index(model->inputs, int, i)] =
            (FieldState){.kind = RF_FIELD, .rf = {{1, 1}, {1, 1}, {0, 0}}};
    /* Nodes are in topological order: one pass forward. */
    for (guint i = 0; i < model->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(model, i);
        const FieldState s = node_field(model, n, st);
        for (int o = 0; o < n->n_outputs; o++)
            st[n->outputs[o]] = s;
    }
    const FieldState *s = &st[vknn_model_find_value(model, target->name)];
    if (s->kind == RF_FIELD) {
        *rf = s->rf;
        return TRUE;
    }
    if (s->kind == RF_NONE)
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "layer '%s' does not depend on the image",
                    layer);
    else
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    s->kind == RF_GLOBAL
                        ? "layer '%s' comes after %s '%s', which mixes all positions: its "
                          "receptive field is the whole image"
                        : "layer '%s' comes after %s '%s', whose receptive field vknn cannot "
                          "compute",
                    layer, s->culprit->op_type, node_label(model, s->culprit));
    return FALSE;
}

/* ---- maximally activating patches ---------------------------------------------------------------
 */

/* The positions lo..hi - 1 of one axis (n positions, image side `side`)
 * whose field lies within the image; all n when none does. */
static void inner_range(const VknnReceptiveField *rf, int axis, int n, int side, int *lo, int *hi)
{
    *lo = 0;
    *hi = n;
    if (!rf)
        return;
    const int j = rf->jump[axis], s = rf->start[axis], size = rf->size[axis];
    const int first = s >= 0 ? 0 : (-s + j - 1) / j;                   /* start + p j >= 0 */
    const int last = side - size - s < 0 ? -1 : (side - size - s) / j; /* ... + size <= side */
    if (first <= MIN(last, n - 1)) {
        *lo = first;
        *hi = MIN(last, n - 1) + 1;
    }
}

void vknn_top_patches_add(VknnPatch *top, int *count, int k, const float *map, int h, int w,
                          int channel, int image, const VknnReceptiveField *inside, int width,
                          int height)
{
    const float *plane = map + (gsize)channel * h * w;
    VknnPatch p = {image, -1, -1, -INFINITY};
    int y0, y1, x0, x1;
    inner_range(inside, 0, h, height, &y0, &y1);
    inner_range(inside, 1, w, width, &x0, &x1);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            if (plane[y * w + x] > p.activation) /* NaN never wins */
                p = (VknnPatch){image, y, x, plane[y * w + x]};
    if (p.y < 0 || k < 1)
        return;
    int at = *count;
    while (at > 0 && (top[at - 1].activation < p.activation ||
                      (top[at - 1].activation == p.activation && top[at - 1].image > image)))
        at--;
    if (at >= k)
        return;
    const int keep = MIN(*count, k - 1);
    memmove(top + at + 1, top + at, sizeof *top * (keep - at));
    top[at] = p;
    *count = keep + 1;
}

void vknn_patch_crop(const VknnReceptiveField *rf, const VknnPatch *p, const float *pixels,
                     int width, int height, float fill, float *crop)
{
    const int y0 = rf->start[0] + p->y * rf->jump[0], x0 = rf->start[1] + p->x * rf->jump[1];
    const int ch = rf->size[0], cw = rf->size[1];
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                const int sy = y0 + y, sx = x0 + x;
                const gboolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                crop[((gsize)c * ch + y) * cw + x] =
                    inside ? pixels[((gsize)c * height + sy) * width + sx] : fill;
            }
}
