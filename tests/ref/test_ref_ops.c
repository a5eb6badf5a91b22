/* Tests of the CPU reference executor (compute/ref/) on tiny single-node
 * models whose results are worked out by hand in the comments, grouped by
 * op in the order of compute/ops.def (each case's name starts with its op).
 * Exits 0 when every check passes, 1 otherwise, listing what failed. */
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define IN1(s, d) ((const VknnRefTensor[]){{(s), (float *)(d)}})
#define IN2(s0, d0, s1, d1) ((const VknnRefTensor[]){{(s0), (float *)(d0)}, {(s1), (float *)(d1)}})

/* A case: its name and its model. The data are given, so the model's seed
 * is not used. */
typedef struct {
    const char *name;
    TestModel b;
} Case;

static Case case_new(const char *name, int opset)
{
    return (Case){name, tm_new(opset, 0)};
}

/* Adds the case's node (named after its op) with output y, the graph output. */
static void node(Case *c, const char *op, const char *const *inputs, int n_inputs)
{
    tm_named_node(&c->b, op, op, inputs, n_inputs, "y");
    tm_output(&c->b, "y");
}

static gboolean close_enough(float got, float want)
{
    return fabsf(got - want) <= 1e-5f + 1e-5f * fabsf(want);
}

/* NULL when tensor t (value `out`) has shape want and the expected values;
 * otherwise what differs (g_free). */
static char *tensor_mismatch(const char *out, const VknnRefTensor *t, VknnShape want,
                             const float *expect)
{
    char a[64], b[64];
    if (!vknn_shape_equal(&t->shape, &want))
        return g_strdup_printf("'%s' has shape %s, expected %s", out,
                               vknn_shape_str(&t->shape, a, sizeof a),
                               vknn_shape_str(&want, b, sizeof b));
    for (int64_t i = 0; i < vknn_shape_numel(&want); i++)
        if (!close_enough(t->data[i], expect[i]))
            return g_strdup_printf("'%s'[%lld] = %.7g, expected %.7g", out, (long long)i,
                                   t->data[i], expect[i]);
    return NULL;
}

/* The same for value `out` of a result table. */
static char *result_mismatch(GHashTable *res, const char *out, VknnShape want, const float *expect)
{
    const VknnRefTensor *t = g_hash_table_lookup(res, out);
    return t ? tensor_mismatch(out, t, want, expect)
             : g_strdup_printf("no value '%s' in the results", out);
}

/* Reports the case's check, failed with `why` unless it is NULL; frees why
 * and the case. */
static void finish(Case *c, char *why)
{
    test_report(!why, c->name, why);
    g_free(why);
    tm_clear(&c->b);
}

/* Runs the model; NULL on success (the results in *res), else why not. */
static char *run(Case *c, const VknnRefTensor *inputs, GHashTable **res)
{
    GError *e = NULL;
    *res = NULL;
    if (c->b.error)
        return g_strdup_printf("building the model: %s", c->b.error);
    *res = vknn_ref_run(c->b.m, inputs, &e);
    char *why = *res ? NULL : g_strdup_printf("run failed: %s", e->message);
    g_clear_error(&e);
    return why;
}

/* Runs the case and checks its output y. */
static void check(Case *c, const VknnRefTensor *inputs, VknnShape want, const float *expect)
{
    GHashTable *res;
    char *why = run(c, inputs, &res);
    if (res) {
        why = result_mismatch(res, "y", want, expect);
        g_hash_table_unref(res);
    }
    finish(c, why);
}

/* The inputs of the case's node: graph inputs from `inputs` (in order),
 * constants from the model. */
static void node_inputs(const Case *c, const VknnRefTensor *inputs, VknnRefTensor in[8])
{
    const VknnModel *m = c->b.m;
    const VknnNode *n = c->b.node;
    for (int i = 0; i < n->n_inputs && i < 8; i++) {
        const VknnValue *v = vknn_node_input(m, n, i);
        in[i] = (VknnRefTensor){{0, {0}}, NULL};
        if (!v)
            continue;
        in[i].shape = v->shape;
        in[i].data = v->data;
        for (guint j = 0; j < m->inputs->len; j++)
            if (g_array_index(m->inputs, int, j) == n->inputs[i])
                in[i] = inputs[j];
    }
}

/* Calls the kernel of the case's node directly with output shape `want`,
 * bypassing the library's shape inference: for cases the reference covers
 * but the Vulkan path rejects. `inputs` are the graph inputs in order. */
static void check_kernel(Case *c, const VknnRefTensor *inputs, VknnShape want, const float *expect)
{
    if (c->b.error || !c->b.node) {
        finish(c, g_strdup_printf("building the model: %s", c->b.error ? c->b.error : "no node"));
        return;
    }
    VknnRefTensor in[8] = {{{0, {0}}, NULL}};
    node_inputs(c, inputs, in);
    VknnRefTensor out = {want, g_new0(float, vknn_shape_numel(&want))};
    GError *e = NULL;
    VknnRefFunc fn = vknn_ref_lookup(c->b.node->op_type);
    char *why = NULL;
    if (!fn)
        why = g_strdup_printf("no kernel for %s", c->b.node->op_type);
    else if (!fn(c->b.m, c->b.node, in, &out, &e))
        why = g_strdup_printf("kernel failed: %s", e->message);
    else
        why = tensor_mismatch("y", &out, want, expect);
    g_clear_error(&e);
    g_free(out.data);
    finish(c, why);
}

