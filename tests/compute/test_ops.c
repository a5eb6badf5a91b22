/* Every op on the Vulkan device against the plain-C reference executor
 * (compute/ref/), on seeded random data and awkward shapes: 1x1, 13x7,
 * 127x3, channel counts that are not multiples of 4, stride 2 on odd sizes.
 * The reference runs the unfused ONNX graph, so the fused kernels (Pad into
 * Conv, BatchNormalization into Conv, activations into producers) are checked
 * against plain ONNX semantics too.
 *
 * The grad_ cases check the backward pass the same way: the device's
 * gradients (inputs, convolution weights and biases) against the reference
 * backward (compute/ref/ref_grad.c), and against central finite differences
 * of the device's own forward pass at a few random elements.
 *
 *   test_ops [FAMILY]    run the cases whose name starts with FAMILY
 *   test_ops coverage    check that every op vknn runs (vknn_supported_ops,
 *                        compute/ops.def) appears in a forward case
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static guint32 seed = 1;

#define SHAPE(...)                                                                                 \
    (&(VknnShape){.rank = G_N_ELEMENTS(((int64_t[]){__VA_ARGS__})), .dims = {__VA_ARGS__}})
#define IN(...) ((const char *const[]){__VA_ARGS__}), G_N_ELEMENTS(((const char *[]){__VA_ARGS__}))
#define OUT(name) ((const char *const[]){name}), 1

static void input(VknnModel *m, const char *name, const VknnShape *s)
{
    vknn_model_add_input(m, name, s);
}

static void weight(VknnModel *m, const char *name, const VknnShape *s, float lo, float hi)
{
    g_autofree float *data = g_new(float, MAX(vknn_shape_numel(s), 1));
    test_fill_random(data, vknn_shape_numel(s), seed++, lo, hi);
    vknn_model_add_constant(m, name, s, data);
}

static void ints(VknnModel *m, const char *name, const int64_t *v, int n)
{
    vknn_model_add_constant_int(m, name, &(VknnShape){1, {n}}, v);
}

static void floats(VknnModel *m, const char *name, const float *v, int n)
{
    vknn_model_add_constant(m, name, &(VknnShape){1, {n}}, v);
}

static VknnNode *node(VknnModel *m, const char *op, const char *const *in, int n_in,
                      const char *const *out, int n_out)
{
    GError *err = NULL;
    VknnNode *n = vknn_model_add_node(m, op, out[0], in, n_in, out, n_out, &err);
    g_assert_no_error(err);
    return n;
}

static void set_ints(VknnNode *n, const char *name, int64_t a, int64_t b, int64_t c, int64_t d,
                     int count)
{
    const int64_t v[] = {a, b, c, d};
    vknn_node_set_ints(n, name, v, count);
}

/* Runs m on the reference and on the device with the same random inputs and
 * compares every graph output. */
static gboolean compare(VknnModel *m, VknnContext *ctx, double rel_tol, VknnPrecision precision)
{
    GError *err = NULL;
    const guint n_in = m->inputs->len;
    g_autofree VknnRefTensor *in = g_new0(VknnRefTensor, n_in);
    g_autofree VknnShape *shapes = g_new(VknnShape, n_in);
    g_autofree const float **ptrs = g_new(const float *, n_in);
    for (guint i = 0; i < n_in; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        shapes[i] = in[i].shape = v->declared;
        in[i].data = g_new(float, vknn_shape_numel(&v->declared));
        test_fill_random(in[i].data, vknn_shape_numel(&v->declared), seed++, -2.0f, 2.0f);
        ptrs[i] = in[i].data;
    }
    gboolean ok = TRUE;
    VknnNet *net = NULL;
    GHashTable *ref = vknn_ref_run(m, in, &err);
    if (!ref) {
        printf("    reference failed: %s\n", err->message);
        ok = FALSE;
        goto out;
    }
    net = vknn_net_new(ctx, m, &err);
    if (net)
        vknn_net_set_precision(net, precision);
    if (!net || !vknn_net_prepare(net, shapes, &err) || !vknn_net_run(net, ptrs, &err)) {
        printf("    device failed: %s\n", err->message);
        ok = FALSE;
        g_hash_table_unref(ref);
        goto out;
    }
    for (guint i = 0; i < m->outputs->len; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->outputs, int, i));
        const VknnRefTensor *want = g_hash_table_lookup(ref, v->name);
        const int64_t n = vknn_shape_numel(&v->shape);
        g_autofree float *got = g_new(float, n);
        if (!vknn_net_read(net, v->name, got, &err)) {
            printf("    read failed: %s\n", err->message);
            ok = FALSE;
            break;
        }
        const double diff = test_max_abs_diff(got, want->data, n);
        const double limit = rel_tol * MAX(1.0, test_max_abs(want->data, n));
        char s[64];
        printf("    %s %s: max abs diff %.3g (limit %.3g)%s\n", v->name,
               vknn_shape_str(&v->shape, s, sizeof s), diff, limit, diff <= limit ? "" : " FAIL");
        ok &= vknn_shape_equal(&v->shape, &want->shape) && diff <= limit;
    }
    g_hash_table_unref(ref);
out:
    vknn_net_free(net);
    g_clear_error(&err);
    for (guint i = 0; i < n_in; i++)
        g_free(in[i].data);
    return ok;
}

/* ---- backward ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    float *data; /* device gradient */
    int64_t n;
} Wrt;

/* Names to differentiate with respect to: graph inputs and, with weights,
 * the weights and biases of every Conv and InstanceNormalization. */
static GPtrArray *wrt_names(const VknnModel *m, gboolean weights)
{
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < m->inputs->len; i++)
        g_ptr_array_add(names, vknn_model_value(m, g_array_index(m->inputs, int, i))->name);
    for (guint i = 0; weights && i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        const gboolean trainable =
            g_str_equal(n->op_type, "Conv") || g_str_equal(n->op_type, "InstanceNormalization");
        for (int k = 1; trainable && k < n->n_inputs; k++)
            g_ptr_array_add(names, vknn_model_value(m, n->inputs[k])->name);
    }
    return names;
}

/* sum(seed * output) of a device forward run on inputs. */
static double device_loss(VknnNet *net, const char *output, const float *const *inputs,
                          const float *seed, int64_t n_out)
{
    g_autofree float *y = g_new(float, n_out);
    GError *err = NULL;
    if (!vknn_net_run(net, inputs, &err) || !vknn_net_read(net, output, y, &err))
        g_error("forward failed: %s", err->message);
    double l = 0;
    for (int64_t i = 0; i < n_out; i++)
        l += (double)seed[i] * y[i];
    return l;
}

/* Central differences of the device loss at random elements of input 0.
 * Elements where the two one-sided slopes disagree sit on a kink (a Relu
 * edge, a MaxPool argmax switch within eps) and are skipped. */
