/* vknn — reference Concat, Flatten, Reshape, Softmax, Gemm, MatMul. */
#include "ref_internal.h"

#include <string.h>

gboolean vknn_ref_axis(const VknnNode *n, int64_t axis, int rank, int extra, int *out, GError **err)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank + extra)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "axis %" G_GINT64_FORMAT " out of range for rank %d", axis, rank);
    *out = (int)a;
    return TRUE;
}

int64_t vknn_ref_dims_product(const VknnShape *s, int from, int to)
{
    int64_t k = 1;
    for (int a = from; a < to; a++)
        k *= s->dims[a];
    return k;
}

static void copy_data(const VknnRefTensor *in, VknnRefTensor *out)
{
    int64_t k = ref_numel(&in->shape);
    if (k > 0)
        memcpy(out->data, in->data, k * sizeof(float));
}

gboolean vknn_ref_concat(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                         VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 1, VKNN_MAX_RANK, err))
        return FALSE;
    VknnShape want = in[0].shape;
    int axis;
    if (!vknn_ref_axis(n, vknn_node_attr_int(n, "axis", 0), want.rank, 0, &axis, err))
        return FALSE;
    for (int i = 1; i < n->n_inputs; i++) {
        if (!vknn_ref_need_input(n, in, i, want.rank, want.rank, err))
            return FALSE;
        for (int a = 0; a < want.rank; a++)
            if (a != axis && in[i].shape.dims[a] != want.dims[a])
                return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                                     "input %d differs from input 0 on axis %d", i, a);
        want.dims[axis] += in[i].shape.dims[axis];
    }
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    /* Each outer index takes one contiguous block from every input in turn. */
    int64_t outer = vknn_ref_dims_product(&want, 0, axis);
    float *y = out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < n->n_inputs; i++) {
            int64_t block = vknn_ref_dims_product(&in[i].shape, axis, in[i].shape.rank);
            if (block > 0)
                memcpy(y, in[i].data + o * block, block * sizeof(float));
            y += block;
        }
    return TRUE;
}

gboolean vknn_ref_flatten(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                          VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 0, VKNN_MAX_RANK, err))
        return FALSE;
    const VknnShape *xs = &in[0].shape;
    int axis;
    /* axis may equal the rank: [numel, 1]. */
    if (!vknn_ref_axis(n, vknn_node_attr_int(n, "axis", 1), xs->rank, 1, &axis, err))
        return FALSE;
    VknnShape want = {
        2, {vknn_ref_dims_product(xs, 0, axis), vknn_ref_dims_product(xs, axis, xs->rank)}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;
    copy_data(&in[0], &out[0]);
    return TRUE;
}

/* Target shape of Reshape: from input 1, or the attribute of Reshape-1. */
static gboolean reshape_target(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                               int64_t *shape, int *count, GError **err)
{
    if (n->n_inputs > 1 && n->inputs[1] >= 0)
        return vknn_ref_input_ints(m, n, in, 1, shape, VKNN_MAX_RANK, count, err);
    *count = vknn_node_attr_ints(n, "shape", shape, VKNN_MAX_RANK);
    if (*count < 0)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "no target shape");
    return TRUE;
}

gboolean vknn_ref_reshape(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                          VknnRefTensor *out, GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 0, VKNN_MAX_RANK, err))
        return FALSE;
    const VknnShape *xs = &in[0].shape;
    int64_t shape[VKNN_MAX_RANK];
    int count, infer = -1;
    if (!reshape_target(m, n, in, shape, &count, err))
        return FALSE;
    VknnShape want = {count, {0}};
    int64_t known = 1;
    for (int a = 0; a < count; a++) {
        /* 0 copies the input dim (allowzero is not supported); -1 is inferred. */
        int64_t d = shape[a];
        if (d == 0 && a >= xs->rank)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "0 on axis %d beyond the input rank", a);
        if (d == -1 && infer >= 0)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "more than one -1 in the shape");
        if (d < -1)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "dim %" G_GINT64_FORMAT, d);
        if (d == -1)
            infer = a;
        else
            known *= want.dims[a] = d == 0 ? xs->dims[a] : d;
    }
    int64_t numel = ref_numel(xs);
    if (infer >= 0) {
        if (known == 0 || numel % known)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "cannot infer the -1 dim");
        want.dims[infer] = numel / known;
    } else if (known != numel) {
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "target has %" G_GINT64_FORMAT " elements, input %" G_GINT64_FORMAT,
                             known, numel);
    }
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;
    copy_data(&in[0], &out[0]);
    return TRUE;
}

