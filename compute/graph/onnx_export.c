/* ONNX export, the inverse of onnx_import.c: converts a VknnModel to the
 * protobuf-c structs generated from onnx.proto and packs them. The structs
 * point into the model's own strings and arrays wherever protobuf-c only
 * reads them; whatever this file allocates is tracked in one list and freed
 * together once the message is packed, so no struct needs its own free path.
 *
 * It reads only what the builders and the importer guarantee (names set,
 * constant data of numel(declared) elements, value indices in range) and
 * checks the few things a hand-built model could still get wrong. */
#include "graph/schema.h"
#include "onnx.pb-c.h"

#include <string.h>

/* The importer refuses larger files: protobuf's own limit. */
#define MAX_MODEL_BYTES ((gsize)2 << 30)

typedef struct {
    const VknnModel *m;
    GPtrArray *mem; /* every block allocated for the message, freed with g_free */
} Exporter;

static gpointer ex_alloc(Exporter *ex, gsize size)
{
    gpointer p = g_malloc0(MAX(size, 1));
    g_ptr_array_add(ex->mem, p);
    return p;
}

#define EX_NEW(ex, T, count) ((T *)ex_alloc((ex), sizeof(T) * (gsize)(count)))

static char *ex_strdup_printf(Exporter *ex, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static char *ex_strdup_printf(Exporter *ex, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(ex->mem, s);
    return s;
}

/* protobuf-c takes non-const pointers but only reads them while packing. */
#define RO(p) ((void *)(p))

/* ---- attributes and nodes ---------------------------------------------- */

static Onnx__AttributeProto *export_attr(Exporter *ex, const VknnAttr *a)
{
    Onnx__AttributeProto *ap = EX_NEW(ex, Onnx__AttributeProto, 1);
    onnx__attribute_proto__init(ap);
    ap->name = RO(a->name);
    ap->has_type = TRUE;
    const size_t n = a->n > 0 ? (size_t)a->n : 0; /* a hand-built count may be negative */
    switch (a->type) {
    case VKNN_ATTR_INT:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        ap->has_i = TRUE;
        ap->i = a->i;
        break;
    case VKNN_ATTR_FLOAT:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        ap->has_f = TRUE;
        ap->f = a->f;
        break;
    case VKNN_ATTR_STRING:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
        ap->has_s = TRUE;
        ap->s.data = RO(a->s ? a->s : "");
        ap->s.len = a->s ? strlen(a->s) : 0;
        break;
    case VKNN_ATTR_INTS:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        ap->n_ints = a->ints ? n : 0;
        ap->ints = RO(a->ints);
        break;
    case VKNN_ATTR_FLOATS:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        ap->n_floats = a->floats ? n : 0;
        ap->floats = RO(a->floats);
        break;
    }
    return ap;
}

/* A value's name, or "" (ONNX's mark of an omitted optional input) for -1. */
static char *value_name(Exporter *ex, int index)
{
    return index < 0 ? "" : RO(vknn_model_value(ex->m, index)->name);
}

static Onnx__NodeProto *export_node(Exporter *ex, const VknnNode *n)
{
    Onnx__NodeProto *np = EX_NEW(ex, Onnx__NodeProto, 1);
    onnx__node_proto__init(np);
    np->op_type = RO(n->op_type);
    np->name = n->name && *n->name ? RO(n->name) : NULL; /* optional in ONNX */
    np->n_input = (size_t)n->n_inputs;
    np->input = EX_NEW(ex, char *, n->n_inputs);
    for (int i = 0; i < n->n_inputs; i++)
        np->input[i] = value_name(ex, n->inputs[i]);
    np->n_output = (size_t)n->n_outputs;
    np->output = EX_NEW(ex, char *, n->n_outputs);
    for (int i = 0; i < n->n_outputs; i++)
        np->output[i] = value_name(ex, n->outputs[i]);
    np->n_attribute = (size_t)n->n_attrs;
    np->attribute = EX_NEW(ex, Onnx__AttributeProto *, n->n_attrs);
    for (int i = 0; i < n->n_attrs; i++)
        np->attribute[i] = export_attr(ex, &n->attrs[i]);
    return np;
}

/* ---- initializers -------------------------------------------------------- */

/* Points the tensor at `count` int64s (iv) or floats (f), without a copy.
 * ONNX raw_data is little-endian; on a big-endian host the typed fields,
 * which protobuf encodes portably, carry the values instead. */
static void set_tensor_data(Onnx__TensorProto *t, const float *f, const int64_t *iv, size_t count)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    t->has_raw_data = TRUE;
    t->raw_data.data = iv ? RO(iv) : RO(f);
    t->raw_data.len = count * (iv ? sizeof *iv : sizeof *f);
#else
    if (iv) {
        t->n_int64_data = count;
        t->int64_data = RO(iv);
    } else {
        t->n_float_data = count;
        t->float_data = RO(f);
    }
#endif
}