static gboolean check_finite_differences(VknnNet *net, VknnModel *m, float **inputs,
                                         const float *seed_grad, const float *grad)
{
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    const VknnValue *x = vknn_model_value(m, g_array_index(m->inputs, int, 0));
    const int64_t n_out = vknn_shape_numel(&out->shape), n_x = vknn_shape_numel(&x->shape);
    const double tol = 2e-2 * MAX(test_max_abs(grad, n_x), 1e-3);
    const float eps = 1e-2f;
    const float *const *in = (const float *const *)inputs;
    GRand *r = g_rand_new_with_seed(seed++);
    const double l0 = device_loss(net, out->name, in, seed_grad, n_out);
    int checked = 0, failed = 0;
    for (int t = 0; t < 24 && checked < 6; t++) {
        const int64_t i = g_rand_int_range(r, 0, (gint32)n_x);
        const float keep = inputs[0][i];
        inputs[0][i] = keep + eps;
        const double lp = device_loss(net, out->name, in, seed_grad, n_out);
        inputs[0][i] = keep - eps;
        const double lm = device_loss(net, out->name, in, seed_grad, n_out);
        inputs[0][i] = keep;
        if (fabs((lp - l0) - (l0 - lm)) / eps > tol)
            continue; /* kink */
        const double fd = (lp - lm) / (2 * eps);
        checked++;
        if (fabs(fd - grad[i]) > tol) {
            printf("    finite difference at %" G_GINT64_FORMAT ": %.5g, gradient %.5g FAIL\n", i,
                   fd, grad[i]);
            failed++;
        }
    }
    g_rand_free(r);
    printf("    finite differences at %d elements of %s: %d failed\n", checked, x->name, failed);
    return checked >= 3 && failed == 0;
}

/* Forward and backward on the device and on the reference with the same
 * random inputs and seed gradient; compares every requested gradient. */
static gboolean compare_grad(VknnModel *m, VknnContext *ctx, VknnGradMode mode, gboolean weights,
                             double rel_tol)
{
    GError *err = NULL;
    const guint n_in = m->inputs->len;
    g_autofree VknnRefTensor *in = g_new0(VknnRefTensor, n_in);
    g_autofree VknnShape *shapes = g_new(VknnShape, n_in);
    g_autofree float **ptrs = g_new(float *, n_in);
    for (guint i = 0; i < n_in; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        shapes[i] = in[i].shape = v->declared;
        ptrs[i] = in[i].data = g_new(float, vknn_shape_numel(&v->declared));
        test_fill_random(in[i].data, vknn_shape_numel(&v->declared), seed++, -2.0f, 2.0f);
    }
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    g_autofree float *seed_grad = NULL;
    g_autoptr(GPtrArray) names = wrt_names(m, weights);
    gboolean ok = TRUE;
    GHashTable *ref = NULL, *ref_grads = NULL;
    VknnNet *net = vknn_net_new(ctx, m, &err);
    for (guint i = 0; net && i < names->len; i++)
        if (!vknn_net_request_grad(net, g_ptr_array_index(names, i), &err))
            g_clear_pointer(&net, vknn_net_free);
    if (net)
        vknn_net_set_grad_mode(net, mode);
    if (!net || !vknn_net_prepare(net, shapes, &err) ||
        !vknn_net_run(net, (const float *const *)ptrs, &err)) {
        printf("    device failed: %s\n", err->message);
        ok = FALSE;
        goto out;
    }
    const int64_t n_out = vknn_shape_numel(&out->shape); /* inferred by prepare */
    seed_grad = g_new(float, n_out);
    test_fill_random(seed_grad, n_out, seed++, -1.0f, 1.0f);
    VknnRefTensor seed_t = {out->shape, seed_grad};
    if (!(ref = vknn_ref_run(m, in, &err)) ||
        !(ref_grads =
              vknn_ref_backward(m, ref, in, out->name, &seed_t, mode == VKNN_GRAD_GUIDED, &err)) ||
        !vknn_net_backward(net, seed_grad, &err)) {
        printf("    backward failed: %s\n", err->message);
        ok = FALSE;
        goto out;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        const VknnRefTensor *want = g_hash_table_lookup(ref_grads, name);
        const int64_t n =
            vknn_shape_numel(&vknn_model_value(m, vknn_model_find_value(m, name))->shape);
        g_autofree float *got = g_new(float, n);
        if (!want || !vknn_net_read_grad(net, name, got, &err)) {
            printf("    %s: %s\n", name, want ? err->message : "no reference gradient");
            g_clear_error(&err);
            ok = FALSE;
            continue;
        }
        const double diff = test_max_abs_diff(got, want->data, n);
        const double limit = rel_tol * MAX(1.0, test_max_abs(want->data, n));
        printf("    d/d %s: max abs diff %.3g (limit %.3g)%s\n", name, diff, limit,
               diff <= limit ? "" : " FAIL");
        ok &= diff <= limit;
        if (i == 0 && mode == VKNN_GRAD_STANDARD)
            ok &= check_finite_differences(net, m, ptrs, seed_grad, got);
    }
out:
    if (ref_grads)
        g_hash_table_unref(ref_grads);
    if (ref)
        g_hash_table_unref(ref);
    vknn_net_free(net);
    g_clear_error(&err);
    for (guint i = 0; i < n_in; i++)
        g_free(in[i].data);
    return ok;
}

/* Two seeded outputs, one feeding the other (a loss with terms at two
 * layers): the device's gradients equal the sum of the reference backward
 * passes from each output. */
static gboolean check_multi_output(VknnContext *ctx)
{
    g_autoptr(VknnModel) m = vknn_model_new();
    input(m, "x", SHAPE(1, 3, 7, 6));
    weight(m, "w1", SHAPE(5, 3, 3, 3), -0.5f, 0.5f);
    weight(m, "w2", SHAPE(4, 5, 1, 1), -0.5f, 0.5f);
    set_ints(node(m, "Conv", IN("x", "w1"), OUT("c1")), "pads", 1, 1, 1, 1, 4);
    node(m, "Relu", IN("c1"), OUT("a"));
    node(m, "Conv", IN("a", "w2"), OUT("b"));
    vknn_model_mark_output(m, "a", NULL);
    vknn_model_mark_output(m, "b", NULL);
    const char *outs[] = {"a", "b"}, *wrt[] = {"x", "w1", "w2"};
    const int64_t nx = 3 * 7 * 6, na = 5 * 7 * 6, nb = 4 * 7 * 6;
    g_autofree float *x = g_new(float, nx);
    g_autofree float *sa = g_new(float, na);
    g_autofree float *sb = g_new(float, nb);
    test_fill_random(x, nx, seed++, -2, 2);
    test_fill_random(sa, na, seed++, -1, 1);
    test_fill_random(sb, nb, seed++, -1, 1);
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    const VknnShape shape = {4, {1, 3, 7, 6}};
    const float *inputs[] = {x}, *seeds[] = {sa, sb};
    gboolean ok = net && vknn_net_set_grad_outputs(net, outs, 2, &err);
    for (int i = 0; ok && i < 3; i++)
        ok = vknn_net_request_grad(net, wrt[i], &err);
    ok = ok && vknn_net_prepare(net, &shape, &err) && vknn_net_run(net, inputs, &err) &&
         vknn_net_backward_multi(net, seeds, &err);
    VknnRefTensor in = {shape, x}, seed_a = {{4, {1, 5, 7, 6}}, sa},
                  seed_b = {{4, {1, 4, 7, 6}}, sb};
    GHashTable *values = ok ? vknn_ref_run(m, &in, &err) : NULL;
    GHashTable *ga = values ? vknn_ref_backward(m, values, &in, "a", &seed_a, FALSE, &err) : NULL;
    GHashTable *gb = ga ? vknn_ref_backward(m, values, &in, "b", &seed_b, FALSE, &err) : NULL;
    if (!gb) {
        printf("    failed: %s\n", err->message);
        ok = FALSE;
    }
    for (int i = 0; ok && i < 3; i++) {
        const int64_t n =
            vknn_shape_numel(&vknn_model_value(m, vknn_model_find_value(m, wrt[i]))->shape);
        g_autofree float *got = g_new(float, n);
        g_autofree float *want = g_new(float, n);
        const VknnRefTensor *ra = g_hash_table_lookup(ga, wrt[i]),
                            *rb = g_hash_table_lookup(gb, wrt[i]);
        for (int64_t k = 0; k < n; k++)
            want[k] = (ra ? ra->data[k] : 0) + (rb ? rb->data[k] : 0);
        ok = vknn_net_read_grad(net, wrt[i], got, &err);
        const double diff = ok ? test_max_abs_diff(got, want, n) : INFINITY;
        const double limit = 1e-4 * MAX(1.0, test_max_abs(want, n));
        printf("    d/d %s (seeds at a and b): max abs diff %.3g (limit %.3g)%s\n", wrt[i], diff,
               limit, diff <= limit ? "" : " FAIL");
        ok = ok && diff <= limit;
    }
    g_clear_error(&err);
    if (gb)
        g_hash_table_unref(gb);
    if (ga)
        g_hash_table_unref(ga);
    if (values)
        g_hash_table_unref(values);
    return ok;
}

