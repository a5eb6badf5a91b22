/* Add, Sub, Mul, Div with numpy broadcasting. */
#include "graph/params.h"

/* Right-aligns s into 4 dims padded with leading 1s. */
void vknn_right_align(const VknnShape *s, int64_t out[4])
{
    for (int i = 0; i < 4; i++)
        out[i] = 1;
    for (int i = 0; i < s->rank; i++)
        out[4 - s->rank + i] = s->dims[i];
}

static gboolean binary_infer(VknnModel *m, VknnNode *n, GError **err)
{
    if (!vknn_check_inputs(n, 2, 2, err) || !vknn_check_rank(m, n, 0, 0, 4, err) ||
        !vknn_check_rank(m, n, 1, 0, 4, err))
        return FALSE;
    const VknnShape *a = vknn_in_shape(m, n, 0), *b = vknn_in_shape(m, n, 1);
    int64_t da[4], db[4];
    vknn_right_align(a, da);
    vknn_right_align(b, db);
    const int rank = MAX(a->rank, b->rank);
    VknnShape *y = vknn_out_shape(m, n, 0);
    y->rank = rank;
    for (int i = 4 - rank; i < 4; i++) {
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
            char sa[64], sb[64];
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "shapes %s and %s do not broadcast",
                                   vknn_shape_str(a, sa, sizeof sa),
                                   vknn_shape_str(b, sb, sizeof sb));
        }
        y->dims[i - (4 - rank)] = MAX(da[i], db[i]);
    }
    return TRUE;
}

const VknnOpSchema vknn_schema_add = {VKNN_SCHEMA_OF(Add), .infer = binary_infer};
const VknnOpSchema vknn_schema_sub = {VKNN_SCHEMA_OF(Sub), .infer = binary_infer};
const VknnOpSchema vknn_schema_mul = {VKNN_SCHEMA_OF(Mul), .infer = binary_infer};
const VknnOpSchema vknn_schema_div = {VKNN_SCHEMA_OF(Div), .infer = binary_infer};