/* Runs the case expecting an error (from shape inference or the kernel). */
static void check_error(Case *c, const VknnRefTensor *inputs)
{
    char *why = NULL;
    if (!c->b.error) {
        GError *e = NULL;
        GHashTable *res = vknn_ref_run(c->b.m, inputs, &e);
        if (res)
            why = g_strdup("ran, but an error was expected");
        else if (e->domain != VKNN_ERROR)
            why = g_strdup_printf("error outside the VKNN_ERROR domain: %s", e->message);
        if (res)
            g_hash_table_unref(res);
        g_clear_error(&e);
    }
    finish(c, why);
}

/* x[h][w] = 5h + w + 1 on a 5x5 plane. */
static const float *plane5x5(void)
{
    static float x[25];
    for (int i = 0; i < 25; i++)
        x[i] = (float)(i + 1);
    return x;
}

/* ---- convolution -------------------------------------------------------- */

static void test_conv(void)
{
    /* x[h][w] = 4h + w + 1 on 4x4; w = [[1,0,-1],[0,1,0],[0,0,2]], bias 0.5,
     * stride 2, pads top 1, left 0, bottom 0, right 1: out 2x2, the window
     * of (oy, ox) starting at row 2oy-1, column 2ox.
     *   (0,0): w11*x[0][1] + w22*x[1][2] = 2 + 14          -> 16.5
     *   (0,1): w11*x[0][3] (x[1][4] is padding) = 4         -> 4.5
     *   (1,0): x[1][0] - x[1][2] + x[2][1] + 2x[3][2]
     *          = 5 - 7 + 10 + 30                             -> 38.5
     *   (1,1): x[1][2] + x[2][3] = 7 + 12                     -> 19.5 */
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    Case c = case_new("Conv 3x3 stride 2 asymmetric pads", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 4, 4));
    tm_const(&c.b, "w", SHAPE(1, 1, 3, 3), F(1, 0, -1, 0, 1, 0, 0, 0, 2));
    tm_const(&c.b, "b", SHAPE(1), F(0.5f));
    node(&c, "Conv", NAMES("x", "w", "b"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(3, 3));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 0, 0, 1));
    check(&c, IN1(SHAPE(1, 1, 4, 4), x), SHAPE(1, 1, 2, 2), F(16.5f, 4.5f, 38.5f, 19.5f));

    /* Two groups of one channel: channel 0 times 2, channel 1 times -1. */
    c = case_new("Conv group 2", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 1, 2));
    tm_const(&c.b, "w", SHAPE(2, 1, 1, 1), F(2, -1));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_int(&c.b, "group", 2);
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 2, 3, 4)), SHAPE(1, 2, 1, 2), F(2, 4, -3, -4));

    /* 1x1 conv mixing 2 channels into 3: [1+2, 1-2, 0.5+4]. */
    c = case_new("Conv 1x1 channel mix", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 1, 1));
    tm_const(&c.b, "w", SHAPE(3, 2, 1, 1), F(1, 1, 1, -1, 0.5f, 2));
    node(&c, "Conv", NAMES("x", "w"));
    check(&c, IN1(SHAPE(1, 2, 1, 1), F(1, 2)), SHAPE(1, 3, 1, 1), F(3, -1, 4.5f));

    /* 2x2 ones kernel, dilation 2, on 3x3 1..9: the four corners 1+3+7+9. */
    c = case_new("Conv dilation 2", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 3, 3));
    tm_const(&c.b, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_ints(&c.b, "dilations", INTS(2, 2));
    check(&c, IN1(SHAPE(1, 1, 3, 3), F(1, 2, 3, 4, 5, 6, 7, 8, 9)), SHAPE(1, 1, 1, 1), F(20));

    /* 2x2 ones on 3x3 ones, SAME: one unit of padding per axis, at the end
     * (UPPER) or the beginning (LOWER); outputs count the covered inputs. */
    static const float ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    c = case_new("Conv auto_pad SAME_UPPER", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 3, 3));
    tm_const(&c.b, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_str(&c.b, "auto_pad", "SAME_UPPER");
    check(&c, IN1(SHAPE(1, 1, 3, 3), ones9), SHAPE(1, 1, 3, 3), F(4, 4, 2, 4, 4, 2, 2, 2, 1));

    c = case_new("Conv auto_pad SAME_LOWER", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 3, 3));
    tm_const(&c.b, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_str(&c.b, "auto_pad", "SAME_LOWER");
    check(&c, IN1(SHAPE(1, 1, 3, 3), ones9), SHAPE(1, 1, 3, 3), F(1, 2, 2, 2, 4, 4, 2, 4, 4));

    c = case_new("Conv 1-D is rejected", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 4));
    tm_const(&c.b, "w", SHAPE(1, 1, 3), F(1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"));
    check_error(&c, IN1(SHAPE(1, 1, 4), F(1, 2, 3, 4)));
}

static void test_conv_transpose(void)
{
    /* x = [[1,2],[3,4]], 3x3 ones, stride 2: each input adds its value to a
     * 3x3 block at (2i, 2j) of a 5x5 plane:
     *   1 1 3 2 2
     *   1 1 3 2 2
     *   4 4 10 6 6
     *   3 3 7 4 4
     *   3 3 7 4 4
     * pads [0,0,1,1] drop the last row and column. */
    static const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    Case c = case_new("ConvTranspose stride 2 pads [0,0,1,1]", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "w", SHAPE(1, 1, 3, 3), ones);
    node(&c, "ConvTranspose", NAMES("x", "w"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(0, 0, 1, 1));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4),
          F(1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4));

    /* output_shape 4x4: total padding 2*1 + 3 - 4 = 1 goes at the beginning
     * (not SAME_UPPER), dropping the first row and column instead. */
    c = case_new("ConvTranspose output_shape", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "w", SHAPE(1, 1, 3, 3), ones);
    node(&c, "ConvTranspose", NAMES("x", "w"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "output_shape", INTS(4, 4));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4),
          F(1, 3, 2, 2, 4, 10, 6, 6, 3, 7, 4, 4, 3, 7, 4, 4));

    /* Weights [C_in=2, C_out=1, 1, 1] = [3, 4]: 1*3 + 2*4 + bias 0.5. */
    c = case_new("ConvTranspose channel sum and bias", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 1, 1));
    tm_const(&c.b, "w", SHAPE(2, 1, 1, 1), F(3, 4));
    tm_const(&c.b, "b", SHAPE(1), F(0.5f));
    node(&c, "ConvTranspose", NAMES("x", "w", "b"));
    check(&c, IN1(SHAPE(1, 2, 1, 1), F(1, 2)), SHAPE(1, 1, 1, 1), F(11.5f));

    /* Stride 2, output_padding 1, 1x1 kernel on one pixel: 2*0 + 1 + 1 = 2;
     * only (0,0) receives the input. */
    c = case_new("ConvTranspose output_padding", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 1, 1));
    tm_const(&c.b, "w", SHAPE(1, 1, 1, 1), F(2));
    node(&c, "ConvTranspose", NAMES("x", "w"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "output_padding", INTS(1, 1));
    check(&c, IN1(SHAPE(1, 1, 1, 1), F(3)), SHAPE(1, 1, 2, 2), F(6, 0, 0, 0));
}

