/* Tests of the reference backward pass (compute/ref/ref_grad.c).
 *
 * Each op gets tiny models with random inputs and weights (fixed seeds) and
 * a random seed gradient; the gradients vknn_ref_backward returns for the
 * inputs and parameters are checked against central finite differences of
 * L = sum(seed * output), computed with vknn_ref_run. Inputs of ops with
 * kinks (Relu, Clip, MaxPool) are kept away from them by construction. On
 * top: guided Relu and MaxPool ties against their definitions, a graph where
 * values feed several nodes (accumulation), and the errors. The op cases
 * come in the order of compute/ops.def, each named after its op. Exits 0
 * when every check passes, 1 otherwise, listing what failed. */
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Finite-difference step on float32 values, and the tolerance: the largest
 * difference may be this fraction of the largest gradient of the tensor. */
#define FD_EPS 1e-2
#define FD_RTOL 1e-2
/* Inputs of ops with kinks stay this far from them (more than FD_EPS). */
#define KINK_GAP 0.05f
#define MAX_INPUTS 4

/* A model under construction with the data of its graph inputs. Its
 * inputs, weights and seed gradient take consecutive seeds from the case's
 * seed (model_build.h); a failed building step is reported by the check
 * that ends the case. */
typedef struct {
    const char *name;
    TestModel b;
    VknnRefTensor in[MAX_INPUTS];
    int n_in;
} Case;

static Case case_new(const char *name, int opset, guint32 seed)
{
    return (Case){name, tm_new(opset, seed), {{{0, {0}}, 0}}, 0};
}

static void case_free(Case *c)
{
    for (int i = 0; i < c->n_in; i++)
        g_free(c->in[i].data);
    tm_clear(&c->b);
}

/* Adds a graph input of uniform values in [-1, 1); returns its data. */
static float *input(Case *c, const char *name, VknnShape s)
{
    if (c->n_in == MAX_INPUTS) {
        tm_fail(&c->b, name, "more than MAX_INPUTS inputs");
        return NULL;
    }
    tm_input(&c->b, name, s);
    VknnRefTensor *t = &c->in[c->n_in++];
    const int64_t n = vknn_shape_numel(&s);
    t->shape = s;
    t->data = g_new(float, MAX(n, 1));
    tm_random(&c->b, t->data, n, -1.0f, 1.0f);
    return t->data;
}

/* A constant of uniform values in [-1, 1) (weights, biases). */
static void param(Case *c, const char *name, VknnShape s)
{
    tm_weight(&c->b, name, s, -1.0f, 1.0f);
}

/* Adds a node with one output (named like its op when name is NULL). */
static void add(Case *c, const char *op, const char *name, const char *const *inputs, int n_inputs,
                const char *output)
{
    tm_named_node(&c->b, name ? name : op, op, inputs, n_inputs, output);
}

/* The usual single-node case: output "y", a graph output. */
static void node(Case *c, const char *op, const char *const *inputs, int n_inputs)
{
    add(c, op, NULL, inputs, n_inputs, "y");
    tm_output(&c->b, "y");
}

/* Moves values closer than KINK_GAP to a kink off to KINK_GAP from it. */
static void away_from(float *x, int64_t n, float kink)
{
    for (int64_t i = 0; x && i < n; i++)
        if (fabsf(x[i] - kink) < KINK_GAP)
            x[i] = x[i] < kink ? kink - KINK_GAP : kink + KINK_GAP;
}

/* Distinct values KINK_GAP apart in an order shuffled with the case's next
 * seed, so that every max is unique and stays so under a finite-difference
 * step. */
