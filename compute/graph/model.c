/* Host model graph: building, lookup, shape inference driver, statistics.
 * Nodes and their attributes: node.c. */
#include "graph/schema.h"

#include <stdio.h>
#include <string.h>

/* ---- lifetime ------------------------------------------------------------- */

static void value_free(gpointer p)
{
    VknnValue *v = p;
    g_free(v->name);
    g_free(v->data);
    g_free(v->int_data);
    for (int i = 0; i < VKNN_MAX_RANK; i++)
        g_free(v->dim_names[i]);
    g_free(v);
}

static void node_free(gpointer p)
{
    VknnNode *n = p;
    g_free(n->name);
    g_free(n->op_type);
    g_free(n->inputs);
    g_free(n->outputs);
    vknn_node_clear_attrs(n);
    g_free(n);
}

VknnModel *vknn_model_new(void)
{
    VknnModel *m = g_new0(VknnModel, 1);
    m->opset = 13;
    m->values = g_ptr_array_new_with_free_func(value_free);
    m->nodes = g_ptr_array_new_with_free_func(node_free);
    m->inputs = g_array_new(FALSE, FALSE, sizeof(int));
    m->outputs = g_array_new(FALSE, FALSE, sizeof(int));
    m->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return m;
}

void vknn_model_free(VknnModel *m)
{
    if (!m)
        return;
    g_hash_table_unref(m->by_name);
    g_ptr_array_unref(m->nodes);
    g_ptr_array_unref(m->values);
    g_array_unref(m->inputs);
    g_array_unref(m->outputs);
    g_free(m->producer);
    g_free(m);
}

int vknn_model_find_value(const VknnModel *m, const char *name)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(m->by_name, name)) - 1;
}

/* Adds a value; -1 if the name exists already. */
static int add_value(VknnModel *m, const char *name, VknnValueKind kind)
{
    if (vknn_model_find_value(m, name) >= 0)
        return -1;
    VknnValue *v = g_new0(VknnValue, 1);
    v->name = g_strdup(name);
    v->kind = kind;
    v->producer = -1;
    g_ptr_array_add(m->values, v);
    int idx = (int)m->values->len - 1;
    g_hash_table_insert(m->by_name, v->name, GINT_TO_POINTER(idx + 1));
    return idx;
}

/* Renumbers every reference to a value through `map` (old index -> new). */
static void remap_values(VknnModel *m, const int *map)
{
    for (guint i = 0; i < m->nodes->len; i++) {
        VknnNode *n = vknn_model_node(m, i);
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                n->inputs[k] = map[n->inputs[k]];
        for (int k = 0; k < n->n_outputs; k++)
            n->outputs[k] = map[n->outputs[k]];
    }
    GArray *lists[] = {m->inputs, m->outputs};
    for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
        for (guint i = 0; i < lists[l]->len; i++)
            g_array_index(lists[l], int, i) = map[g_array_index(lists[l], int, i)];
}

int vknn_model_drop_unused_constants(VknnModel *m)
{
    g_autofree int *map = g_new(int, m->values->len);
    GPtrArray *kept = g_ptr_array_new_with_free_func(value_free);
    int dropped = 0;
    g_hash_table_remove_all(m->by_name);
    g_ptr_array_set_free_func(m->values, NULL); /* each value is kept or freed below */
    for (guint i = 0; i < m->values->len; i++) {
        VknnValue *v = vknn_model_value(m, (int)i);
        if (v->kind == VKNN_VALUE_CONSTANT && v->n_consumers == 0 && !v->is_output) {
            value_free(v);
            map[i] = -1;
            dropped++;
            continue;
        }
        map[i] = (int)kept->len;
        g_ptr_array_add(kept, v);
        g_hash_table_insert(m->by_name, v->name, GINT_TO_POINTER(kept->len));
    }
    g_ptr_array_unref(m->values);
    m->values = kept;
    remap_values(m, map);
    return dropped;
}

int vknn_model_add_input(VknnModel *m, const char *name, const VknnShape *declared)
{
    int i = add_value(m, name, VKNN_VALUE_INPUT);
    if (i < 0)
        return -1;
    VknnValue *v = vknn_model_value(m, i);
    v->declared = *declared;
    v->shape = *declared;
    g_array_append_val(m->inputs, i);
    return i;
}

static int add_constant(VknnModel *m, const char *name, const VknnShape *shape)
{
    int i = add_value(m, name, VKNN_VALUE_CONSTANT);
    if (i >= 0) {
        VknnValue *v = vknn_model_value(m, i);
        v->declared = v->shape = *shape;
    }
    return i;
}