/* ---- normalisation ------------------------------------------------------- */

static void test_norm(void)
{
    /* [1,2,3,4]: mean 2.5, biased variance (2.25+0.25+0.25+2.25)/4 = 1.25;
     * scale 2, bias 1. */
    float d = sqrtf(1.25f + 1e-5f), want[4];
    for (int i = 0; i < 4; i++)
        want[i] = (float)(i + 1 - 2.5) / d * 2 + 1;
    Case c = case_new("InstanceNormalization 1x1x2x2", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "s", SHAPE(1), F(2));
    tm_const(&c.b, "b", SHAPE(1), F(1));
    node(&c, "InstanceNormalization", NAMES("x", "s", "b"));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 2, 2), want);

    /* Channel 0 = [1,3]: mean 2, variance 1. Channel 1 = [5,5]: variance 0,
     * so only its bias 7 remains. */
    float e = 1 / sqrtf(1 + 1e-5f);
    c = case_new("InstanceNormalization per channel", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 1, 2));
    tm_const(&c.b, "s", SHAPE(2), F(1, 1));
    tm_const(&c.b, "b", SHAPE(2), F(0, 7));
    node(&c, "InstanceNormalization", NAMES("x", "s", "b"));
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 3, 5, 5)), SHAPE(1, 2, 1, 2), F(-e, e, 7, 7));

    /* epsilon 0. Channel 0: (x - 1) / 2 on [1,2]; channel 1:
     * 2 (x - 3) / 0.5 + 1 on [3,4]. */
    c = case_new("BatchNormalization", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 1, 2));
    tm_const(&c.b, "s", SHAPE(2), F(1, 2));
    tm_const(&c.b, "b", SHAPE(2), F(0, 1));
    tm_const(&c.b, "mean", SHAPE(2), F(1, 3));
    tm_const(&c.b, "var", SHAPE(2), F(4, 0.25f));
    node(&c, "BatchNormalization", NAMES("x", "s", "b", "mean", "var"));
    tm_attr_float(&c.b, "epsilon", 0);
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 2, 3, 4)), SHAPE(1, 2, 1, 2), F(0, 0.5f, 1, 5));
}

/* ---- activations ------------------------------------------------------------ */

