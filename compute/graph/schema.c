/* The schema table, made from ops.def, and the helpers that schemas share. */
#include "graph/schema.h"
#include "graph/window.h"

#include <stdarg.h>
#include <string.h>

#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    extern const VknnOpSchema vknn_schema_##name;
#include "ops.def"
#undef VKNN_OP

static const VknnOpSchema *const schemas[VKNN_OP_COUNT] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    [VKNN_OP_##type] = &vknn_schema_##name,
#include "ops.def"
#undef VKNN_OP
};

const VknnOpSchema *vknn_op_schema(const char *op_type)
{
    for (int i = 0; op_type && i < VKNN_OP_COUNT; i++)
        if (strcmp(schemas[i]->op_type, op_type) == 0)
            return schemas[i];
    return NULL;
}

const char *const *vknn_supported_ops(void)
{
    static const char *const names[] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params) #type,
#include "ops.def"
#undef VKNN_OP
        NULL,
    };
    return names;
}

const VknnOpSchema *vknn_op_schema_of(VknnOpId id)
{
    g_return_val_if_fail(id >= 0 && id < VKNN_OP_COUNT, NULL);
    return schemas[id];
}

gboolean vknn_node_error(GError **err, VknnErrorCode code, const VknnNode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, VKNN_ERROR, code, "node '%s' (%s): %s", n->name, n->op_type, msg);
    return FALSE;
}

const VknnShape *vknn_in_shape(const VknnModel *m, const VknnNode *n, int i)
{
    const VknnValue *v = vknn_node_input(m, n, i);
    return v ? &v->shape : NULL;
}

VknnShape *vknn_out_shape(VknnModel *m, const VknnNode *n, int i)
{
    VknnValue *v = vknn_node_output(m, n, i);
    return v ? &v->shape : NULL;
}

gboolean vknn_check_inputs(const VknnNode *n, int min, int max, GError **err)
{
    if (n->n_inputs < min || n->n_inputs > max)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "has %d inputs, expected %d to %d",
                               n->n_inputs, min, max);
    for (int i = 0; i < min; i++)
        if (n->inputs[i] < 0)
            return vknn_node_error(err, VKNN_ERROR_PARSE, n, "required input %d is missing", i);
    if (n->n_outputs < 1 || n->outputs[0] < 0)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "has no output");
    return TRUE;
}

gboolean vknn_check_rank(const VknnModel *m, const VknnNode *n, int i, int lo, int hi, GError **err)
{
    const VknnShape *s = vknn_in_shape(m, n, i);
    if (s && s->rank >= lo && s->rank <= hi)
        return TRUE;
    char buf[64] = "missing";
    if (s)
        vknn_shape_str(s, buf, sizeof buf);
    if (lo == hi)
        return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "input %d has shape %s, expected rank %d",
                               i, buf, lo);
    return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "input %d has shape %s, expected rank %d..%d",
                           i, buf, lo, hi);
}

gboolean vknn_check_constant(const VknnModel *m, const VknnNode *n, int i, GError **err)
{
    const VknnValue *v = vknn_node_input(m, n, i);
    if (v && v->kind == VKNN_VALUE_CONSTANT)
        return TRUE;
    return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                           "input %d must be a constant (initializer) for vknn to run it", i);
}

int vknn_const_ints(const VknnModel *m, const VknnNode *n, int i, int64_t *out, int max)
{
    const VknnValue *v = vknn_node_input(m, n, i);
    if (!v || v->kind != VKNN_VALUE_CONSTANT)
        return -1;
    int64_t count = vknn_shape_numel(&v->shape);
    for (int64_t k = 0; k < count && k < max; k++) {
        /* Float data from a hostile file may be NaN or huge: saturate. */
        const double f = v->int_data ? 0.0 : v->data[k];
        out[k] = v->int_data ? v->int_data[k] : f != f ? 0 : (int64_t)CLAMP(f, -1e15, 1e15);
    }
    return (int)MIN(count, G_MAXINT);
}

int vknn_const_floats(const VknnModel *m, const VknnNode *n, int i, float *out, int max)
{
    const VknnValue *v = vknn_node_input(m, n, i);
    if (!v || v->kind != VKNN_VALUE_CONSTANT)
        return -1;
    int64_t count = vknn_shape_numel(&v->shape);
    if (count == 0)
        return -1;
    for (int64_t k = 0; k < count && k < max; k++)
        out[k] = v->data[k];
    return (int)MIN(count, G_MAXINT);
}

/* ---- sliding windows (Conv, ConvTranspose, pools) ------------------------- */

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
