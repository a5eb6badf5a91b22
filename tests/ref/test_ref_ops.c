/* Tests of the CPU reference executor (compute/ref/) on tiny single-node
 * models whose results are worked out by hand in the comments. Exits 0 when
 * every check passes, 1 otherwise, listing what failed. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vknn/error.h>
#include <vknn/model.h>
#include <vknn/ref.h>

#include "refbuild.h"

#define COUNT(type, ...) ((int)(sizeof((type[]){__VA_ARGS__}) / sizeof(type)))
#define SHAPE(...) shape_of(COUNT(int64_t, __VA_ARGS__), (const int64_t[]){__VA_ARGS__})
#define SCALAR ((VknnShape){0, {0}})
#define F(...) ((const float[]){__VA_ARGS__})
#define I64(...) ((const int64_t[]){__VA_ARGS__})
#define INTS(...) (const int64_t[]){__VA_ARGS__}, COUNT(int64_t, __VA_ARGS__)
#define FLOATS(...) (const float[]){__VA_ARGS__}, COUNT(float, __VA_ARGS__)
#define NAMES(...) (const char *const[]){__VA_ARGS__}, COUNT(const char *, __VA_ARGS__)
#define IN1(s, d) ((const VknnRefTensor[]){{(s), (float *)(d)}})
#define IN2(s0, d0, s1, d1) ((const VknnRefTensor[]){{(s0), (float *)(d0)}, {(s1), (float *)(d1)}})

static const char *shape_str(const VknnShape *s, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < s->rank && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? "," : "", (long long)s->dims[i]);
    if (k < len)
        snprintf(buf + k, len - k, "]");
    return buf;
}

typedef RefBuild Case;

static Case case_new(const char *name, int opset)
{
    return build_new(name, opset);
}

static void input(Case *c, const char *name, VknnShape s)
{
    if (vknn_model_add_input(c->m, name, &s) < 0)
        build_fail(c, name, NULL);
}

/* Adds the node (one output) and marks its output as a graph output. */
static void node(Case *c, const char *op, const char *const *inputs, int n_inputs,
                 const char *output)
{
    GError *e = NULL;
    c->node = vknn_model_add_node(c->m, op, op, inputs, n_inputs, &output, 1, &e);
    if (!c->node || !vknn_model_mark_output(c->m, output, &e))
        build_fail(c, op, e);
    g_clear_error(&e);
}

static gboolean close_enough(float got, float want)
{
    return fabsf(got - want) <= 1e-5f + 1e-5f * fabsf(want);
}

/* Compares tensor t (value `out`); returns FALSE (and reports) on a
 * mismatch. */
static gboolean compare_tensor(const char *name, const char *out, const VknnRefTensor *t,
                               VknnShape want, const float *expect)
{
    char a[64], b[64];
    if (t->shape.rank != want.rank ||
        memcmp(t->shape.dims, want.dims, sizeof(int64_t) * want.rank)) {
        fail(name, "'%s' has shape %s, expected %s", out, shape_str(&t->shape, a, sizeof a),
             shape_str(&want, b, sizeof b));
        return FALSE;
    }
    int64_t k = 1;
    for (int i = 0; i < want.rank; i++)
        k *= want.dims[i];
    for (int64_t i = 0; i < k; i++)
        if (!close_enough(t->data[i], expect[i])) {
            fail(name, "'%s'[%lld] = %.7g, expected %.7g", out, (long long)i, t->data[i],
                 expect[i]);
            return FALSE;
        }
    return TRUE;
}

/* Compares value `out` of a result table. */
static gboolean compare(const char *name, GHashTable *res, const char *out, VknnShape want,
                        const float *expect)
{
    const VknnRefTensor *t = g_hash_table_lookup(res, out);
    if (!t) {
        fail(name, "no value '%s' in the results", out);
        return FALSE;
    }
    return compare_tensor(name, out, t, want, expect);
}

/* Runs the case and compares output `out`; frees the case. */
static void check(Case *c, const VknnRefTensor *inputs, const char *out, VknnShape want,
                  const float *expect)
{
    n_checks++;
    if (c->error) {
        fail(c->name, "building the model: %s", c->error);
    } else {
        GError *e = NULL;
        GHashTable *res = vknn_ref_run(c->m, inputs, &e);
        if (!res) {
            fail(c->name, "run failed: %s", e->message);
        } else {
            compare(c->name, res, out, want, expect);
            g_hash_table_unref(res);
        }
        g_clear_error(&e);
    }
    g_free(c->error);
    vknn_model_free(c->m);
}

/* Calls the kernel of the case's node directly with output shape `want`,
 * bypassing the library's shape inference: for cases the reference covers
 * but the Vulkan path rejects. `inputs` are the graph inputs in order. */
