/* ONNX import: protobuf-c (generated at build time from Debian's onnx.proto)
 * decodes the file; this converts it to a VknnModel, validating everything a
 * hostile file could get wrong before any allocation sized by it. */
#include "graph/schema.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <math.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>

/* protobuf's own hard limit for a message. */
#define MAX_MODEL_BYTES ((gsize)2 << 30)
/* No tensor in a model we can run comes near this: reject earlier. */
#define MAX_TENSOR_ELEMENTS ((int64_t)1 << 30)

static gboolean parse_error(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean parse_error(GError **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE, "%s", msg);
    return FALSE;
}

static float half_to_float(uint16_t h)
{
    const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

static const char *dtype_name(int t)
{
    static const char *names[] = {"undefined",  "float",   "uint8",  "int8",   "uint16",
                                  "int16",      "int32",   "int64",  "string", "bool",
                                  "float16",    "double",  "uint32", "uint64", "complex64",
                                  "complex128", "bfloat16"};
    return t >= 0 && t < (int)G_N_ELEMENTS(names) ? names[t] : "unknown";
}

static gboolean tensor_shape(const Onnx__TensorProto *t, VknnShape *s, GError **err)
{
    if (t->n_dims > VKNN_MAX_RANK)
        return parse_error(err, "tensor '%s' has rank %zu; vknn supports rank <= 4", t->name,
                           t->n_dims);
    s->rank = (int)t->n_dims;
    int64_t numel = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > MAX_TENSOR_ELEMENTS)
            return parse_error(err, "tensor '%s' declares an invalid dimension %" G_GINT64_FORMAT,
                               t->name, t->dims[i]);
        s->dims[i] = t->dims[i];
        numel *= t->dims[i];
        if (numel > MAX_TENSOR_ELEMENTS)
            return parse_error(err, "tensor '%s' declares more than 2^30 elements", t->name);
    }
    return TRUE;
}

/* How many values of its type `t` stores (in raw_data or its typed field),
 * and the size of one raw value; FALSE for a type vknn does not read. */
static gboolean stored_count(const Onnx__TensorProto *t, gboolean raw, size_t *have,
                             size_t *raw_size, GError **err)
{
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        *raw_size = 4, *have = t->n_float_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
        *raw_size = 2, *have = t->n_int32_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        *raw_size = 8, *have = t->n_double_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        *raw_size = 8, *have = t->n_int64_data;
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        *raw_size = 4, *have = t->n_int32_data;
        break;
    default:
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "tensor '%s' has data type %s; vknn supports float, float16, double, int32 "
                    "and int64",
                    t->name, dtype_name(t->data_type));
        return FALSE;
    }
    if (raw)
        *have = t->raw_data.len / *raw_size;
    return TRUE;
}

/* Checks that the file holds exactly `numel` values of the tensor's type, so
 * that nothing is allocated for a size a hostile file only claims. */
static gboolean check_count(const Onnx__TensorProto *t, gboolean raw, int64_t numel, GError **err)
{
    size_t have, raw_size;
    if (!stored_count(t, raw, &have, &raw_size, err))
        return FALSE;
    if ((int64_t)have != numel || (raw && t->raw_data.len % raw_size))
        return parse_error(err,
                           "tensor '%s' holds %zu values but its shape needs %" G_GINT64_FORMAT,
                           t->name, have, numel);
    return TRUE;
}

/* One stored value of an integer tensor. */
static int64_t int_value(const Onnx__TensorProto *t, gboolean raw, int64_t i)
{
    const gboolean is64 = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    if (raw && is64) {
        int64_t v;
        memcpy(&v, t->raw_data.data + 8 * i, 8);
        return v;
    }
    if (raw) {
        int32_t v;
        memcpy(&v, t->raw_data.data + 4 * i, 4);
        return v;
    }
    return is64 ? t->int64_data[i] : t->int32_data[i];
}

/* Decodes a tensor's data into floats (and exact int64s for integer types). */
static gboolean tensor_data(const Onnx__TensorProto *t, int64_t numel, float **fout, int64_t **iout,
                            GError **err)
{
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "tensor '%s' keeps its data in an external file; re-export the model "
                           "with the weights inside",
                           t->name),
               FALSE;
    const gboolean raw = t->has_raw_data && t->raw_data.len > 0;
    if (!check_count(t, raw, numel, err))
        return FALSE;
    const uint8_t *rd = t->raw_data.data;
    float *f = g_new(float, MAX(numel, 1));
    int64_t *iv = NULL;
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        if (numel > 0) /* ONNX raw data is little-endian, as is every target */
            memcpy(f, raw ? (const void *)rd : (const void *)t->float_data, numel * 4);
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
        for (int64_t i = 0; i < numel; i++) {
            uint16_t h;
            if (raw)
                memcpy(&h, rd + 2 * i, 2);
            else
                h = (uint16_t)t->int32_data[i];
            f[i] = half_to_float(h);
        }
        break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        for (int64_t i = 0; i < numel; i++) {
            double d;
            if (raw)
                memcpy(&d, rd + 8 * i, 8);
            else
                d = t->double_data[i];
            f[i] = (float)d;
        }
        break;
    default: /* INT32 and INT64: stored_count() took no other type */
        iv = g_new(int64_t, MAX(numel, 1));
        for (int64_t i = 0; i < numel; i++) {
            iv[i] = int_value(t, raw, i);
            f[i] = (float)iv[i];
        }
        break;
    }
    *fout = f;
    *iout = iv;
    return TRUE;
}