/* ---- cases ------------------------------------------------------------------ */

static VknnModel *conv_model(int64_t c, int64_t oc, int64_t h, int64_t w, int64_t k, int64_t stride,
                             const int64_t pads[4], int64_t dil, int64_t group, gboolean bias)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, c, h, w));
    weight(m, "w", SHAPE(oc, c / group, k, k), -0.5f, 0.5f);
    if (bias)
        weight(m, "b", SHAPE(oc), -1, 1);
    VknnNode *n = bias ? node(m, "Conv", IN("x", "w", "b"), OUT("y"))
                       : node(m, "Conv", IN("x", "w"), OUT("y"));
    set_ints(n, "strides", stride, stride, 0, 0, 2);
    set_ints(n, "dilations", dil, dil, 0, 0, 2);
    set_ints(n, "pads", pads[0], pads[1], pads[2], pads[3], 4);
    vknn_node_set_int(n, "group", group);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_conv_3x3(void)
{
    return conv_model(5, 7, 13, 7, 3, 1, (int64_t[]){1, 1, 1, 1}, 1, 1, TRUE);
}
static VknnModel *case_conv_stride2_odd_asym(void)
{
    return conv_model(3, 6, 13, 7, 3, 2, (int64_t[]){0, 0, 1, 1}, 1, 1, TRUE);
}
static VknnModel *case_conv_1x1_pixel(void)
{
    return conv_model(1, 1, 1, 1, 1, 1, (int64_t[]){0, 0, 0, 0}, 1, 1, FALSE);
}
/* Pointwise: flattened tiles at any width (conv2d.comp POINTWISE): rows of
 * 29 pixels, 6 input channels (a partial block), 37 outputs (two channel
 * groups of tiles, a partial block), an odd pixel count; and 1x1 windows
 * that are not pointwise: padded, and strided. */
static VknnModel *case_conv_1x1_wide(void)
{
    return conv_model(6, 37, 9, 29, 1, 1, (int64_t[]){0, 0, 0, 0}, 1, 1, TRUE);
}
static VknnModel *case_conv_1x1_padded(void)
{
    return conv_model(5, 6, 7, 30, 1, 1, (int64_t[]){1, 0, 0, 2}, 1, 1, TRUE);
}
static VknnModel *case_conv_1x1_stride2(void)
{
    return conv_model(5, 6, 13, 30, 1, 2, (int64_t[]){0, 0, 0, 0}, 1, 1, FALSE);
}
static VknnModel *case_conv_9x9_thin(void)
{
    return conv_model(3, 8, 127, 3, 9, 1, (int64_t[]){4, 4, 4, 4}, 1, 1, TRUE);
}
/* Rows of >= 24 pixels take row tiles: a 5x5 stride-1 kernel slides its
 * window along the row (one fetch per tap), asymmetric pads, a partial tile. */
static VknnModel *case_conv_5x5_row_tiles(void)
{
    return conv_model(6, 5, 9, 37, 5, 1, (int64_t[]){2, 3, 2, 1}, 1, 1, TRUE);
}
static VknnModel *case_conv_dilated_grouped(void)
{
    return conv_model(6, 4, 13, 7, 3, 1, (int64_t[]){2, 1, 2, 0}, 2, 2, TRUE);
}
static VknnModel *case_conv_depthwise_clip(void)
{
    VknnModel *m = conv_model(10, 10, 13, 7, 3, 2, (int64_t[]){1, 1, 1, 1}, 1, 10, TRUE);
    /* rename y -> z through a fused Clip(0, 6): the opset-13 form with inputs */
    floats(m, "lo", (float[]){0.0f}, 1);
    floats(m, "hi", (float[]){0.5f}, 1);
    node(m, "Clip", IN("y", "lo", "hi"), OUT("z"));
    vknn_model_value(m, vknn_model_find_value(m, "y"))->is_output = FALSE;
    g_array_set_size(m->outputs, 0);
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

/* Pad -> Conv -> act: the fused padding paths. */
static VknnModel *padded_conv_c(const char *mode, float value, const int64_t conv_pads[4],
                                const char *act, int64_t ic, int64_t oc)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, ic, 13, 7));
    ints(m, "pads", (int64_t[]){0, 0, 2, 1, 0, 0, 1, 2}, 8);
    floats(m, "value", &value, 1);
    weight(m, "w", SHAPE(oc, ic, 3, 3), -0.5f, 0.5f);
    weight(m, "b", SHAPE(oc), -1, 1);
    VknnNode *p = node(m, "Pad", IN("x", "pads", "value"), OUT("p"));
    vknn_node_set_string(p, "mode", mode);
    VknnNode *c = node(m, "Conv", IN("p", "w", "b"), OUT("y"));
    set_ints(c, "pads", conv_pads[0], conv_pads[1], conv_pads[2], conv_pads[3], 4);
    node(m, act, IN("y"), OUT("z"));
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

static VknnModel *padded_conv(const char *mode, float value, const int64_t conv_pads[4],
                              const char *act)
{
    return padded_conv_c(mode, value, conv_pads, act, 5, 6);
}

static VknnModel *case_conv_pad_reflect_relu(void)
{
    return padded_conv("reflect", 0, (int64_t[]){0, 0, 0, 0}, "Relu");
}
static VknnModel *case_conv_pad_edge_sigmoid(void)
{
    return padded_conv("edge", 0, (int64_t[]){0, 0, 0, 0}, "Sigmoid");
}
static VknnModel *case_conv_pad_zero_plus_own_pads(void)
{
    return padded_conv("constant", 0, (int64_t[]){1, 0, 0, 1}, "Relu");
}
static VknnModel *case_conv_pad_constant_nonzero(void)
{
    return padded_conv("constant", 1.5f, (int64_t[]){0, 0, 0, 0}, "Tanh");
}