static void unary_case(const char *name, int opset, const char *op, const float *expect,
                       const char *attr, float alpha)
{
    Case c = case_new(name, opset);
    tm_input(&c.b, "x", SHAPE(4));
    node(&c, op, NAMES("x"));
    if (attr)
        tm_attr_float(&c.b, attr, alpha);
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), SHAPE(4), expect);
}

static void test_activation(void)
{
    unary_case("Clip opset 13 no bounds", 13, "Clip", F(-2, -0.5f, 0, 1.5f), NULL, 0);

    /* Opset 11+: bounds are inputs; the max is omitted. */
    Case c = case_new("Clip opset 13 min input", 13);
    tm_input(&c.b, "x", SHAPE(4));
    tm_const(&c.b, "lo", SCALAR, F(-1));
    node(&c, "Clip", NAMES("x", "lo"));
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), SHAPE(4), F(-1, -0.5f, 0, 1.5f));

    c = case_new("Clip opset 13 max input only", 13);
    tm_input(&c.b, "x", SHAPE(4));
    tm_const(&c.b, "hi", SCALAR, F(0.25f));
    node(&c, "Clip", NAMES("x", "", "hi"));
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), SHAPE(4), F(-2, -0.5f, 0, 0.25f));

    /* Opset 6: bounds are attributes. */
    c = case_new("Clip opset 6 attributes", 6);
    tm_input(&c.b, "x", SHAPE(4));
    node(&c, "Clip", NAMES("x"));
    tm_attr_float(&c.b, "min", -1);
    tm_attr_float(&c.b, "max", 1);
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), SHAPE(4), F(-1, -0.5f, 0, 1));

    unary_case("LeakyRelu default alpha", 13, "LeakyRelu", F(-0.02f, -0.005f, 0, 1.5f), NULL, 0);
    unary_case("LeakyRelu alpha 0.5", 13, "LeakyRelu", F(-1, -0.25f, 0, 1.5f), "alpha", 0.5f);
    unary_case("Relu", 13, "Relu", F(0, 0, 0, 1.5f), NULL, 0);
    /* 1 / (1 + e^-x) and tanh at -2, -0.5, 0, 1.5. */
    unary_case("Sigmoid", 13, "Sigmoid", F(0.11920292f, 0.37754067f, 0.5f, 0.81757448f), NULL, 0);
    unary_case("Tanh", 13, "Tanh", F(-0.96402758f, -0.46211716f, 0, 0.90514825f), NULL, 0);
}

/* ---- element-wise binary -------------------------------------------------- */

static void test_binary(void)
{
    /* [1,2,2,2] + [2,1,1]: +10 on channel 0, +20 on channel 1. */
    Case c = case_new("Add broadcast [1,2,2,2]+[2,1,1]", 13);
    tm_input(&c.b, "a", SHAPE(1, 2, 2, 2));
    tm_const(&c.b, "b", SHAPE(2, 1, 1), F(10, 20));
    node(&c, "Add", NAMES("a", "b"));
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 2, 3, 4, 5, 6, 7)), SHAPE(1, 2, 2, 2),
          F(10, 11, 12, 13, 24, 25, 26, 27));

    c = case_new("Add shapes that do not broadcast", 13);
    tm_input(&c.b, "a", SHAPE(2, 3));
    tm_input(&c.b, "b", SHAPE(2, 2));
    node(&c, "Add", NAMES("a", "b"));
    check_error(&c, IN2(SHAPE(2, 3), F(0, 0, 0, 0, 0, 0), SHAPE(2, 2), F(0, 0, 0, 0)));

    /* [1,3] / [3,1] = [3,3], a[j] / b[i]. */
    c = case_new("Div broadcast [1,3]/[3,1]", 13);
    tm_input(&c.b, "a", SHAPE(1, 3));
    tm_const(&c.b, "b", SHAPE(3, 1), F(1, 2, 4));
    node(&c, "Div", NAMES("a", "b"));
    check(&c, IN1(SHAPE(1, 3), F(2, 4, 8)), SHAPE(3, 3), F(2, 4, 8, 1, 2, 4, 0.5f, 1, 2));

    c = case_new("Mul by scalar", 13);
    tm_input(&c.b, "a", SHAPE(2, 2));
    tm_const(&c.b, "k", SCALAR, F(3));
    node(&c, "Mul", NAMES("a", "k"));
    check(&c, IN1(SHAPE(2, 2), F(1, 2, 3, 4)), SHAPE(2, 2), F(3, 6, 9, 12));

    /* Both sides broadcast: [2,1] - [1,3] = [2,3], a[i] - b[j]. */
    c = case_new("Sub broadcast [2,1]-[1,3]", 13);
    tm_input(&c.b, "a", SHAPE(2, 1));
    tm_input(&c.b, "b", SHAPE(1, 3));
    node(&c, "Sub", NAMES("a", "b"));
    check(&c, IN2(SHAPE(2, 1), F(1, 2), SHAPE(1, 3), F(10, 20, 30)), SHAPE(2, 3),
          F(-9, -19, -29, -8, -18, -28));
}

