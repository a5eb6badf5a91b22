#include "model_build.h"
#include "testutil.h"

#include <math.h>

TestModel tm_new(int opset, guint32 seed)
{
    TestModel b = {vknn_model_new(), NULL, seed, NULL};
    if (opset > 0)
        b.m->opset = opset;
    return b;
}

void tm_clear(TestModel *b)
{
    g_clear_pointer(&b->m, vknn_model_free);
    g_clear_pointer(&b->error, g_free);
    b->node = NULL;
}

VknnModel *tm_take(TestModel *b)
{
    if (b->error) {
        test_fail("building the model: %s", b->error);
        tm_clear(b);
        return NULL;
    }
    VknnModel *m = b->m;
    b->m = NULL;
    b->node = NULL;
    return m;
}

/* Keeps the first failure: later ones are usually its consequences. */
void tm_fail(TestModel *b, const char *what, const char *why)
{
    if (!b->error)
        b->error = g_strdup_printf("%s: %s", what, why);
}

static void failed(TestModel *b, const char *what, const GError *e)
{
    tm_fail(b, what, e ? e->message : "failed");
}

void tm_random(TestModel *b, float *x, int64_t n, float lo, float hi)
{
    test_fill_random(x, n, b->seed++, lo, hi);
}

void tm_input(TestModel *b, const char *name, VknnShape s)
{
    if (vknn_model_add_input(b->m, name, &s) < 0)
        failed(b, name, NULL);
}

void tm_weight(TestModel *b, const char *name, VknnShape s, float lo, float hi)
{
    const int64_t n = vknn_shape_numel(&s);
    g_autofree float *data = g_new(float, MAX(n, 1));
    tm_random(b, data, n, lo, hi);
    tm_const(b, name, s, data);
}

void tm_const(TestModel *b, const char *name, VknnShape s, const float *data)
{
    if (vknn_model_add_constant(b->m, name, &s, data) < 0)
        failed(b, name, NULL);
}

void tm_const_int(TestModel *b, const char *name, VknnShape s, const int64_t *data)
{
    if (vknn_model_add_constant_int(b->m, name, &s, data) < 0)
        failed(b, name, NULL);
}

void tm_named_node(TestModel *b, const char *name, const char *op, const char *const *in, int n_in,
                   const char *out)
{
    GError *e = NULL;
    b->node = vknn_model_add_node(b->m, op, name, in, n_in, &out, 1, &e);
    if (!b->node)
        failed(b, op, e);
    g_clear_error(&e);
}

void tm_node(TestModel *b, const char *op, const char *const *in, int n_in, const char *out)
{
    tm_named_node(b, out, op, in, n_in, out);
}

void tm_output(TestModel *b, const char *name)
{
    GError *e = NULL;
    if (!vknn_model_mark_output(b->m, name, &e))
        failed(b, name, e);
    g_clear_error(&e);
}

/* The attribute setters do nothing after a failed tm_node: its failure is
 * already recorded. */
void tm_attr_int(TestModel *b, const char *name, int64_t v)
{
    if (b->node)
        vknn_node_set_int(b->node, name, v);
}

void tm_attr_float(TestModel *b, const char *name, float v)
{
    if (b->node)
        vknn_node_set_float(b->node, name, v);
}

void tm_attr_str(TestModel *b, const char *name, const char *v)
{
    if (b->node)
        vknn_node_set_string(b->node, name, v);
}

void tm_attr_ints(TestModel *b, const char *name, const int64_t *v, int count)
{
    if (b->node)
        vknn_node_set_ints(b->node, name, v, count);
}

void tm_attr_floats(TestModel *b, const char *name, const float *v, int count)
{
    if (b->node)
        vknn_node_set_floats(b->node, name, v, count);
}

VknnModel *tm_classifier(int classes, guint32 seed)
{
    TestModel b = tm_new(0, seed);
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    tm_weight(&b, "w1", SHAPE(8, 3, 3, 3), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("x", "w1"), "conv1");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_node(&b, "Relu", NAMES("conv1"), "feat");
    tm_weight(&b, "w2", SHAPE(classes, 8, 1, 1), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("feat", "w2"), "conv2");
    tm_node(&b, "Relu", NAMES("conv2"), "class_maps");
    tm_node(&b, "GlobalAveragePool", NAMES("class_maps"), "pooled");
    tm_node(&b, "Flatten", NAMES("pooled"), "scores");
    tm_output(&b, "scores");
    return tm_take(&b);
}

VknnModel *tm_tiny_classifier(void)
{
    TestModel b = tm_new(0, 19);
    tm_input(&b, "x", SHAPE(1, 3, 32, 32));
    tm_weight(&b, "w1", SHAPE(8, 3, 3, 3), -0.5f, 0.5f);
    tm_weight(&b, "b1", SHAPE(8), -0.1f, 0.1f);
    tm_node(&b, "Conv", NAMES("x", "w1", "b1"), "c1");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_node(&b, "Relu", NAMES("c1"), "r1");
    tm_weight(&b, "w2", SHAPE(8, 8, 3, 3), -0.3f, 0.3f);
    tm_node(&b, "Conv", NAMES("r1", "w2"), "c2");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_node(&b, "Relu", NAMES("c2"), "r2");
    tm_node(&b, "GlobalAveragePool", NAMES("r2"), "g");
    tm_node(&b, "Flatten", NAMES("g"), "f");
    tm_weight(&b, "wf", SHAPE(5, 8), -1.0f, 1.0f);
    tm_weight(&b, "bf", SHAPE(5), -0.1f, 0.1f);
    tm_node(&b, "Gemm", NAMES("f", "wf", "bf"), "y");
    tm_attr_int(&b, "transB", 1);
    tm_output(&b, "y");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    if (!m)
        test_fatal("cannot build the classifier");
    return m;
}

VknnModel *tm_small_vgg(gboolean biases)
{
    TestModel b = tm_new(0, 77);
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    static const struct {
        const char *w, *b, *conv, *relu, *pool;
        int in, out;
    } layers[] = {
        {"w1", "b1", "conv1_1", "relu1_1", "pool1", 3, 8},
        {"w2", "b2", "conv2_1", "relu2_1", "pool2", 8, 16},
        {"w3", "b3", "conv3_1", "relu3_1", NULL, 16, 16},
    };
    const char *in = "x";
    for (guint i = 0; i < G_N_ELEMENTS(layers); i++) {
        const float r = sqrtf(6.0f / (9.0f * layers[i].in));
        tm_weight(&b, layers[i].w, SHAPE(layers[i].out, layers[i].in, 3, 3), -r, r);
        if (biases) {
            tm_weight(&b, layers[i].b, SHAPE(layers[i].out), 0.0f, 0.1f);
            tm_node(&b, "Conv", NAMES(in, layers[i].w, layers[i].b), layers[i].conv);
        } else {
            tm_node(&b, "Conv", NAMES(in, layers[i].w), layers[i].conv);
        }
        tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
        tm_node(&b, "Relu", NAMES(layers[i].conv), layers[i].relu);
        in = layers[i].relu;
        if (layers[i].pool) {
            tm_node(&b, "MaxPool", NAMES(in), layers[i].pool);
            tm_attr_ints(&b, "kernel_shape", INTS(2, 2));
            tm_attr_ints(&b, "strides", INTS(2, 2));
            in = layers[i].pool;
        }
    }
    tm_output(&b, "relu3_1");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    return m;
}