static gboolean add_tensor(VknnModel *m, const Onnx__TensorProto *t, const char *name, GError **err)
{
    VknnShape s;
    if (!name || !*name)
        return parse_error(err, "an initializer has no name");
    if (!tensor_shape(t, &s, err))
        return FALSE;
    float *f;
    int64_t *iv;
    if (!tensor_data(t, vknn_shape_numel(&s), &f, &iv, err))
        return FALSE;
    int idx = vknn_model_add_constant(m, name, &s, NULL);
    if (idx < 0) {
        g_free(f);
        g_free(iv);
        return parse_error(err, "tensor name '%s' is defined twice", name);
    }
    VknnValue *v = vknn_model_value(m, idx);
    v->data = f;
    v->int_data = iv;
    return TRUE;
}

static gboolean add_graph_input(VknnModel *m, const Onnx__ValueInfoProto *vi, GError **err)
{
    if (!vi->name || !*vi->name)
        return parse_error(err, "a graph input has no name");
    if (vknn_model_find_value(m, vi->name) >= 0)
        return TRUE; /* IR < 4 lists initializers as inputs too: the initializer wins */
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "graph input '%s' is not a tensor", vi->name),
               FALSE;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "graph input '%s' has type %s; vknn takes float inputs", vi->name,
                           dtype_name(tt->elem_type)),
               FALSE;
    if (!tt->shape || tt->shape->n_dim > VKNN_MAX_RANK)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "graph input '%s' needs a declared shape of rank <= 4", vi->name),
               FALSE;
    VknnShape s = {.rank = (int)tt->shape->n_dim};
    char *names[VKNN_MAX_RANK] = {0};
    for (int i = 0; i < s.rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value <= 0 || d->dim_value > MAX_TENSOR_ELEMENTS)
                return parse_error(err, "graph input '%s' declares dimension %" G_GINT64_FORMAT,
                                   vi->name, d->dim_value);
            s.dims[i] = d->dim_value;
        } else {
            s.dims[i] = -1;
            if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
                names[i] = d->dim_param;
        }
    }
    int idx = vknn_model_add_input(m, vi->name, &s);
    VknnValue *v = vknn_model_value(m, idx);
    for (int i = 0; i < s.rank; i++)
        v->dim_names[i] = g_strdup(names[i]);
    return TRUE;
}

static void copy_attr(VknnNode *n, const Onnx__AttributeProto *a)
{
    switch (a->type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        vknn_node_set_int(n, a->name, a->i);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        vknn_node_set_float(n, a->name, a->f);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        g_autofree char *s =
            a->s.data ? g_strndup((const char *)a->s.data, a->s.len) : g_strdup("");
        vknn_node_set_string(n, a->name, s);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        vknn_node_set_ints(n, a->name, a->ints, (int)MIN(a->n_ints, G_MAXINT));
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        vknn_node_set_floats(n, a->name, a->floats, (int)MIN(a->n_floats, G_MAXINT));
        break;
    default:
        /* Tensor, graph and string-list attributes belong to ops vknn does
         * not run; such ops are rejected by name before this matters. */
        break;
    }
}

static gboolean is_default_domain(const char *d)
{
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

static gboolean add_node(VknnModel *m, const Onnx__NodeProto *np, int index, GError **err)
{
    const char *label = np->name && *np->name ? np->name : NULL;
    g_autofree char *fallback = g_strdup_printf("#%d", index);
    if (!label)
        label = fallback;
    if (!np->op_type || !*np->op_type)
        return parse_error(err, "node '%s' has no op_type", label);
    if (!is_default_domain(np->domain))
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "node '%s': operator %s of domain '%s' is not supported", label,
                           np->op_type, np->domain),
               FALSE;
    if (strcmp(np->op_type, "Constant") == 0) {
        /* Constant nodes are initializers in disguise. */
        for (size_t i = 0; i < np->n_attribute; i++)
            if (np->attribute[i]->t && np->attribute[i]->name &&
                strcmp(np->attribute[i]->name, "value") == 0 && np->n_output == 1)
                return add_tensor(m, np->attribute[i]->t, np->output[0], err);
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "node '%s': Constant without a tensor 'value' is not supported", label),
               FALSE;
    }
    if (np->n_input > VKNN_MAX_NODE_IO || np->n_output > VKNN_MAX_NODE_IO)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "node '%s' (%s) has %zu inputs and %zu outputs; vknn supports up to %d",
                           label, np->op_type, np->n_input, np->n_output, VKNN_MAX_NODE_IO),
               FALSE;
    VknnNode *n =
        vknn_model_add_node(m, np->op_type, label, (const char *const *)np->input, (int)np->n_input,
                            (const char *const *)np->output, (int)np->n_output, err);
    if (!n)
        return FALSE;
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name)
            copy_attr(n, np->attribute[i]);
    return TRUE;
}