static void check_kernel(Case *c, const VknnRefTensor *inputs, VknnShape want, const float *expect)
{
    n_checks++;
    if (c->error || !c->node) {
        fail(c->name, "building the model: %s", c->error ? c->error : "no node");
    } else {
        VknnRefTensor in[8] = {{{0, {0}}, NULL}};
        for (int i = 0; i < c->node->n_inputs && i < 8; i++) {
            const VknnValue *v = vknn_node_input(c->m, c->node, i);
            if (!v)
                continue;
            in[i].shape = v->shape;
            in[i].data = v->data;
            for (guint j = 0; j < c->m->inputs->len; j++)
                if (g_array_index(c->m->inputs, int, j) == c->node->inputs[i])
                    in[i] = inputs[j];
        }
        int64_t k = 1;
        for (int i = 0; i < want.rank; i++)
            k *= want.dims[i];
        VknnRefTensor out = {want, g_new0(float, k)};
        GError *e = NULL;
        VknnRefFunc fn = vknn_ref_lookup(c->node->op_type);
        if (!fn)
            fail(c->name, "no kernel for %s", c->node->op_type);
        else if (!fn(c->m, c->node, in, &out, &e))
            fail(c->name, "kernel failed: %s", e->message);
        else
            compare_tensor(c->name, "y", &out, want, expect);
        g_clear_error(&e);
        g_free(out.data);
    }
    g_free(c->error);
    vknn_model_free(c->m);
}