gboolean vknn_ref_softmax(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                          VknnRefTensor *out, GError **err)
{
    if (!vknn_ref_check_same_shape(n, in, out, err))
        return FALSE;
    const VknnShape *xs = &in[0].shape;
    gboolean coerce_2d = m->opset < 13;
    int axis;
    if (!vknn_ref_axis(n, vknn_node_attr_int(n, "axis", coerce_2d ? 1 : -1), xs->rank, 0, &axis,
                       err))
        return FALSE;
    /* Before opset 13 the input is viewed as 2-D [outer, rest] around axis;
     * since, the softmax runs along that single axis. */
    int64_t outer = vknn_ref_dims_product(xs, 0, axis);
    int64_t len = coerce_2d ? vknn_ref_dims_product(xs, axis, xs->rank) : xs->dims[axis];
    int64_t inner = coerce_2d ? 1 : vknn_ref_dims_product(xs, axis + 1, xs->rank);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *x = in[0].data + o * len * inner + i;
            float *y = out[0].data + o * len * inner + i;
            double mx = -INFINITY, sum = 0.0;
            for (int64_t k = 0; k < len; k++)
                mx = MAX(mx, x[k * inner]);
            for (int64_t k = 0; k < len; k++)
                sum += exp(x[k * inner] - mx);
            for (int64_t k = 0; k < len; k++)
                y[k * inner] = (float)(exp(x[k * inner] - mx) / sum);
        }
    return TRUE;
}

gboolean vknn_ref_gemm_c_strides(const VknnNode *n, const VknnShape *cs, int64_t rows, int64_t cols,
                                 int64_t *sr, int64_t *sc, GError **err)
{
    int64_t cr = cs->rank >= 2 ? cs->dims[cs->rank - 2] : 1;
    int64_t cc = cs->rank >= 1 ? cs->dims[cs->rank - 1] : 1;
    if (cs->rank > 2 || (cr != 1 && cr != rows) || (cc != 1 && cc != cols))
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "C does not broadcast to [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                             rows, cols);
    *sc = cc == 1 ? 0 : 1;
    *sr = cr == 1 ? 0 : cc;
    return TRUE;
}

gboolean vknn_ref_gemm_dims(const VknnNode *n, const VknnRefTensor *in, gboolean ta, gboolean tb,
                            int64_t *rows, int64_t *depth, int64_t *cols, GError **err)
{
    const int64_t *ad = in[0].shape.dims, *bd = in[1].shape.dims;
    const int64_t depth_b = tb ? bd[1] : bd[0];
    *rows = ta ? ad[1] : ad[0];
    *depth = ta ? ad[0] : ad[1];
    *cols = tb ? bd[0] : bd[1];
    if (*depth != depth_b)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "inner dims %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT " differ",
                             *depth, depth_b);
    return TRUE;
}

