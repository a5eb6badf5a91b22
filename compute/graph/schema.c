/* The schema table, made from ops.def. */
#include "graph/schema.h"

#include <string.h>

#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    extern const VknnOpSchema vknn_schema_##name;
#include "ops.def"
#undef VKNN_OP

static const VknnOpSchema *const schemas[VKNN_OP_COUNT] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params)                                    \
    [VKNN_OP_##type] = &vknn_schema_##name,
#include "ops.def"
#undef VKNN_OP
};

const VknnOpSchema *vknn_op_schema(const char *op_type)
{
    for (int i = 0; op_type && i < VKNN_OP_COUNT; i++)
        if (strcmp(schemas[i]->op_type, op_type) == 0)
            return schemas[i];
    return NULL;
}

const char *const *vknn_supported_ops(void)
{
    static const char *const names[] = {
#define VKNN_OP(type, name, family, ref, ref_grad, grad_params) #type,
#include "ops.def"
#undef VKNN_OP
        NULL,
    };
    return names;
}

const VknnOpSchema *vknn_op_schema_of(VknnOpId id)
{
    g_return_val_if_fail(id >= 0 && id < VKNN_OP_COUNT, NULL);
    return schemas[id];
}