static int64_t default_opset(const Onnx__ModelProto *mp)
{
    for (size_t i = 0; i < mp->n_opset_import; i++)
        if (is_default_domain(mp->opset_import[i]->domain))
            return mp->opset_import[i]->version;
    return 1;
}

static VknnModel *convert(const Onnx__ModelProto *mp, GError **err)
{
    const Onnx__GraphProto *g = mp->graph;
    if (!g)
        return parse_error(err, "the file holds no graph"), NULL;
    g_autoptr(VknnModel) m = vknn_model_new();
    const int64_t opset = default_opset(mp); /* int64 in the file: range-check before narrowing */
    m->producer = g_strdup(mp->producer_name);
    if (opset < 6 || opset > 18)
        return g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                           "opset %" G_GINT64_FORMAT " is not supported (6..18)", opset),
               NULL;
    m->opset = (int)opset;
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!add_tensor(m, g->initializer[i], g->initializer[i]->name, err))
            return NULL;
    for (size_t i = 0; i < g->n_input; i++)
        if (!add_graph_input(m, g->input[i], err))
            return NULL;
    for (size_t i = 0; i < g->n_node; i++)
        if (!add_node(m, g->node[i], (int)i, err))
            return NULL;
    if (g->n_output == 0)
        return parse_error(err, "the graph has no outputs"), NULL;
    for (size_t i = 0; i < g->n_output; i++) {
        if (!g->output[i]->name)
            return parse_error(err, "graph output %zu has no name", i), NULL;
        if (!vknn_model_mark_output(m, g->output[i]->name, err)) /* sets err */
            return NULL;
    }
    if (m->inputs->len == 0)
        return parse_error(err, "the graph has no (non-constant) input"), NULL;
    return g_steal_pointer(&m);
}

VknnModel *vknn_model_load_from_memory(const guint8 *data, gsize len, GError **err)
{
    if (len == 0)
        return parse_error(err, "empty model data"), NULL;
    if (len > MAX_MODEL_BYTES)
        return parse_error(err, "model is larger than 2 GiB, the protobuf limit"), NULL;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
    if (!mp)
        return parse_error(err, "not a valid ONNX protobuf (truncated or corrupt)"), NULL;
    VknnModel *m = convert(mp, err);
    onnx__model_proto__free_unpacked(mp, NULL);
    return m;
}

/* The resource of built-in model `name` (models/vknn-models.gresource.xml). */
#define BUILTIN_PREFIX "builtin:"
#define BUILTIN_RESOURCES "/org/vknn/models"

/* Generated by glib-compile-resources (compute/meson.build). Registered on
 * first use: a static library's constructors would be dropped by the linker. */
void vknn_models_register_resource(void);

static void register_builtins(void)
{
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        vknn_models_register_resource();
        g_once_init_leave(&once, 1);
    }
}

char **vknn_builtin_models(void)
{
    register_builtins();
    char **names = g_resources_enumerate_children(BUILTIN_RESOURCES, 0, NULL);
    for (char **n = names; n && *n; n++)
        if (g_str_has_suffix(*n, ".onnx"))
            (*n)[strlen(*n) - 5] = '\0';
    return names ? names : g_new0(char *, 1);
}

static VknnModel *load_builtin(const char *name, GError **err)
{
    register_builtins();
    g_autofree char *path = g_strdup_printf(BUILTIN_RESOURCES "/%s.onnx", name);
    g_autoptr(GBytes) bytes = g_resources_lookup_data(path, 0, NULL);
    if (!bytes) {
        g_auto(GStrv) names = vknn_builtin_models();
        g_autofree char *list = g_strjoinv(", ", names);
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_IO, "no built-in model '%s' (built in: %s)", name,
                    list);
        return NULL;
    }
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    return vknn_model_load_from_memory(data, len, err);
}

VknnModel *vknn_model_load(const char *path, GError **err)
{
    if (g_str_has_prefix(path, BUILTIN_PREFIX))
        return load_builtin(path + strlen(BUILTIN_PREFIX), err);
    struct stat st;
    if (stat(path, &st) != 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_IO, "%s: cannot read the model file (%s)", path,
                    g_strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_IO, "%s: not a regular file", path);
        return NULL;
    }
    if ((gsize)st.st_size > MAX_MODEL_BYTES) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_PARSE, "%s: larger than 2 GiB, the protobuf limit",
                    path);
        return NULL;
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_IO, "%s", e->message);
        g_error_free(e);
        return NULL;
    }
    VknnModel *m = vknn_model_load_from_memory((const guint8 *)data, len, &e);
    if (!m) {
        g_set_error(err, VKNN_ERROR, e->code, "%s: %s", path, e->message);
        g_error_free(e);
    }
    return m;
}
