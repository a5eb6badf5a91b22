/* Softmax along one axis (opset 13), or over the flattened trailing axes
 * (opsets < 13). */
#include <stdint.h>
#include "softmax.comp.spv.h"
#include "op.h"

typedef struct {
    int32_t count, len, inner;
    int32_t pad_;
    int32_t dims[4];
} SoftmaxPush;

static const VknnShader softmax_shader = VKNN_SHADER(softmax, 1, 1, SoftmaxPush);

/* The tensor viewed as [outer, len, inner] for the op's axis semantics. */
static gboolean softmax_view(const VknnModel *m, const VknnNode *n, int64_t *outer, int64_t *len,
                             int64_t *inner, GError **err)
{
    if (!vknn_check_inputs(n, 1, 1, err) || !vknn_check_rank(m, n, 0, 1, 4, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    int64_t axis = vknn_node_attr_int(n, "axis", m->opset >= 13 ? -1 : 1);
    if (axis < 0)
        axis += x->rank;
    if (axis < 0 || axis >= x->rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "invalid axis");
    *outer = *len = *inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis)
            *outer *= x->dims[i];
        else if (i == axis || m->opset < 13)
            *len *= x->dims[i];
        else
            *inner *= x->dims[i];
    }
    return TRUE;
}

static gboolean softmax_infer(VknnModel *m, VknnNode *n, GError **err)
{
    int64_t outer, len, inner;
    if (!softmax_view(m, n, &outer, &len, &inner, err))
        return FALSE;
    *vknn_out_shape(m, n, 0) = *vknn_in_shape(m, n, 0);
    return TRUE;
}

static gboolean softmax_record(VknnRecord *r, GError **err)
{
    int64_t outer, len, inner;
    if (!softmax_view(r->model, r->step->node, &outer, &len, &inner, err))
        return FALSE;
    VknnPipeline *p = vknn_op_pipeline(r, &softmax_shader, 64, NULL, 0, err);
    if (!p)
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    SoftmaxPush pc = {
        .count = (int32_t)(outer * inner),
        .len = (int32_t)len,
        .inner = (int32_t)inner,
    };
    vknn_tensor_dims(y, pc.dims);
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnOpClass vknn_op_softmax = {"Softmax", softmax_infer, NULL, softmax_record, 0};