/* Runs the case expecting an error (from shape inference or the kernel). */
static void check_error(Case *c, const VknnRefTensor *inputs)
{
    n_checks++;
    if (!c->error) {
        GError *e = NULL;
        GHashTable *res = vknn_ref_run(c->m, inputs, &e);
        if (res) {
            fail(c->name, "ran, but an error was expected");
            g_hash_table_unref(res);
        } else if (e->domain != VKNN_ERROR) {
            fail(c->name, "error outside the VKNN_ERROR domain: %s", e->message);
        }
        g_clear_error(&e);
    }
    g_free(c->error);
    vknn_model_free(c->m);
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
    input(&c, "x", SHAPE(1, 1, 4, 4));
    constant(&c, "w", SHAPE(1, 1, 3, 3), F(1, 0, -1, 0, 1, 0, 0, 0, 2));
    constant(&c, "b", SHAPE(1), F(0.5f));
    node(&c, "Conv", NAMES("x", "w", "b"), "y");
    attr_ints(&c, "kernel_shape", INTS(3, 3));
    attr_ints(&c, "strides", INTS(2, 2));
    attr_ints(&c, "pads", INTS(1, 0, 0, 1));
    check(&c, IN1(SHAPE(1, 1, 4, 4), x), "y", SHAPE(1, 1, 2, 2), F(16.5f, 4.5f, 38.5f, 19.5f));

    /* Two groups of one channel: channel 0 times 2, channel 1 times -1. */
    c = case_new("Conv group 2", 13);
    input(&c, "x", SHAPE(1, 2, 1, 2));
    constant(&c, "w", SHAPE(2, 1, 1, 1), F(2, -1));
    node(&c, "Conv", NAMES("x", "w"), "y");
    attr_int(&c, "group", 2);
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 2, 1, 2), F(2, 4, -3, -4));

    /* 1x1 conv mixing 2 channels into 3: [1+2, 1-2, 0.5+4]. */
    c = case_new("Conv 1x1 channel mix", 13);
    input(&c, "x", SHAPE(1, 2, 1, 1));
    constant(&c, "w", SHAPE(3, 2, 1, 1), F(1, 1, 1, -1, 0.5f, 2));
    node(&c, "Conv", NAMES("x", "w"), "y");
    check(&c, IN1(SHAPE(1, 2, 1, 1), F(1, 2)), "y", SHAPE(1, 3, 1, 1), F(3, -1, 4.5f));

    /* 2x2 ones kernel, dilation 2, on 3x3 1..9: the four corners 1+3+7+9. */
    c = case_new("Conv dilation 2", 13);
    input(&c, "x", SHAPE(1, 1, 3, 3));
    constant(&c, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"), "y");
    attr_ints(&c, "dilations", INTS(2, 2));
    check(&c, IN1(SHAPE(1, 1, 3, 3), F(1, 2, 3, 4, 5, 6, 7, 8, 9)), "y", SHAPE(1, 1, 1, 1), F(20));

    /* 2x2 ones on 3x3 ones, SAME: one unit of padding per axis, at the end
     * (UPPER) or the beginning (LOWER); outputs count the covered inputs. */
    static const float ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    c = case_new("Conv auto_pad SAME_UPPER", 13);
    input(&c, "x", SHAPE(1, 1, 3, 3));
    constant(&c, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"), "y");
    attr_str(&c, "auto_pad", "SAME_UPPER");
    check(&c, IN1(SHAPE(1, 1, 3, 3), ones9), "y", SHAPE(1, 1, 3, 3), F(4, 4, 2, 4, 4, 2, 2, 2, 1));

    c = case_new("Conv auto_pad SAME_LOWER", 13);
    input(&c, "x", SHAPE(1, 1, 3, 3));
    constant(&c, "w", SHAPE(1, 1, 2, 2), F(1, 1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"), "y");
    attr_str(&c, "auto_pad", "SAME_LOWER");
    check(&c, IN1(SHAPE(1, 1, 3, 3), ones9), "y", SHAPE(1, 1, 3, 3), F(1, 2, 2, 2, 4, 4, 2, 4, 4));

    c = case_new("Conv 1-D is rejected", 13);
    input(&c, "x", SHAPE(1, 1, 4));
    constant(&c, "w", SHAPE(1, 1, 3), F(1, 1, 1));
    node(&c, "Conv", NAMES("x", "w"), "y");
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
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "w", SHAPE(1, 1, 3, 3), ones);
    node(&c, "ConvTranspose", NAMES("x", "w"), "y");
    attr_ints(&c, "strides", INTS(2, 2));
    attr_ints(&c, "pads", INTS(0, 0, 1, 1));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4),
          F(1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4));

    /* output_shape 4x4: total padding 2*1 + 3 - 4 = 1 goes at the beginning
     * (not SAME_UPPER), dropping the first row and column instead. */
    c = case_new("ConvTranspose output_shape", 13);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "w", SHAPE(1, 1, 3, 3), ones);
    node(&c, "ConvTranspose", NAMES("x", "w"), "y");
    attr_ints(&c, "strides", INTS(2, 2));
    attr_ints(&c, "output_shape", INTS(4, 4));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4),
          F(1, 3, 2, 2, 4, 10, 6, 6, 3, 7, 4, 4, 3, 7, 4, 4));

    /* Weights [C_in=2, C_out=1, 1, 1] = [3, 4]: 1*3 + 2*4 + bias 0.5. */
    c = case_new("ConvTranspose channel sum and bias", 13);
    input(&c, "x", SHAPE(1, 2, 1, 1));
    constant(&c, "w", SHAPE(2, 1, 1, 1), F(3, 4));
    constant(&c, "b", SHAPE(1), F(0.5f));
    node(&c, "ConvTranspose", NAMES("x", "w", "b"), "y");
    check(&c, IN1(SHAPE(1, 2, 1, 1), F(1, 2)), "y", SHAPE(1, 1, 1, 1), F(11.5f));

    /* Stride 2, output_padding 1, 1x1 kernel on one pixel: 2*0 + 1 + 1 = 2;
     * only (0,0) receives the input. */
    c = case_new("ConvTranspose output_padding", 13);
    input(&c, "x", SHAPE(1, 1, 1, 1));
    constant(&c, "w", SHAPE(1, 1, 1, 1), F(2));
    node(&c, "ConvTranspose", NAMES("x", "w"), "y");
    attr_ints(&c, "strides", INTS(2, 2));
    attr_ints(&c, "output_padding", INTS(1, 1));
    check(&c, IN1(SHAPE(1, 1, 1, 1), F(3)), "y", SHAPE(1, 1, 2, 2), F(6, 0, 0, 0));
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
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "s", SHAPE(1), F(2));
    constant(&c, "b", SHAPE(1), F(1));
    node(&c, "InstanceNormalization", NAMES("x", "s", "b"), "y");
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 2, 2), want);

    /* Channel 0 = [1,3]: mean 2, variance 1. Channel 1 = [5,5]: variance 0,
     * so only its bias 7 remains. */
    float e = 1 / sqrtf(1 + 1e-5f);
    c = case_new("InstanceNormalization per channel", 13);
    input(&c, "x", SHAPE(1, 2, 1, 2));
    constant(&c, "s", SHAPE(2), F(1, 1));
    constant(&c, "b", SHAPE(2), F(0, 7));
    node(&c, "InstanceNormalization", NAMES("x", "s", "b"), "y");
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 3, 5, 5)), "y", SHAPE(1, 2, 1, 2), F(-e, e, 7, 7));

    /* epsilon 0. Channel 0: (x - 1) / 2 on [1,2]; channel 1:
     * 2 (x - 3) / 0.5 + 1 on [3,4]. */
    c = case_new("BatchNormalization", 13);
    input(&c, "x", SHAPE(1, 2, 1, 2));
    constant(&c, "s", SHAPE(2), F(1, 2));
    constant(&c, "b", SHAPE(2), F(0, 1));
    constant(&c, "mean", SHAPE(2), F(1, 3));
    constant(&c, "var", SHAPE(2), F(4, 0.25f));
    node(&c, "BatchNormalization", NAMES("x", "s", "b", "mean", "var"), "y");
    attr_float(&c, "epsilon", 0);
    check(&c, IN1(SHAPE(1, 2, 1, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 2, 1, 2), F(0, 0.5f, 1, 5));
}

/* ---- activations ------------------------------------------------------------ */

static void unary_case(const char *name, int opset, const char *op, const float *expect,
                       const char *attr, float alpha)
{
    Case c = case_new(name, opset);
    input(&c, "x", SHAPE(4));
    node(&c, op, NAMES("x"), "y");
    if (attr)
        attr_float(&c, attr, alpha);
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), "y", SHAPE(4), expect);
}