static void distinct(Case *c, float *x, int64_t n)
{
    GRand *r = g_rand_new_with_seed(c->b.seed++);
    for (int64_t i = 0; x && i < n; i++)
        x[i] = KINK_GAP * (float)(i - n / 2);
    for (int64_t i = n - 1; x && i > 0; i--) {
        int64_t j = g_rand_int_range(r, 0, (gint32)i + 1);
        float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
    g_rand_free(r);
}

/* ---- finite differences ------------------------------------------------------- */

/* Data of a graph input or constant, which the perturbations write into. */
static float *tensor_data(Case *c, const char *name, VknnShape *shape)
{
    const VknnModel *m = c->b.m;
    int idx = vknn_model_find_value(m, name);
    if (idx < 0)
        return NULL;
    for (guint i = 0; i < m->inputs->len && i < MAX_INPUTS; i++)
        if (g_array_index(m->inputs, int, i) == idx) {
            *shape = c->in[i].shape;
            return c->in[i].data;
        }
    const VknnValue *v = vknn_model_value(m, idx);
    *shape = v->shape;
    return v->kind == VKNN_VALUE_CONSTANT ? v->data : NULL;
}

/* L = sum(seed * y) in double; NAN when the run fails. */
static double loss(Case *c, const char *out, const float *seed)
{
    GHashTable *res = vknn_ref_run(c->b.m, c->in, NULL);
    const VknnRefTensor *y = res ? g_hash_table_lookup(res, out) : NULL;
    double l = y ? 0.0 : NAN;
    for (int64_t i = 0; y && i < vknn_shape_numel(&y->shape); i++)
        l += (double)seed[i] * y->data[i];
    if (res)
        g_hash_table_unref(res);
    return l;
}

/* Central differences of L at every element of x against the analytic
 * gradient ana. The step is taken as the float difference actually
 * applied, not eps. */
typedef struct {
    double max_err, max_ana, max_num;
    int64_t worst;
} FdResult;

static FdResult finite_differences(Case *c, const char *out, const float *seed, float *x,
                                   const float *ana, int64_t k)
{
    FdResult r = {0, 0, 0, 0};
    for (int64_t j = 0; j < k; j++) {
        float orig = x[j], xp = orig + (float)FD_EPS, xm = orig - (float)FD_EPS;
        x[j] = xp;
        double lp = loss(c, out, seed);
        x[j] = xm;
        double lm = loss(c, out, seed);
        x[j] = orig;
        double num = (lp - lm) / ((double)xp - (double)xm);
        double diff = fabs(num - ana[j]);
        if (!(diff <= r.max_err)) {
            r.max_err = diff;
            r.worst = j;
        }
        r.max_ana = MAX(r.max_ana, fabs(ana[j]));
        r.max_num = MAX(r.max_num, fabs(num));
    }
    return r;
}

/* Checks the gradient of `name` against central differences. */
static void check_numeric(Case *c, GHashTable *grads, const char *out, const float *seed,
                          const char *name)
{
    VknnShape shape;
    float *x = tensor_data(c, name, &shape);
    const VknnRefTensor *ana = g_hash_table_lookup(grads, name);
    if (!x || !ana) {
        test_fail("%s: no %s for '%s'", c->name, x ? "gradient" : "data", name);
        return;
    }
    if (!vknn_shape_equal(&ana->shape, &shape)) {
        test_fail("%s: gradient of '%s' has the wrong shape", c->name, name);
        return;
    }
    const FdResult r = finite_differences(c, out, seed, x, ana->data, vknn_shape_numel(&shape));
    const double tol = FD_RTOL * MAX(r.max_ana, 1e-2);
    if (!(r.max_err <= tol))
        test_fail("%s: d/d%s[%lld] = %.6g, finite differences %.6g (max |grad| %.3g)", c->name,
                  name, (long long)r.worst, ana->data[r.worst], ana->data[r.worst] + r.max_err,
                  r.max_ana);
    else if (r.max_num < 1e-6)
        test_fail("%s: d/d%s is zero: the case tests nothing", c->name, name);
    else
        test_check(TRUE, "%s: d/d%s max error %.2e of max |grad| %.3g", c->name, name, r.max_err,
                   r.max_ana);
}

/* Runs forward and backward with a seed for `out` (seed_data, or random
 * from the case's next seed); returns the gradients (and the seed in
 * *seed_out) or NULL after a failed check. */
static GHashTable *backward(Case *c, const char *out, gboolean guided, const float *seed_data,
                            float **seed_out)
{
    *seed_out = NULL;
    if (c->b.error) {
        test_fail("%s: building the model: %s", c->name, c->b.error);
        return NULL;
    }
    GError *e = NULL;
    GHashTable *values = vknn_ref_run(c->b.m, c->in, &e);
    const VknnRefTensor *y = values ? g_hash_table_lookup(values, out) : NULL;
    if (!y) {
        test_fail("%s: forward failed: %s", c->name, e ? e->message : "no output");
        g_clear_error(&e);
        if (values)
            g_hash_table_unref(values);
        return NULL;
    }
    const int64_t n = vknn_shape_numel(&y->shape);
    VknnRefTensor seed = {y->shape, g_new(float, MAX(n, 1))};
    if (seed_data)
        memcpy(seed.data, seed_data, sizeof(float) * n);
    else
        tm_random(&c->b, seed.data, n, -1.0f, 1.0f);
    GHashTable *grads = vknn_ref_backward(c->b.m, values, c->in, out, &seed, guided, &e);
    g_hash_table_unref(values);
    if (!grads) {
        test_fail("%s: backward failed: %s", c->name, e->message);
        g_clear_error(&e);
        g_free(seed.data);
        return NULL;
    }
    *seed_out = seed.data;
    return grads;
}

/* Checks the gradients of the named graph inputs and constants of the case
 * against finite differences of L = sum(seed * out); frees the case. */
static void check_grads(Case *c, const char *out, const char *const *names, int n_names)
{
    float *seed;
    GHashTable *grads = backward(c, out, FALSE, NULL, &seed);
    if (grads) {
        for (int i = 0; i < n_names; i++)
            check_numeric(c, grads, out, seed, names[i]);
        g_hash_table_unref(grads);
    }
    g_free(seed);
    case_free(c);
}

/* Compares a gradient with exact expected values. */
static void check_exact(const char *name, GHashTable *grads, const char *value, const float *want,
                        int64_t count)
{
    const VknnRefTensor *t = g_hash_table_lookup(grads, value);
    if (!t || vknn_shape_numel(&t->shape) != count) {
        test_fail("%s: no gradient of %lld elements for '%s'", name, (long long)count, value);
        return;
    }
    for (int64_t i = 0; i < count; i++)
        if (fabsf(t->data[i] - want[i]) > 1e-6f) {
            test_fail("%s: d/d%s[%lld] = %.7g, expected %.7g", name, value, (long long)i,
                      t->data[i], want[i]);
            return;
        }
    test_check(TRUE, "%s: d/d%s", name, value);
}

/* ---- convolutions ------------------------------------------------------------ */

static void test_conv(void)
{
    Case c = case_new("Conv 3x3 pads 1, batch 2, bias", 13, 1);
    input(&c, "x", SHAPE(2, 3, 5, 6));
    param(&c, "w", SHAPE(4, 3, 3, 3));
    param(&c, "b", SHAPE(4));
    node(&c, "Conv", NAMES("x", "w", "b"));
    tm_attr_ints(&c.b, "pads", INTS(1, 1, 1, 1));
    check_grads(&c, "y", NAMES("x", "w", "b"));

    c = case_new("Conv group 2, stride 2, dilation 2, asymmetric pads", 13, 2);
    input(&c, "x", SHAPE(1, 4, 7, 8));
    param(&c, "w", SHAPE(6, 2, 2, 3));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_int(&c.b, "group", 2);
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "dilations", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 0, 2, 1));
    check_grads(&c, "y", NAMES("x", "w"));

    c = case_new("Conv depthwise x2, SAME_UPPER stride 2", 13, 3);
    input(&c, "x", SHAPE(1, 3, 5, 5));
    param(&c, "w", SHAPE(6, 1, 3, 3));
    param(&c, "b", SHAPE(6));
    node(&c, "Conv", NAMES("x", "w", "b"));
    tm_attr_int(&c.b, "group", 3);
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_str(&c.b, "auto_pad", "SAME_UPPER");
    check_grads(&c, "y", NAMES("x", "w", "b"));

    c = case_new("Conv SAME_LOWER stride 2, 2x2 kernel", 13, 4);
    input(&c, "x", SHAPE(1, 2, 5, 4));
    param(&c, "w", SHAPE(2, 2, 2, 2));
    node(&c, "Conv", NAMES("x", "w"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_str(&c.b, "auto_pad", "SAME_LOWER");
    check_grads(&c, "y", NAMES("x", "w"));
}

static void test_conv_transpose(void)
{
    Case c = case_new("ConvTranspose stride 2, pads, output_padding, bias", 13, 10);
    input(&c, "x", SHAPE(2, 3, 3, 4));
    param(&c, "w", SHAPE(3, 2, 3, 3));
    param(&c, "b", SHAPE(2));
    node(&c, "ConvTranspose", NAMES("x", "w", "b"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 0, 0, 1));
    tm_attr_ints(&c.b, "output_padding", INTS(1, 1));
    check_grads(&c, "y", NAMES("x", "w", "b"));

    /* (Shape inference takes group 1 only, so grouped ConvTranspose cannot
     * run end to end here.) */
    c = case_new("ConvTranspose dilation 2, stride 3", 13, 11);
    input(&c, "x", SHAPE(1, 4, 3, 3));
    param(&c, "w", SHAPE(4, 2, 2, 2));
    node(&c, "ConvTranspose", NAMES("x", "w"));
    tm_attr_ints(&c.b, "strides", INTS(3, 3));
    tm_attr_ints(&c.b, "dilations", INTS(2, 2));
    check_grads(&c, "y", NAMES("x", "w"));

    c = case_new("ConvTranspose output_shape", 13, 12);
    input(&c, "x", SHAPE(1, 2, 3, 3));
    param(&c, "w", SHAPE(2, 3, 3, 3));
    param(&c, "b", SHAPE(3));
    node(&c, "ConvTranspose", NAMES("x", "w", "b"));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "output_shape", INTS(6, 5));
    check_grads(&c, "y", NAMES("x", "w", "b"));
}