int vknn_model_add_constant(VknnModel *m, const char *name, const VknnShape *shape,
                            const float *data)
{
    int i = add_constant(m, name, shape);
    if (i >= 0)
        vknn_model_value(m, i)->data = g_memdup2(data, sizeof(float) * vknn_shape_numel(shape));
    return i;
}

int vknn_model_add_constant_int(VknnModel *m, const char *name, const VknnShape *shape,
                                const int64_t *data)
{
    int i = add_constant(m, name, shape);
    if (i < 0)
        return -1;
    VknnValue *v = vknn_model_value(m, i);
    int64_t n = vknn_shape_numel(shape);
    v->int_data = g_memdup2(data, sizeof(int64_t) * n);
    v->data = g_new(float, MAX(n, 1));
    for (int64_t k = 0; k < n; k++)
        v->data[k] = (float)data[k];
    return i;
}

VknnNode *vknn_model_add_node(VknnModel *m, const char *op_type, const char *name,
                              const char *const *inputs, int n_inputs, const char *const *outputs,
                              int n_outputs, GError **err)
{
    const VknnOpSchema *schema = vknn_op_schema(op_type);
    const char *label = name && *name ? name : "(unnamed)";
    if (!schema) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "node '%s': operator %s is not supported", label, op_type);
        return NULL;
    }
    VknnNode *n = g_new0(VknnNode, 1);
    n->name = g_strdup(name && *name ? name : "");
    n->op_type = g_strdup(op_type);
    n->schema = schema;
    n->n_inputs = n_inputs;
    n->inputs = g_new(int, MAX(n_inputs, 1));
    n->n_outputs = n_outputs;
    n->outputs = g_new(int, MAX(n_outputs, 1));
    for (int i = 0; i < n_inputs; i++) {
        if (!inputs[i] || !*inputs[i]) {
            n->inputs[i] = -1;
            continue;
        }
        n->inputs[i] = vknn_model_find_value(m, inputs[i]);
        if (n->inputs[i] < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE,
                        "node '%s' (%s): input '%s' is not defined before it", label, op_type,
                        inputs[i]);
            goto fail;
        }
    }
    for (int i = 0; i < n_outputs; i++) {
        n->outputs[i] =
            outputs[i] && *outputs[i] ? add_value(m, outputs[i], VKNN_VALUE_ACTIVATION) : -1;
        if (n->outputs[i] < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE,
                        "node '%s' (%s): output '%s' is empty or defined twice", label, op_type,
                        outputs[i] ? outputs[i] : "");
            goto fail;
        }
        vknn_model_value(m, n->outputs[i])->producer = (int)m->nodes->len;
    }
    for (int i = 0; i < n_inputs; i++)
        if (n->inputs[i] >= 0)
            vknn_model_value(m, n->inputs[i])->n_consumers++;
    g_ptr_array_add(m->nodes, n);
    return n;
fail:
    /* Outputs already added stay as dangling values; the model is being
     * rejected anyway, and vknn_model_free() releases them. */
    node_free(n);
    return NULL;
}

gboolean vknn_model_mark_output(VknnModel *m, const char *name, GError **err)
{
    int i = vknn_model_find_value(m, name);
    if (i < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE, "graph output '%s' is not produced", name);
        return FALSE;
    }
    VknnValue *v = vknn_model_value(m, i);
    if (!v->is_output) {
        v->is_output = TRUE;
        g_array_append_val(m->outputs, i);
    }
    return TRUE;
}

/* ---- shape inference -------------------------------------------------------- */

VknnShape vknn_model_default_input_shape(const VknnModel *m, int input, int64_t h, int64_t w)
{
    VknnShape s = vknn_model_value(m, g_array_index(m->inputs, int, input))->declared;
    for (int i = 0; i < s.rank; i++)
        if (s.dims[i] < 0)
            s.dims[i] = i == s.rank - 2 ? h : i == s.rank - 1 ? w : 1;
    return s;
}

/* Largest tensor shape inference accepts: dims <= 2^30, at most 2^32 elements. */
#define MAX_DIM ((int64_t)1 << 30)
#define MAX_NUMEL ((int64_t)1 << 32)

/* Whether a shape of positive dims exceeds those limits, without overflowing. */
static gboolean shape_too_large(const VknnShape *s)
{
    int64_t numel = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dims[i] > MAX_DIM || numel > MAX_NUMEL / s->dims[i])
            return TRUE;
        numel *= s->dims[i];
    }
    return FALSE;
}

/* Whether a batch larger than the declared 1 can run: images are independent
 * along dim 0 in every op we run, except where a Reshape's constant shape
 * bakes the batch in. */