static void test_activation(void)
{
    unary_case("Relu", 13, "Relu", F(0, 0, 0, 1.5f), NULL, 0);
    unary_case("LeakyRelu default alpha", 13, "LeakyRelu", F(-0.02f, -0.005f, 0, 1.5f), NULL, 0);
    unary_case("LeakyRelu alpha 0.5", 13, "LeakyRelu", F(-1, -0.25f, 0, 1.5f), "alpha", 0.5f);
    /* 1 / (1 + e^-x) and tanh at -2, -0.5, 0, 1.5. */
    unary_case("Sigmoid", 13, "Sigmoid", F(0.11920292f, 0.37754067f, 0.5f, 0.81757448f), NULL, 0);
    unary_case("Tanh", 13, "Tanh", F(-0.96402758f, -0.46211716f, 0, 0.90514825f), NULL, 0);
    unary_case("Identity", 13, "Identity", F(-2, -0.5f, 0, 1.5f), NULL, 0);
    unary_case("Dropout", 13, "Dropout", F(-2, -0.5f, 0, 1.5f), NULL, 0);
    unary_case("Clip opset 13 no bounds", 13, "Clip", F(-2, -0.5f, 0, 1.5f), NULL, 0);

    /* Opset 11+: bounds are inputs; the max is omitted. */
    Case c = case_new("Clip opset 13 min input", 13);
    input(&c, "x", SHAPE(4));
    constant(&c, "lo", SCALAR, F(-1));
    node(&c, "Clip", NAMES("x", "lo"), "y");
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), "y", SHAPE(4), F(-1, -0.5f, 0, 1.5f));

    c = case_new("Clip opset 13 max input only", 13);
    input(&c, "x", SHAPE(4));
    constant(&c, "hi", SCALAR, F(0.25f));
    node(&c, "Clip", NAMES("x", "", "hi"), "y");
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), "y", SHAPE(4), F(-2, -0.5f, 0, 0.25f));

    /* Opset 6: bounds are attributes. */
    c = case_new("Clip opset 6 attributes", 6);
    input(&c, "x", SHAPE(4));
    node(&c, "Clip", NAMES("x"), "y");
    attr_float(&c, "min", -1);
    attr_float(&c, "max", 1);
    check(&c, IN1(SHAPE(4), F(-2, -0.5f, 0, 1.5f)), "y", SHAPE(4), F(-1, -0.5f, 0, 1));
}

/* ---- element-wise binary -------------------------------------------------- */

static void test_binary(void)
{
    /* [1,2,2,2] + [2,1,1]: +10 on channel 0, +20 on channel 1. */
    Case c = case_new("Add broadcast [1,2,2,2]+[2,1,1]", 13);
    input(&c, "a", SHAPE(1, 2, 2, 2));
    constant(&c, "b", SHAPE(2, 1, 1), F(10, 20));
    node(&c, "Add", NAMES("a", "b"), "y");
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 2, 3, 4, 5, 6, 7)), "y", SHAPE(1, 2, 2, 2),
          F(10, 11, 12, 13, 24, 25, 26, 27));

    /* Both sides broadcast: [2,1] - [1,3] = [2,3], a[i] - b[j]. */
    c = case_new("Sub broadcast [2,1]-[1,3]", 13);
    input(&c, "a", SHAPE(2, 1));
    input(&c, "b", SHAPE(1, 3));
    node(&c, "Sub", NAMES("a", "b"), "y");
    check(&c, IN2(SHAPE(2, 1), F(1, 2), SHAPE(1, 3), F(10, 20, 30)), "y", SHAPE(2, 3),
          F(-9, -19, -29, -8, -18, -28));

    c = case_new("Mul by scalar", 13);
    input(&c, "a", SHAPE(2, 2));
    constant(&c, "k", SCALAR, F(3));
    node(&c, "Mul", NAMES("a", "k"), "y");
    check(&c, IN1(SHAPE(2, 2), F(1, 2, 3, 4)), "y", SHAPE(2, 2), F(3, 6, 9, 12));

    /* [1,3] / [3,1] = [3,3], a[j] / b[i]. */
    c = case_new("Div broadcast [1,3]/[3,1]", 13);
    input(&c, "a", SHAPE(1, 3));
    constant(&c, "b", SHAPE(3, 1), F(1, 2, 4));
    node(&c, "Div", NAMES("a", "b"), "y");
    check(&c, IN1(SHAPE(1, 3), F(2, 4, 8)), "y", SHAPE(3, 3), F(2, 4, 8, 1, 2, 4, 0.5f, 1, 2));

    c = case_new("Add shapes that do not broadcast", 13);
    input(&c, "a", SHAPE(2, 3));
    input(&c, "b", SHAPE(2, 2));
    node(&c, "Add", NAMES("a", "b"), "y");
    check_error(&c, IN2(SHAPE(2, 3), F(0, 0, 0, 0, 0, 0), SHAPE(2, 2), F(0, 0, 0, 0)));
}

