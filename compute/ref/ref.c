/* vknn — the reference executor: runs a model node by node with the plain-C
 * kernels of this directory. */
#include "ref_internal.h"

#include <string.h>

static const VknnRefFunc ref_table[VKNN_OP_COUNT] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params) [VKNN_OP_##type] = vknn_ref_##ref,
#include "ops.def"
#undef VKNN_OP
};

VknnRefFunc vknn_ref_lookup(const char *op_type)
{
    const VknnOpSchema *schema = vknn_op_schema(op_type);
    return schema ? ref_table[schema->id] : NULL;
}

/* State of one run. slots[v] is the tensor of value v once `ready`; its
 * data is borrowed from the caller (inputs), the model (constants),
 * `scratch` or `results`. */
typedef struct {
    VknnModel *m;
    VknnRefTensor *slots;
    gboolean *ready;
    GPtrArray *scratch;
    GHashTable *results;
} RefRun;

void vknn_ref_tensor_free(gpointer p)
{
    VknnRefTensor *t = p;
    g_free(t->data);
    g_free(t);
}

/* Constants stored only as int64 (shapes, pads) get a float copy, since
 * kernels read every input as floats. */
static void bind_constant(RefRun *r, int idx, const VknnValue *v)
{
    VknnRefTensor *t = &r->slots[idx];
    t->shape = v->shape;
    t->data = v->data;
    int64_t k = ref_numel(&v->shape);
    if (!t->data && v->int_data && k > 0) {
        t->data = g_new(float, k);
        for (int64_t i = 0; i < k; i++)
            t->data[i] = (float)v->int_data[i];
        g_ptr_array_add(r->scratch, t->data);
    }
    r->ready[idx] = TRUE;
}

static gboolean bind_inputs(RefRun *r, const VknnRefTensor *inputs, GError **err)
{
    for (guint i = 0; i < r->m->values->len; i++) {
        const VknnValue *v = vknn_model_value(r->m, i);
        if (v->kind == VKNN_VALUE_CONSTANT)
            bind_constant(r, i, v);
    }
    for (guint i = 0; i < r->m->inputs->len; i++) {
        int idx = g_array_index(r->m->inputs, int, i);
        if (!inputs[i].data && ref_numel(&inputs[i].shape) > 0) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "graph input '%s' has no data",
                        vknn_model_value(r->m, idx)->name);
            return FALSE;
        }
        r->slots[idx] = inputs[i];
        r->ready[idx] = TRUE;
    }
    return TRUE;
}

/* Allocates output i of node n in the results table and binds it. */
static gboolean alloc_output(RefRun *r, const VknnNode *n, int i, VknnRefTensor *out, GError **err)
{
    int idx = n->outputs[i];
    if (idx < 0)
        return TRUE; /* omitted optional output: kernels see data == NULL */
    const VknnValue *v = vknn_model_value(r->m, idx);
    int64_t k = ref_numel(&v->shape);
    if (k < 0 || v->shape.rank < 0 || v->shape.rank > VKNN_MAX_RANK) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                    "node '%s' (%s): output '%s' has no resolved shape", n->name, n->op_type,
                    v->name);
        return FALSE;
    }
    VknnRefTensor *t = g_new0(VknnRefTensor, 1);
    t->shape = v->shape;
    t->data = g_new0(float, MAX(k, 1));
    g_hash_table_replace(r->results, g_strdup(v->name), t);
    out[i] = *t;
    return TRUE;
}

static gboolean run_node(RefRun *r, const VknnNode *n, GError **err)
{
    VknnRefFunc fn = vknn_ref_lookup(n->op_type);
    if (!fn) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "node '%s': op %s has no reference implementation", n->name, n->op_type);
        return FALSE;
    }
    g_autofree VknnRefTensor *in = g_new0(VknnRefTensor, MAX(n->n_inputs, 1));
    g_autofree VknnRefTensor *out = g_new0(VknnRefTensor, MAX(n->n_outputs, 1));
    for (int i = 0; i < n->n_inputs; i++) {
        int idx = n->inputs[i];
        if (idx < 0)
            continue;
        if (!r->ready[idx]) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                        "node '%s' (%s): input '%s' is used before it is computed", n->name,
                        n->op_type, vknn_model_value(r->m, idx)->name);
            return FALSE;
        }
        in[i] = r->slots[idx];
    }
    for (int i = 0; i < n->n_outputs; i++)
        if (!alloc_output(r, n, i, out, err))
            return FALSE;
    if (!fn(r->m, n, in, out, err))
        return FALSE;
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0) {
            r->slots[n->outputs[i]] = out[i];
            r->ready[n->outputs[i]] = TRUE;
        }
    return TRUE;
}

GHashTable *vknn_ref_run(VknnModel *m, const VknnRefTensor *inputs, GError **err)
{
    guint n_in = m->inputs->len;
    g_autofree VknnShape *shapes = g_new0(VknnShape, MAX(n_in, 1));
    for (guint i = 0; i < n_in; i++)
        shapes[i] = inputs[i].shape;
    if (!vknn_model_infer_shapes(m, shapes, err))
        return NULL;

    RefRun r = {
        .m = m,
        .slots = g_new0(VknnRefTensor, MAX(m->values->len, 1)),
        .ready = g_new0(gboolean, MAX(m->values->len, 1)),
        .scratch = g_ptr_array_new_with_free_func(g_free),
        .results = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, vknn_ref_tensor_free),
    };
    gboolean ok = bind_inputs(&r, inputs, err);
    for (guint i = 0; ok && i < m->nodes->len; i++)
        ok = run_node(&r, vknn_model_node(m, i), err);
    g_free(r.slots);
    g_free(r.ready);
    g_ptr_array_unref(r.scratch);
    if (!ok) {
        g_hash_table_unref(r.results);
        return NULL;
    }
    return r.results;
}
