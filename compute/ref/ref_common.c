/* vknn — helpers shared by the reference kernels. */
#include "ref_internal.h"

#include <stdarg.h>
#include <string.h>

gboolean vknn_ref_fail(GError **err, VknnErrorCode code, const VknnNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, VKNN_ERROR, code, "node '%s' (%s): %s", n->name ? n->name : "", n->op_type,
                msg);
    g_free(msg);
    return FALSE;
}

const char *vknn_ref_shape_str(const VknnShape *s, char *buf, gsize len)
{
    if (s->rank == 0) {
        g_strlcpy(buf, "scalar", len);
        return buf;
    }
    buf[0] = '\0';
    for (int i = 0; i < s->rank; i++) {
        char d[24];
        g_snprintf(d, sizeof d, i ? "x%" G_GINT64_FORMAT : "%" G_GINT64_FORMAT, s->dims[i]);
        g_strlcat(buf, d, len);
    }
    return buf;
}

gboolean vknn_ref_check_output(const VknnNode *n, const VknnRefTensor *out, int i,
                               const VknnShape *want, GError **err)
{
    if (ref_shape_equal(&out[i].shape, want))
        return TRUE;
    char a[96], b[96];
    return vknn_ref_fail(
        err, VKNN_ERROR_SHAPE, n, "output %d was inferred as %s but the reference computes %s", i,
        vknn_ref_shape_str(&out[i].shape, a, sizeof a), vknn_ref_shape_str(want, b, sizeof b));
}

gboolean vknn_ref_has_input(const VknnNode *n, const VknnRefTensor *in, int i)
{
    return i < n->n_inputs && in[i].data && ref_numel(&in[i].shape) > 0;
}

gboolean vknn_ref_need_input(const VknnNode *n, const VknnRefTensor *in, int i, int min_rank,
                             int max_rank, GError **err)
{
    if (i >= n->n_inputs || n->inputs[i] < 0 || (!in[i].data && ref_numel(&in[i].shape) > 0))
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "required input %d is missing", i);
    int r = in[i].shape.rank;
    if (r < min_rank || r > max_rank) {
        char s[96];
        VknnErrorCode code = r > VKNN_MAX_RANK ? VKNN_ERROR_SHAPE : VKNN_ERROR_UNSUPPORTED;
        return vknn_ref_fail(err, code, n, "input %d has shape %s; rank %d to %d is supported", i,
                             vknn_ref_shape_str(&in[i].shape, s, sizeof s), min_rank, max_rank);
    }
    return TRUE;
}

gboolean vknn_ref_check_same_shape(const VknnNode *n, const VknnRefTensor *in,
                                   const VknnRefTensor *out, GError **err)
{
    return vknn_ref_need_input(n, in, 0, 0, VKNN_MAX_RANK, err) &&
           vknn_ref_check_output(n, out, 0, &in[0].shape, err);
}

gboolean vknn_ref_input_ints(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in, int i,
                             int64_t *out, int max, int *count, GError **err)
{
    *count = 0;
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "required input %d is missing", i);
    int64_t k = ref_numel(&in[i].shape);
    if (k > max)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                             "input %d has %" G_GINT64_FORMAT " elements, at most %d expected", i,
                             k, max);
    /* Floats lose precision past 2^24; the int64 copy of a constant does not. */
    const VknnValue *v = vknn_node_input(m, n, i);
    const int64_t *exact = v && v->kind == VKNN_VALUE_CONSTANT ? v->int_data : NULL;
    if (k > 0 && !exact && !in[i].data)
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "input %d has no data", i);
    for (int64_t j = 0; j < k; j++)
        out[j] = exact ? exact[j] : (int64_t)llrintf(in[i].data[j]);
    *count = (int)k;
    return TRUE;
}

float vknn_ref_input_scalar(const VknnNode *n, const VknnRefTensor *in, int i, float def)
{
    return vknn_ref_has_input(n, in, i) ? in[i].data[0] : def;
}

gboolean vknn_ref_broadcast_shape(const VknnShape *a, const VknnShape *b, VknnShape *out)
{
    out->rank = MAX(a->rank, b->rank);
    for (int i = 0; i < out->rank; i++) {
        int ia = a->rank - out->rank + i, ib = b->rank - out->rank + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return FALSE;
        out->dims[i] = da == 1 ? db : da;
    }
    return TRUE;
}