/* ---- pad ------------------------------------------------------------------------ */

static void test_pad(void)
{
    /* [[1,2,3],[4,5,6]] with H pads 1,1 and W pads 2,1, reflect (no edge
     * repeat): rows map to [1,0,1,0], columns to [2,1,0,1,2,1]. */
    Case c = case_new("Pad reflect 1x1x2x3", 13);
    input(&c, "x", SHAPE(1, 1, 2, 3));
    constant_int(&c, "pads", SHAPE(8), I64(0, 0, 1, 2, 0, 0, 1, 1));
    node(&c, "Pad", NAMES("x", "pads"), "y");
    attr_str(&c, "mode", "reflect");
    check(&c, IN1(SHAPE(1, 1, 2, 3), F(1, 2, 3, 4, 5, 6)), "y", SHAPE(1, 1, 4, 6),
          F(6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2));

    c = case_new("Pad constant value input", 11);
    input(&c, "x", SHAPE(1, 1, 1, 2));
    constant_int(&c, "pads", SHAPE(8), I64(0, 0, 0, 1, 0, 0, 0, 2));
    constant(&c, "v", SCALAR, F(9));
    node(&c, "Pad", NAMES("x", "pads", "v"), "y");
    check(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), "y", SHAPE(1, 1, 1, 5), F(9, 1, 2, 9, 9));

    /* Opset 2: pads attribute. One row on top, one column right, edge. */
    c = case_new("Pad edge opset 2", 2);
    input(&c, "x", SHAPE(1, 1, 2, 3));
    node(&c, "Pad", NAMES("x"), "y");
    attr_ints(&c, "pads", INTS(0, 0, 1, 0, 0, 0, 0, 1));
    attr_str(&c, "mode", "edge");
    check(&c, IN1(SHAPE(1, 1, 2, 3), F(1, 2, 3, 4, 5, 6)), "y", SHAPE(1, 1, 3, 4),
          F(1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6));

    c = case_new("Pad channel axis", 13);
    input(&c, "x", SHAPE(1, 1, 1, 2));
    constant_int(&c, "pads", SHAPE(8), I64(0, 1, 0, 0, 0, 0, 0, 0));
    node(&c, "Pad", NAMES("x", "pads"), "y");
    check(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), "y", SHAPE(1, 2, 1, 2), F(0, 0, 1, 2));

    c = case_new("Pad negative crops", 13);
    input(&c, "x", SHAPE(1, 1, 1, 2));
    constant_int(&c, "pads", SHAPE(8), I64(0, 0, 0, -1, 0, 0, 0, 0));
    node(&c, "Pad", NAMES("x", "pads"), "y");
    check_kernel(&c, IN1(SHAPE(1, 1, 1, 2), F(1, 2)), SHAPE(1, 1, 1, 1), F(2));

    /* Negative pads crop first, then the rest is padded from what remains:
     * [1,2,3] cropped to [2,3], then one reflected column each side. */
    c = case_new("Pad crop then reflect", 13);
    input(&c, "x", SHAPE(1, 3));
    constant_int(&c, "pads", SHAPE(4), I64(0, -1, 0, 1));
    node(&c, "Pad", NAMES("x", "pads"), "y");
    attr_str(&c, "mode", "reflect");
    check_kernel(&c, IN1(SHAPE(1, 3), F(1, 2, 3)), SHAPE(1, 3), F(2, 3, 2));
}

/* ---- resize ------------------------------------------------------------------------ */

static void resize_case(const char *name, const char *mode, const char *coord, const char *nearest,
                        const float *expect)
{
    Case c = case_new(name, 13);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"), "y");
    attr_str(&c, "mode", mode);
    if (coord)
        attr_str(&c, "coordinate_transformation_mode", coord);
    if (nearest)
        attr_str(&c, "nearest_mode", nearest);
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4), expect);
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
    input(&c, "x", SHAPE(1, 1, 2, 4));
    constant_int(&c, "sizes", SHAPE(4), I64(1, 1, 1, 2));
    node(&c, "Resize", NAMES("x", "", "", "sizes"), "y");
    check(&c, IN1(SHAPE(1, 1, 2, 4), F(1, 2, 3, 4, 5, 6, 7, 8)), "y", SHAPE(1, 1, 1, 2), F(1, 3));

    /* Opset 11: roi is an input even when unused. */
    c = case_new("Resize opset 11 with roi", 11);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "roi", SHAPE(8), F(0, 0, 0, 0, 1, 1, 1, 1));
    constant(&c, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "roi", "scales"), "y");
    attr_str(&c, "coordinate_transformation_mode", "asymmetric");
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4), blocky);

    c = case_new("Resize cubic is rejected", 13);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"), "y");
    attr_str(&c, "mode", "cubic");
    check_error(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)));

    /* Upsample: asymmetric; nearest rounds down. */
    c = case_new("Upsample opset 9 nearest", 9);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    constant(&c, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Upsample", NAMES("x", "scales"), "y");
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4), blocky);

    c = case_new("Upsample opset 7 linear", 7);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    node(&c, "Upsample", NAMES("x"), "y");
    attr_str(&c, "mode", "linear");
    attr_floats(&c, "scales", FLOATS(1, 1, 2, 2));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 4, 4),
          F(1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4));
}

