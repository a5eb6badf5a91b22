/* The graph tier's knowledge of each operator: its id, shape inference,
 * FLOPs and attribute checks. Vulkan-free: the importer, shape inference and
 * `vknn info` need no device, and the kernels (ops/) and the executor
 * (exec/) build on this, never the other way round.
 *
 * One ONNX op type = one VknnOpSchema, vknn_schema_<name> in
 * graph/schema/<family>.c, listed in ops.def. */
#pragma once

#include <vknn/model.h>

/* The op ids, in the order of ops.def. */
typedef enum {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params) VKNN_OP_##type,
#include "ops.def"
#undef VKNN_OP
    VKNN_OP_COUNT
} VknnOpId;

/* The most inputs or outputs of a node that vknn runs. */
#define VKNN_MAX_NODE_IO 8

struct VknnOpSchema {
    const char *op_type;
    VknnOpId id;
    /* Checks attributes and input shapes, sets the output shapes. */
    gboolean (*infer)(VknnModel *m, VknnNode *n, GError **err);
    /* FLOPs (2 per multiply-add) at inferred shapes; NULL: one per output element. */
    double (*flops)(const VknnModel *m, const VknnNode *n);
    /* Inputs (bit i = input i) that are parameters read on the host (pads,
     * scales, shapes, Clip bounds): no device copy, and not counted as the
     * model's parameters. */
    unsigned host_inputs;
    /* Output 0 is input 0 with another shape (Identity, Flatten, Reshape). */
    gboolean is_view;
};

/* The first fields of a schema: its op type and id. */
#define VKNN_SCHEMA_OF(type) .op_type = #type, .id = VKNN_OP_##type

/* The schema of an ONNX op type, or NULL when vknn does not run it. */
const VknnOpSchema *vknn_op_schema(const char *op_type);
/* The schema of op id `id`. */
const VknnOpSchema *vknn_op_schema_of(VknnOpId id);

static inline VknnOpId vknn_node_op(const VknnNode *n)
{
    return n->schema->id;
}

/* ---- nodes (graph/node.c) ------------------------------------------------------ */

/* Frees a node's attributes (the node's own fields stay). */
void vknn_node_clear_attrs(VknnNode *n);

/* Error helpers that name the node: "node 'conv1' (Conv): <message>". */
gboolean vknn_node_error(GError **err, VknnErrorCode code, const VknnNode *n, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Input i's shape; NULL if omitted. */
const VknnShape *vknn_in_shape(const VknnModel *m, const VknnNode *n, int i);
VknnShape *vknn_out_shape(VknnModel *m, const VknnNode *n, int i);
/* Checks the input count is within [min, max] and inputs [0, required) are given. */
gboolean vknn_check_inputs(const VknnNode *n, int min, int max, GError **err);
/* Requires input i to have the given rank (or rank in [lo, hi] with the range version). */
gboolean vknn_check_rank(const VknnModel *m, const VknnNode *n, int i, int lo, int hi,
                         GError **err);
/* Requires input i to be a constant (weights, pads, ...). */
gboolean vknn_check_constant(const VknnModel *m, const VknnNode *n, int i, GError **err);
/* Reads a constant input as int64 values (from int_data, or floats rounded). */
int vknn_const_ints(const VknnModel *m, const VknnNode *n, int i, int64_t *out, int max);
/* Reads a constant input as floats; returns the count, -1 when omitted/empty. */
int vknn_const_floats(const VknnModel *m, const VknnNode *n, int i, float *out, int max);
