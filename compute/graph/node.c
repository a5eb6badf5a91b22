/* Nodes: their attributes (set by the importer and model builders, read
 * by everyone), their inputs and outputs, and the checks that schemas and
 * kernels share. */
#include "graph/schema.h"

#include <stdarg.h>
#include <string.h>

static void attr_clear(VknnAttr *a)
{
    g_free(a->name);
    g_free(a->s);
    g_free(a->ints);
    g_free(a->floats);
}

void vknn_node_clear_attrs(VknnNode *n)
{
    for (int i = 0; i < n->n_attrs; i++)
        attr_clear(&n->attrs[i]);
    g_clear_pointer(&n->attrs, g_free);
    n->n_attrs = 0;
}

/* ---- attributes --------------------------------------------------------- */

static VknnAttr *new_attr(VknnNode *n, const char *name, VknnAttrType type)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) {
            attr_clear(&n->attrs[i]);
            memset(&n->attrs[i], 0, sizeof(VknnAttr));
            n->attrs[i].name = g_strdup(name);
            n->attrs[i].type = type;
            return &n->attrs[i];
        }
    n->attrs = g_renew(VknnAttr, n->attrs, n->n_attrs + 1);
    VknnAttr *a = &n->attrs[n->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = g_strdup(name);
    a->type = type;
    return a;
}

void vknn_node_set_int(VknnNode *n, const char *name, int64_t v)
{
    new_attr(n, name, VKNN_ATTR_INT)->i = v;
}

void vknn_node_set_float(VknnNode *n, const char *name, float v)
{
    new_attr(n, name, VKNN_ATTR_FLOAT)->f = v;
}

void vknn_node_set_string(VknnNode *n, const char *name, const char *v)
{
    new_attr(n, name, VKNN_ATTR_STRING)->s = g_strdup(v ? v : "");
}

void vknn_node_set_ints(VknnNode *n, const char *name, const int64_t *v, int count)
{
    VknnAttr *a = new_attr(n, name, VKNN_ATTR_INTS);
    a->n = count;
    a->ints = g_memdup2(v, sizeof(int64_t) * MAX(count, 1));
}

void vknn_node_set_floats(VknnNode *n, const char *name, const float *v, int count)
{
    VknnAttr *a = new_attr(n, name, VKNN_ATTR_FLOATS);
    a->n = count;
    a->floats = g_memdup2(v, sizeof(float) * MAX(count, 1));
}

const VknnAttr *vknn_node_attr(const VknnNode *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t vknn_node_attr_int(const VknnNode *n, const char *name, int64_t def)
{
    const VknnAttr *a = vknn_node_attr(n, name);
    return a && a->type == VKNN_ATTR_INT ? a->i : def;
}

float vknn_node_attr_float(const VknnNode *n, const char *name, float def)
{
    const VknnAttr *a = vknn_node_attr(n, name);
    return a && a->type == VKNN_ATTR_FLOAT ? a->f : def;
}

const char *vknn_node_attr_string(const VknnNode *n, const char *name, const char *def)
{
    const VknnAttr *a = vknn_node_attr(n, name);
    return a && a->type == VKNN_ATTR_STRING ? a->s : def;
}

int vknn_node_attr_ints(const VknnNode *n, const char *name, int64_t *out, int max)
{
    const VknnAttr *a = vknn_node_attr(n, name);
    if (!a || a->type != VKNN_ATTR_INTS)
        return -1;
    for (int i = 0; i < a->n && i < max; i++)
        out[i] = a->ints[i];
    return a->n;
}

VknnValue *vknn_node_input(const VknnModel *m, const VknnNode *n, int i)
{
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return NULL;
    return vknn_model_value(m, n->inputs[i]);
}

VknnValue *vknn_node_output(const VknnModel *m, const VknnNode *n, int i)
{
    if (i >= n->n_outputs || n->outputs[i] < 0)
        return NULL;
    return vknn_model_value(m, n->outputs[i]);
}

/* ---- checks shared by schemas and kernels ------------------------------------ */

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