/* ---- pooling -------------------------------------------------------------------- */

static void test_pool(void)
{
    /* x[h][w] = 5h + w + 1. 2x2 stride 2 with ceil_mode: windows of rows
     * {0,1}, {2,3}, {4}; the max is at the last row and column of each. */
    Case c = case_new("MaxPool ceil_mode 1x1x5x5", 13);
    input(&c, "x", SHAPE(1, 1, 5, 5));
    node(&c, "MaxPool", NAMES("x"), "y");
    attr_ints(&c, "kernel_shape", INTS(2, 2));
    attr_ints(&c, "strides", INTS(2, 2));
    attr_int(&c, "ceil_mode", 1);
    check(&c, IN1(SHAPE(1, 1, 5, 5), plane5x5()), "y", SHAPE(1, 1, 3, 3),
          F(7, 9, 10, 17, 19, 20, 22, 24, 25));

    /* SAME_LOWER: ceil(5/2) = 3 windows need one unit of padding, put first:
     * windows of rows {-1,0}, {1,2}, {3,4}; maxima at rows/columns 0, 2, 4. */
    c = case_new("MaxPool SAME_LOWER", 13);
    input(&c, "x", SHAPE(1, 1, 5, 5));
    node(&c, "MaxPool", NAMES("x"), "y");
    attr_ints(&c, "kernel_shape", INTS(2, 2));
    attr_ints(&c, "strides", INTS(2, 2));
    attr_str(&c, "auto_pad", "SAME_LOWER");
    check(&c, IN1(SHAPE(1, 1, 5, 5), plane5x5()), "y", SHAPE(1, 1, 3, 3),
          F(1, 3, 5, 11, 13, 15, 21, 23, 25));

    /* [[1,2],[3,4]], 2x2 stride 1, padding top and left: windows hold {1},
     * {1,2}, {1,3}, {1,2,3,4}, averaged over the real inputs or all 4 taps. */
    c = case_new("AveragePool exclude pad", 13);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    node(&c, "AveragePool", NAMES("x"), "y");
    attr_ints(&c, "kernel_shape", INTS(2, 2));
    attr_ints(&c, "pads", INTS(1, 1, 0, 0));
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 2, 2), F(1, 1.5f, 2, 2.5f));

    c = case_new("AveragePool count_include_pad", 13);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    node(&c, "AveragePool", NAMES("x"), "y");
    attr_ints(&c, "kernel_shape", INTS(2, 2));
    attr_ints(&c, "pads", INTS(1, 1, 0, 0));
    attr_int(&c, "count_include_pad", 1);
    check(&c, IN1(SHAPE(1, 1, 2, 2), F(1, 2, 3, 4)), "y", SHAPE(1, 1, 2, 2),
          F(0.25f, 0.75f, 1, 2.5f));

    c = case_new("GlobalAveragePool", 13);
    input(&c, "x", SHAPE(1, 2, 2, 2));
    node(&c, "GlobalAveragePool", NAMES("x"), "y");
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 2, 3, 4, 5, 6, 7)), "y", SHAPE(1, 2, 1, 1),
          F(1.5f, 5.5f));

    c = case_new("GlobalMaxPool", 13);
    input(&c, "x", SHAPE(1, 2, 2, 2));
    node(&c, "GlobalMaxPool", NAMES("x"), "y");
    check(&c, IN1(SHAPE(1, 2, 2, 2), F(0, 1, 3, 2, 7, 5, 6, 4)), "y", SHAPE(1, 2, 1, 1), F(3, 7));
}

/* ---- tensor ops ---------------------------------------------------------------- */