static Onnx__TensorProto *export_constant(Exporter *ex, const VknnValue *v)
{
    Onnx__TensorProto *t = EX_NEW(ex, Onnx__TensorProto, 1);
    onnx__tensor_proto__init(t);
    t->name = RO(v->name);
    t->has_data_type = TRUE;
    /* int_data is the exact copy of an integer tensor (pads, shapes, axes):
     * it goes back as int64, which is what every op taking one expects. */
    t->data_type =
        v->int_data ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = (size_t)v->declared.rank;
    t->dims = RO(v->declared.dims);
    set_tensor_data(t, v->data, v->int_data, (size_t)vknn_shape_numel(&v->declared));
    return t;
}

/* ---- graph inputs and outputs ------------------------------------------- */

/* The dim_param of a symbolic dim: the name from the file when there was
 * one. Otherwise a made-up one; ONNX reads equal dim_params as equal sizes,
 * so the names of inputs after the first carry their index. */
static char *dim_param(Exporter *ex, const VknnValue *v, int dim, int input)
{
    static const char *const nchw[] = {"N", "C", "H", "W"};
    if (v->dim_names[dim] && *v->dim_names[dim])
        return v->dim_names[dim];
    const char *base = v->declared.rank == 4 ? nchw[dim] : NULL;
    if (base && input == 0)
        return RO(base);
    if (base)
        return ex_strdup_printf(ex, "%s_%d", base, input);
    return input == 0 ? ex_strdup_printf(ex, "dim%d", dim)
                      : ex_strdup_printf(ex, "dim%d_%d", dim, input);
}

static Onnx__TensorShapeProto *export_shape(Exporter *ex, const VknnValue *v, int input)
{
    Onnx__TensorShapeProto *sp = EX_NEW(ex, Onnx__TensorShapeProto, 1);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)v->declared.rank;
    sp->dim = EX_NEW(ex, Onnx__TensorShapeProto__Dimension *, v->declared.rank);
    for (int i = 0; i < v->declared.rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = EX_NEW(ex, Onnx__TensorShapeProto__Dimension, 1);
        onnx__tensor_shape_proto__dimension__init(d);
        if (v->declared.dims[i] > 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = v->declared.dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = dim_param(ex, v, i, input);
        }
        sp->dim[i] = d;
    }
    return sp;
}

/* A float tensor value_info; shape NULL leaves the shape unstated. */
static Onnx__ValueInfoProto *export_value_info(Exporter *ex, const VknnValue *v,
                                               Onnx__TensorShapeProto *shape)
{
    Onnx__TypeProto__Tensor *tt = EX_NEW(ex, Onnx__TypeProto__Tensor, 1);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = TRUE;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = shape;
    Onnx__TypeProto *tp = EX_NEW(ex, Onnx__TypeProto, 1);
    onnx__type_proto__init(tp);
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    Onnx__ValueInfoProto *vi = EX_NEW(ex, Onnx__ValueInfoProto, 1);
    onnx__value_info_proto__init(vi);
    vi->name = RO(v->name);
    vi->type = tp;
    return vi;
}

/* ---- graph and model ----------------------------------------------------- */