static void bn(VknnModel *m, const char *x, const char *y, int64_t c)
{
    g_autofree char *s = g_strdup_printf("%s_s", y), *b = g_strdup_printf("%s_b", y);
    g_autofree char *mu = g_strdup_printf("%s_m", y), *v = g_strdup_printf("%s_v", y);
    weight(m, s, SHAPE(c), 0.5f, 1.5f);
    weight(m, b, SHAPE(c), -1, 1);
    weight(m, mu, SHAPE(c), -1, 1);
    weight(m, v, SHAPE(c), 0.1f, 2.0f);
    node(m, "BatchNormalization", IN(x, s, b, mu, v), OUT(y));
}

static VknnModel *case_conv_bn_leaky_then_bn(void)
{
    VknnModel *m = conv_model(5, 6, 13, 7, 3, 1, (int64_t[]){1, 1, 1, 1}, 1, 1, TRUE);
    g_array_set_size(m->outputs, 0);
    vknn_model_value(m, vknn_model_find_value(m, "y"))->is_output = FALSE;
    bn(m, "y", "y_bn", 6); /* folded into the conv */
    VknnNode *l = node(m, "LeakyRelu", IN("y_bn"), OUT("y_act"));
    vknn_node_set_float(l, "alpha", 0.1f);
    bn(m, "y_act", "z", 6); /* standalone: no conv right before it */
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

static VknnModel *conv_transpose_model(int64_t c, int64_t oc, int64_t h, int64_t w,
                                       const int64_t pads[4], int64_t out_pad)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, c, h, w));
    weight(m, "w", SHAPE(c, oc, 3, 3), -0.5f, 0.5f);
    weight(m, "b", SHAPE(oc), -1, 1);
    VknnNode *n = node(m, "ConvTranspose", IN("x", "w", "b"), OUT("y"));
    set_ints(n, "strides", 2, 2, 0, 0, 2);
    set_ints(n, "pads", pads[0], pads[1], pads[2], pads[3], 4);
    if (out_pad)
        set_ints(n, "output_padding", out_pad, out_pad, 0, 0, 2);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_conv_transpose_tf_same(void)
{
    return conv_transpose_model(5, 3, 7, 5, (int64_t[]){0, 0, 1, 1}, 0);
}
static VknnModel *case_conv_transpose_output_padding(void)
{
    return conv_transpose_model(6, 9, 4, 3, (int64_t[]){1, 1, 1, 1}, 1);
}

static VknnModel *instance_norm_model(int64_t c, int64_t h, int64_t w, const char *act)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, c, h, w));
    weight(m, "g", SHAPE(c), 0.5f, 1.5f);
    weight(m, "b", SHAPE(c), -1, 1);
    VknnNode *n = node(m, "InstanceNormalization", IN("x", "g", "b"), OUT("y"));
    vknn_node_set_float(n, "epsilon", 1e-3f);
    node(m, act, IN("y"), OUT("z"));
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

static VknnModel *case_norm_instance_relu(void)
{
    return instance_norm_model(6, 13, 7, "Relu");
}
static VknnModel *case_norm_instance_tall(void)
{
    return instance_norm_model(3, 127, 3, "Sigmoid");
}

/* InstanceNormalization [-> Relu] [-> Pad] -> Conv: the convolution
 * normalizes its input while reading it (lowering fuses the norm's apply
 * pass); pad_mode NULL: the Conv's own zero padding, which must stay zero. */
static VknnModel *norm_conv_model(int64_t n, int64_t c, int64_t h, int64_t w, gboolean relu,
                                  const char *pad_mode, int64_t k, int64_t oc)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(n, c, h, w));
    weight(m, "g", SHAPE(c), 0.5f, 1.5f);
    weight(m, "b", SHAPE(c), -1, 1);
    weight(m, "w", SHAPE(oc, c, k, k), -0.5f, 0.5f);
    weight(m, "cb", SHAPE(oc), -1, 1);
    VknnNode *in = node(m, "InstanceNormalization", IN("x", "g", "b"), OUT("y"));
    vknn_node_set_float(in, "epsilon", 1e-3f);
    const char *next = "y";
    if (relu) {
        node(m, "Relu", IN("y"), OUT("r"));
        next = "r";
    }
    const int64_t pad = k / 2;
    if (pad_mode) {
        ints(m, "pads", (int64_t[]){0, 0, pad, pad, 0, 0, pad, pad}, 8);
        VknnNode *p = node(m, "Pad", IN(next, "pads"), OUT("p"));
        vknn_node_set_string(p, "mode", pad_mode);
        next = "p";
    }
    VknnNode *conv = node(m, "Conv", IN(next, "w", "cb"), OUT("z"));
    if (!pad_mode)
        set_ints(conv, "pads", pad, pad, pad, pad, 4);
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

static VknnModel *case_norm_fused_conv_rows_batch2(void)
{
    return norm_conv_model(2, 6, 5, 37, TRUE, NULL, 3, 5);
}
static VknnModel *case_norm_fused_conv_flat_1x1(void)
{
    return norm_conv_model(2, 7, 6, 7, FALSE, NULL, 1, 9);
}
static VknnModel *case_norm_fused_winograd_reflect(void)
{
    return norm_conv_model(2, 24, 13, 11, TRUE, "reflect", 3, 26);
}
static VknnModel *case_norm_fused_conv_9x9_image(void)
{
    return norm_conv_model(1, 3, 12, 30, TRUE, "reflect", 9, 3);
}

