/* Helpers shared by the kernels. */
#include "op.h"

VknnPipeline *vknn_op_pipeline(VknnRecord *r, const VknnShader *sh, uint32_t local_x,
                               const int32_t *spec, int n_spec, GError **err)
{
    const uint32_t local[3] = {local_x, 1, 1};
    return vknn_pipeline_get(r->ctx, sh, local, spec, n_spec, err);
}

/* A constant laid out channel-packed, with the shape a kernel wants. */
typedef struct {
    const VknnValue *value;
    VknnShape shape;
} ConstantLayout;

static float *pack_constant(const VknnRecord *r, VknnTensor *t, void *user)
{
    const ConstantLayout *c = user;
    vknn_tensor_set_shape(t, &c->shape);
    float *data = g_malloc0(t->bytes);
    vknn_pack_c4(t, c->value->data, data);
    return data;
}

VknnTensor *vknn_record_in(VknnRecord *r, int i, const VknnShape *as, GError **err)
{
    if (r->in[i])
        return r->in[i];
    const VknnValue *v = vknn_node_input(r->model, r->step->node, i);
    if (!v || v->kind != VKNN_VALUE_CONSTANT) {
        vknn_node_error(err, VKNN_ERROR_FAILED, r->step->node, "input %d is not available", i);
        return NULL;
    }
    ConstantLayout c = {.value = v, .shape = as ? *as : v->shape};
    char s[64];
    g_autofree char *key = g_strdup_printf("input%d:%s", i, vknn_shape_str(&c.shape, s, sizeof s));
    return vknn_record_packed(r, key, pack_constant, &c, err);
}