/* ---- pad ------------------------------------------------------------------------ */

static void test_pad(void)
{
    /* [[1,2,3],[4,5,6]] with H pads 1,1 and W pads 2,1, reflect (no edge
     * repeat): rows map to [1,0,1,0], columns to [2,1,0,1,2,1]. */
    Case c = case_new("Pad reflect 1x1x2x3", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 3));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 1, 2, 0, 0, 1, 1));
    node(&c, "Pad", NAMES("x", "pads"));
    tm_attr_str(&c.b, "mode", "reflect");
    check(&c, IN1(SHAPE(1, 1, 2, 3), F(1, 2, 3, 4, 5, 6)), SHAPE(1, 1, 4, 6),
          F(6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2));

    c = case_new("Pad constant value input", 11);
    tm_input(&c.b, "x", SHAPE(1, 1, 1, 2));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 0, 1, 0, 0, 0, 2));
    tm_const(&c.b, "v", SCALAR, F(9));
    node(&c, "Pad", NAMES("x", "pads", "v"));
    check(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), SHAPE(1, 1, 1, 5), F(9, 1, 2, 9, 9));

    /* Opset 2: pads attribute. One row on top, one column right, edge. */
    c = case_new("Pad edge opset 2", 2);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 3));
    node(&c, "Pad", NAMES("x"));
    tm_attr_ints(&c.b, "pads", INTS(0, 0, 1, 0, 0, 0, 0, 1));
    tm_attr_str(&c.b, "mode", "edge");
    check(&c, IN1(SHAPE(1, 1, 2, 3), F(1, 2, 3, 4, 5, 6)), SHAPE(1, 1, 3, 4),
          F(1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6));

    c = case_new("Pad channel axis", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 1, 2));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 1, 0, 0, 0, 0, 0, 0));
    node(&c, "Pad", NAMES("x", "pads"));
    check(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), SHAPE(1, 2, 1, 2), F(0, 0, 1, 2));

    c = case_new("Pad negative crops", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 1, 2));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 0, -1, 0, 0, 0, 0));
    node(&c, "Pad", NAMES("x", "pads"));
    check_kernel(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), SHAPE(1, 1, 1, 1), F(2));

    /* Negative pads crop first, then the rest is padded from what remains:
     * [1,2,3] cropped to [2,3], then one reflected column each side. */
    c = case_new("Pad crop then reflect", 13);
    tm_input(&c.b, "x", SHAPE(1, 3));
    tm_const_int(&c.b, "pads", SHAPE(4), I64(0, -1, 0, 1));
    node(&c, "Pad", NAMES("x", "pads"));
    tm_attr_str(&c.b, "mode", "reflect");
    check_kernel(&c, IN1(SHAPE(1, 3), F(1, 2, 3)), SHAPE(1, 3), F(2, 3, 2));
}

/* ---- resize ------------------------------------------------------------------------ */

static void resize_case(const char *name, const char *mode, const char *coord, const char *nearest,
                        const float *expect)
{
    Case c = case_new(name, 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"));
    tm_attr_str(&c.b, "mode", mode);
    if (coord)
        tm_attr_str(&c.b, "coordinate_transformation_mode", coord);
    if (nearest)
        tm_attr_str(&c.b, "nearest_mode", nearest);
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4), expect);
}