static void test_tensor(void)
{
    /* N = 2: each batch takes its 3 then its 2 channels. */
    Case c = case_new("Concat axis 1, 3 + 2 channels", 13);
    input(&c, "a", SHAPE(2, 3, 1, 1));
    input(&c, "b", SHAPE(2, 2, 1, 1));
    node(&c, "Concat", NAMES("a", "b"), "y");
    attr_int(&c, "axis", 1);
    check(&c, IN2(SHAPE(2, 3, 1, 1), F(1, 2, 3, 4, 5, 6), SHAPE(2, 2, 1, 1), F(7, 8, 9, 10)), "y",
          SHAPE(2, 5, 1, 1), F(1, 2, 3, 7, 8, 4, 5, 6, 9, 10));

    c = case_new("Concat axis -1", 13);
    input(&c, "a", SHAPE(2, 1));
    constant(&c, "b", SHAPE(2, 2), F(3, 4, 5, 6));
    node(&c, "Concat", NAMES("a", "b"), "y");
    attr_int(&c, "axis", -1);
    check(&c, IN1(SHAPE(2, 1), F(1, 2)), "y", SHAPE(2, 3), F(1, 3, 4, 2, 5, 6));

    static const float seq[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    c = case_new("Flatten axis 2", 13);
    input(&c, "x", SHAPE(2, 3, 2, 1));
    node(&c, "Flatten", NAMES("x"), "y");
    attr_int(&c, "axis", 2);
    check(&c, IN1(SHAPE(2, 3, 2, 1), seq), "y", SHAPE(6, 2), seq);

    c = case_new("Flatten default axis", 13);
    input(&c, "x", SHAPE(1, 3, 2, 2));
    node(&c, "Flatten", NAMES("x"), "y");
    check(&c, IN1(SHAPE(1, 3, 2, 2), seq), "y", SHAPE(1, 12), seq);

    /* 0 copies the input dim, -1 takes the rest: [1,2,2,3] -> [1,2,6]. */
    c = case_new("Reshape 0 and -1", 13);
    input(&c, "x", SHAPE(1, 2, 2, 3));
    constant_int(&c, "shape", SHAPE(3), I64(0, 0, -1));
    node(&c, "Reshape", NAMES("x", "shape"), "y");
    check(&c, IN1(SHAPE(1, 2, 2, 3), seq), "y", SHAPE(1, 2, 6), seq);

    /* e^1, e^2, e^3 over their sum 30.1928749. */
    c = case_new("Softmax [1,3]", 13);
    input(&c, "x", SHAPE(1, 3));
    node(&c, "Softmax", NAMES("x"), "y");
    check(&c, IN1(SHAPE(1, 3), F(1, 2, 3)), "y", SHAPE(1, 3),
          F(0.09003057f, 0.24472847f, 0.66524096f));

    /* Opset 13, axis 1 of [1,2,2]: pairs (0, ln 3) -> (1/4, 3/4) and
     * (1, 1) -> (1/2, 1/2). */
    float ln3 = logf(3);
    c = case_new("Softmax opset 13 axis 1", 13);
    input(&c, "x", SHAPE(1, 2, 2));
    node(&c, "Softmax", NAMES("x"), "y");
    attr_int(&c, "axis", 1);
    check(&c, IN1(SHAPE(1, 2, 2), F(0, 1, ln3, 1)), "y", SHAPE(1, 2, 2),
          F(0.25f, 0.5f, 0.75f, 0.5f));

    /* Opset 11, default axis 1: all 4 elements form one row. */
    c = case_new("Softmax opset 11 coerced to 2-D", 11);
    input(&c, "x", SHAPE(1, 2, 2));
    node(&c, "Softmax", NAMES("x"), "y");
    check(&c, IN1(SHAPE(1, 2, 2), F(1, 1, 1, 1)), "y", SHAPE(1, 2, 2),
          F(0.25f, 0.25f, 0.25f, 0.25f));

    /* A = [[1,2,3],[4,5,6]], B = [[1,0,1],[0,1,0]], A B^T = [[4,2],[10,5]];
     * times alpha 2 plus beta 0.5 times C = [10,20] per row. */
    c = case_new("Gemm transB alpha beta", 13);
    input(&c, "a", SHAPE(2, 3));
    constant(&c, "b", SHAPE(2, 3), F(1, 0, 1, 0, 1, 0));
    constant(&c, "c", SHAPE(2), F(10, 20));
    node(&c, "Gemm", NAMES("a", "b", "c"), "y");
    attr_int(&c, "transB", 1);
    attr_float(&c, "alpha", 2);
    attr_float(&c, "beta", 0.5f);
    check(&c, IN1(SHAPE(2, 3), F(1, 2, 3, 4, 5, 6)), "y", SHAPE(2, 2), F(13, 14, 25, 20));

    /* A^T = [[1,2,3],[4,5,6]] times a column of ones: row sums. */
    c = case_new("Gemm transA without C", 13);
    input(&c, "a", SHAPE(3, 2));
    constant(&c, "b", SHAPE(3, 1), F(1, 1, 1));
    node(&c, "Gemm", NAMES("a", "b"), "y");
    attr_int(&c, "transA", 1);
    check(&c, IN1(SHAPE(3, 2), F(1, 4, 2, 5, 3, 6)), "y", SHAPE(2, 1), F(6, 15));

    c = case_new("MatMul 2-D", 13);
    input(&c, "a", SHAPE(2, 3));
    constant(&c, "b", SHAPE(3, 2), F(1, 0, 0, 1, 1, 1));
    node(&c, "MatMul", NAMES("a", "b"), "y");
    check(&c, IN1(SHAPE(2, 3), F(1, 2, 3, 4, 5, 6)), "y", SHAPE(2, 2), F(4, 5, 10, 11));

    /* Batch of two 2x2 times one shared column of ones: row sums. */
    c = case_new("MatMul batched, B broadcast", 13);
    input(&c, "a", SHAPE(2, 2, 2));
    constant(&c, "b", SHAPE(2, 1), F(1, 1));
    node(&c, "MatMul", NAMES("a", "b"), "y");
    check_kernel(&c, IN1(SHAPE(2, 2, 2), F(1, 2, 3, 4, 5, 6, 7, 8)), SHAPE(2, 2, 1),
                 F(3, 7, 11, 15));

    /* [2,1,1,2] x [1,3,2,1] -> [2,3,1,1]: rows [1,2] and [3,4] against the
     * columns [1,0], [0,1], [1,1]. */
    c = case_new("MatMul rank 4 both broadcast", 13);
    input(&c, "a", SHAPE(2, 1, 1, 2));
    constant(&c, "b", SHAPE(1, 3, 2, 1), F(1, 0, 0, 1, 1, 1));
    node(&c, "MatMul", NAMES("a", "b"), "y");
    check_kernel(&c, IN1(SHAPE(2, 1, 1, 2), F(1, 2, 3, 4)), SHAPE(2, 3, 1, 1), F(1, 2, 3, 3, 4, 7));
}

/* ---- executor ---------------------------------------------------------------- */

static void test_executor(void)
{
    n_checks++;
    const char *ops[] = {"Conv",
                         "ConvTranspose",
                         "InstanceNormalization",
                         "BatchNormalization",
                         "Relu",
                         "LeakyRelu",
                         "Clip",
                         "Sigmoid",
                         "Tanh",
                         "Dropout",
                         "Identity",
                         "Add",
                         "Sub",
                         "Mul",
                         "Div",
                         "Pad",
                         "Resize",
                         "Upsample",
                         "MaxPool",
                         "AveragePool",
                         "GlobalAveragePool",
                         "GlobalMaxPool",
                         "Concat",
                         "Flatten",
                         "Reshape",
                         "Softmax",
                         "Gemm",
                         "MatMul"};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++)
        if (!vknn_ref_lookup(ops[i]))
            fail("vknn_ref_lookup", "no kernel for %s", ops[i]);
    if (vknn_ref_lookup("NoSuchOp") || vknn_ref_lookup("conv"))
        fail("vknn_ref_lookup", "found a kernel for an unknown op");

    /* Two nodes: the intermediate value is in the results too. Conv with
     * weight -1 negates, Relu keeps the positive part. */
    Case c = case_new("Conv then Relu", 13);
    input(&c, "x", SHAPE(1, 1, 1, 3));
    constant(&c, "w", SHAPE(1, 1, 1, 1), F(-1));
    GError *e = NULL;
    const char *mid = "mid", *out = "y";
    if (!vknn_model_add_node(c.m, "Conv", "conv", (const char *const[]){"x", "w"}, 2, &mid, 1,
                             &e) ||
        !vknn_model_add_node(c.m, "Relu", "relu", &mid, 1, &out, 1, &e) ||
        !vknn_model_mark_output(c.m, "y", &e))
        build_fail(&c, "chain", e);
    g_clear_error(&e);
    n_checks++;
    GHashTable *res = c.error ? NULL : vknn_ref_run(c.m, IN1(SHAPE(1, 1, 1, 3), F(-1, 0, 2)), &e);
    if (!res) {
        fail(c.name, "%s", c.error ? c.error : e->message);
    } else {
        compare(c.name, res, "mid", SHAPE(1, 1, 1, 3), F(1, 0, -2));
        compare(c.name, res, "y", SHAPE(1, 1, 1, 3), F(1, 0, 0));
        g_hash_table_unref(res);
    }
    g_clear_error(&e);
    g_free(c.error);
    vknn_model_free(c.m);

    /* A kernel handed an output shape that disagrees with its own answer
     * reports a shape error (the cross-check of shape inference). */
    n_checks++;
    Case d = case_new("kernel shape cross-check", 13);
    input(&d, "x", SHAPE(4));
    node(&d, "Relu", NAMES("x"), "y");
    if (d.node) {
        float buf[5];
        VknnRefTensor in = {SHAPE(4), (float *)F(1, 2, 3, 4)}, o = {SHAPE(5), buf};
        VknnRefFunc fn = vknn_ref_lookup("Relu");
        if (!fn || fn(d.m, d.node, &in, &o, &e))
            fail(d.name, "a mismatching output shape was accepted");
        else if (!g_error_matches(e, VKNN_ERROR, VKNN_ERROR_SHAPE))
            fail(d.name, "wrong error: %s", e->message);
        g_clear_error(&e);
    } else {
        fail(d.name, "building the model: %s", d.error);
    }
    g_free(d.error);
    vknn_model_free(d.m);
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
    test_tensor();
    test_executor();
    printf("%d failure(s) in %d checks\n", n_failed, n_checks);
    return n_failed ? 1 : 0;
}