static Onnx__GraphProto *export_graph(Exporter *ex)
{
    const VknnModel *m = ex->m;
    Onnx__GraphProto *g = EX_NEW(ex, Onnx__GraphProto, 1);
    onnx__graph_proto__init(g);
    g->name = "vknn"; /* the ONNX checker wants a non-empty graph name */
    g->node = EX_NEW(ex, Onnx__NodeProto *, m->nodes->len);
    for (guint i = 0; i < m->nodes->len; i++)
        g->node[g->n_node++] = export_node(ex, vknn_model_node(m, i));
    g->initializer = EX_NEW(ex, Onnx__TensorProto *, m->values->len);
    for (guint i = 0; i < m->values->len; i++)
        if (vknn_model_value(m, i)->kind == VKNN_VALUE_CONSTANT)
            g->initializer[g->n_initializer++] = export_constant(ex, vknn_model_value(m, i));
    g->input = EX_NEW(ex, Onnx__ValueInfoProto *, m->inputs->len);
    for (guint i = 0; i < m->inputs->len; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        g->input[g->n_input++] = export_value_info(ex, v, export_shape(ex, v, (int)i));
    }
    /* Shapes are added by add_output_shapes() once the graph is packed. */
    g->output = EX_NEW(ex, Onnx__ValueInfoProto *, m->outputs->len);
    for (guint i = 0; i < m->outputs->len; i++)
        g->output[g->n_output++] =
            export_value_info(ex, vknn_model_value(m, g_array_index(m->outputs, int, i)), NULL);
    return g;
}

/* IR version: 7 covers opsets up to 14; 15 and later came with IR 8. */
static int64_t ir_version(int opset)
{
    return opset >= 15 ? 8 : 7;
}

static Onnx__ModelProto *export_model(Exporter *ex)
{
    Onnx__OperatorSetIdProto *opset = EX_NEW(ex, Onnx__OperatorSetIdProto, 1);
    onnx__operator_set_id_proto__init(opset);
    opset->domain = ""; /* the default domain, ai.onnx */
    opset->has_version = TRUE;
    /* The model's own opset: attribute and input conventions depend on it. */
    opset->version = ex->m->opset > 0 ? ex->m->opset : 13;
    Onnx__ModelProto *mp = EX_NEW(ex, Onnx__ModelProto, 1);
    onnx__model_proto__init(mp);
    mp->has_ir_version = TRUE;
    mp->ir_version = ir_version((int)opset->version);
    mp->producer_name = "vknn";
    mp->n_opset_import = 1;
    mp->opset_import = EX_NEW(ex, Onnx__OperatorSetIdProto *, 1);
    mp->opset_import[0] = opset;
    mp->graph = export_graph(ex);
    return mp;
}

/* ---- output shapes -------------------------------------------------------- */

/* Readers such as OpenCV DNN refuse a graph output without a shape, and a
 * VknnModel keeps none before inference (and then only for one input
 * size). So the packed model is loaded again as a private copy, leaving the
 * caller's model untouched, and inferred at two input sizes: output dims
 * that agree are written as fixed, the others as dim_params. */

/* An input shape with every symbolic dim set: `hw` for the last two dims,
 * `other` for the rest. */
static VknnShape probe_shape(const VknnValue *v, int64_t hw, int64_t other)
{
    VknnShape s = v->declared;
    for (int i = 0; i < s.rank; i++)
        if (s.dims[i] <= 0)
            s.dims[i] = i >= s.rank - 2 ? hw : other;
    return s;
}

static gboolean infer_at(VknnModel *m, int64_t hw, int64_t other)
{
    g_autofree VknnShape *shapes = g_new(VknnShape, MAX(m->inputs->len, 1));
    for (guint i = 0; i < m->inputs->len; i++)
        shapes[i] = probe_shape(vknn_model_value(m, g_array_index(m->inputs, int, i)), hw, other);
    return vknn_model_infer_shapes(m, shapes, NULL);
}

/* Output shapes of the copy into at0 at one input size and at1 at another,
 * or only at0 (*n_sizes = 1) when the second size does not fit the model (a
 * batch baked in by a Reshape, say). FALSE when neither fits. */
static gboolean probe_output_shapes(VknnModel *copy, VknnShape *at0, VknnShape *at1, int *n_sizes)
{
    if (!infer_at(copy, 256, 1)) /* multiples of 64: any usual stride */
        return FALSE;
    for (guint i = 0; i < copy->outputs->len; i++)
        at0[i] = vknn_model_value(copy, g_array_index(copy->outputs, int, i))->shape;
    *n_sizes = infer_at(copy, 320, 2) ? 2 : 1;
    for (guint i = 0; *n_sizes == 2 && i < copy->outputs->len; i++)
        at1[i] = vknn_model_value(copy, g_array_index(copy->outputs, int, i))->shape;
    return TRUE;
}