gboolean vknn_ref_gemm(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                       VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 2, 2, err) || !vknn_ref_need_input(n, in, 1, 2, 2, err))
        return FALSE;
    gboolean ta = vknn_node_attr_int(n, "transA", 0) != 0;
    gboolean tb = vknn_node_attr_int(n, "transB", 0) != 0;
    double alpha = vknn_node_attr_float(n, "alpha", 1.0f);
    double beta = vknn_node_attr_float(n, "beta", 1.0f);
    int64_t rows, depth, cols;
    if (!vknn_ref_gemm_dims(n, in, ta, tb, &rows, &depth, &cols, err))
        return FALSE;
    gboolean has_c = vknn_ref_has_input(n, in, 2);
    int64_t csr = 0, csc = 0;
    if (has_c && !vknn_ref_gemm_c_strides(n, &in[2].shape, rows, cols, &csr, &csc, err))
        return FALSE;
    VknnShape want = {2, {rows, cols}};
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    /* Element (i, k) of op(A) and (k, j) of op(B) in row-major storage. */
    int64_t a_si = ta ? 1 : depth, a_sk = ta ? rows : 1;
    int64_t b_sk = tb ? 1 : cols, b_sj = tb ? depth : 1;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double acc = 0.0;
            for (int64_t k = 0; k < depth; k++)
                acc += (double)in[0].data[i * a_si + k * a_sk] * in[1].data[k * b_sk + j * b_sj];
            acc *= alpha;
            if (has_c)
                acc += beta * in[2].data[i * csr + j * csc];
            out[0].data[i * cols + j] = (float)acc;
        }
    return TRUE;
}

/* MatMul operand viewed as a batch of [rows, cols] matrices; a 1-D operand
 * is a row (A) or a column (B) vector. */
typedef struct {
    VknnShape batch;
    int64_t rows, cols;
} MatView;

static MatView mat_view(const VknnShape *s, gboolean is_b)
{
    MatView v = {{0, {0}}, 1, 1};
    if (s->rank == 1) {
        if (is_b)
            v.rows = s->dims[0];
        else
            v.cols = s->dims[0];
        return v;
    }
    v.batch.rank = s->rank - 2;
    for (int a = 0; a < v.batch.rank; a++)
        v.batch.dims[a] = s->dims[a];
    v.rows = s->dims[s->rank - 2];
    v.cols = s->dims[s->rank - 1];
    return v;
}

gboolean vknn_ref_matmul(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                         VknnRefTensor *out, GError **err)
{
    (void)m;
    if (!vknn_ref_need_input(n, in, 0, 1, VKNN_MAX_RANK, err) ||
        !vknn_ref_need_input(n, in, 1, 1, VKNN_MAX_RANK, err))
        return FALSE;
    MatView a = mat_view(&in[0].shape, FALSE), b = mat_view(&in[1].shape, TRUE);
    VknnShape want;
    if (a.cols != b.rows || !vknn_ref_broadcast_shape(&a.batch, &b.batch, &want)) {
        char sa[96], sb[96];
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "cannot multiply %s by %s",
                             vknn_ref_shape_str(&in[0].shape, sa, sizeof sa),
                             vknn_ref_shape_str(&in[1].shape, sb, sizeof sb));
    }
    VknnShape batch = want;
    /* The 1-D operands' added unit dims are dropped from the result. */
    if (in[0].shape.rank > 1)
        want.dims[want.rank++] = a.rows;
    if (in[1].shape.rank > 1)
        want.dims[want.rank++] = b.cols;
    if (want.rank > VKNN_MAX_RANK)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "result rank %d", want.rank);
    if (!vknn_ref_check_output(n, out, 0, &want, err))
        return FALSE;

    /* Batch strides in units of whole matrices, 0 where broadcast. */
    int64_t bd[4], sa[4], sb[4];
    vknn_ref_dims4(&batch, bd);
    vknn_ref_broadcast_strides(&a.batch, &batch, sa);
    vknn_ref_broadcast_strides(&b.batch, &batch, sb);
    float *y = out[0].data;
    for (int64_t i2 = 0; i2 < bd[2]; i2++)
        for (int64_t i3 = 0; i3 < bd[3]; i3++) {
            const float *am = in[0].data + (i2 * sa[2] + i3 * sa[3]) * a.rows * a.cols;
            const float *bm = in[1].data + (i2 * sb[2] + i3 * sb[3]) * b.rows * b.cols;
            for (int64_t i = 0; i < a.rows; i++)
                for (int64_t j = 0; j < b.cols; j++) {
                    double acc = 0.0;
                    for (int64_t k = 0; k < a.cols; k++)
                        acc += (double)am[i * a.cols + k] * bm[k * b.cols + j];
                    *y++ = (float)acc;
                }
        }
    return TRUE;
}
