/* vknn — host-side model graph: ONNX import, shape inference, model building.
 *
 * A VknnModel is a pure host object (no Vulkan): a list of values (tensors)
 * and nodes in topological order. It is produced by the ONNX importer or
 * built programmatically (tests, training), inspected by `vknn info`, run on
 * the CPU by the reference executor (ref.h) and on a Vulkan device by the
 * graph executor (net.h).
 *
 * Tensors are float32 with rank <= 4. Shapes are resolved by
 * vknn_model_infer_shapes() from the actual input shapes, so models with
 * symbolic ("dynamic") dimensions run at any size they allow.
 */
#pragma once

#include <vknn/error.h>
#include <vknn/shape.h>

G_BEGIN_DECLS

typedef enum {
    VKNN_ATTR_INT,
    VKNN_ATTR_FLOAT,
    VKNN_ATTR_STRING,
    VKNN_ATTR_INTS,
    VKNN_ATTR_FLOATS,
} VknnAttrType;

typedef struct {
    char *name;
    VknnAttrType type;
    int64_t i;
    float f;
    char *s;
    int n;         /* element count for INTS / FLOATS */
    int64_t *ints; /* INTS */
    float *floats; /* FLOATS */
} VknnAttr;

typedef enum {
    VKNN_VALUE_ACTIVATION, /* produced by a node */
    VKNN_VALUE_INPUT,      /* graph input, supplied at run time */
    VKNN_VALUE_CONSTANT,   /* initializer: data holds the values */
} VknnValueKind;

typedef struct {
    char *name;
    VknnValueKind kind;
    VknnShape shape;                /* resolved shape (after inference) */
    VknnShape declared;             /* shape as declared in the file (-1 = symbolic) */
    char *dim_names[VKNN_MAX_RANK]; /* symbolic dim names of graph inputs, or NULL */
    float *data;                    /* CONSTANT: numel floats, owned */
    int64_t *int_data;              /* CONSTANT of int64 type (pads, shapes): exact copy, owned */
    int producer;                   /* node index, -1 for inputs and constants */
    int n_consumers;
    gboolean is_output; /* graph output */
} VknnValue;

/* What the graph knows of an op type (shape inference, FLOPs); libvknn-internal. */
typedef struct VknnOpSchema VknnOpSchema;

typedef struct {
    char *name;
    char *op_type; /* ONNX op type, e.g. "Conv" */
    int n_inputs;
    int *inputs; /* value indices; -1 for an omitted optional input */
    int n_outputs;
    int *outputs;
    int n_attrs;
    VknnAttr *attrs;
    const VknnOpSchema *schema; /* resolved when added: never NULL in a valid model */
} VknnNode;

typedef struct {
    int opset;           /* default-domain opset version */
    char *producer;      /* producer_name from the file, may be NULL */
    GPtrArray *values;   /* VknnValue*, owned */
    GPtrArray *nodes;    /* VknnNode*, owned, topological order */
    GArray *inputs;      /* int value indices of graph inputs (non-constant) */
    GArray *outputs;     /* int value indices of graph outputs */
    GHashTable *by_name; /* name -> value index + 1 (GINT_TO_POINTER) */
    /* Counts vknn_model_infer_shapes calls: a VknnNet planned on the model
     * plans again when another user (a second net, the reference executor)
     * has inferred its shapes for another input since. */
    guint shape_generation;
} VknnModel;

/* ---- loading ---------------------------------------------------------- */

/* Parses an ONNX file. Every node must be a supported op (the error names the
 * node and the op otherwise); malformed, truncated or oversized data is an
 * error, never a crash. Returns NULL and sets err on failure.
 * "builtin:NAME" loads a network built into libvknn instead: the style
 * networks vknn trained, the VGG-19 encoder "vgg19_relu3_1" and the
 * decoder vknn trained for it, "decoder_relu3_1" (see models/README.md);
 * vknn_builtin_models() lists them. */
VknnModel *vknn_model_load(const char *path, GError **err);
/* The ONNX op types vknn runs (the default domain), NULL-terminated, in the
 * order of compute/ops.def; static. */
const char *const *vknn_supported_ops(void);
/* Names of the built-in models: style networks, encoder, decoder
 * (NULL-terminated; g_strfreev). */
char **vknn_builtin_models(void);
VknnModel *vknn_model_load_from_memory(const guint8 *data, gsize len, GError **err);
void vknn_model_free(VknnModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VknnModel, vknn_model_free)

/* ---- saving ------------------------------------------------------------- */

/* Writes the model as ONNX, the inverse of loading, so that vknn, OpenCV DNN,
 * onnxruntime and the like can run a model built or trained by vknn:
 *  - opset_import: the default domain at m->opset (13 when m->opset <= 0),
 *    kept as is because attribute conventions depend on it; ir_version 7
 *    (8 for opset >= 15, which came with IR 8); producer_name "vknn";
 *  - every node in order with its attributes (INT, FLOAT, STRING, INTS,
 *    FLOATS); an omitted optional input is written as "";
 *  - every constant as an initializer: FLOAT in raw_data (little-endian), or
 *    INT64 when it holds integers (value->int_data != NULL);
 *  - graph inputs, elem type FLOAT, with their declared shape; a symbolic dim
 *    becomes a dim_param: the value's dim_names[i] when set, else "N", "C",
 *    "H", "W" for a 4D input and "dim<i>" otherwise (inputs after the first
 *    get a "_<input index>" suffix, since equal dim_params mean equal sizes);
 *  - graph outputs, elem type FLOAT, with their rank (OpenCV DNN requires a
 *    shape): the file is loaded back as a private copy, which is inferred at
 *    two input sizes; dims that agree are written as values, the others as
 *    dim_params "<output>_dim<i>". When vknn cannot load or infer the copy
 *    (a hand-built model without inputs, say) outputs have no shape.
 * m is not modified and need not have inferred shapes; saving costs a
 * transient copy of the weights. vknn_model_save() writes the file
 * atomically (temporary file + rename). Errors are in the VKNN_ERROR domain:
 * VKNN_ERROR_IO for the file, VKNN_ERROR_FAILED for a model that cannot be
 * written (no outputs, a constant without data, over protobuf's 2 GiB). */