static Onnx__TensorShapeProto *output_shape(Exporter *ex, const char *name, const VknnShape *a,
                                            const VknnShape *b)
{
    Onnx__TensorShapeProto *sp = EX_NEW(ex, Onnx__TensorShapeProto, 1);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)a->rank;
    sp->dim = EX_NEW(ex, Onnx__TensorShapeProto__Dimension *, a->rank);
    for (int i = 0; i < a->rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = EX_NEW(ex, Onnx__TensorShapeProto__Dimension, 1);
        onnx__tensor_shape_proto__dimension__init(d);
        if (b && b->rank == a->rank && b->dims[i] == a->dims[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = a->dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = ex_strdup_printf(ex, "%s_dim%d", name, i);
        }
        sp->dim[i] = d;
    }
    return sp;
}

/* Gives the graph's outputs their shapes from a copy loaded from `packed`.
 * FALSE (outputs left without a shape, still valid ONNX) when vknn cannot
 * load or infer it, e.g. a hand-built model with no input. */
static gboolean add_output_shapes(Exporter *ex, Onnx__GraphProto *g, const guint8 *packed,
                                  gsize len)
{
    g_autoptr(VknnModel) copy = vknn_model_load_from_memory(packed, len, NULL);
    if (!copy || copy->outputs->len != g->n_output)
        return FALSE;
    g_autofree VknnShape *at0 = g_new(VknnShape, MAX(g->n_output, 1));
    g_autofree VknnShape *at1 = g_new(VknnShape, MAX(g->n_output, 1));
    int n_sizes = 0;
    if (!probe_output_shapes(copy, at0, at1, &n_sizes))
        return FALSE;
    for (size_t i = 0; i < g->n_output; i++)
        g->output[i]->type->tensor_type->shape =
            output_shape(ex, g->output[i]->name, &at0[i], n_sizes == 2 ? &at1[i] : NULL);
    return TRUE;
}

/* What a hand-built model could lack that the message cannot do without. */
static gboolean check_model(const VknnModel *m, GError **err)
{
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, i);
        if (!v->name || !*v->name) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "value %u has no name", i);
            return FALSE;
        }
        if (v->kind == VKNN_VALUE_CONSTANT && !v->data && !v->int_data) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "constant '%s' has no data", v->name);
            return FALSE;
        }
    }
    if (m->outputs->len == 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "the model has no outputs to save");
        return FALSE;
    }
    return TRUE;
}

/* Packs the message into a new buffer, or NULL past protobuf's limit. */
static guint8 *pack(const Onnx__ModelProto *mp, gsize *len, GError **err)
{
    const gsize size = onnx__model_proto__get_packed_size(mp);
    if (size > MAX_MODEL_BYTES) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "the model needs %" G_GSIZE_FORMAT " bytes, over ONNX's 2 GiB limit", size);
        return NULL;
    }
    guint8 *buf = g_malloc(MAX(size, 1));
    *len = onnx__model_proto__pack(mp, buf);
    return buf;
}

guint8 *vknn_model_save_to_memory(const VknnModel *m, gsize *len, GError **err)
{
    g_return_val_if_fail(m != NULL && len != NULL, NULL);
    if (!check_model(m, err))
        return NULL;
    Exporter ex = {m, g_ptr_array_new_with_free_func(g_free)};
    Onnx__ModelProto *mp = export_model(&ex);
    guint8 *buf = pack(mp, len, err);
    if (buf && add_output_shapes(&ex, mp->graph, buf, *len)) {
        g_free(buf);
        buf = pack(mp, len, err);
    }
    g_ptr_array_unref(ex.mem);
    return buf;
}

gboolean vknn_model_save(const VknnModel *m, const char *path, GError **err)
{
    g_return_val_if_fail(path != NULL, FALSE);
    gsize len = 0;
    g_autofree guint8 *buf = vknn_model_save_to_memory(m, &len, err);
    if (!buf)
        return FALSE;
    GError *e = NULL;
    /* Written to a temporary file and renamed: a reader never sees half a model. */
    if (!g_file_set_contents(path, (const char *)buf, (gssize)len, &e)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_IO, "%s", e->message);
        g_error_free(e);
        return FALSE;
    }
    return TRUE;
}