static VknnModel *unary_model(const char *op, int opset)
{
    VknnModel *m = vknn_model_new();
    m->opset = opset;
    input(m, "x", SHAPE(1, 7, 13, 7));
    VknnNode *n = node(m, op, IN("x"), OUT("y"));
    if (g_str_equal(op, "Clip")) {
        vknn_node_set_float(n, "min", -0.5f);
        vknn_node_set_float(n, "max", 0.75f);
    }
    if (g_str_equal(op, "LeakyRelu"))
        vknn_node_set_float(n, "alpha", 0.2f);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_unary_relu(void)
{
    return unary_model("Relu", 13);
}
static VknnModel *case_unary_leaky(void)
{
    return unary_model("LeakyRelu", 13);
}
static VknnModel *case_unary_clip_opset6(void)
{
    return unary_model("Clip", 6);
}
static VknnModel *case_unary_sigmoid(void)
{
    return unary_model("Sigmoid", 13);
}
static VknnModel *case_unary_tanh(void)
{
    return unary_model("Tanh", 13);
}

static VknnModel *binary_model(const char *op, const VknnShape *a, const VknnShape *b,
                               gboolean b_const)
{
    VknnModel *m = vknn_model_new();
    input(m, "a", a);
    if (b_const)
        weight(m, "b", b, 0.5f, 2.0f); /* away from 0 for Div */
    else
        input(m, "b", b);
    node(m, op, IN("a", "b"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_binary_add_same(void)
{
    return binary_model("Add", SHAPE(1, 5, 13, 7), SHAPE(1, 5, 13, 7), FALSE);
}
static VknnModel *case_binary_mul_scalar(void)
{
    return binary_model("Mul", SHAPE(1, 3, 13, 7), SHAPE(1), TRUE);
}
static VknnModel *case_binary_sub_channel(void)
{
    return binary_model("Sub", SHAPE(1, 6, 13, 7), SHAPE(6, 1, 1), TRUE);
}
static VknnModel *case_binary_div_channel4d(void)
{
    return binary_model("Div", SHAPE(1, 5, 13, 7), SHAPE(1, 5, 1, 1), TRUE);
}
static VknnModel *case_binary_add_outer(void)
{
    return binary_model("Add", SHAPE(1, 5, 1, 7), SHAPE(1, 1, 13, 1), FALSE);
}
static VknnModel *case_binary_mul_rows(void)
{
    return binary_model("Mul", SHAPE(2, 10), SHAPE(10), TRUE);
}

static VknnModel *pad_model(const char *mode, float value)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 5, 13, 7));
    ints(m, "pads", (int64_t[]){0, 0, 2, 3, 0, 0, 1, 2}, 8);
    floats(m, "value", &value, 1);
    VknnNode *p = node(m, "Pad", IN("x", "pads", "value"), OUT("y"));
    vknn_node_set_string(p, "mode", mode);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_pad_reflect(void)
{
    return pad_model("reflect", 0);
}
static VknnModel *case_pad_edge(void)
{
    return pad_model("edge", 0);
}
static VknnModel *case_pad_constant(void)
{
    return pad_model("constant", 1.5f);
}

static VknnModel *resize_model(const char *mode, const char *ctm, const char *nearest, float sh,
                               float sw, const int64_t *sizes)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 5, 13, 7));
    VknnNode *n;
    if (sizes) {
        ints(m, "sizes", sizes, 4);
        n = node(m, "Resize", IN("x", "", "", "sizes"), OUT("y"));
    } else {
        floats(m, "scales", (float[]){1, 1, sh, sw}, 4);
        n = node(m, "Resize", IN("x", "", "scales"), OUT("y"));
    }
    vknn_node_set_string(n, "mode", mode);
    vknn_node_set_string(n, "coordinate_transformation_mode", ctm);
    if (nearest)
        vknn_node_set_string(n, "nearest_mode", nearest);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_resize_nearest_x2(void)
{
    return resize_model("nearest", "asymmetric", "floor", 2, 2, NULL);
}
static VknnModel *case_resize_nearest_half_pixel(void)
{
    return resize_model("nearest", "half_pixel", NULL, 1.5f, 0.5f, NULL);
}
static VknnModel *case_resize_linear_half_pixel(void)
{
    return resize_model("linear", "half_pixel", NULL, 1.5f, 0.5f, NULL);
}
static VknnModel *case_resize_linear_align_corners_sizes(void)
{
    return resize_model("linear", "align_corners", NULL, 0, 0, (int64_t[]){1, 5, 20, 9});
}
static VknnModel *case_resize_upsample_opset9(void)
{
    VknnModel *m = vknn_model_new();
    m->opset = 9;
    input(m, "x", SHAPE(1, 3, 7, 5));
    floats(m, "scales", (float[]){1, 1, 2, 3}, 4);
    node(m, "Upsample", IN("x", "scales"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *pool_model(const char *op, int64_t k, int64_t s, const int64_t pads[4],
                             gboolean ceil, int64_t count_pad, int64_t dil)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 6, 13, 7));
    VknnNode *n = node(m, op, IN("x"), OUT("y"));
    set_ints(n, "kernel_shape", k, k, 0, 0, 2);
    set_ints(n, "strides", s, s, 0, 0, 2);
    set_ints(n, "pads", pads[0], pads[1], pads[2], pads[3], 4);
    vknn_node_set_int(n, "ceil_mode", ceil);
    if (g_str_equal(op, "AveragePool"))
        vknn_node_set_int(n, "count_include_pad", count_pad);
    else
        set_ints(n, "dilations", dil, dil, 0, 0, 2);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_pool_max_ceil(void)
{
    return pool_model("MaxPool", 3, 2, (int64_t[]){0, 0, 0, 0}, TRUE, 0, 1);
}
static VknnModel *case_pool_max_dilated_padded(void)
{
    return pool_model("MaxPool", 2, 1, (int64_t[]){1, 0, 0, 1}, FALSE, 0, 2);
}
static VknnModel *case_pool_avg_exclude_pad(void)
{
    return pool_model("AveragePool", 3, 2, (int64_t[]){1, 1, 1, 1}, TRUE, 0, 1);
}
static VknnModel *case_pool_avg_include_pad(void)
{
    return pool_model("AveragePool", 3, 2, (int64_t[]){1, 1, 1, 1}, FALSE, 1, 1);
}

static VknnModel *global_pool_model(const char *op, int64_t n, int64_t c)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(n, c, 13, 7));
    node(m, op, IN("x"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_pool_global_average(void)
{
    return global_pool_model("GlobalAveragePool", 1, 10);
}
static VknnModel *case_pool_global_max(void)
{
    return global_pool_model("GlobalMaxPool", 1, 10);
}
/* Enough small blocks for one invocation per block (global_pool.c). */
static VknnModel *case_pool_global_average_blocks(void)
{
    return global_pool_model("GlobalAveragePool", 2, 130);
}
static VknnModel *case_pool_global_max_blocks(void)
{
    return global_pool_model("GlobalMaxPool", 2, 130);
}

static VknnModel *case_concat_odd_channels(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "a", SHAPE(1, 3, 13, 7));
    input(m, "b", SHAPE(1, 5, 13, 7));
    input(m, "c", SHAPE(1, 2, 13, 7));
    VknnNode *n = node(m, "Concat", IN("a", "b", "c"), OUT("y"));
    vknn_node_set_int(n, "axis", 1);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

/* Channel concats the executor elides (producers write their slices in
 * place: batch 1, leading inputs with channels in multiples of 4) and ones
 * it must copy: a concat of an elided concat's output, the same value twice,
 * and the batch-2 variant where nothing is elided. Graph outputs read a
 * slice (b) and both concats. */
static VknnModel *concat_in_place(int64_t n, gboolean all_outputs)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(n, 5, 9, 7));
    const char *names[][3] = {{"wa", "ba", "a"}, {"wb", "bb", "b"}, {"wc", "bc", "c"}};
    const int64_t channels[] = {4, 8, 3};
    for (int i = 0; i < 3; i++) {
        weight(m, names[i][0], SHAPE(channels[i], 5, 3, 3), -0.5f, 0.5f);
        weight(m, names[i][1], SHAPE(channels[i]), -0.2f, 0.5f);
        g_autofree char *pre = g_strconcat(names[i][2], "_pre", NULL);
        set_ints(node(m, "Conv", IN("x", names[i][0], names[i][1]), OUT(pre)), "pads", 1, 1, 1, 1,
                 4);
        node(m, "Relu", IN(pre), OUT(names[i][2]));
    }
    vknn_node_set_int(node(m, "Concat", IN("a", "b", "c"), OUT("abc")), "axis", 1);
    vknn_node_set_int(node(m, "Concat", IN("abc", "a"), OUT("abca")), "axis", 1);
    vknn_node_set_int(node(m, "Concat", IN("c", "c"), OUT("cc")), "axis", 1);
    node(m, "Add", IN("abca", "abca"), OUT("sum"));
    vknn_model_mark_output(m, "sum", NULL);
    if (all_outputs) {
        vknn_model_mark_output(m, "b", NULL);
        vknn_model_mark_output(m, "abc", NULL);
        vknn_model_mark_output(m, "cc", NULL);
    }
    return m;
}