static void test_resize(void)
{
    /* x = [[1,2],[3,4]] scaled 2x. Nearest: each output row/column o maps to
     * a source coordinate s(o), rounded:
     *   asymmetric: s = o/2 = 0, .5, 1, 1.5 -> prefer floor 0,0,1,1; ceil 0,1,1,1(clamped 2)
     *   half_pixel: s = (o+.5)/2 - .5 = -.25, .25, .75, 1.25 -> 0,0,1,1 */
    static const float blocky[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    resize_case("Resize nearest asymmetric", "nearest", "asymmetric", NULL, blocky);
    resize_case("Resize nearest half_pixel", "nearest", NULL, NULL, blocky);
    resize_case("Resize nearest asymmetric ceil", "nearest", "asymmetric", "ceil",
                F(1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 4, 4, 3, 4, 4, 4));

    /* Linear, per axis between a and b at source s (clamped to [0,1]):
     *   asymmetric  s = 0, .5, 1, 1.5 -> a, (a+b)/2, b, b
     *   half_pixel  s = -.25, .25, .75, 1.25 -> a, .75a+.25b, .25a+.75b, b
     *   align_corners s = 0, 1/3, 2/3, 1 */
    resize_case("Resize linear asymmetric", "linear", "asymmetric", NULL,
                F(1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4));
    resize_case("Resize linear half_pixel", "linear", "half_pixel", NULL,
                F(1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f,
                  3.75f, 4));
    /* align_corners: value = 1 + 2 (row / 3) + (column / 3). */
    float ac[16];
    for (int r = 0; r < 4; r++)
        for (int q = 0; q < 4; q++)
            ac[r * 4 + q] = 1 + 2 * (r / 3.0f) + q / 3.0f;
    resize_case("Resize linear align_corners", "linear", "align_corners", NULL, ac);

    /* sizes 1x2 from 2x4: scale 0.5, half_pixel s = 2o + .5 = .5, 2.5 ->
     * prefer floor 0, 2: x[0][0], x[0][2]. */
    Case c = case_new("Resize nearest sizes downscale", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 4));
    tm_const_int(&c.b, "sizes", SHAPE(4), I64(1, 1, 1, 2));
    node(&c, "Resize", NAMES("x", "", "", "sizes"));
    check(&c, IN1(SHAPE(1, 1, 2, 4), F(1, 2, 3, 4, 5, 6, 7, 8)), SHAPE(1, 1, 1, 2), F(1, 3));

    /* Opset 11: roi is an input even when unused. */
    c = case_new("Resize opset 11 with roi", 11);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "roi", SHAPE(8), F(0, 0, 0, 0, 1, 1, 1, 1));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "roi", "scales"));
    tm_attr_str(&c.b, "coordinate_transformation_mode", "asymmetric");
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4), blocky);

    c = case_new("Resize cubic is rejected", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"));
    tm_attr_str(&c.b, "mode", "cubic");
    check_error(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)));

    /* Upsample: asymmetric; nearest rounds down. */
    c = case_new("Upsample opset 9 nearest", 9);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Upsample", NAMES("x", "scales"));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4), blocky);

    c = case_new("Upsample opset 7 linear", 7);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    node(&c, "Upsample", NAMES("x"));
    tm_attr_str(&c.b, "mode", "linear");
    tm_attr_floats(&c.b, "scales", FLOATS(1, 1, 2, 2));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 4, 4),
          F(1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4));
}

/* ---- pooling -------------------------------------------------------------------- */

static void test_pool(void)
{
    /* [[1,2],[3,4]], 2x2 stride 1, padding top and left: windows hold {1},
     * {1,2}, {1,3}, {1,2,3,4}, averaged over the real inputs or all 4 taps. */
    Case c = case_new("AveragePool exclude pad", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    node(&c, "AveragePool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 1, 0, 0));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 2, 2), F(1, 1.5f, 2, 2.5f));

    c = case_new("AveragePool count_include_pad", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 2, 2));
    node(&c, "AveragePool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 1, 0, 0));
    tm_attr_int(&c.b, "count_include_pad", 1);
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), SHAPE(1, 1, 2, 2), F(0.25f, 0.75f, 1, 2.5f));

    /* x[h][w] = 5h + w + 1. 2x2 stride 2 with ceil_mode: windows of rows
     * {0,1}, {2,3}, {4}; the max is at the last row and column of each. */
    c = case_new("MaxPool ceil_mode 1x1x5x5", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 5, 5));
    node(&c, "MaxPool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_int(&c.b, "ceil_mode", 1);
    check(&c, IN1(SHAPE(1, 1, 5, 5), plane5x5()), SHAPE(1, 1, 3, 3),
          F(7, 9, 10, 17, 19, 20, 22, 24, 25));

    /* SAME_LOWER: ceil(5/2) = 3 windows need one unit of padding, put first:
     * windows of rows {-1,0}, {1,2}, {3,4}; maxima at rows/columns 0, 2, 4. */
    c = case_new("MaxPool SAME_LOWER", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 5, 5));
    node(&c, "MaxPool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_str(&c.b, "auto_pad", "SAME_LOWER");
    check(&c, IN1(SHAPE(1, 1, 5, 5), plane5x5()), SHAPE(1, 1, 3, 3),
          F(1, 3, 5, 11, 13, 15, 21, 23, 25));

    c = case_new("GlobalAveragePool", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 2, 2));
    node(&c, "GlobalAveragePool", NAMES("x"));
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 2, 3, 4, 5, 6, 7)), SHAPE(1, 2, 1, 1), F(1.5f, 5.5f));

    c = case_new("GlobalMaxPool", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 2, 2));
    node(&c, "GlobalMaxPool", NAMES("x"));
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 3, 2, 7, 5, 6, 4)), SHAPE(1, 2, 1, 1), F(3, 7));
}

/* ---- relayout: Concat, Dropout, Flatten, Identity, Reshape ---------------------- */