/* ---- element-wise --------------------------------------------------------------- */

/* One op on a [2,3,4] input, optionally kept away from two kinks. */
static Case unary(const char *name, int opset, const char *op, float kink0, float kink1)
{
    Case c = case_new(name, opset, 20);
    float *x = input(&c, "x", SHAPE(2, 3, 4));
    if (x)
        for (int i = 0; i < 24; i++)
            x[i] *= 2.0f;
    away_from(x, 24, kink0);
    away_from(x, 24, kink1);
    node(&c, op, NAMES("x"));
    return c;
}

static void test_activation(void)
{
    Case c = unary("Clip opset 6 attributes", 6, "Clip", -0.3f, 0.4f);
    tm_attr_float(&c.b, "min", -0.3f);
    tm_attr_float(&c.b, "max", 0.4f);
    check_grads(&c, "y", NAMES("x"));

    /* Bounds as inputs; the node is rebuilt since they come before it. */
    c = case_new("Clip opset 13 inputs", 13, 21);
    float *x = input(&c, "x", SHAPE(2, 3, 4));
    for (int i = 0; x && i < 24; i++)
        x[i] *= 2.0f;
    away_from(x, 24, -0.5f);
    away_from(x, 24, 0.6f);
    tm_const(&c.b, "lo", SCALAR, F(-0.5f));
    tm_const(&c.b, "hi", SCALAR, F(0.6f));
    node(&c, "Clip", NAMES("x", "lo", "hi"));
    check_grads(&c, "y", NAMES("x"));

    c = unary("LeakyRelu alpha 0.2", 13, "LeakyRelu", 0, 0);
    tm_attr_float(&c.b, "alpha", 0.2f);
    check_grads(&c, "y", NAMES("x"));

    c = unary("Relu", 13, "Relu", 0, 0);
    check_grads(&c, "y", NAMES("x"));

    c = unary("Sigmoid", 13, "Sigmoid", 0, 0);
    check_grads(&c, "y", NAMES("x"));

    c = unary("Tanh", 13, "Tanh", 0, 0);
    check_grads(&c, "y", NAMES("x"));
}