gboolean vknn_model_save(const VknnModel *m, const char *path, GError **err);
/* The same ONNX bytes in memory: returns them (free with g_free) and their
 * length in *len, or NULL with err set. */
guint8 *vknn_model_save_to_memory(const VknnModel *m, gsize *len, GError **err);

/* ---- shape inference -------------------------------------------------- */

/* Resolves every value's shape from the shapes of the graph inputs, given in
 * the order of m->inputs. A shape that contradicts the declared one (rank or
 * a fixed dim) is an error, as is any size the model cannot take. One
 * exception: a 4D input declared with batch 1 takes any batch when the
 * model has no Reshape (which could bake the batch in), so images can run
 * in batches (occlusion maps). */
gboolean vknn_model_infer_shapes(VknnModel *m, const VknnShape *input_shapes, GError **err);

/* Default input shape: declared dims, symbolic ones replaced by `h`, `w`
 * for the last two dims and 1 for any other. */
VknnShape vknn_model_default_input_shape(const VknnModel *m, int input, int64_t h, int64_t w);

/* ---- lookup ------------------------------------------------------------- */

int vknn_model_find_value(const VknnModel *m, const char *name); /* -1 if absent */
static inline VknnValue *vknn_model_value(const VknnModel *m, int i)
{
    return (VknnValue *)g_ptr_array_index(m->values, i);
}
static inline VknnNode *vknn_model_node(const VknnModel *m, int i)
{
    return (VknnNode *)g_ptr_array_index(m->nodes, i);
}

/* Attribute accessors: return the default when the attribute is absent. */
const VknnAttr *vknn_node_attr(const VknnNode *n, const char *name);
int64_t vknn_node_attr_int(const VknnNode *n, const char *name, int64_t def);
float vknn_node_attr_float(const VknnNode *n, const char *name, float def);
const char *vknn_node_attr_string(const VknnNode *n, const char *name, const char *def);
/* Copies an INTS attribute into out (at most max); returns its length, or -1 if absent. */
int vknn_node_attr_ints(const VknnNode *n, const char *name, int64_t *out, int max);

/* Returns the value of input `i` of node n, or NULL when omitted. */
VknnValue *vknn_node_input(const VknnModel *m, const VknnNode *n, int i);
VknnValue *vknn_node_output(const VknnModel *m, const VknnNode *n, int i);

/* ---- statistics (for `vknn info`) ------------------------------------- */

typedef struct {
    int64_t params;               /* number of constant elements */
    double flops;                 /* multiply-adds x2, at the inferred shapes */
    int64_t activation_bytes_max; /* largest single activation, fp32 */
} VknnModelStats;

/* Requires inferred shapes. */
void vknn_model_stats(const VknnModel *m, VknnModelStats *out);

/* ---- building ----------------------------------------------------------- */

VknnModel *vknn_model_new(void);
/* Adds a graph input; dims < 0 are symbolic. Returns the value index. */
int vknn_model_add_input(VknnModel *m, const char *name, const VknnShape *declared);
/* Adds a float constant; copies data. */
int vknn_model_add_constant(VknnModel *m, const char *name, const VknnShape *shape,
                            const float *data);
/* Adds an int64 constant (pads, shapes, axes); copies data. */
int vknn_model_add_constant_int(VknnModel *m, const char *name, const VknnShape *shape,
                                const int64_t *data);
/* Adds a node. inputs: value names (NULL or "" for an omitted input);
 * outputs: new value names. Attributes are added with vknn_node_set_*.
 * Returns the node or NULL (with err set) for an unknown op or name. */
VknnNode *vknn_model_add_node(VknnModel *m, const char *op_type, const char *name,
                              const char *const *inputs, int n_inputs, const char *const *outputs,
                              int n_outputs, GError **err);
void vknn_node_set_int(VknnNode *n, const char *name, int64_t v);
void vknn_node_set_float(VknnNode *n, const char *name, float v);
void vknn_node_set_string(VknnNode *n, const char *name, const char *v);
void vknn_node_set_ints(VknnNode *n, const char *name, const int64_t *v, int count);
void vknn_node_set_floats(VknnNode *n, const char *name, const float *v, int count);
/* Drops the constants nothing reads (and that are not outputs), e.g. the
 * per-style copies of a network reduced to one style. Returns how many. */
int vknn_model_drop_unused_constants(VknnModel *m);
/* Marks a value as a graph output. */
gboolean vknn_model_mark_output(VknnModel *m, const char *name, GError **err);
/* Appends src's nodes to dst, to compose networks (an encoder, a transform
 * and a decoder into one): the nodes `until` depends on (every node when
 * NULL), in src's order, with their attributes and a copy of each constant
 * they read. Every copied value and node name gets `prefix`; src's graph
 * input k reads dst's value inputs[k] instead (one name per src input,
 * defined in dst before). The copy of `until` (or of any src value) is
 * named prefix + its name. Errors: `until` absent from src, an input name
 * dst lacks, a name that clashes with one in dst (dst then holds part of
 * the copy: discard it). */
gboolean vknn_model_append(VknnModel *dst, const VknnModel *src, const char *prefix,
                           const char *const *inputs, const char *until, GError **err);

G_END_DECLS