static VknnModel *case_concat_in_place(void)
{
    return concat_in_place(1, TRUE);
}
static VknnModel *case_concat_in_place_batch2(void)
{
    return concat_in_place(2, TRUE);
}
/* The gradient flows through the elided and the copied concat to x and to
 * every convolution (one output seeds it). */
static VknnModel *case_concat_in_place_grad(void)
{
    return concat_in_place(1, FALSE);
}

/* Elementwise steps overwrite an input that dies there, and only then:
 * y is read again after the Sigmoid (no overwrite), s and y both die at the
 * Add, the sum dies at the InstanceNormalization; the graph input x and the
 * output t are never overwritten (t is read by the Relu and is an output). */
static VknnModel *case_binary_in_place_chain(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 6, 9, 7));
    weight(m, "w", SHAPE(6, 6, 1, 1), -0.5f, 0.5f);
    weight(m, "g", SHAPE(6), 0.5f, 1.5f);
    weight(m, "bt", SHAPE(6), -0.5f, 0.5f);
    node(m, "Conv", IN("x", "w"), OUT("y"));
    node(m, "Sigmoid", IN("y"), OUT("s"));
    node(m, "Add", IN("s", "y"), OUT("sum"));
    node(m, "InstanceNormalization", IN("sum", "g", "bt"), OUT("t"));
    node(m, "Relu", IN("t"), OUT("r"));
    node(m, "Mul", IN("r", "x"), OUT("z"));
    vknn_model_mark_output(m, "t", NULL);
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

/* GlobalAveragePool -> Flatten -> Gemm(transB) -> Softmax: a classifier head. */
static VknnModel *case_gemm_classifier_head(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 10, 5, 3));
    weight(m, "w", SHAPE(7, 10), -0.5f, 0.5f);
    weight(m, "bias", SHAPE(7), -1, 1);
    node(m, "GlobalAveragePool", IN("x"), OUT("g"));
    node(m, "Flatten", IN("g"), OUT("f"));
    VknnNode *n = node(m, "Gemm", IN("f", "w", "bias"), OUT("logits"));
    vknn_node_set_int(n, "transB", 1);
    vknn_node_set_float(n, "alpha", 0.5f);
    vknn_node_set_float(n, "beta", 2.0f);
    node(m, "Softmax", IN("logits"), OUT("p"));
    vknn_model_mark_output(m, "logits", NULL);
    vknn_model_mark_output(m, "p", NULL);
    return m;
}

static VknnModel *case_gemm_matmul_activations(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "a", SHAPE(3, 10));
    input(m, "b", SHAPE(10, 7));
    weight(m, "w", SHAPE(7, 5), -1, 1);
    node(m, "MatMul", IN("a", "b"), OUT("ab"));
    node(m, "MatMul", IN("ab", "w"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_softmax_channels(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 6, 5, 3));
    VknnNode *n = node(m, "Softmax", IN("x"), OUT("y"));
    vknn_node_set_int(n, "axis", 1);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_reshape_relayout(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 6, 5, 4));
    ints(m, "s1", (int64_t[]){1, 4, 0, -1}, 4);
    ints(m, "s2", (int64_t[]){2, 12, 5}, 3);
    node(m, "Reshape", IN("x", "s1"), OUT("r1"));
    node(m, "Identity", IN("r1"), OUT("i1"));
    node(m, "Reshape", IN("i1", "s2"), OUT("r2"));
    node(m, "Dropout", IN("r2"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    vknn_model_mark_output(m, "r1", NULL);
    return m;
}

/* Resize (nearest x2 or x3) -> [Pad reflect] -> Conv: the upsampling fused
 * into the convolution's reads. */
static VknnModel *upsampled_conv_c(const char *ctm, const char *nearest, float s, gboolean pad,
                                   int64_t ic, int64_t oc)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, ic, 7, 5));
    floats(m, "scales", (float[]){1, 1, s, s}, 4);
    ints(m, "pads", (int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, 8);
    weight(m, "w", SHAPE(oc, ic, 3, 3), -0.5f, 0.5f);
    weight(m, "b", SHAPE(oc), -1, 1);
    VknnNode *r = node(m, "Resize", IN("x", "", "scales"), OUT("u"));
    vknn_node_set_string(r, "mode", "nearest");
    vknn_node_set_string(r, "coordinate_transformation_mode", ctm);
    vknn_node_set_string(r, "nearest_mode", nearest);
    if (pad) {
        VknnNode *p = node(m, "Pad", IN("u", "pads"), OUT("p"));
        vknn_node_set_string(p, "mode", "reflect");
    }
    VknnNode *c = node(m, "Conv", IN(pad ? "p" : "u", "w", "b"), OUT("y"));
    set_ints(c, "pads", 0, 1, 1, 0, 4);
    node(m, "Relu", IN("y"), OUT("z"));
    vknn_model_mark_output(m, "z", NULL);
    return m;
}

static VknnModel *upsampled_conv(const char *ctm, const char *nearest, float s, gboolean pad)
{
    return upsampled_conv_c(ctm, nearest, s, pad, 5, 6);
}

static VknnModel *case_conv_upsampled_reflect(void)
{
    return upsampled_conv("asymmetric", "floor", 2, TRUE);
}
static VknnModel *case_conv_upsampled_x3_half_pixel(void)
{
    return upsampled_conv("half_pixel", "round_prefer_floor", 3, FALSE);
}

/* Winograd F(4x4, 3x3) runs 3x3 stride-1 layers of >= 16 channels: edge
 * tiles (sizes not multiples of 4), channels not multiples of 4, batches,
 * asymmetric pads, fused reflection/edge padding, upsampling and
 * activations, and bands (tiles split over several passes; 2048 tiles of
 * 64 channels exceed one 8 MiB band on lavapipe, and bands cross images). */
static VknnModel *winograd_model(int64_t n, int64_t c, int64_t oc, int64_t h, int64_t w,
                                 const int64_t pads[4])
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(n, c, h, w));
    weight(m, "w", SHAPE(oc, c, 3, 3), -0.5f, 0.5f);
    weight(m, "b", SHAPE(oc), -1, 1);
    VknnNode *conv = node(m, "Conv", IN("x", "w", "b"), OUT("y"));
    set_ints(conv, "pads", pads[0], pads[1], pads[2], pads[3], 4);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

/* Channels chosen so that every device takes the Winograd path (on a CPU:
 * ic * oc >= 12 (ic + oc), vknn_conv_winograd_suits). */