void vknn_ref_dims4(const VknnShape *s, int64_t dims[4])
{
    for (int i = 0; i < 4; i++) {
        int j = s->rank - 4 + i;
        dims[i] = j >= 0 ? s->dims[j] : 1;
    }
}

void vknn_ref_broadcast_strides(const VknnShape *s, const VknnShape *out, int64_t strides[4])
{
    int64_t sd[4], od[4], step = 1;
    vknn_ref_dims4(s, sd);
    vknn_ref_dims4(out, od);
    for (int i = 3; i >= 0; i--) {
        strides[i] = sd[i] == od[i] ? step : 0;
        step *= sd[i];
    }
}

/* Reads an INTS attribute of exactly `want` elements into v; absent keeps v. */
static gboolean window_ints(const VknnNode *n, const char *name, int64_t *v, int want, GError **err)
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

/* Output size along one axis; 0 when the window does not fit. */
static int64_t window_out(const RefWindow *w, int a, int64_t in, gboolean ceil_mode)
{
    int64_t span = (w->kernel[a] - 1) * w->dilation[a] + 1;
    int64_t room = in + w->pad_begin[a] + w->pad_end[a] - span;
    if (room < 0)
        return 0;
    if (!ceil_mode)
        return room / w->stride[a] + 1;
    int64_t out = (room + w->stride[a] - 1) / w->stride[a] + 1;
    /* The last window must start inside the input or its leading padding
     * (PyTorch's rule, which onnxruntime and the ONNX reference follow). */
    if ((out - 1) * w->stride[a] >= in + w->pad_begin[a])
        out--;
    return out;
}

gboolean vknn_ref_window_init(const VknnNode *n, const int64_t in[2], const int64_t kernel[2],
                              gboolean ceil_mode, RefWindow *w, GError **err)
{
    int64_t pads[4] = {0, 0, 0, 0};
    for (int a = 0; a < 2; a++) {
        w->kernel[a] = kernel[a];
        w->stride[a] = 1;
        w->dilation[a] = 1;
    }
    if (!window_ints(n, "strides", w->stride, 2, err) ||
        !window_ints(n, "dilations", w->dilation, 2, err) || !window_ints(n, "pads", pads, 4, err))
        return FALSE;

    const char *auto_pad = vknn_node_attr_string(n, "auto_pad", "NOTSET");
    gboolean same_upper = !strcmp(auto_pad, "SAME_UPPER");
    gboolean same_lower = !strcmp(auto_pad, "SAME_LOWER");
    gboolean valid = !strcmp(auto_pad, "VALID");
    if (!same_upper && !same_lower && !valid && strcmp(auto_pad, "NOTSET") && *auto_pad)
        return vknn_ref_fail(err, VKNN_ERROR_UNSUPPORTED, n, "auto_pad '%s'", auto_pad);

    for (int a = 0; a < 2; a++) {
        if (w->kernel[a] < 1 || w->stride[a] < 1 || w->dilation[a] < 1 || pads[a] < 0 ||
            pads[a + 2] < 0)
            return vknn_ref_fail(
                err, VKNN_ERROR_SHAPE, n,
                "kernel, strides and dilations must be positive, pads not negative");
        int64_t span = (w->kernel[a] - 1) * w->dilation[a] + 1;
        if (same_upper || same_lower) {
            /* Output is ceil(in / stride); the padding needed for that is split
             * evenly, the odd one at the end (UPPER) or the beginning (LOWER). */
            int64_t out = (in[a] + w->stride[a] - 1) / w->stride[a];
            int64_t total = MAX(0, (out - 1) * w->stride[a] + span - in[a]);
            w->pad_begin[a] = same_upper ? total / 2 : total - total / 2;
            w->pad_end[a] = total - w->pad_begin[a];
        } else if (valid) {
            w->pad_begin[a] = w->pad_end[a] = 0;
        } else {
            w->pad_begin[a] = pads[a];
            w->pad_end[a] = pads[a + 2];
        }
        /* ceil_mode only applies to explicit padding, as in onnxruntime. */
        w->out[a] = window_out(w, a, in[a], ceil_mode && !same_upper && !same_lower && !valid);
        if (w->out[a] < 1)
            return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n,
                                 "input size %" G_GINT64_FORMAT " on spatial axis %d is smaller "
                                 "than the window",
                                 in[a], a);
    }
    return TRUE;
}
