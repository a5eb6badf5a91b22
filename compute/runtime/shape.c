/* Tensor shapes (vknn/shape.h). */
#include <vknn/shape.h>

#include <stdio.h>

int64_t vknn_shape_numel(const VknnShape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->dims[i];
    return n;
}

const char *vknn_shape_str(const VknnShape *s, char *buf, gsize len)
{
    if (s->rank == 0) {
        g_strlcpy(buf, "scalar", len);
        return buf;
    }
    gsize k = 0;
    buf[0] = 0;
    for (int i = 0; i < s->rank && k < len; i++) {
        if (s->dims[i] < 0)
            k += (gsize)snprintf(buf + k, len - k, "%s?", i ? "x" : "");
        else
            k += (gsize)snprintf(buf + k, len - k, "%s%" G_GINT64_FORMAT, i ? "x" : "", s->dims[i]);
    }
    return buf;
}

gboolean vknn_shape_equal(const VknnShape *a, const VknnShape *b)
{
    if (a->rank != b->rank)
        return FALSE;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return FALSE;
    return TRUE;
}
