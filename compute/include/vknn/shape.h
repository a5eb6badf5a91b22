/* vknn — tensor shapes, shared by every tier: the host graph (model.h), the
 * device tensors and the reference executor. Vulkan-free. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define VKNN_MAX_RANK 4

/* Shape of a tensor. Unresolved symbolic dims are -1 before inference. */
typedef struct {
    int rank;
    int64_t dims[VKNN_MAX_RANK];
} VknnShape;

/* Number of elements of a resolved shape (1 for rank 0). */
int64_t vknn_shape_numel(const VknnShape *s);
/* Writes "1x3x224x224" (or "scalar") into buf; returns buf. */
const char *vknn_shape_str(const VknnShape *s, char *buf, gsize len);
gboolean vknn_shape_equal(const VknnShape *a, const VknnShape *b);

G_END_DECLS