/* Guided back-propagation against its definition g * [x > 0] * [g > 0]. */
static void test_guided_relu(void)
{
    static const float seed[6] = {1, -1, 2, 3, 0.5f, -2};
    for (int guided = 0; guided < 2; guided++) {
        Case c = case_new(guided ? "Relu guided" : "Relu standard", 13, 24);
        float *x = input(&c, "x", SHAPE(6));
        if (x)
            memcpy(x, F(-1, 2, 3, -4, 5, 0), sizeof(float) * 6);
        node(&c, "Relu", NAMES("x"));
        float *s;
        GHashTable *grads = backward(&c, "y", guided, seed, &s);
        if (grads) {
            /* At x == 0 nothing passes. */
            check_exact(c.name, grads, "x",
                        guided ? F(0, 0, 2, 0, 0.5f, 0) : F(0, -1, 2, 0, 0.5f, 0), 6);
            g_hash_table_unref(grads);
        }
        g_free(s);
        case_free(&c);
    }
}

static void test_binary(void)
{
    Case c = case_new("Add [2,3,4,5] + [3,1,1]", 13, 30);
    input(&c, "a", SHAPE(2, 3, 4, 5));
    input(&c, "b", SHAPE(3, 1, 1));
    node(&c, "Add", NAMES("a", "b"));
    check_grads(&c, "y", NAMES("a", "b"));

    c = case_new("Mul [2,3,4] * [4]", 13, 32);
    input(&c, "a", SHAPE(2, 3, 4));
    input(&c, "b", SHAPE(4));
    node(&c, "Mul", NAMES("a", "b"));
    check_grads(&c, "y", NAMES("a", "b"));

    c = case_new("Mul by a scalar input", 13, 33);
    input(&c, "a", SHAPE(2, 3));
    input(&c, "b", SCALAR);
    node(&c, "Mul", NAMES("a", "b"));
    check_grads(&c, "y", NAMES("a", "b"));

    /* One value on both sides: d(x*x) = 2x, from two accumulations. */
    c = case_new("Mul x * x", 13, 34);
    input(&c, "x", SHAPE(2, 3));
    node(&c, "Mul", NAMES("x", "x"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Sub [1,3,1,5] - [2,1,4,1]", 13, 31);
    input(&c, "a", SHAPE(1, 3, 1, 5));
    input(&c, "b", SHAPE(2, 1, 4, 1));
    node(&c, "Sub", NAMES("a", "b"));
    check_grads(&c, "y", NAMES("a", "b"));
}

/* ---- pools ------------------------------------------------------------------ */

static void test_pool(void)
{
    Case c;
    float *x;
    for (int include = 0; include < 2; include++) {
        c = case_new(include ? "AveragePool count_include_pad ceil_mode"
                             : "AveragePool exclude pad ceil_mode",
                     13, 42);
        input(&c, "x", SHAPE(1, 2, 6, 7));
        node(&c, "AveragePool", NAMES("x"));
        tm_attr_ints(&c.b, "kernel_shape", INTS(3, 3));
        tm_attr_ints(&c.b, "strides", INTS(2, 2));
        tm_attr_ints(&c.b, "pads", INTS(1, 1, 1, 1));
        tm_attr_int(&c.b, "ceil_mode", 1);
        tm_attr_int(&c.b, "count_include_pad", include);
        check_grads(&c, "y", NAMES("x"));
    }

    c = case_new("AveragePool 2x2 stride 2", 13, 43);
    input(&c, "x", SHAPE(2, 1, 4, 5));
    node(&c, "AveragePool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("MaxPool 3x3 stride 2 pads 1 ceil_mode", 13, 40);
    x = input(&c, "x", SHAPE(1, 2, 6, 7));
    distinct(&c, x, 84);
    node(&c, "MaxPool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(3, 3));
    tm_attr_ints(&c.b, "strides", INTS(2, 2));
    tm_attr_ints(&c.b, "pads", INTS(1, 1, 1, 1));
    tm_attr_int(&c.b, "ceil_mode", 1);
    check_grads(&c, "y", NAMES("x"));

    /* Overlapping windows: a max shared by several windows sums their
     * gradients. */
    c = case_new("MaxPool 2x2 stride 1 dilation 2", 13, 41);
    x = input(&c, "x", SHAPE(2, 1, 5, 5));
    distinct(&c, x, 50);
    node(&c, "MaxPool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    tm_attr_ints(&c.b, "dilations", INTS(2, 2));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("GlobalAveragePool", 13, 44);
    input(&c, "x", SHAPE(2, 3, 4, 5));
    node(&c, "GlobalAveragePool", NAMES("x"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("GlobalMaxPool", 13, 45);
    x = input(&c, "x", SHAPE(2, 3, 4, 5));
    distinct(&c, x, 120);
    node(&c, "GlobalMaxPool", NAMES("x"));
    check_grads(&c, "y", NAMES("x"));
}

/* Ties: the whole gradient goes to the first maximum in row-major window
 * order, as in PyTorch. */
static void test_pool_ties(void)
{
    /* 3x3 plane, 2x2 windows, stride 1:
     *   3 1 3
     *   3 2 0
     *   1 3 3
     * window (0,0) {3,1,3,2} -> (0,0); (0,1) {1,3,2,0} -> (0,2);
     * (1,0) {3,2,1,3} -> (1,0); (1,1) {2,0,3,3} -> (2,1).
     * Seed [1, 2, 4, 8]. */
    Case c = case_new("MaxPool ties", 13, 46);
    float *x = input(&c, "x", SHAPE(1, 1, 3, 3));
    if (x)
        memcpy(x, F(3, 1, 3, 3, 2, 0, 1, 3, 3), sizeof(float) * 9);
    node(&c, "MaxPool", NAMES("x"));
    tm_attr_ints(&c.b, "kernel_shape", INTS(2, 2));
    float *s;
    GHashTable *grads = backward(&c, "y", FALSE, F(1, 2, 4, 8), &s);
    if (grads) {
        check_exact(c.name, grads, "x", F(1, 0, 2, 4, 0, 0, 0, 8, 0), 9);
        g_hash_table_unref(grads);
    }
    g_free(s);
    case_free(&c);

    c = case_new("GlobalMaxPool ties", 13, 47);
    x = input(&c, "x", SHAPE(1, 2, 1, 3));
    if (x)
        memcpy(x, F(5, 1, 5, -1, -1, -2), sizeof(float) * 6);
    node(&c, "GlobalMaxPool", NAMES("x"));
    grads = backward(&c, "y", FALSE, F(3, 7), &s);
    if (grads) {
        check_exact(c.name, grads, "x", F(3, 0, 0, 7, 0, 0), 6);
        g_hash_table_unref(grads);
    }
    g_free(s);
    case_free(&c);
}

/* ---- tensor ops ---------------------------------------------------------------- */

static void test_relayout(void)
{
    Case c = case_new("Concat axis 1, three inputs", 13, 50);
    input(&c, "a", SHAPE(2, 2, 3, 4));
    input(&c, "b", SHAPE(2, 1, 3, 4));
    input(&c, "c", SHAPE(2, 3, 3, 4));
    node(&c, "Concat", NAMES("a", "b", "c"));
    tm_attr_int(&c.b, "axis", 1);
    check_grads(&c, "y", NAMES("a", "b", "c"));

    c = case_new("Concat axis -1", 13, 51);
    input(&c, "a", SHAPE(2, 3));
    input(&c, "b", SHAPE(2, 5));
    node(&c, "Concat", NAMES("a", "b"));
    tm_attr_int(&c.b, "axis", -1);
    check_grads(&c, "y", NAMES("a", "b"));

    c = case_new("Concat axis 0", 13, 52);
    input(&c, "a", SHAPE(1, 2, 2, 3));
    input(&c, "b", SHAPE(2, 2, 2, 3));
    node(&c, "Concat", NAMES("a", "b"));
    tm_attr_int(&c.b, "axis", 0);
    check_grads(&c, "y", NAMES("a", "b"));

    c = case_new("Dropout", 13, 23);
    input(&c, "x", SHAPE(2, 3));
    node(&c, "Dropout", NAMES("x"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Flatten axis 2", 13, 53);
    input(&c, "x", SHAPE(2, 3, 2, 2));
    node(&c, "Flatten", NAMES("x"));
    tm_attr_int(&c.b, "axis", 2);
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Identity", 13, 22);
    input(&c, "x", SHAPE(2, 3));
    node(&c, "Identity", NAMES("x"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Reshape [-1, 6]", 13, 54);
    input(&c, "x", SHAPE(2, 3, 2, 2));
    tm_const_int(&c.b, "shape", SHAPE(2), I64(-1, 6));
    node(&c, "Reshape", NAMES("x", "shape"));
    check_grads(&c, "y", NAMES("x"));
}

static void test_gemm(void)
{
    Case c = case_new("Gemm transB alpha beta, C row", 13, 60);
    input(&c, "a", SHAPE(3, 4));
    param(&c, "b", SHAPE(5, 4));
    param(&c, "c", SHAPE(1, 5));
    node(&c, "Gemm", NAMES("a", "b", "c"));
    tm_attr_int(&c.b, "transB", 1);
    tm_attr_float(&c.b, "alpha", 0.7f);
    tm_attr_float(&c.b, "beta", 1.3f);
    check_grads(&c, "y", NAMES("a", "b", "c"));

    c = case_new("Gemm transA, C column", 13, 61);
    input(&c, "a", SHAPE(4, 3));
    param(&c, "b", SHAPE(4, 5));
    param(&c, "c", SHAPE(3, 1));
    node(&c, "Gemm", NAMES("a", "b", "c"));
    tm_attr_int(&c.b, "transA", 1);
    tm_attr_float(&c.b, "beta", -0.5f);
    check_grads(&c, "y", NAMES("a", "b", "c"));

    c = case_new("Gemm transA transB, B input, C scalar", 13, 62);
    input(&c, "a", SHAPE(4, 3));
    input(&c, "b", SHAPE(2, 4));
    param(&c, "c", SCALAR);
    node(&c, "Gemm", NAMES("a", "b", "c"));
    tm_attr_int(&c.b, "transA", 1);
    tm_attr_int(&c.b, "transB", 1);
    check_grads(&c, "y", NAMES("a", "b", "c"));

    c = case_new("Gemm full C", 13, 63);
    input(&c, "a", SHAPE(2, 3));
    param(&c, "b", SHAPE(3, 4));
    param(&c, "c", SHAPE(2, 4));
    node(&c, "Gemm", NAMES("a", "b", "c"));
    check_grads(&c, "y", NAMES("a", "b", "c"));

    c = case_new("MatMul 2-D", 13, 64);
    input(&c, "a", SHAPE(3, 4));
    input(&c, "b", SHAPE(4, 2));
    node(&c, "MatMul", NAMES("a", "b"));
    check_grads(&c, "y", NAMES("a", "b"));
}

static void test_softmax(void)
{
    Case c = case_new("Softmax opset 13 axis -1", 13, 55);
    input(&c, "x", SHAPE(2, 3, 5));
    node(&c, "Softmax", NAMES("x"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Softmax opset 13 axis 1", 13, 56);
    input(&c, "x", SHAPE(2, 4, 3));
    node(&c, "Softmax", NAMES("x"));
    tm_attr_int(&c.b, "axis", 1);
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Softmax opset 11 axis 1 (2-D view)", 11, 57);
    input(&c, "x", SHAPE(2, 3, 4));
    node(&c, "Softmax", NAMES("x"));
    tm_attr_int(&c.b, "axis", 1);
    check_grads(&c, "y", NAMES("x"));
}

/* ---- Pad, Resize, Upsample ------------------------------------------------------ */

static void test_pad(void)
{
    Case c = case_new("Pad constant 0.5 (opset 13)", 13, 70);
    input(&c, "x", SHAPE(1, 2, 3, 4));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 1, 2, 0, 1, 2, 0));
    tm_const(&c.b, "v", SCALAR, F(0.5f));
    node(&c, "Pad", NAMES("x", "pads", "v"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Pad reflect", 13, 71);
    input(&c, "x", SHAPE(1, 2, 4, 5));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 2, 1, 0, 0, 1, 3));
    node(&c, "Pad", NAMES("x", "pads"));
    tm_attr_str(&c.b, "mode", "reflect");
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Pad edge", 13, 72);
    input(&c, "x", SHAPE(1, 1, 3, 3));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 2, 0, 0, 0, 1, 3));
    node(&c, "Pad", NAMES("x", "pads"));
    tm_attr_str(&c.b, "mode", "edge");
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Pad reflect (opset 2 attributes)", 2, 73);
    input(&c, "x", SHAPE(1, 2, 3, 4));
    node(&c, "Pad", NAMES("x"));
    tm_attr_str(&c.b, "mode", "reflect");
    tm_attr_ints(&c.b, "pads", INTS(0, 0, 1, 2, 0, 0, 2, 1));
    check_grads(&c, "y", NAMES("x"));
}

/* Resize-13 of a [1,2,3,4] input; the caller adds scales or sizes. */
static Case resize_case(const char *name, guint32 seed)
{
    Case c = case_new(name, 13, seed);
    input(&c, "x", SHAPE(1, 2, 3, 4));
    return c;
}

static void test_resize(void)
{
    Case c = resize_case("Resize nearest half_pixel x1.5 x2.5", 80);
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 1.5f, 2.5f));
    node(&c, "Resize", NAMES("x", "", "scales"));
    tm_attr_str(&c.b, "mode", "nearest");
    check_grads(&c, "y", NAMES("x"));

    c = resize_case("Resize nearest asymmetric floor x2", 81);
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"));
    tm_attr_str(&c.b, "coordinate_transformation_mode", "asymmetric");
    tm_attr_str(&c.b, "nearest_mode", "floor");
    check_grads(&c, "y", NAMES("x"));

    c = resize_case("Resize nearest align_corners round_prefer_ceil sizes", 82);
    tm_const_int(&c.b, "sizes", SHAPE(4), I64(1, 2, 5, 7));
    node(&c, "Resize", NAMES("x", "", "", "sizes"));
    tm_attr_str(&c.b, "coordinate_transformation_mode", "align_corners");
    tm_attr_str(&c.b, "nearest_mode", "round_prefer_ceil");
    check_grads(&c, "y", NAMES("x"));

    /* Downsampling: pixels no output copies get no gradient. */
    c = resize_case("Resize nearest x0.5", 83);
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 0.5f, 0.5f));
    node(&c, "Resize", NAMES("x", "", "scales"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Upsample opset 9 x2 x3", 9, 84);
    input(&c, "x", SHAPE(1, 2, 3, 4));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 3));
    node(&c, "Upsample", NAMES("x", "scales"));
    check_grads(&c, "y", NAMES("x"));

    c = case_new("Upsample opset 7 attribute", 7, 85);
    input(&c, "x", SHAPE(1, 1, 3, 3));
    node(&c, "Upsample", NAMES("x"));
    tm_attr_floats(&c.b, "scales", FLOATS(1, 1, 2, 2));
    check_grads(&c, "y", NAMES("x"));
}

static void test_norm(void)
{
    /* Scale and bias are constants; the backward returns their gradients
     * as it does for Conv weights. */
    Case c = case_new("InstanceNormalization", 13, 90);
    input(&c, "x", SHAPE(2, 3, 4, 5));
    param(&c, "s", SHAPE(3));
    param(&c, "b", SHAPE(3));
    node(&c, "InstanceNormalization", NAMES("x", "s", "b"));
    check_grads(&c, "y", NAMES("x", "s", "b"));
}

/* ---- graphs ----------------------------------------------------------------------- */

/* A style-network-like chain: every parameter on the way gets a gradient. */
static void test_chain(void)
{
    /* Tanh before the normalisation: the other way round, conv1's bias
     * would cancel out of the mean and have a zero gradient. */
    Case c = case_new("chain Pad-Conv-Tanh-InstanceNorm-Upsample-Conv", 13, 100);
    input(&c, "x", SHAPE(1, 2, 5, 5));
    tm_const_int(&c.b, "pads", SHAPE(8), I64(0, 0, 1, 1, 0, 0, 1, 1));
    param(&c, "w1", SHAPE(3, 2, 3, 3));
    param(&c, "b1", SHAPE(3));
    param(&c, "s", SHAPE(3));
    param(&c, "t", SHAPE(3));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    param(&c, "w2", SHAPE(2, 3, 3, 3));
    param(&c, "b2", SHAPE(2));
    add(&c, "Pad", "pad", NAMES("x", "pads"), "xp");
    tm_attr_str(&c.b, "mode", "reflect");
    add(&c, "Conv", "conv1", NAMES("xp", "w1", "b1"), "c1");
    add(&c, "Tanh", "tanh", NAMES("c1"), "a1");
    add(&c, "InstanceNormalization", "norm", NAMES("a1", "s", "t"), "n1");
    add(&c, "Resize", "up", NAMES("n1", "", "scales"), "u1");
    tm_attr_str(&c.b, "mode", "nearest");
    add(&c, "Conv", "conv2", NAMES("u1", "w2", "b2"), "y");
    tm_attr_ints(&c.b, "pads", INTS(1, 1, 1, 1));
    tm_output(&c.b, "y");
    check_grads(&c, "y", NAMES("x", "w1", "b1", "s", "t", "w2", "b2"));
}

/* x feeds two convolutions (a Fire module's expands), Mul(x, x) and a
 * broadcast Add; c feeds Tanh and the residual Add. Side branches off the
 * path to y (one through Div, which has no backward) are ignored. */
static void build_multi(Case *c)
{
    input(c, "x", SHAPE(1, 1, 4, 4));
    param(c, "w1", SHAPE(3, 1, 3, 3));
    param(c, "b1", SHAPE(3));
    param(c, "w2", SHAPE(2, 1, 1, 1));
    add(c, "Conv", "expand3x3", NAMES("x", "w1", "b1"), "a");
    tm_attr_ints(&c->b, "pads", INTS(1, 1, 1, 1));
    add(c, "Conv", "expand1x1", NAMES("x", "w2"), "b");
    add(c, "Concat", "cat", NAMES("a", "b"), "c");
    tm_attr_int(&c->b, "axis", 1);
    add(c, "Tanh", "tanh", NAMES("c"), "t");
    add(c, "Add", "residual", NAMES("t", "c"), "u");
    add(c, "Mul", "square", NAMES("x", "x"), "e");
    add(c, "Add", "out", NAMES("u", "e"), "y");
    add(c, "Sigmoid", "side", NAMES("x"), "s");
    add(c, "Div", "div", NAMES("s", "x"), "q");
    tm_output(&c->b, "y");
    tm_output(&c->b, "q");
}

static void test_multi_consumer(void)
{
    Case c = case_new("multi-consumer graph", 13, 110);
    build_multi(&c);
    check_grads(&c, "y", NAMES("x", "w1", "b1", "w2"));

    /* Which values get a gradient: the path from x to y and the conv
     * parameters; not the side branch, nor the loss-free constants. */
    c = case_new("multi-consumer gradient set", 13, 110);
    build_multi(&c);
    float *seed;
    GHashTable *grads = backward(&c, "y", FALSE, NULL, &seed);
    if (grads) {
        static const char *const want[] = {"x", "w1", "b1", "w2", "a", "b",
                                           "c", "t",  "u",  "e",  "y"};
        gboolean ok = g_hash_table_size(grads) == G_N_ELEMENTS(want);
        for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
            ok = ok && g_hash_table_contains(grads, want[i]);
        test_check(
            ok, "%s: %u gradients, of exactly the %d values on the path (x w1 b1 w2 a b c t u e y)",
            c.name, g_hash_table_size(grads), (int)G_N_ELEMENTS(want));
        /* y = u + e and the seed itself come back unchanged. */
        check_exact(c.name, grads, "y", seed, 80);
        check_exact(c.name, grads, "u", seed, 80);
        g_hash_table_unref(grads);
    }
    g_free(seed);
    case_free(&c);
}

/* ---- errors -------------------------------------------------------------------- */

/* Expects vknn_ref_backward to fail with `code` and a message containing
 * `needle`; frees the case. */
static void check_backward_error(Case *c, const char *out, VknnErrorCode code, const char *needle,
                                 const VknnShape *seed_shape)
{
    GError *e = NULL;
    GHashTable *values = c->b.error ? NULL : vknn_ref_run(c->b.m, c->in, &e);
    if (!values) {
        test_fail("%s: forward failed: %s", c->name, c->b.error ? c->b.error : e->message);
    } else {
        VknnRefTensor seed = {*seed_shape, g_new0(float, MAX(vknn_shape_numel(seed_shape), 1))};
        GHashTable *grads = vknn_ref_backward(c->b.m, values, c->in, out, &seed, FALSE, &e);
        if (grads) {
            test_fail("%s: backward succeeded, an error was expected", c->name);
            g_hash_table_unref(grads);
        } else {
            test_check(g_error_matches(e, VKNN_ERROR, code) && strstr(e->message, needle), "%s: %s",
                       c->name, e->message);
        }
        g_free(seed.data);
        g_hash_table_unref(values);
    }
    g_clear_error(&e);
    case_free(c);
}

static void test_errors(void)
{
    Case c = case_new("unsupported op on the path", 13, 120);
    input(&c, "x", SHAPE(1, 2, 2, 2));
    tm_const(&c.b, "s", SHAPE(2), F(1, 2));
    tm_const(&c.b, "b", SHAPE(2), F(0, 1));
    tm_const(&c.b, "mean", SHAPE(2), F(0, 0));
    tm_const(&c.b, "var", SHAPE(2), F(1, 1));
    add(&c, "BatchNormalization", "bn", NAMES("x", "s", "b", "mean", "var"), "n");
    add(&c, "Relu", "relu", NAMES("n"), "y");
    tm_output(&c.b, "y");
    VknnShape s = SHAPE(1, 2, 2, 2);
    check_backward_error(&c, "y", VKNN_ERROR_UNSUPPORTED,
                         "node 'bn' (BatchNormalization): no reference backward", &s);

    c = case_new("Resize linear has no backward", 13, 121);
    input(&c, "x", SHAPE(1, 1, 2, 2));
    tm_const(&c.b, "scales", SHAPE(4), F(1, 1, 2, 2));
    node(&c, "Resize", NAMES("x", "", "scales"));
    tm_attr_str(&c.b, "mode", "linear");
    s = SHAPE(1, 1, 4, 4);
    check_backward_error(&c, "y", VKNN_ERROR_UNSUPPORTED, "node 'Resize' (Resize): mode 'linear'",
                         &s);

    c = case_new("seed of the wrong shape", 13, 122);
    input(&c, "x", SHAPE(2, 3));
    node(&c, "Relu", NAMES("x"));
    s = SHAPE(3, 2);
    check_backward_error(&c, "y", VKNN_ERROR_SHAPE, "seed of shape 3x2", &s);

    c = case_new("unknown output", 13, 123);
    input(&c, "x", SHAPE(2, 3));
    node(&c, "Relu", NAMES("x"));
    s = SHAPE(2, 3);
    check_backward_error(&c, "z", VKNN_ERROR_FAILED, "'z'", &s);
}

int main(void)
{
    test_conv();
    test_conv_transpose();
    test_norm();
    test_activation();
    test_guided_relu();
    test_binary();
    test_pad();
    test_resize();
    test_pool();
    test_pool_ties();
    test_relayout();
    test_gemm();
    test_softmax();
    test_chain();
    test_multi_consumer();
    test_errors();
    return test_summary(0);
}