static gboolean batch_is_free(const VknnModel *m)
{
    for (guint i = 0; i < m->nodes->len; i++)
        if (vknn_node_op(vknn_model_node(m, i)) == VKNN_OP_Reshape)
            return FALSE;
    return TRUE;
}

static gboolean check_input_shape(const VknnValue *v, const VknnShape *s, gboolean batch_free,
                                  GError **err)
{
    char want[64], got[64];
    gboolean ok = s->rank == v->declared.rank;
    for (int i = 0; ok && i < s->rank; i++)
        ok = s->dims[i] > 0 && (v->declared.dims[i] < 0 || v->declared.dims[i] == s->dims[i] ||
                                (i == 0 && s->rank == 4 && v->declared.dims[0] == 1 && batch_free));
    if (!ok) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "input '%s' has shape %s but the model expects %s (? = any size)", v->name,
                    vknn_shape_str(s, got, sizeof got),
                    vknn_shape_str(&v->declared, want, sizeof want));
    } else if (shape_too_large(s)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "input '%s' of shape %s is too large (at most 2^32 elements)", v->name,
                    vknn_shape_str(s, got, sizeof got));
        ok = FALSE;
    }
    return ok;
}

gboolean vknn_model_infer_shapes(VknnModel *m, const VknnShape *input_shapes, GError **err)
{
    m->shape_generation++; /* also on failure: shapes may be half inferred */
    const gboolean batch_free = batch_is_free(m);
    for (guint i = 0; i < m->inputs->len; i++) {
        VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        if (!check_input_shape(v, &input_shapes[i], batch_free, err))
            return FALSE;
        v->shape = input_shapes[i];
    }
    for (guint i = 0; i < m->nodes->len; i++) {
        VknnNode *n = vknn_model_node(m, i);
        if (!n->schema->infer(m, n, err))
            return FALSE;
        for (int k = 0; k < n->n_outputs; k++) {
            const VknnShape *s = vknn_out_shape(m, n, k);
            if (!s)
                continue;
            for (int d = 0; d < s->rank; d++)
                if (s->dims[d] <= 0 || s->dims[d] > MAX_DIM)
                    return vknn_node_error(err, VKNN_ERROR_SHAPE, n,
                                           "output %d would have dimension %" G_GINT64_FORMAT
                                           ": the input is too small or too large for this model",
                                           k, s->dims[d]);
            if (shape_too_large(s))
                return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "output %d is too large", k);
        }
    }
    return TRUE;
}

/* ---- statistics ----------------------------------------------------------- */

void vknn_model_stats(const VknnModel *m, VknnModelStats *st)
{
    memset(st, 0, sizeof *st);
    g_autofree gboolean *counted = g_new0(gboolean, m->values->len);
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, i);
        if (v->kind != VKNN_VALUE_CONSTANT)
            st->activation_bytes_max =
                MAX(st->activation_bytes_max, 4 * vknn_shape_numel(&v->shape));
    }
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        /* Parameters are the constants kernels read, not pads, scales or shapes. */
        for (int k = 0; k < n->n_inputs; k++) {
            const int v = n->inputs[k];
            if (v >= 0 && !counted[v] && !((n->schema->host_inputs >> k) & 1) &&
                vknn_model_value(m, v)->kind == VKNN_VALUE_CONSTANT) {
                counted[v] = TRUE;
                st->params += vknn_shape_numel(&vknn_model_value(m, v)->shape);
            }
        }
        if (n->schema->flops)
            st->flops += n->schema->flops(m, n);
        else if (n->n_outputs > 0 && n->outputs[0] >= 0)
            st->flops += (double)vknn_shape_numel(&vknn_model_value(m, n->outputs[0])->shape);
    }
}

/* ---- composing ---------------------------------------------------------- */

/* Marks the nodes of src that value v depends on: one pass backwards over
 * the topological order (no recursion, whatever the depth). */