static VknnModel *case_conv_winograd_edges_batch(void)
{
    return winograd_model(2, 26, 29, 13, 11, (int64_t[]){1, 0, 2, 1});
}
static VknnModel *case_conv_winograd_bands(void)
{
    return winograd_model(2, 64, 16, 128, 127, (int64_t[]){1, 1, 1, 1});
}
static VknnModel *case_conv_winograd_reflect_relu(void)
{
    return padded_conv_c("reflect", 0, (int64_t[]){0, 0, 0, 0}, "Relu", 24, 28);
}
static VknnModel *case_conv_winograd_edge_pads(void)
{
    return padded_conv_c("edge", 0, (int64_t[]){1, 0, 0, 1}, "Sigmoid", 25, 24);
}
static VknnModel *case_conv_winograd_upsampled(void)
{
    return upsampled_conv_c("asymmetric", "floor", 2, TRUE, 28, 24);
}

typedef struct {
    const char *name;
    VknnModel *(*build)(void);
} OpCase;

/* SqueezeNet's Fire module and pooling: fused activations, a value read by
 * two convolutions (gradients summed), Concat at a channel offset that is
 * not a multiple of 4, MaxPool with ceil_mode. */
/* SqueezeNet's fire module; with e1 channels a multiple of 4 the concat is
 * assembled in place and its backward aliases the inputs' gradients to
 * slices of its output's (backward.c). */
static VknnModel *fire_module(int64_t e1)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 6, 9, 7));
    weight(m, "ws", SHAPE(5, 6, 1, 1), -0.5f, 0.5f);
    weight(m, "bs", SHAPE(5), -0.2f, 0.5f);
    weight(m, "w1", SHAPE(e1, 5, 1, 1), -0.5f, 0.5f);
    weight(m, "b1", SHAPE(e1), -0.2f, 0.5f);
    weight(m, "w3", SHAPE(6, 5, 3, 3), -0.5f, 0.5f);
    weight(m, "b3", SHAPE(6), -0.2f, 0.5f);
    node(m, "Conv", IN("x", "ws", "bs"), OUT("sq"));
    node(m, "Relu", IN("sq"), OUT("s"));
    node(m, "Conv", IN("s", "w1", "b1"), OUT("e1"));
    node(m, "Relu", IN("e1"), OUT("r1"));
    set_ints(node(m, "Conv", IN("s", "w3", "b3"), OUT("e3")), "pads", 1, 1, 1, 1, 4);
    node(m, "Relu", IN("e3"), OUT("r3"));
    vknn_node_set_int(node(m, "Concat", IN("r1", "r3"), OUT("cat")), "axis", 1);
    VknnNode *pool = node(m, "MaxPool", IN("cat"), OUT("y"));
    set_ints(pool, "kernel_shape", 3, 3, 0, 0, 2);
    set_ints(pool, "strides", 2, 2, 0, 0, 2);
    vknn_node_set_int(pool, "ceil_mode", 1);
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

static VknnModel *case_fire_module(void)
{
    return fire_module(3);
}
static VknnModel *case_fire_module_in_place(void)
{
    return fire_module(4);
}

