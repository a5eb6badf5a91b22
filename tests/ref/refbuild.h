/* Model building shared by the reference-op tests (test_ref_ops.c,
 * test_ref_grad.c): a model under construction whose failed building steps
 * are reported by the check that ends the case, and their failure count. */
#pragma once

#include <vknn/vknn.h>

#include <stdarg.h>
#include <stdio.h>

static int n_checks, n_failed;

static inline VknnShape shape_of(int rank, const int64_t *dims)
{
    VknnShape s = {rank, {0}};
    for (int i = 0; i < rank; i++)
        s.dims[i] = dims[i];
    return s;
}

static inline void fail(const char *name, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static inline void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    n_failed++;
}

typedef struct {
    const char *name;
    VknnModel *m;
    VknnNode *node; /* last node added, for the attr_* helpers */
    char *error;    /* the first failed building step */
} RefBuild;

static inline RefBuild build_new(const char *name, int opset)
{
    RefBuild b = {name, vknn_model_new(), NULL, NULL};
    b.m->opset = opset;
    return b;
}

static inline void build_fail(RefBuild *b, const char *what, const GError *e)
{
    if (!b->error)
        b->error = g_strdup_printf("%s: %s", what, e ? e->message : "failed");
}

static inline void constant(RefBuild *b, const char *name, VknnShape s, const float *data)
{
    if (vknn_model_add_constant(b->m, name, &s, data) < 0)
        build_fail(b, name, NULL);
}

static inline void constant_int(RefBuild *b, const char *name, VknnShape s, const int64_t *data)
{
    if (vknn_model_add_constant_int(b->m, name, &s, data) < 0)
        build_fail(b, name, NULL);
}

static inline void attr_int(RefBuild *b, const char *name, int64_t v)
{
    if (b->node)
        vknn_node_set_int(b->node, name, v);
}

static inline void attr_float(RefBuild *b, const char *name, float v)
{
    if (b->node)
        vknn_node_set_float(b->node, name, v);
}

static inline void attr_str(RefBuild *b, const char *name, const char *v)
{
    if (b->node)
        vknn_node_set_string(b->node, name, v);
}

static inline void attr_ints(RefBuild *b, const char *name, const int64_t *v, int count)
{
    if (b->node)
        vknn_node_set_ints(b->node, name, v, count);
}

static inline void attr_floats(RefBuild *b, const char *name, const float *v, int count)
{
    if (b->node)
        vknn_node_set_floats(b->node, name, v, count);
}