static void mark_ancestors(const VknnModel *src, int v, gboolean *needed)
{
    g_autofree gboolean *wanted = g_new0(gboolean, src->values->len);
    wanted[v] = TRUE;
    for (int i = (int)src->nodes->len - 1; i >= 0; i--) {
        const VknnNode *n = vknn_model_node(src, i);
        for (int o = 0; o < n->n_outputs && !needed[i]; o++)
            needed[i] = n->outputs[o] >= 0 && wanted[n->outputs[o]];
        for (int k = 0; needed[i] && k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                wanted[n->inputs[k]] = TRUE;
    }
}

/* The name in dst of src's value v (g_free): the renamed graph input, or
 * the prefixed copy. */
static char *appended_name(const VknnModel *src, int v, const char *prefix,
                           const char *const *inputs)
{
    const VknnValue *value = vknn_model_value(src, v);
    if (value->kind == VKNN_VALUE_INPUT) {
        for (guint k = 0; k < src->inputs->len; k++)
            if (g_array_index(src->inputs, int, k) == v)
                return g_strdup(inputs[k]);
    }
    return g_strconcat(prefix, value->name, NULL);
}

/* Copies the constants the needed nodes read, in src's order of values (so
 * that the parameters of a copied network keep their order: training
 * finds them in it). */
static gboolean append_constants(VknnModel *dst, const VknnModel *src, const gboolean *needed,
                                 const char *prefix, GError **err)
{
    g_autofree gboolean *read = g_new0(gboolean, MAX(src->values->len, 1));
    for (guint i = 0; i < src->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(src, i);
        for (int k = 0; needed[i] && k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                read[n->inputs[k]] = TRUE;
    }
    for (guint v = 0; v < src->values->len; v++) {
        const VknnValue *value = vknn_model_value(src, v);
        if (!read[v] || value->kind != VKNN_VALUE_CONSTANT)
            continue;
        g_autofree char *name = g_strconcat(prefix, value->name, NULL);
        const int added =
            value->int_data ? vknn_model_add_constant_int(dst, name, &value->shape, value->int_data)
                            : vknn_model_add_constant(dst, name, &value->shape, value->data);
        if (added < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE, "constant '%s' is defined twice", name);
            return FALSE;
        }
    }
    return TRUE;
}

static void copy_attrs(VknnNode *to, const VknnNode *from)
{
    for (int i = 0; i < from->n_attrs; i++) {
        const VknnAttr *a = &from->attrs[i];
        switch (a->type) {
        case VKNN_ATTR_INT:
            vknn_node_set_int(to, a->name, a->i);
            break;
        case VKNN_ATTR_FLOAT:
            vknn_node_set_float(to, a->name, a->f);
            break;
        case VKNN_ATTR_STRING:
            vknn_node_set_string(to, a->name, a->s);
            break;
        case VKNN_ATTR_INTS:
            vknn_node_set_ints(to, a->name, a->ints, a->n);
            break;
        case VKNN_ATTR_FLOATS:
            vknn_node_set_floats(to, a->name, a->floats, a->n);
            break;
        }
    }
}

static gboolean append_node(VknnModel *dst, const VknnModel *src, const VknnNode *n,
                            const char *prefix, const char *const *inputs, GError **err)
{
    g_autoptr(GPtrArray) in = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n->n_inputs; i++)
        g_ptr_array_add(in,
                        n->inputs[i] < 0 ? NULL : appended_name(src, n->inputs[i], prefix, inputs));
    for (int i = 0; i < n->n_outputs; i++)
        g_ptr_array_add(out, n->outputs[i] < 0
                                 ? NULL
                                 : g_strconcat(prefix, vknn_node_output(src, n, i)->name, NULL));
    g_autofree char *name = g_strconcat(prefix, n->name, NULL);
    VknnNode *copy =
        vknn_model_add_node(dst, n->op_type, name, (const char *const *)in->pdata, n->n_inputs,
                            (const char *const *)out->pdata, n->n_outputs, err);
    if (!copy)
        return FALSE;
    copy_attrs(copy, n);
    return TRUE;
}

gboolean vknn_model_append(VknnModel *dst, const VknnModel *src, const char *prefix,
                           const char *const *inputs, const char *until, GError **err)
{
    const guint n_nodes = src->nodes->len;
    g_autofree gboolean *needed = g_new0(gboolean, MAX(n_nodes, 1));
    if (until) {
        const int v = vknn_model_find_value(src, until);
        if (v < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND, "the network has no tensor '%s'",
                        until);
            return FALSE;
        }
        mark_ancestors(src, v, needed);
    } else {
        for (guint i = 0; i < n_nodes; i++)
            needed[i] = TRUE;
    }
    for (guint i = 0; i < src->inputs->len; i++)
        if (vknn_model_find_value(dst, inputs[i]) < 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND,
                        "input %u of the appended network, '%s', is not defined", i, inputs[i]);
            return FALSE;
        }
    if (!append_constants(dst, src, needed, prefix, err))
        return FALSE;
    for (guint i = 0; i < n_nodes; i++)
        if (needed[i] && !append_node(dst, src, vknn_model_node(src, i), prefix, inputs, err))
            return FALSE;
    return TRUE;
}
