/* vknn — reference Add, Sub, Mul, Div with numpy (multidirectional)
 * broadcasting. */
#include "ref_internal.h"

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } BinOp;

static float bin_apply(BinOp op, float a, float b)
{
    switch (op) {
    case BIN_ADD:
        return a + b;
    case BIN_SUB:
        return a - b;
    case BIN_MUL:
        return a * b;
    case BIN_DIV:
        return a / b;
    }
    return 0.0f;
}

gboolean vknn_ref_binary_shape(const VknnNode *n, const VknnRefTensor *in, const VknnRefTensor *out,
                               VknnShape *shape, GError **err)
{
    if (!vknn_ref_need_input(n, in, 0, 0, VKNN_MAX_RANK, err) ||
        !vknn_ref_need_input(n, in, 1, 0, VKNN_MAX_RANK, err))
        return FALSE;
    if (!vknn_ref_broadcast_shape(&in[0].shape, &in[1].shape, shape)) {
        char a[96], b[96];
        return vknn_ref_fail(err, VKNN_ERROR_SHAPE, n, "shapes %s and %s do not broadcast",
                             vknn_ref_shape_str(&in[0].shape, a, sizeof a),
                             vknn_ref_shape_str(&in[1].shape, b, sizeof b));
    }
    return vknn_ref_check_output(n, out, 0, shape, err);
}

static gboolean binary(BinOp op, const VknnNode *n, const VknnRefTensor *in, VknnRefTensor *out,
                       GError **err)
{
    VknnShape want;
    if (!vknn_ref_binary_shape(n, in, out, &want, err))
        return FALSE;

    int64_t d[4], sa[4], sb[4];
    vknn_ref_dims4(&want, d);
    vknn_ref_broadcast_strides(&in[0].shape, &want, sa);
    vknn_ref_broadcast_strides(&in[1].shape, &want, sb);
    const float *a = in[0].data, *b = in[1].data;
    float *y = out[0].data;
    for (int64_t i0 = 0; i0 < d[0]; i0++)
        for (int64_t i1 = 0; i1 < d[1]; i1++)
            for (int64_t i2 = 0; i2 < d[2]; i2++)
                for (int64_t i3 = 0; i3 < d[3]; i3++) {
                    int64_t ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
                    int64_t ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
                    *y++ = bin_apply(op, a[ia], b[ib]);
                }
    return TRUE;
}

gboolean vknn_ref_add(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    (void)m;
    return binary(BIN_ADD, n, in, out, err);
}

gboolean vknn_ref_sub(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    (void)m;
    return binary(BIN_SUB, n, in, out, err);
}

gboolean vknn_ref_mul(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    (void)m;
    return binary(BIN_MUL, n, in, out, err);
}

gboolean vknn_ref_div(const VknnModel *m, const VknnNode *n, const VknnRefTensor *in,
                      VknnRefTensor *out, GError **err)
{
    (void)m;
    return binary(BIN_DIV, n, in, out, err);
}