/* MobileNetV2's residual: x + Clip(Conv(x)). */
static VknnModel *case_residual_clip(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 5, 8, 6));
    weight(m, "w", SHAPE(5, 5, 3, 3), -0.5f, 0.5f);
    weight(m, "b", SHAPE(5), -0.5f, 0.5f);
    floats(m, "lo", (float[]){0.0f}, 1);
    floats(m, "hi", (float[]){1.0f}, 1);
    set_ints(node(m, "Conv", IN("x", "w", "b"), OUT("c")), "pads", 1, 1, 1, 1, 4);
    node(m, "Clip", IN("c", "lo", "hi"), OUT("r"));
    node(m, "Add", IN("x", "r"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

/* One TransformerNet stage as training sees it: reflection padding, conv,
 * instance norm, ReLU, nearest upsampling, and a residual connection. */
static VknnModel *case_transformer_block(void)
{
    VknnModel *m = vknn_model_new();
    input(m, "x", SHAPE(1, 4, 6, 5));
    weight(m, "w1", SHAPE(6, 4, 3, 3), -0.5f, 0.5f);
    weight(m, "b1", SHAPE(6), -0.5f, 0.5f);
    weight(m, "g", SHAPE(6), 0.5f, 1.5f);
    weight(m, "beta", SHAPE(6), -0.5f, 0.5f);
    weight(m, "w2", SHAPE(4, 6, 3, 3), -0.5f, 0.5f);
    weight(m, "b2", SHAPE(4), -0.5f, 0.5f);
    ints(m, "p1", (int64_t[]){0, 0, 1, 1, 0, 0, 1, 1}, 8);
    floats(m, "scales", (float[]){1, 1, 2, 2}, 4);
    node(m, "Pad", IN("x", "p1"), OUT("xp"));
    node(m, "Conv", IN("xp", "w1", "b1"), OUT("c1"));
    node(m, "InstanceNormalization", IN("c1", "g", "beta"), OUT("n1"));
    node(m, "Relu", IN("n1"), OUT("r1"));
    VknnNode *rs = node(m, "Resize", IN("r1", "", "scales"), OUT("up"));
    vknn_node_set_string(rs, "mode", "nearest");
    vknn_node_set_string(rs, "coordinate_transformation_mode", "asymmetric");
    vknn_node_set_string(rs, "nearest_mode", "floor");
    node(m, "Pad", IN("up", "p1"), OUT("upp"));
    VknnNode *c2 = node(m, "Conv", IN("upp", "w2", "b2"), OUT("c2"));
    set_ints(c2, "strides", 2, 2, 0, 0, 2);
    node(m, "Add", IN("c2", "x"), OUT("y"));
    vknn_model_mark_output(m, "y", NULL);
    return m;
}

typedef struct {
    const char *name;
    VknnModel *(*build)(void);
    VknnGradMode mode;
    gboolean weights; /* also differentiate with respect to Conv weights and biases */
} GradCase;

#define GRAD(fn, mode, weights)                                                                    \
    {                                                                                              \
#fn + 5, fn, mode, weights                                                                 \
    }
static const GradCase grad_cases[] = {
    GRAD(case_conv_3x3, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_winograd_edges_batch, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_stride2_odd_asym, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_1x1_pixel, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_1x1_wide, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_1x1_stride2, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_9x9_thin, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_dilated_grouped, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_depthwise_clip, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_pad_zero_plus_own_pads, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_unary_relu, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_unary_leaky, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_unary_clip_opset6, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_unary_sigmoid, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_unary_tanh, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_binary_add_same, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_binary_mul_scalar, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pool_max_ceil, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pool_max_dilated_padded, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pool_avg_exclude_pad, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pool_avg_include_pad, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pool_global_average, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_concat_odd_channels, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_concat_in_place_grad, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_gemm_classifier_head, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_reshape_relayout, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_conv_pad_reflect_relu, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_pad_edge_sigmoid, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_conv_upsampled_reflect, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_norm_instance_relu, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_norm_instance_tall, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_pad_reflect, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pad_edge, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_pad_constant, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_resize_nearest_x2, VKNN_GRAD_STANDARD, FALSE),
    GRAD(case_transformer_block, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_fire_module, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_fire_module_in_place, VKNN_GRAD_STANDARD, TRUE),
    GRAD(case_residual_clip, VKNN_GRAD_STANDARD, TRUE),
    {"guided_fire_module", case_fire_module, VKNN_GRAD_GUIDED, FALSE},
    {"guided_relu", case_unary_relu, VKNN_GRAD_GUIDED, FALSE},
};

#define CASE(fn)                                                                                   \
    {                                                                                              \
#fn + 5, fn                                                                                \
    }
static const OpCase op_cases[] = {
    CASE(case_conv_3x3),
    CASE(case_conv_stride2_odd_asym),
    CASE(case_conv_1x1_pixel),
    CASE(case_conv_1x1_wide),
    CASE(case_conv_1x1_padded),
    CASE(case_conv_1x1_stride2),
    CASE(case_conv_9x9_thin),
    CASE(case_conv_5x5_row_tiles),
    CASE(case_conv_dilated_grouped),
    CASE(case_conv_depthwise_clip),
    CASE(case_conv_pad_reflect_relu),
    CASE(case_conv_pad_edge_sigmoid),
    CASE(case_conv_pad_zero_plus_own_pads),
    CASE(case_conv_pad_constant_nonzero),
    CASE(case_conv_bn_leaky_then_bn),
    CASE(case_conv_upsampled_reflect),
    CASE(case_conv_upsampled_x3_half_pixel),
    CASE(case_conv_winograd_edges_batch),
    CASE(case_conv_winograd_bands),
    CASE(case_conv_winograd_reflect_relu),
    CASE(case_conv_winograd_edge_pads),
    CASE(case_conv_winograd_upsampled),
    CASE(case_conv_transpose_tf_same),
    CASE(case_conv_transpose_output_padding),
    CASE(case_norm_instance_relu),
    CASE(case_norm_instance_tall),
    CASE(case_norm_fused_conv_rows_batch2),
    CASE(case_norm_fused_conv_flat_1x1),
    CASE(case_norm_fused_winograd_reflect),
    CASE(case_norm_fused_conv_9x9_image),
    CASE(case_unary_relu),
    CASE(case_unary_leaky),
    CASE(case_unary_clip_opset6),
    CASE(case_unary_sigmoid),
    CASE(case_unary_tanh),
    CASE(case_binary_add_same),
    CASE(case_binary_mul_scalar),
    CASE(case_binary_sub_channel),
    CASE(case_binary_div_channel4d),
    CASE(case_binary_add_outer),
    CASE(case_binary_mul_rows),
    CASE(case_pad_reflect),
    CASE(case_pad_edge),
    CASE(case_pad_constant),
    CASE(case_resize_nearest_x2),
    CASE(case_resize_nearest_half_pixel),
    CASE(case_resize_linear_half_pixel),
    CASE(case_resize_linear_align_corners_sizes),
    CASE(case_resize_upsample_opset9),
    CASE(case_pool_max_ceil),
    CASE(case_pool_max_dilated_padded),
    CASE(case_pool_avg_exclude_pad),
    CASE(case_pool_avg_include_pad),
    CASE(case_pool_global_average),
    CASE(case_pool_global_max),
    CASE(case_pool_global_average_blocks),
    CASE(case_pool_global_max_blocks),
    CASE(case_concat_odd_channels),
    CASE(case_binary_in_place_chain),
    CASE(case_concat_in_place),
    CASE(case_concat_in_place_batch2),
    CASE(case_gemm_classifier_head),
    CASE(case_gemm_matmul_activations),
    CASE(case_softmax_channels),
    CASE(case_reshape_relayout),
};

/* Winograd layers with fp16 tiles and products: each stored value carries a
 * relative error of up to 2^-11, which the output transform's coefficients
 * (up to 8 per dimension) and sums over channels amplify. */
#define FP16_TILES_REL_TOL 3e-2
static const OpCase fp16_tile_cases[] = {
    CASE(case_conv_winograd_edges_batch),
    CASE(case_conv_winograd_bands),
    CASE(case_conv_winograd_reflect_relu),
    CASE(case_conv_winograd_upsampled),
    /* an InstanceNormalization applied as the tiles are read */
    CASE(case_norm_fused_winograd_reflect),
};

/* Compares the cases whose name + suffix starts with family against the
 * reference at the given precision. */
static void run_op_cases(const OpCase *cases, gsize n, const char *suffix, double rel_tol,
                         VknnPrecision precision, const char *family, VknnContext *ctx, int *run,
                         int *failed)
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *name = g_strconcat(cases[i].name, suffix, NULL);
        if (!g_str_has_prefix(name, family))
            continue;
        printf("%s\n", name);
        g_autoptr(VknnModel) m = cases[i].build();
        const gboolean ok = compare(m, ctx, rel_tol, precision);
        printf("  %s\n", ok ? "ok" : "FAILED");
        *failed += !ok;
        (*run)++;
    }
}

/* Every op of the list must be run by a forward case: adding an op to
 * compute/ops.def without a device test fails here. */
static int check_coverage(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(op_cases); i++) {
        g_autoptr(VknnModel) m = op_cases[i].build();
        for (guint k = 0; k < m->nodes->len; k++)
            g_hash_table_add(seen, g_strdup(vknn_model_node(m, k)->op_type));
    }
    int run = 0, failed = 0;
    for (const char *const *op = vknn_supported_ops(); *op; op++, run++) {
        const gboolean ok = g_hash_table_contains(seen, *op);
        if (!ok)
            printf("%s: no case runs it (add one to op_cases)\n", *op);
        failed += !ok;
    }
    printf("%d passed, %d failed\n", run - failed, failed);
    return run == 0 || failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *family = argc > 1 ? argv[1] : "";
    if (g_str_equal(family, "coverage"))
        return check_coverage();
    g_autoptr(VknnContext) ctx = test_context();
    int failed = 0, run = 0;
    run_op_cases(op_cases, G_N_ELEMENTS(op_cases), "", 1e-4, VKNN_PRECISION_FP32, family, ctx, &run,
                 &failed);
    run_op_cases(fp16_tile_cases, G_N_ELEMENTS(fp16_tile_cases), "_fp16_tiles", FP16_TILES_REL_TOL,
                 VKNN_PRECISION_FP16_TILES, family, ctx, &run, &failed);
    for (gsize i = 0; i < G_N_ELEMENTS(grad_cases); i++) {
        const GradCase *c = &grad_cases[i];
        g_autofree char *name = g_strconcat("grad_", c->name, NULL);
        if (!g_str_has_prefix(name, family))
            continue;
        printf("%s\n", name);
        g_autoptr(VknnModel) m = c->build();
        const gboolean ok = compare_grad(m, ctx, c->mode, c->weights, 1e-4);
        printf("  %s\n", ok ? "ok" : "FAILED");
        failed += !ok;
        run++;
    }
    if (g_str_has_prefix("grad_multi_output", family)) {
        printf("grad_multi_output\n");
        const gboolean ok = check_multi_output(ctx);
        printf("  %s\n", ok ? "ok" : "FAILED");
        failed += !ok;
        run++;
    }
    printf("%d passed, %d failed\n", run - failed, failed);
    return run == 0 || failed ? 1 : 0;
}
