/* Add, Sub, Mul, Div with numpy broadcasting. Common cases (same shapes, a
 * scalar, a per-channel vector) get vectorised kernels; everything else runs
 * the general per-element index path. */
#include <stdint.h>
#include "binary.comp.spv.h"
#include "op.h"

#include <string.h>

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };
enum { MODE_GENERAL, MODE_SAME, MODE_SCALAR, MODE_CHANNEL };

typedef struct {
    int32_t count;
    int32_t pad_[3]; /* std430 ivec4 alignment */
    int32_t out_dims[4], frame[4], a_stride[4], a_dims[4], b_stride[4], b_dims[4];
} BinaryPush;
_Static_assert(sizeof(BinaryPush) <= 128, "push constants exceed the guaranteed 128 bytes");

static const VknnShader binary_shader = VKNN_SHADER(binary, 2, 1, BinaryPush);

/* Element strides of shape s inside the 4D broadcast frame (0 = repeated). */
static void frame_strides(const VknnShape *s, const int64_t frame[4], int32_t st[4])
{
    int64_t d[4];
    vknn_right_align(s, d);
    int64_t acc = 1;
    for (int i = 3; i >= 0; i--) {
        st[i] = d[i] == frame[i] ? (int32_t)acc : 0;
        acc *= d[i];
    }
}

static gboolean binary_record(VknnRecord *r, GError **err)
{
    const VknnNode *n = r->step->node;
    const int op = r->step->kernel->variant;
    const VknnShape *sa = vknn_in_shape(r->model, n, 0), *sb = vknn_in_shape(r->model, n, 1);
    const VknnTensor *y = r->out[0];
    int64_t frame[4], fb[4];
    vknn_right_align(&y->shape, frame);
    vknn_right_align(sb, fb);

    int mode = MODE_GENERAL;
    VknnShape b_as = *sb;
    if (vknn_shape_equal(sa, &y->shape)) {
        if (vknn_shape_equal(sb, &y->shape))
            mode = MODE_SAME;
        else if (vknn_shape_numel(sb) == 1)
            mode = MODE_SCALAR;
        else if (y->shape.rank == 4 && fb[0] == 1 && fb[1] == frame[1] && fb[2] == 1 &&
                 fb[3] == 1) {
            mode = MODE_CHANNEL;
            b_as = (VknnShape){4, {1, frame[1], 1, 1}}; /* lay [C,1,1] out as channels */
        }
    }
    VknnTensor *a = vknn_record_in(r, 0, NULL, err);
    VknnTensor *b = a ? vknn_record_in(r, 1, &b_as, err) : NULL;
    if (!b)
        return FALSE;
    if (mode == MODE_CHANNEL && (b->n != 1 || b->c != y->c || b->h != 1 || b->w != 1))
        mode = MODE_GENERAL; /* an activation [C,1,1] is not channel-packed */

    const int32_t spec[] = {op, mode};
    VknnPipeline *p = vknn_op_pipeline(r, &binary_shader, 64, spec, 2, err);
    if (!p)
        return FALSE;
    BinaryPush pc = {.count = (int32_t)vknn_tensor_texels(y)};
    vknn_tensor_dims(y, pc.out_dims);
    vknn_tensor_dims(a, pc.a_dims);
    vknn_tensor_dims(b, pc.b_dims);
    for (int i = 0; i < 4; i++)
        pc.frame[i] = (int32_t)frame[i];
    frame_strides(sa, frame, pc.a_stride);
    frame_strides(sb, frame, pc.b_stride);
    const VknnTensor *bind[] = {a, b, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

/* Add and Sub of same-shaped tensors (residual connections): the gradient
 * passes through, negated for Sub's second operand. */
static gboolean add_sub_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    const gboolean sub = g->fwd.step->kernel->variant == OP_SUB;
    for (int i = 0; i < 2; i++) {
        if (!g->gx[i])
            continue;
        if (!vknn_shape_equal(vknn_in_shape(g->fwd.model, n, i), &g->gy[0]->shape))
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                                   "no backward pass through broadcasting yet");
        if (!vknn_grad_scale(&g->fwd, sub && i == 1 ? -1.0f : 1.0f, g->gy[0], g->gx[i], err))
            return FALSE;
    }
    return TRUE;
}

/* Mul by a scalar constant (input scaling, e.g. 0..255 -> 0..1 before a
 * loss network): the gradient is scaled by it. */
static gboolean mul_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    for (int i = 0; i < 2; i++) {
        if (!g->gx[i])
            continue;
        const VknnValue *other = vknn_node_input(g->fwd.model, n, 1 - i);
        if (other->kind != VKNN_VALUE_CONSTANT || vknn_shape_numel(&other->shape) != 1 ||
            !vknn_shape_equal(vknn_in_shape(g->fwd.model, n, i), &g->gy[0]->shape))
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                                   "backward pass of Mul only by a scalar constant");
        if (!vknn_grad_scale(&g->fwd, other->data[0], g->gy[0], g->gx[i], err))
            return FALSE;
    }
    return TRUE;
}

const VknnKernel vknn_kernel_add = {
    .record = binary_record,
    .backward = add_sub_backward,
    .in_place = TRUE,
    .variant = OP_ADD,
};
const VknnKernel vknn_kernel_sub = {
    .record = binary_record,
    .backward = add_sub_backward,
    .in_place = TRUE,
    .variant = OP_SUB,
};
const VknnKernel vknn_kernel_mul = {
    .record = binary_record,
    .backward = mul_backward,
    .in_place = TRUE,
    .variant = OP_MUL,
};
const VknnKernel vknn_kernel_div = {.record = binary_record, .in_place = TRUE, .variant = OP_DIV};