static void test_relayout(void)
{
    /* N = 2: each batch takes its 3 then its 2 channels. */
    Case c = case_new("Concat axis 1, 3 + 2 channels", 13);
    tm_input(&c.b, "a", SHAPE(2, 3, 1, 1));
    tm_input(&c.b, "b", SHAPE(2, 2, 1, 1));
    node(&c, "Concat", NAMES("a", "b"));
    tm_attr_int(&c.b, "axis", 1);
    check(&c, IN2(SHAPE(2, 3, 1, 1), F(1, 2, 3, 4, 5, 6), SHAPE(2, 2, 1, 1), F(7, 8, 9, 10)),
          SHAPE(2, 5, 1, 1), F(1, 2, 3, 7, 8, 4, 5, 6, 9, 10));

    c = case_new("Concat axis -1", 13);
    tm_input(&c.b, "a", SHAPE(2, 1));
    tm_const(&c.b, "b", SHAPE(2, 2), F(3, 4, 5, 6));
    node(&c, "Concat", NAMES("a", "b"));
    tm_attr_int(&c.b, "axis", -1);
    check(&c, IN1(SHAPE(2, 1), F(1, 2)), SHAPE(2, 3), F(1, 3, 4, 2, 5, 6));

    unary_case("Dropout", 13, "Dropout", F(-2, -0.5f, 0, 1.5f), NULL, 0);

    static const float seq[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    c = case_new("Flatten axis 2", 13);
    tm_input(&c.b, "x", SHAPE(2, 3, 2, 1));
    node(&c, "Flatten", NAMES("x"));
    tm_attr_int(&c.b, "axis", 2);
    check(&c, IN1(SHAPE(2, 3, 2, 1), seq), SHAPE(6, 2), seq);

    c = case_new("Flatten default axis", 13);
    tm_input(&c.b, "x", SHAPE(1, 3, 2, 2));
    node(&c, "Flatten", NAMES("x"));
    check(&c, IN1(SHAPE(1, 3, 2, 2), seq), SHAPE(1, 12), seq);

    unary_case("Identity", 13, "Identity", F(-2, -0.5f, 0, 1.5f), NULL, 0);

    /* 0 copies the input dim, -1 takes the rest: [1,2,2,3] -> [1,2,6]. */
    c = case_new("Reshape 0 and -1", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 2, 3));
    tm_const_int(&c.b, "shape", SHAPE(3), I64(0, 0, -1));
    node(&c, "Reshape", NAMES("x", "shape"));
    check(&c, IN1(SHAPE(1, 2, 2, 3), seq), SHAPE(1, 2, 6), seq);
}

/* ---- Gemm, MatMul ----------------------------------------------------------------- */

static void test_gemm(void)
{
    /* A = [[1,2,3],[4,5,6]], B = [[1,0,1],[0,1,0]], A B^T = [[4,2],[10,5]];
     * times alpha 2 plus beta 0.5 times C = [10,20] per row. */
    Case c = case_new("Gemm transB alpha beta", 13);
    tm_input(&c.b, "a", SHAPE(2, 3));
    tm_const(&c.b, "b", SHAPE(2, 3), F(1, 0, 1, 0, 1, 0));
    tm_const(&c.b, "c", SHAPE(2), F(10, 20));
    node(&c, "Gemm", NAMES("a", "b", "c"));
    tm_attr_int(&c.b, "transB", 1);
    tm_attr_float(&c.b, "alpha", 2);
    tm_attr_float(&c.b, "beta", 0.5f);
    check(&c, IN1(SHAPE(2, 3), F(1, 2, 3, 4, 5, 6)), SHAPE(2, 2), F(13, 14, 25, 20));

    /* A^T = [[1,2,3],[4,5,6]] times a column of ones: row sums. */
    c = case_new("Gemm transA without C", 13);
    tm_input(&c.b, "a", SHAPE(3, 2));
    tm_const(&c.b, "b", SHAPE(3, 1), F(1, 1, 1));
    node(&c, "Gemm", NAMES("a", "b"));
    tm_attr_int(&c.b, "transA", 1);
    check(&c, IN1(SHAPE(3, 2), F(1, 4, 2, 5, 3, 6)), SHAPE(2, 1), F(6, 15));

    c = case_new("MatMul 2-D", 13);
    tm_input(&c.b, "a", SHAPE(2, 3));
    tm_const(&c.b, "b", SHAPE(3, 2), F(1, 0, 0, 1, 1, 1));
    node(&c, "MatMul", NAMES("a", "b"));
    check(&c, IN1(SHAPE(2, 3), F(1, 2, 3, 4, 5, 6)), SHAPE(2, 2), F(4, 5, 10, 11));

    /* Batch of two 2x2 times one shared column of ones: row sums. */
    c = case_new("MatMul batched, B broadcast", 13);
    tm_input(&c.b, "a", SHAPE(2, 2, 2));
    tm_const(&c.b, "b", SHAPE(2, 1), F(1, 1));
    node(&c, "MatMul", NAMES("a", "b"));
    check_kernel(&c, IN1(SHAPE(2, 2, 2), F(1, 2, 3, 4, 5, 6, 7, 8)), SHAPE(2, 2, 1),
                 F(3, 7, 11, 15));

    /* [2,1,1,2] x [1,3,2,1] -> [2,3,1,1]: rows [1,2] and [3,4] against the
     * columns [1,0], [0,1], [1,1]. */
    c = case_new("MatMul rank 4 both broadcast", 13);
    tm_input(&c.b, "a", SHAPE(2, 1, 1, 2));
    tm_const(&c.b, "b", SHAPE(1, 3, 2, 1), F(1, 0, 0, 1, 1, 1));
    node(&c, "MatMul", NAMES("a", "b"));
    check_kernel(&c, IN1(SHAPE(2, 1, 1, 2), F(1, 2, 3, 4)), SHAPE(2, 3, 1, 1), F(1, 2, 3, 3, 4, 7));
}

/* ---- Softmax ---------------------------------------------------------------------- */

static void test_softmax(void)
{
    /* e^1, e^2, e^3 over their sum 30.1928749. */
    Case c = case_new("Softmax [1,3]", 13);
    tm_input(&c.b, "x", SHAPE(1, 3));
    node(&c, "Softmax", NAMES("x"));
    check(&c, IN1(SHAPE(1, 3), F(1, 2, 3)), SHAPE(1, 3), F(0.09003057f, 0.24472847f, 0.66524096f));

    /* Opset 13, axis 1 of [1,2,2]: pairs (0, ln 3) -> (1/4, 3/4) and
     * (1, 1) -> (1/2, 1/2). */
    float ln3 = logf(3);
    c = case_new("Softmax opset 13 axis 1", 13);
    tm_input(&c.b, "x", SHAPE(1, 2, 2));
    node(&c, "Softmax", NAMES("x"));
    tm_attr_int(&c.b, "axis", 1);
    check(&c, IN1(SHAPE(1, 2, 2), F(0, 1, ln3, 1)), SHAPE(1, 2, 2), F(0.25f, 0.5f, 0.75f, 0.5f));

    /* Opset 11, default axis 1: all 4 elements form one row. */
    c = case_new("Softmax opset 11 coerced to 2-D", 11);
    tm_input(&c.b, "x", SHAPE(1, 2, 2));
    node(&c, "Softmax", NAMES("x"));
    check(&c, IN1(SHAPE(1, 2, 2), F(1, 1, 1, 1)), SHAPE(1, 2, 2), F(0.25f, 0.25f, 0.25f, 0.25f));
}

/* ---- executor ---------------------------------------------------------------- */

/* Every op of the list has a reference kernel, and other names none. */
static void test_lookup(void)
{
    g_autoptr(GString) missing = g_string_new(NULL);
    for (const char *const *op = vknn_supported_ops(); *op; op++)
        if (!vknn_ref_lookup(*op))
            g_string_append_printf(missing, " %s", *op);
    test_report(missing->len == 0, "vknn_ref_lookup: a kernel for every op of compute/ops.def",
                missing->len ? missing->str : NULL);
    test_check(!vknn_ref_lookup("NoSuchOp") && !vknn_ref_lookup("conv"),
               "vknn_ref_lookup: no kernel for an unknown op or a misspelt one");
}

/* Two nodes: the intermediate value is in the results too. Conv with
 * weight -1 negates, Relu keeps the positive part. */
static void test_chain(void)
{
    Case c = case_new("Conv then Relu", 13);
    tm_input(&c.b, "x", SHAPE(1, 1, 1, 3));
    tm_const(&c.b, "w", SHAPE(1, 1, 1, 1), F(-1));
    tm_named_node(&c.b, "conv", "Conv", NAMES("x", "w"), "mid");
    tm_named_node(&c.b, "relu", "Relu", NAMES("mid"), "y");
    tm_output(&c.b, "y");
    GHashTable *res;
    char *why = run(&c, IN1(SHAPE(1, 1, 1, 3), F(-1, 0, 2)), &res);
    if (res) {
        why = result_mismatch(res, "mid", SHAPE(1, 1, 1, 3), F(1, 0, -2));
        if (!why)
            why = result_mismatch(res, "y", SHAPE(1, 1, 1, 3), F(1, 0, 0));
        g_hash_table_unref(res);
    }
    finish(&c, why);
}

/* A kernel handed an output shape that disagrees with its own answer
 * reports a shape error (the cross-check of shape inference). */
static void test_cross_check(void)
{
    Case c = case_new("kernel shape cross-check", 13);
    tm_input(&c.b, "x", SHAPE(4));
    node(&c, "Relu", NAMES("x"));
    char *why = NULL;
    if (c.b.node) {
        float buf[5];
        VknnRefTensor in = {SHAPE(4), (float *)F(1, 2, 3, 4)}, o = {SHAPE(5), buf};
        VknnRefFunc fn = vknn_ref_lookup("Relu");
        GError *e = NULL;
        if (!fn || fn(c.b.m, c.b.node, &in, &o, &e))
            why = g_strdup("a mismatching output shape was accepted");
        else if (!g_error_matches(e, VKNN_ERROR, VKNN_ERROR_SHAPE))
            why = g_strdup_printf("wrong error: %s", e->message);
        g_clear_error(&e);
    } else {
        why = g_strdup_printf("building the model: %s", c.b.error);
    }
    finish(&c, why);
}

int main(void)
{
    test_conv();
    test_conv_transpose();
    test_norm();
    test_activation();
    test_binary();
    test_pad();
    test_resize();
    test_pool();
    test_relayout();
    test_gemm();
    test_softmax();
    test_lookup();
    test_chain();
    test_cross_check();
    return test_summary(0);
}
