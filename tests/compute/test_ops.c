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
 * Each case is tagged with the op of compute/ops.def it is about ("graph"
 * for the gradient cases of whole subgraphs), and the tables below list the
 * cases in the order of that list. Each case has its own first seed: its
 * weights, then its inputs, then its seed gradient take consecutive seeds
 * from there, so a case gets the same data whichever cases run with it.
 *
 *   test_ops [FAMILY]    run the cases whose name starts with FAMILY
 *   test_ops coverage    per op of the list (vknn_supported_ops), its forward,
 *                        fp16 and gradient cases; fails when an op runs in
 *                        no forward case
 *   test_ops write-seeds DIR   the forward cases' models as ONNX fuzzing seeds
 */
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- forward ----------------------------------------------------------------- */

/* Random graph inputs in [-2, 2), drawn from the case's next seeds after
 * its weights: what the device and the reference both run on. */
typedef struct {
    guint n;
    VknnRefTensor *t;
    VknnShape *shapes;
} Inputs;

static Inputs inputs_new(TestModel *b)
{
    VknnModel *m = b->m;
    Inputs in = {m->inputs->len, g_new0(VknnRefTensor, m->inputs->len),
                 g_new(VknnShape, m->inputs->len)};
    for (guint i = 0; i < in.n; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        const int64_t n = vknn_shape_numel(&v->declared);
        in.shapes[i] = in.t[i].shape = v->declared;
        in.t[i].data = g_new(float, n);
        tm_random(b, in.t[i].data, n, -2.0f, 2.0f);
    }
    return in;
}

static void inputs_free(Inputs *in)
{
    for (guint i = 0; i < in->n; i++)
        g_free(in->t[i].data);
    g_free(in->t);
    g_free(in->shapes);
}

static const float *const *inputs_data(const Inputs *in, const float **ptrs)
{
    for (guint i = 0; i < in->n; i++)
        ptrs[i] = in->t[i].data;
    return ptrs;
}

/* got against want: the largest difference, and the limit rel_tol scaled
 * by want's magnitude (at least 1). */
typedef struct {
    double diff, limit;
} Diff;

static gboolean within(const float *got, const float *want, int64_t n, double rel_tol, Diff *d)
{
    d->diff = test_max_abs_diff(got, want, n);
    d->limit = rel_tol * MAX(1.0, test_max_abs(want, n));
    return d->diff <= d->limit;
}

/* One graph output of the device against the reference's. */
static gboolean compare_output(VknnNet *net, const VknnValue *v, GHashTable *ref, double rel_tol)
{
    const VknnRefTensor *want = g_hash_table_lookup(ref, v->name);
    const int64_t n = vknn_shape_numel(&v->shape);
    g_autofree float *got = g_new(float, n);
    GError *err = NULL;
    if (!vknn_net_read(net, v->name, got, &err)) {
        printf("    read failed: %s\n", err->message);
        g_error_free(err);
        return FALSE;
    }
    Diff d;
    const gboolean ok = within(got, want->data, n, rel_tol, &d);
    char s[64];
    printf("    %s %s: max abs diff %.3g (limit %.3g)%s\n", v->name,
           vknn_shape_str(&v->shape, s, sizeof s), d.diff, d.limit, ok ? "" : " FAIL");
    return vknn_shape_equal(&v->shape, &want->shape) && ok;
}

/* Runs the model on the reference and on the device with the same random
 * inputs and compares every graph output. */
static gboolean compare(TestModel *b, VknnContext *ctx, double rel_tol, VknnPrecision precision)
{
    VknnModel *m = b->m;
    Inputs in = inputs_new(b);
    g_autofree const float **ptrs = g_new(const float *, in.n);
    GError *err = NULL;
    GHashTable *ref = vknn_ref_run(m, in.t, &err);
    VknnNet *net = ref ? vknn_net_new(ctx, m, &err) : NULL;
    if (net)
        vknn_net_set_precision(net, precision);
    gboolean ok = net && vknn_net_prepare(net, in.shapes, &err) &&
                  vknn_net_run(net, inputs_data(&in, ptrs), &err);
    if (!ok)
        printf("    %s failed: %s\n", ref ? "device" : "reference", err->message);
    const gboolean ran = ok;
    for (guint i = 0; ran && i < m->outputs->len; i++)
        ok &= compare_output(net, vknn_model_value(m, g_array_index(m->outputs, int, i)), ref,
                             rel_tol);
    if (ref)
        g_hash_table_unref(ref);
    vknn_net_free(net);
    g_clear_error(&err);
    inputs_free(&in);
    return ok;
}

/* ---- backward ---------------------------------------------------------------- */

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

static int64_t numel_of(const VknnModel *m, const char *name)
{
    return vknn_shape_numel(&vknn_model_value(m, vknn_model_find_value(m, name))->shape);
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

/* Central differences of the device loss at random elements of input 0,
 * picked from the case's next seed. Elements where the two one-sided
 * slopes disagree sit on a kink (a Relu edge, a MaxPool argmax switch
 * within eps) and are skipped. */
static gboolean check_finite_differences(TestModel *b, VknnNet *net, Inputs *in,
                                         const float *seed_grad, const float *grad)
{
    VknnModel *m = b->m;
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    const VknnValue *x = vknn_model_value(m, g_array_index(m->inputs, int, 0));
    const int64_t n_out = vknn_shape_numel(&out->shape), n_x = vknn_shape_numel(&x->shape);
    const double tol = 2e-2 * MAX(test_max_abs(grad, n_x), 1e-3);
    const float eps = 1e-2f;
    float *x0 = in->t[0].data;
    g_autofree const float **ptrs = g_new(const float *, in->n);
    const float *const *inputs = inputs_data(in, ptrs);
    GRand *r = g_rand_new_with_seed(b->seed++);
    const double l0 = device_loss(net, out->name, inputs, seed_grad, n_out);
    int checked = 0, failed = 0;
    for (int t = 0; t < 24 && checked < 6; t++) {
        const int64_t i = g_rand_int_range(r, 0, (gint32)n_x);
        const float keep = x0[i];
        x0[i] = keep + eps;
        const double lp = device_loss(net, out->name, inputs, seed_grad, n_out);
        x0[i] = keep - eps;
        const double lm = device_loss(net, out->name, inputs, seed_grad, n_out);
        x0[i] = keep;
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

/* A net with the gradients of names requested, run forward on in. */
static VknnNet *grad_net(VknnContext *ctx, VknnModel *m, GPtrArray *names, VknnGradMode mode,
                         const Inputs *in, GError **err)
{
    VknnNet *net = vknn_net_new(ctx, m, err);
    for (guint i = 0; net && i < names->len; i++)
        if (!vknn_net_request_grad(net, g_ptr_array_index(names, i), err))
            g_clear_pointer(&net, vknn_net_free);
    if (net)
        vknn_net_set_grad_mode(net, mode);
    g_autofree const float **ptrs = g_new(const float *, in->n);
    if (net &&
        (!vknn_net_prepare(net, in->shapes, err) || !vknn_net_run(net, inputs_data(in, ptrs), err)))
        g_clear_pointer(&net, vknn_net_free);
    return net;
}

/* The reference's gradients for the seed gradient of the first output. */
static GHashTable *ref_grads(VknnModel *m, const Inputs *in, const VknnValue *out, float *seed_grad,
                             VknnGradMode mode, GError **err)
{
    VknnRefTensor seed_t = {out->shape, seed_grad};
    GHashTable *values = vknn_ref_run(m, in->t, err);
    if (!values)
        return NULL;
    GHashTable *grads =
        vknn_ref_backward(m, values, in->t, out->name, &seed_t, mode == VKNN_GRAD_GUIDED, err);
    g_hash_table_unref(values);
    return grads;
}

/* The device's gradient of name, read into got, against the reference's;
 * FALSE in *read when there is none to compare. */
static gboolean compare_grad_of(VknnNet *net, const char *name, GHashTable *want_grads, int64_t n,
                                double rel_tol, float *got, gboolean *read)
{
    const VknnRefTensor *want = g_hash_table_lookup(want_grads, name);
    GError *err = NULL;
    *read = want && vknn_net_read_grad(net, name, got, &err);
    if (!*read) {
        printf("    %s: %s\n", name, want ? err->message : "no reference gradient");
        g_clear_error(&err);
        return FALSE;
    }
    Diff d;
    const gboolean ok = within(got, want->data, n, rel_tol, &d);
    printf("    d/d %s: max abs diff %.3g (limit %.3g)%s\n", name, d.diff, d.limit,
           ok ? "" : " FAIL");
    return ok;
}

/* Forward and backward on the device and on the reference with the same
 * random inputs and seed gradient; compares every requested gradient, and
 * the first against finite differences too (standard mode). */
static gboolean compare_grad(TestModel *b, VknnContext *ctx, VknnGradMode mode, gboolean weights,
                             double rel_tol)
{
    VknnModel *m = b->m;
    Inputs in = inputs_new(b);
    g_autoptr(GPtrArray) names = wrt_names(m, weights);
    const VknnValue *out = vknn_model_value(m, g_array_index(m->outputs, int, 0));
    GError *err = NULL;
    g_autoptr(VknnNet) net = grad_net(ctx, m, names, mode, &in, &err);
    const int64_t n_out = net ? vknn_shape_numel(&out->shape) : 0; /* inferred by prepare */
    g_autofree float *seed_grad = g_new(float, MAX(n_out, 1));
    if (net)
        tm_random(b, seed_grad, n_out, -1.0f, 1.0f);
    GHashTable *want = net ? ref_grads(m, &in, out, seed_grad, mode, &err) : NULL;
    gboolean ok = want && vknn_net_backward(net, seed_grad, &err);
    if (!ok)
        printf("    %s failed: %s\n", net ? "backward" : "device", err->message);
    const gboolean ran = ok;
    for (guint i = 0; ran && i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        const int64_t n = numel_of(m, name);
        g_autofree float *got = g_new(float, n);
        gboolean read;
        ok &= compare_grad_of(net, name, want, n, rel_tol, got, &read);
        if (read && i == 0 && mode == VKNN_GRAD_STANDARD)
            ok &= check_finite_differences(b, net, &in, seed_grad, got);
    }
    if (want)
        g_hash_table_unref(want);
    g_clear_error(&err);
    inputs_free(&in);
    return ok;
}

/* Two seeded outputs, one feeding the other (a loss with terms at two
 * layers): the device's gradients equal the sum of the reference backward
 * passes from each output. */
static void case_multi_output(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 3, 7, 6));
    tm_weight(b, "w1", SHAPE(5, 3, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "w2", SHAPE(4, 5, 1, 1), -0.5f, 0.5f);
    tm_node(b, "Conv", NAMES("x", "w1"), "c1");
    tm_attr_ints(b, "pads", INTS(1, 1, 1, 1));
    tm_node(b, "Relu", NAMES("c1"), "a");
    tm_node(b, "Conv", NAMES("a", "w2"), "b");
    tm_output(b, "a");
    tm_output(b, "b");
}

/* The sum of the reference's gradients of name from the two seeds. */
static float *ref_grad_sum(GHashTable *ga, GHashTable *gb, const char *name, int64_t n)
{
    const VknnRefTensor *ra = g_hash_table_lookup(ga, name), *rb = g_hash_table_lookup(gb, name);
    float *want = g_new(float, n);
    for (int64_t k = 0; k < n; k++)
        want[k] = (ra ? ra->data[k] : 0) + (rb ? rb->data[k] : 0);
    return want;
}

static gboolean check_multi_output(TestModel *b, VknnContext *ctx)
{
    VknnModel *m = b->m;
    const char *outs[] = {"a", "b"}, *wrt[] = {"x", "w1", "w2"};
    const int64_t nx = 3 * 7 * 6, na = 5 * 7 * 6, nb = 4 * 7 * 6;
    g_autofree float *x = g_new(float, nx);
    g_autofree float *sa = g_new(float, na);
    g_autofree float *sb = g_new(float, nb);
    tm_random(b, x, nx, -2, 2);
    tm_random(b, sa, na, -1, 1);
    tm_random(b, sb, nb, -1, 1);
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
        const int64_t n = numel_of(m, wrt[i]);
        g_autofree float *got = g_new(float, n);
        g_autofree float *want = ref_grad_sum(ga, gb, wrt[i], n);
        Diff d = {INFINITY, 0};
        ok = vknn_net_read_grad(net, wrt[i], got, &err) && within(got, want, n, 1e-4, &d);
        printf("    d/d %s (seeds at a and b): max abs diff %.3g (limit %.3g)%s\n", wrt[i], d.diff,
               d.limit, ok ? "" : " FAIL");
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

/* x [1,c,h,w] -> Conv -> y, not marked as an output. */
static void conv_model(TestModel *b, int64_t c, int64_t oc, int64_t h, int64_t w, int64_t k,
                       int64_t stride, const int64_t pads[4], int64_t dil, int64_t group,
                       gboolean bias)
{
    tm_input(b, "x", SHAPE(1, c, h, w));
    tm_weight(b, "w", SHAPE(oc, c / group, k, k), -0.5f, 0.5f);
    if (bias)
        tm_weight(b, "b", SHAPE(oc), -1, 1);
    if (bias)
        tm_node(b, "Conv", NAMES("x", "w", "b"), "y");
    else
        tm_node(b, "Conv", NAMES("x", "w"), "y");
    tm_attr_ints(b, "strides", INTS(stride, stride));
    tm_attr_ints(b, "dilations", INTS(dil, dil));
    tm_attr_ints(b, "pads", pads, 4);
    tm_attr_int(b, "group", group);
}

static void conv_out(TestModel *b, int64_t c, int64_t oc, int64_t h, int64_t w, int64_t k,
                     int64_t stride, const int64_t pads[4], int64_t dil, int64_t group,
                     gboolean bias)
{
    conv_model(b, c, oc, h, w, k, stride, pads, dil, group, bias);
    tm_output(b, "y");
}

static void case_conv_3x3(TestModel *b)
{
    conv_out(b, 5, 7, 13, 7, 3, 1, I64(1, 1, 1, 1), 1, 1, TRUE);
}
static void case_conv_stride2_odd_asym(TestModel *b)
{
    conv_out(b, 3, 6, 13, 7, 3, 2, I64(0, 0, 1, 1), 1, 1, TRUE);
}
static void case_conv_1x1_pixel(TestModel *b)
{
    conv_out(b, 1, 1, 1, 1, 1, 1, I64(0, 0, 0, 0), 1, 1, FALSE);
}
/* Pointwise: flattened tiles at any width (conv2d.comp POINTWISE): rows of
 * 29 pixels, 6 input channels (a partial block), 37 outputs (two channel
 * groups of tiles, a partial block), an odd pixel count; and 1x1 windows
 * that are not pointwise: padded, and strided. */
static void case_conv_1x1_wide(TestModel *b)
{
    conv_out(b, 6, 37, 9, 29, 1, 1, I64(0, 0, 0, 0), 1, 1, TRUE);
}
static void case_conv_1x1_padded(TestModel *b)
{
    conv_out(b, 5, 6, 7, 30, 1, 1, I64(1, 0, 0, 2), 1, 1, TRUE);
}
static void case_conv_1x1_stride2(TestModel *b)
{
    conv_out(b, 5, 6, 13, 30, 1, 2, I64(0, 0, 0, 0), 1, 1, FALSE);
}
static void case_conv_9x9_thin(TestModel *b)
{
    conv_out(b, 3, 8, 127, 3, 9, 1, I64(4, 4, 4, 4), 1, 1, TRUE);
}
/* Rows of >= 24 pixels take row tiles: a 5x5 stride-1 kernel slides its
 * window along the row (one fetch per tap), asymmetric pads, a partial tile. */
static void case_conv_5x5_row_tiles(TestModel *b)
{
    conv_out(b, 6, 5, 9, 37, 5, 1, I64(2, 3, 2, 1), 1, 1, TRUE);
}
static void case_conv_dilated_grouped(TestModel *b)
{
    conv_out(b, 6, 4, 13, 7, 3, 1, I64(2, 1, 2, 0), 2, 2, TRUE);
}
/* Depthwise, through a fused Clip(0, 0.5): the opset-13 form with inputs. */
static void case_conv_depthwise_clip(TestModel *b)
{
    conv_model(b, 10, 10, 13, 7, 3, 2, I64(1, 1, 1, 1), 1, 10, TRUE);
    tm_const(b, "lo", SHAPE(1), F(0.0f));
    tm_const(b, "hi", SHAPE(1), F(0.5f));
    tm_node(b, "Clip", NAMES("y", "lo", "hi"), "z");
    tm_output(b, "z");
}

/* Pad -> Conv -> act: the fused padding paths. */
static void padded_conv_c(TestModel *b, const char *mode, float value, const int64_t conv_pads[4],
                          const char *act, int64_t ic, int64_t oc)
{
    tm_input(b, "x", SHAPE(1, ic, 13, 7));
    tm_const_int(b, "pads", SHAPE(8), I64(0, 0, 2, 1, 0, 0, 1, 2));
    tm_const(b, "value", SHAPE(1), &value);
    tm_weight(b, "w", SHAPE(oc, ic, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b", SHAPE(oc), -1, 1);
    tm_node(b, "Pad", NAMES("x", "pads", "value"), "p");
    tm_attr_str(b, "mode", mode);
    tm_node(b, "Conv", NAMES("p", "w", "b"), "y");
    tm_attr_ints(b, "pads", conv_pads, 4);
    tm_node(b, act, NAMES("y"), "z");
    tm_output(b, "z");
}

static void padded_conv(TestModel *b, const char *mode, float value, const int64_t conv_pads[4],
                        const char *act)
{
    padded_conv_c(b, mode, value, conv_pads, act, 5, 6);
}

static void case_conv_pad_reflect_relu(TestModel *b)
{
    padded_conv(b, "reflect", 0, I64(0, 0, 0, 0), "Relu");
}
static void case_conv_pad_edge_sigmoid(TestModel *b)
{
    padded_conv(b, "edge", 0, I64(0, 0, 0, 0), "Sigmoid");
}
static void case_conv_pad_zero_plus_own_pads(TestModel *b)
{
    padded_conv(b, "constant", 0, I64(1, 0, 0, 1), "Relu");
}
static void case_conv_pad_constant_nonzero(TestModel *b)
{
    padded_conv(b, "constant", 1.5f, I64(0, 0, 0, 0), "Tanh");
}

/* Resize (nearest x2 or x3) -> [Pad reflect] -> Conv: the upsampling fused
 * into the convolution's reads. */
static void upsampled_conv_c(TestModel *b, const char *ctm, const char *nearest, float s,
                             gboolean pad, int64_t ic, int64_t oc)
{
    tm_input(b, "x", SHAPE(1, ic, 7, 5));
    tm_const(b, "scales", SHAPE(4), F(1, 1, s, s));
    tm_const_int(b, "pads", SHAPE(8), I64(0, 0, 1, 1, 0, 0, 1, 1));
    tm_weight(b, "w", SHAPE(oc, ic, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b", SHAPE(oc), -1, 1);
    tm_node(b, "Resize", NAMES("x", "", "scales"), "u");
    tm_attr_str(b, "mode", "nearest");
    tm_attr_str(b, "coordinate_transformation_mode", ctm);
    tm_attr_str(b, "nearest_mode", nearest);
    if (pad) {
        tm_node(b, "Pad", NAMES("u", "pads"), "p");
        tm_attr_str(b, "mode", "reflect");
    }
    tm_node(b, "Conv", NAMES(pad ? "p" : "u", "w", "b"), "y");
    tm_attr_ints(b, "pads", INTS(0, 1, 1, 0));
    tm_node(b, "Relu", NAMES("y"), "z");
    tm_output(b, "z");
}

static void case_conv_upsampled_reflect(TestModel *b)
{
    upsampled_conv_c(b, "asymmetric", "floor", 2, TRUE, 5, 6);
}
static void case_conv_upsampled_x3_half_pixel(TestModel *b)
{
    upsampled_conv_c(b, "half_pixel", "round_prefer_floor", 3, FALSE, 5, 6);
}

/* Winograd F(4x4, 3x3) runs 3x3 stride-1 layers of >= 16 channels: edge
 * tiles (sizes not multiples of 4), channels not multiples of 4, batches,
 * asymmetric pads, fused reflection/edge padding, upsampling and
 * activations, and bands (tiles split over several passes; 2048 tiles of
 * 64 channels exceed one 8 MiB band on lavapipe, and bands cross images). */
static void winograd_model(TestModel *b, int64_t n, int64_t c, int64_t oc, int64_t h, int64_t w,
                           const int64_t pads[4])
{
    tm_input(b, "x", SHAPE(n, c, h, w));
    tm_weight(b, "w", SHAPE(oc, c, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b", SHAPE(oc), -1, 1);
    tm_node(b, "Conv", NAMES("x", "w", "b"), "y");
    tm_attr_ints(b, "pads", pads, 4);
    tm_output(b, "y");
}

/* Channels chosen so that every device takes the Winograd path (on a CPU:
 * ic * oc >= 12 (ic + oc), vknn_conv_winograd_suits). */
static void case_conv_winograd_edges_batch(TestModel *b)
{
    winograd_model(b, 2, 26, 29, 13, 11, I64(1, 0, 2, 1));
}
static void case_conv_winograd_bands(TestModel *b)
{
    winograd_model(b, 2, 64, 16, 128, 127, I64(1, 1, 1, 1));
}
static void case_conv_winograd_reflect_relu(TestModel *b)
{
    padded_conv_c(b, "reflect", 0, I64(0, 0, 0, 0), "Relu", 24, 28);
}
static void case_conv_winograd_edge_pads(TestModel *b)
{
    padded_conv_c(b, "edge", 0, I64(1, 0, 0, 1), "Sigmoid", 25, 24);
}
static void case_conv_winograd_upsampled(TestModel *b)
{
    upsampled_conv_c(b, "asymmetric", "floor", 2, TRUE, 28, 24);
}

static void conv_transpose_model(TestModel *b, int64_t c, int64_t oc, int64_t h, int64_t w,
                                 const int64_t pads[4], int64_t out_pad)
{
    tm_input(b, "x", SHAPE(1, c, h, w));
    tm_weight(b, "w", SHAPE(c, oc, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b", SHAPE(oc), -1, 1);
    tm_node(b, "ConvTranspose", NAMES("x", "w", "b"), "y");
    tm_attr_ints(b, "strides", INTS(2, 2));
    tm_attr_ints(b, "pads", pads, 4);
    if (out_pad)
        tm_attr_ints(b, "output_padding", INTS(out_pad, out_pad));
    tm_output(b, "y");
}

static void case_conv_transpose_tf_same(TestModel *b)
{
    conv_transpose_model(b, 5, 3, 7, 5, I64(0, 0, 1, 1), 0);
}
static void case_conv_transpose_output_padding(TestModel *b)
{
    conv_transpose_model(b, 6, 9, 4, 3, I64(1, 1, 1, 1), 1);
}

static void instance_norm_model(TestModel *b, int64_t c, int64_t h, int64_t w, const char *act)
{
    tm_input(b, "x", SHAPE(1, c, h, w));
    tm_weight(b, "g", SHAPE(c), 0.5f, 1.5f);
    tm_weight(b, "b", SHAPE(c), -1, 1);
    tm_node(b, "InstanceNormalization", NAMES("x", "g", "b"), "y");
    tm_attr_float(b, "epsilon", 1e-3f);
    tm_node(b, act, NAMES("y"), "z");
    tm_output(b, "z");
}

static void case_norm_instance_relu(TestModel *b)
{
    instance_norm_model(b, 6, 13, 7, "Relu");
}
static void case_norm_instance_tall(TestModel *b)
{
    instance_norm_model(b, 3, 127, 3, "Sigmoid");
}

/* InstanceNormalization [-> Relu] [-> Pad] -> Conv: the convolution
 * normalizes its input while reading it (lowering fuses the norm's apply
 * pass); pad_mode NULL: the Conv's own zero padding, which must stay zero. */
static void norm_conv_model(TestModel *b, int64_t n, int64_t c, int64_t h, int64_t w, gboolean relu,
                            const char *pad_mode, int64_t k, int64_t oc)
{
    tm_input(b, "x", SHAPE(n, c, h, w));
    tm_weight(b, "g", SHAPE(c), 0.5f, 1.5f);
    tm_weight(b, "b", SHAPE(c), -1, 1);
    tm_weight(b, "w", SHAPE(oc, c, k, k), -0.5f, 0.5f);
    tm_weight(b, "cb", SHAPE(oc), -1, 1);
    tm_node(b, "InstanceNormalization", NAMES("x", "g", "b"), "y");
    tm_attr_float(b, "epsilon", 1e-3f);
    const char *next = "y";
    if (relu) {
        tm_node(b, "Relu", NAMES("y"), "r");
        next = "r";
    }
    const int64_t pad = k / 2;
    if (pad_mode) {
        tm_const_int(b, "pads", SHAPE(8), I64(0, 0, pad, pad, 0, 0, pad, pad));
        tm_node(b, "Pad", NAMES(next, "pads"), "p");
        tm_attr_str(b, "mode", pad_mode);
        next = "p";
    }
    tm_node(b, "Conv", NAMES(next, "w", "cb"), "z");
    if (!pad_mode)
        tm_attr_ints(b, "pads", INTS(pad, pad, pad, pad));
    tm_output(b, "z");
}

static void case_norm_fused_conv_rows_batch2(TestModel *b)
{
    norm_conv_model(b, 2, 6, 5, 37, TRUE, NULL, 3, 5);
}
static void case_norm_fused_conv_flat_1x1(TestModel *b)
{
    norm_conv_model(b, 2, 7, 6, 7, FALSE, NULL, 1, 9);
}
static void case_norm_fused_winograd_reflect(TestModel *b)
{
    norm_conv_model(b, 2, 24, 13, 11, TRUE, "reflect", 3, 26);
}
static void case_norm_fused_conv_9x9_image(TestModel *b)
{
    norm_conv_model(b, 1, 3, 12, 30, TRUE, "reflect", 9, 3);
}

/* BatchNormalization of x into y, its four parameters named after y. */
static void bn(TestModel *b, const char *x, const char *y, int64_t c)
{
    g_autofree char *s = g_strdup_printf("%s_s", y), *bias = g_strdup_printf("%s_b", y);
    g_autofree char *mu = g_strdup_printf("%s_m", y), *v = g_strdup_printf("%s_v", y);
    tm_weight(b, s, SHAPE(c), 0.5f, 1.5f);
    tm_weight(b, bias, SHAPE(c), -1, 1);
    tm_weight(b, mu, SHAPE(c), -1, 1);
    tm_weight(b, v, SHAPE(c), 0.1f, 2.0f);
    tm_node(b, "BatchNormalization", NAMES(x, s, bias, mu, v), y);
}

static void case_conv_bn_leaky_then_bn(TestModel *b)
{
    conv_model(b, 5, 6, 13, 7, 3, 1, I64(1, 1, 1, 1), 1, 1, TRUE);
    bn(b, "y", "y_bn", 6); /* folded into the conv */
    tm_node(b, "LeakyRelu", NAMES("y_bn"), "y_act");
    tm_attr_float(b, "alpha", 0.1f);
    bn(b, "y_act", "z", 6); /* standalone: no conv right before it */
    tm_output(b, "z");
}

static void unary_model(TestModel *b, const char *op, int opset)
{
    b->m->opset = opset;
    tm_input(b, "x", SHAPE(1, 7, 13, 7));
    tm_node(b, op, NAMES("x"), "y");
    if (g_str_equal(op, "Clip")) {
        tm_attr_float(b, "min", -0.5f);
        tm_attr_float(b, "max", 0.75f);
    }
    if (g_str_equal(op, "LeakyRelu"))
        tm_attr_float(b, "alpha", 0.2f);
    tm_output(b, "y");
}

static void case_unary_clip_opset6(TestModel *b)
{
    unary_model(b, "Clip", 6);
}
static void case_unary_leaky(TestModel *b)
{
    unary_model(b, "LeakyRelu", 13);
}
static void case_unary_relu(TestModel *b)
{
    unary_model(b, "Relu", 13);
}
static void case_unary_sigmoid(TestModel *b)
{
    unary_model(b, "Sigmoid", 13);
}
static void case_unary_tanh(TestModel *b)
{
    unary_model(b, "Tanh", 13);
}

static void binary_model(TestModel *b, const char *op, VknnShape sa, VknnShape sb, gboolean b_const)
{
    tm_input(b, "a", sa);
    if (b_const)
        tm_weight(b, "b", sb, 0.5f, 2.0f); /* away from 0 for Div */
    else
        tm_input(b, "b", sb);
    tm_node(b, op, NAMES("a", "b"), "y");
    tm_output(b, "y");
}

static void case_binary_add_same(TestModel *b)
{
    binary_model(b, "Add", SHAPE(1, 5, 13, 7), SHAPE(1, 5, 13, 7), FALSE);
}
static void case_binary_add_outer(TestModel *b)
{
    binary_model(b, "Add", SHAPE(1, 5, 1, 7), SHAPE(1, 1, 13, 1), FALSE);
}
static void case_binary_div_channel4d(TestModel *b)
{
    binary_model(b, "Div", SHAPE(1, 5, 13, 7), SHAPE(1, 5, 1, 1), TRUE);
}
static void case_binary_mul_scalar(TestModel *b)
{
    binary_model(b, "Mul", SHAPE(1, 3, 13, 7), SHAPE(1), TRUE);
}
static void case_binary_mul_rows(TestModel *b)
{
    binary_model(b, "Mul", SHAPE(2, 10), SHAPE(10), TRUE);
}
static void case_binary_sub_channel(TestModel *b)
{
    binary_model(b, "Sub", SHAPE(1, 6, 13, 7), SHAPE(6, 1, 1), TRUE);
}

/* Elementwise steps overwrite an input that dies there, and only then:
 * y is read again after the Sigmoid (no overwrite), s and y both die at the
 * Add, the sum dies at the InstanceNormalization; the graph input x and the
 * output t are never overwritten (t is read by the Relu and is an output). */
static void case_binary_in_place_chain(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 6, 9, 7));
    tm_weight(b, "w", SHAPE(6, 6, 1, 1), -0.5f, 0.5f);
    tm_weight(b, "g", SHAPE(6), 0.5f, 1.5f);
    tm_weight(b, "bt", SHAPE(6), -0.5f, 0.5f);
    tm_node(b, "Conv", NAMES("x", "w"), "y");
    tm_node(b, "Sigmoid", NAMES("y"), "s");
    tm_node(b, "Add", NAMES("s", "y"), "sum");
    tm_node(b, "InstanceNormalization", NAMES("sum", "g", "bt"), "t");
    tm_node(b, "Relu", NAMES("t"), "r");
    tm_node(b, "Mul", NAMES("r", "x"), "z");
    tm_output(b, "t");
    tm_output(b, "z");
}

static void pad_model(TestModel *b, const char *mode, float value)
{
    tm_input(b, "x", SHAPE(1, 5, 13, 7));
    tm_const_int(b, "pads", SHAPE(8), I64(0, 0, 2, 3, 0, 0, 1, 2));
    tm_const(b, "value", SHAPE(1), &value);
    tm_node(b, "Pad", NAMES("x", "pads", "value"), "y");
    tm_attr_str(b, "mode", mode);
    tm_output(b, "y");
}

static void case_pad_reflect(TestModel *b)
{
    pad_model(b, "reflect", 0);
}
static void case_pad_edge(TestModel *b)
{
    pad_model(b, "edge", 0);
}
static void case_pad_constant(TestModel *b)
{
    pad_model(b, "constant", 1.5f);
}

/* Resize by scales (sh, sw), or to sizes when given. */
static void resize_model(TestModel *b, const char *mode, const char *ctm, const char *nearest,
                         float sh, float sw, const int64_t *sizes)
{
    tm_input(b, "x", SHAPE(1, 5, 13, 7));
    if (sizes) {
        tm_const_int(b, "sizes", SHAPE(4), sizes);
        tm_node(b, "Resize", NAMES("x", "", "", "sizes"), "y");
    } else {
        tm_const(b, "scales", SHAPE(4), F(1, 1, sh, sw));
        tm_node(b, "Resize", NAMES("x", "", "scales"), "y");
    }
    tm_attr_str(b, "mode", mode);
    tm_attr_str(b, "coordinate_transformation_mode", ctm);
    if (nearest)
        tm_attr_str(b, "nearest_mode", nearest);
    tm_output(b, "y");
}

static void case_resize_nearest_x2(TestModel *b)
{
    resize_model(b, "nearest", "asymmetric", "floor", 2, 2, NULL);
}
static void case_resize_nearest_half_pixel(TestModel *b)
{
    resize_model(b, "nearest", "half_pixel", NULL, 1.5f, 0.5f, NULL);
}
static void case_resize_linear_half_pixel(TestModel *b)
{
    resize_model(b, "linear", "half_pixel", NULL, 1.5f, 0.5f, NULL);
}
static void case_resize_linear_align_corners_sizes(TestModel *b)
{
    resize_model(b, "linear", "align_corners", NULL, 0, 0, I64(1, 5, 20, 9));
}
static void case_resize_upsample_opset9(TestModel *b)
{
    b->m->opset = 9;
    tm_input(b, "x", SHAPE(1, 3, 7, 5));
    tm_const(b, "scales", SHAPE(4), F(1, 1, 2, 3));
    tm_node(b, "Upsample", NAMES("x", "scales"), "y");
    tm_output(b, "y");
}

static void pool_model(TestModel *b, const char *op, int64_t k, int64_t s, const int64_t pads[4],
                       gboolean ceil, int64_t count_pad, int64_t dil)
{
    tm_input(b, "x", SHAPE(1, 6, 13, 7));
    tm_node(b, op, NAMES("x"), "y");
    tm_attr_ints(b, "kernel_shape", INTS(k, k));
    tm_attr_ints(b, "strides", INTS(s, s));
    tm_attr_ints(b, "pads", pads, 4);
    tm_attr_int(b, "ceil_mode", ceil);
    if (g_str_equal(op, "AveragePool"))
        tm_attr_int(b, "count_include_pad", count_pad);
    else
        tm_attr_ints(b, "dilations", INTS(dil, dil));
    tm_output(b, "y");
}

static void case_pool_avg_exclude_pad(TestModel *b)
{
    pool_model(b, "AveragePool", 3, 2, I64(1, 1, 1, 1), TRUE, 0, 1);
}
static void case_pool_avg_include_pad(TestModel *b)
{
    pool_model(b, "AveragePool", 3, 2, I64(1, 1, 1, 1), FALSE, 1, 1);
}
static void case_pool_max_ceil(TestModel *b)
{
    pool_model(b, "MaxPool", 3, 2, I64(0, 0, 0, 0), TRUE, 0, 1);
}
static void case_pool_max_dilated_padded(TestModel *b)
{
    pool_model(b, "MaxPool", 2, 1, I64(1, 0, 0, 1), FALSE, 0, 2);
}

static void global_pool_model(TestModel *b, const char *op, int64_t n, int64_t c)
{
    tm_input(b, "x", SHAPE(n, c, 13, 7));
    tm_node(b, op, NAMES("x"), "y");
    tm_output(b, "y");
}

static void case_pool_global_average(TestModel *b)
{
    global_pool_model(b, "GlobalAveragePool", 1, 10);
}
/* Enough small blocks for one invocation per block (global_pool.c). */
static void case_pool_global_average_blocks(TestModel *b)
{
    global_pool_model(b, "GlobalAveragePool", 2, 130);
}
static void case_pool_global_max(TestModel *b)
{
    global_pool_model(b, "GlobalMaxPool", 1, 10);
}
static void case_pool_global_max_blocks(TestModel *b)
{
    global_pool_model(b, "GlobalMaxPool", 2, 130);
}

static void case_concat_odd_channels(TestModel *b)
{
    tm_input(b, "a", SHAPE(1, 3, 13, 7));
    tm_input(b, "b", SHAPE(1, 5, 13, 7));
    tm_input(b, "c", SHAPE(1, 2, 13, 7));
    tm_node(b, "Concat", NAMES("a", "b", "c"), "y");
    tm_attr_int(b, "axis", 1);
    tm_output(b, "y");
}

/* Conv (3x3, pads 1) -> Relu from x into out, with weights w and bias bias. */
static void conv_relu(TestModel *b, const char *w, const char *bias, int64_t oc, int64_t ic,
                      const char *out)
{
    g_autofree char *pre = g_strconcat(out, "_pre", NULL);
    tm_weight(b, w, SHAPE(oc, ic, 3, 3), -0.5f, 0.5f);
    tm_weight(b, bias, SHAPE(oc), -0.2f, 0.5f);
    tm_node(b, "Conv", NAMES("x", w, bias), pre);
    tm_attr_ints(b, "pads", INTS(1, 1, 1, 1));
    tm_node(b, "Relu", NAMES(pre), out);
}

static void concat_axis1(TestModel *b, const char *const *in, int n_in, const char *out)
{
    tm_node(b, "Concat", in, n_in, out);
    tm_attr_int(b, "axis", 1);
}

/* Channel concats the executor elides (producers write their slices in
 * place: batch 1, leading inputs with channels in multiples of 4) and ones
 * it must copy: a concat of an elided concat's output, the same value twice,
 * and the batch-2 variant where nothing is elided. Graph outputs read a
 * slice (b) and both concats. */
static void concat_in_place(TestModel *b, int64_t n, gboolean all_outputs)
{
    tm_input(b, "x", SHAPE(n, 5, 9, 7));
    conv_relu(b, "wa", "ba", 4, 5, "a");
    conv_relu(b, "wb", "bb", 8, 5, "b");
    conv_relu(b, "wc", "bc", 3, 5, "c");
    concat_axis1(b, NAMES("a", "b", "c"), "abc");
    concat_axis1(b, NAMES("abc", "a"), "abca");
    concat_axis1(b, NAMES("c", "c"), "cc");
    tm_node(b, "Add", NAMES("abca", "abca"), "sum");
    tm_output(b, "sum");
    if (all_outputs) {
        tm_output(b, "b");
        tm_output(b, "abc");
        tm_output(b, "cc");
    }
}

static void case_concat_in_place(TestModel *b)
{
    concat_in_place(b, 1, TRUE);
}
static void case_concat_in_place_batch2(TestModel *b)
{
    concat_in_place(b, 2, TRUE);
}
/* The gradient flows through the elided and the copied concat to x and to
 * every convolution (one output seeds it). */
static void case_concat_in_place_grad(TestModel *b)
{
    concat_in_place(b, 1, FALSE);
}

static void case_reshape_relayout(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 6, 5, 4));
    tm_const_int(b, "s1", SHAPE(4), I64(1, 4, 0, -1));
    tm_const_int(b, "s2", SHAPE(3), I64(2, 12, 5));
    tm_node(b, "Reshape", NAMES("x", "s1"), "r1");
    tm_node(b, "Identity", NAMES("r1"), "i1");
    tm_node(b, "Reshape", NAMES("i1", "s2"), "r2");
    tm_node(b, "Dropout", NAMES("r2"), "y");
    tm_output(b, "y");
    tm_output(b, "r1");
}

/* GlobalAveragePool -> Flatten -> Gemm(transB) -> Softmax: a classifier head. */
static void case_gemm_classifier_head(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 10, 5, 3));
    tm_weight(b, "w", SHAPE(7, 10), -0.5f, 0.5f);
    tm_weight(b, "bias", SHAPE(7), -1, 1);
    tm_node(b, "GlobalAveragePool", NAMES("x"), "g");
    tm_node(b, "Flatten", NAMES("g"), "f");
    tm_node(b, "Gemm", NAMES("f", "w", "bias"), "logits");
    tm_attr_int(b, "transB", 1);
    tm_attr_float(b, "alpha", 0.5f);
    tm_attr_float(b, "beta", 2.0f);
    tm_node(b, "Softmax", NAMES("logits"), "p");
    tm_output(b, "logits");
    tm_output(b, "p");
}

static void case_gemm_matmul_activations(TestModel *b)
{
    tm_input(b, "a", SHAPE(3, 10));
    tm_input(b, "b", SHAPE(10, 7));
    tm_weight(b, "w", SHAPE(7, 5), -1, 1);
    tm_node(b, "MatMul", NAMES("a", "b"), "ab");
    tm_node(b, "MatMul", NAMES("ab", "w"), "y");
    tm_output(b, "y");
}

/* LRN across channels: windows clipped at both ends of an odd channel count
 * and crossing 4-channel blocks, in a batch of 2. */
static void case_norm_lrn_size5(TestModel *b)
{
    tm_input(b, "x", SHAPE(2, 7, 5, 6));
    tm_node(b, "LRN", NAMES("x"), "y");
    tm_attr_int(b, "size", 5);
    tm_attr_float(b, "alpha", 0.2f);
    tm_attr_float(b, "beta", 0.6f);
    tm_attr_float(b, "bias", 2.0f);
    tm_output(b, "y");
}

/* An even size: the window reaches one channel further up than down. */
static void case_norm_lrn_even_size(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 13, 3, 4));
    tm_node(b, "LRN", NAMES("x"), "y");
    tm_attr_int(b, "size", 4);
    tm_attr_float(b, "alpha", 0.5f);
    tm_output(b, "y");
}

static void case_softmax_channels(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 6, 5, 3));
    tm_node(b, "Softmax", NAMES("x"), "y");
    tm_attr_int(b, "axis", 1);
    tm_output(b, "y");
}

/* ---- gradient cases of whole subgraphs ------------------------------------------ */

/* SqueezeNet's fire module and pooling: fused activations, a value read by
 * two convolutions (gradients summed), Concat at a channel offset that is
 * not a multiple of 4, MaxPool with ceil_mode. With e1 channels a multiple
 * of 4 the concat is assembled in place and its backward aliases the
 * inputs' gradients to slices of its output's (backward.c). */
static void fire_module(TestModel *b, int64_t e1)
{
    tm_input(b, "x", SHAPE(1, 6, 9, 7));
    tm_weight(b, "ws", SHAPE(5, 6, 1, 1), -0.5f, 0.5f);
    tm_weight(b, "bs", SHAPE(5), -0.2f, 0.5f);
    tm_weight(b, "w1", SHAPE(e1, 5, 1, 1), -0.5f, 0.5f);
    tm_weight(b, "b1", SHAPE(e1), -0.2f, 0.5f);
    tm_weight(b, "w3", SHAPE(6, 5, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b3", SHAPE(6), -0.2f, 0.5f);
    tm_node(b, "Conv", NAMES("x", "ws", "bs"), "sq");
    tm_node(b, "Relu", NAMES("sq"), "s");
    tm_node(b, "Conv", NAMES("s", "w1", "b1"), "e1");
    tm_node(b, "Relu", NAMES("e1"), "r1");
    tm_node(b, "Conv", NAMES("s", "w3", "b3"), "e3");
    tm_attr_ints(b, "pads", INTS(1, 1, 1, 1));
    tm_node(b, "Relu", NAMES("e3"), "r3");
    concat_axis1(b, NAMES("r1", "r3"), "cat");
    tm_node(b, "MaxPool", NAMES("cat"), "y");
    tm_attr_ints(b, "kernel_shape", INTS(3, 3));
    tm_attr_ints(b, "strides", INTS(2, 2));
    tm_attr_int(b, "ceil_mode", 1);
    tm_output(b, "y");
}

static void case_fire_module(TestModel *b)
{
    fire_module(b, 3);
}
static void case_fire_module_in_place(TestModel *b)
{
    fire_module(b, 4);
}

/* MobileNetV2's residual: x + Clip(Conv(x)). */
static void case_residual_clip(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 5, 8, 6));
    tm_weight(b, "w", SHAPE(5, 5, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b", SHAPE(5), -0.5f, 0.5f);
    tm_const(b, "lo", SHAPE(1), F(0.0f));
    tm_const(b, "hi", SHAPE(1), F(1.0f));
    tm_node(b, "Conv", NAMES("x", "w", "b"), "c");
    tm_attr_ints(b, "pads", INTS(1, 1, 1, 1));
    tm_node(b, "Clip", NAMES("c", "lo", "hi"), "r");
    tm_node(b, "Add", NAMES("x", "r"), "y");
    tm_output(b, "y");
}

/* One TransformerNet stage as training sees it: reflection padding, conv,
 * instance norm, ReLU, nearest upsampling, and a residual connection. */
static void case_transformer_block(TestModel *b)
{
    tm_input(b, "x", SHAPE(1, 4, 6, 5));
    tm_weight(b, "w1", SHAPE(6, 4, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b1", SHAPE(6), -0.5f, 0.5f);
    tm_weight(b, "g", SHAPE(6), 0.5f, 1.5f);
    tm_weight(b, "beta", SHAPE(6), -0.5f, 0.5f);
    tm_weight(b, "w2", SHAPE(4, 6, 3, 3), -0.5f, 0.5f);
    tm_weight(b, "b2", SHAPE(4), -0.5f, 0.5f);
    tm_const_int(b, "p1", SHAPE(8), I64(0, 0, 1, 1, 0, 0, 1, 1));
    tm_const(b, "scales", SHAPE(4), F(1, 1, 2, 2));
    tm_node(b, "Pad", NAMES("x", "p1"), "xp");
    tm_node(b, "Conv", NAMES("xp", "w1", "b1"), "c1");
    tm_node(b, "InstanceNormalization", NAMES("c1", "g", "beta"), "n1");
    tm_node(b, "Relu", NAMES("n1"), "r1");
    tm_node(b, "Resize", NAMES("r1", "", "scales"), "up");
    tm_attr_str(b, "mode", "nearest");
    tm_attr_str(b, "coordinate_transformation_mode", "asymmetric");
    tm_attr_str(b, "nearest_mode", "floor");
    tm_node(b, "Pad", NAMES("up", "p1"), "upp");
    tm_node(b, "Conv", NAMES("upp", "w2", "b2"), "c2");
    tm_attr_ints(b, "strides", INTS(2, 2));
    tm_node(b, "Add", NAMES("c2", "x"), "y");
    tm_output(b, "y");
}

/* ---- the cases of each op, in the order of compute/ops.def ------------------------ */

typedef struct {
    const char *op;   /* the op of compute/ops.def it is about, or GRAPH */
    const char *name; /* starts with its family: `test_ops conv` runs conv_* */
    void (*build)(TestModel *b);
    guint32 seed; /* of its first random tensor */
    /* gradient cases: the mode, and whether the weights and biases of
     * Conv and InstanceNormalization are differentiated too */
    VknnGradMode mode;
    gboolean weights;
} OpCase;

/* The tag of the gradient cases of subgraphs, after those of single ops. */
#define GRAPH "graph"

/* The seeds are those the cases had when each took the seeds after its
 * predecessor's in the run of its family (ops_conv, ops_grad, ...): kept,
 * so that every case runs on the data it always had. */
#define CASE(op, fn, seed)                                                                         \
    {                                                                                              \
#op, #fn + 5, fn, seed, VKNN_GRAD_STANDARD, FALSE                                          \
    }
#define GRAD(op, fn, seed, weights)                                                                \
    {                                                                                              \
#op, #fn + 5, fn, seed, VKNN_GRAD_STANDARD, weights                                        \
    }
#define GUIDED(op, name, fn, seed)                                                                 \
    {                                                                                              \
#op, name, fn, seed, VKNN_GRAD_GUIDED, FALSE                                               \
    }

static const OpCase op_cases[] = {
    CASE(Conv, case_conv_3x3, 1),
    CASE(Conv, case_conv_stride2_odd_asym, 4),
    CASE(Conv, case_conv_1x1_pixel, 7),
    CASE(Conv, case_conv_1x1_wide, 9),
    CASE(Conv, case_conv_1x1_padded, 12),
    CASE(Conv, case_conv_1x1_stride2, 15),
    CASE(Conv, case_conv_9x9_thin, 17),
    CASE(Conv, case_conv_5x5_row_tiles, 20),
    CASE(Conv, case_conv_dilated_grouped, 23),
    CASE(Conv, case_conv_depthwise_clip, 26),
    CASE(Conv, case_conv_pad_reflect_relu, 29),
    CASE(Conv, case_conv_pad_edge_sigmoid, 32),
    CASE(Conv, case_conv_pad_zero_plus_own_pads, 35),
    CASE(Conv, case_conv_pad_constant_nonzero, 38),
    CASE(Conv, case_conv_upsampled_reflect, 52),
    CASE(Conv, case_conv_upsampled_x3_half_pixel, 55),
    CASE(Conv, case_conv_winograd_edges_batch, 58),
    CASE(Conv, case_conv_winograd_bands, 61),
    CASE(Conv, case_conv_winograd_reflect_relu, 64),
    CASE(Conv, case_conv_winograd_edge_pads, 67),
    CASE(Conv, case_conv_winograd_upsampled, 70),
    CASE(ConvTranspose, case_conv_transpose_tf_same, 73),
    CASE(ConvTranspose, case_conv_transpose_output_padding, 76),
    CASE(InstanceNormalization, case_norm_instance_relu, 1),
    CASE(InstanceNormalization, case_norm_instance_tall, 4),
    CASE(InstanceNormalization, case_norm_fused_conv_rows_batch2, 7),
    CASE(InstanceNormalization, case_norm_fused_conv_flat_1x1, 12),
    CASE(InstanceNormalization, case_norm_fused_winograd_reflect, 17),
    CASE(InstanceNormalization, case_norm_fused_conv_9x9_image, 22),
    CASE(LRN, case_norm_lrn_size5, 30),
    CASE(LRN, case_norm_lrn_even_size, 33),
    /* folded into a Conv, and standalone */
    CASE(BatchNormalization, case_conv_bn_leaky_then_bn, 41),
    CASE(Clip, case_unary_clip_opset6, 3),
    CASE(LeakyRelu, case_unary_leaky, 2),
    CASE(Relu, case_unary_relu, 1),
    CASE(Sigmoid, case_unary_sigmoid, 4),
    CASE(Tanh, case_unary_tanh, 5),
    CASE(Add, case_binary_add_same, 1),
    CASE(Add, case_binary_add_outer, 9),
    /* elementwise steps writing in place */
    CASE(Add, case_binary_in_place_chain, 13),
    CASE(Div, case_binary_div_channel4d, 7),
    CASE(Mul, case_binary_mul_scalar, 3),
    CASE(Mul, case_binary_mul_rows, 11),
    CASE(Sub, case_binary_sub_channel, 5),
    CASE(Pad, case_pad_reflect, 1),
    CASE(Pad, case_pad_edge, 2),
    CASE(Pad, case_pad_constant, 3),
    CASE(Resize, case_resize_nearest_x2, 1),
    CASE(Resize, case_resize_nearest_half_pixel, 2),
    CASE(Resize, case_resize_linear_half_pixel, 3),
    CASE(Resize, case_resize_linear_align_corners_sizes, 4),
    CASE(Upsample, case_resize_upsample_opset9, 5),
    CASE(AveragePool, case_pool_avg_exclude_pad, 3),
    CASE(AveragePool, case_pool_avg_include_pad, 4),
    CASE(MaxPool, case_pool_max_ceil, 1),
    CASE(MaxPool, case_pool_max_dilated_padded, 2),
    CASE(GlobalAveragePool, case_pool_global_average, 5),
    CASE(GlobalAveragePool, case_pool_global_average_blocks, 7),
    CASE(GlobalMaxPool, case_pool_global_max, 6),
    CASE(GlobalMaxPool, case_pool_global_max_blocks, 8),
    CASE(Concat, case_concat_odd_channels, 1),
    CASE(Concat, case_concat_in_place, 4),
    CASE(Concat, case_concat_in_place_batch2, 11),
    /* with Identity and Dropout (Flatten: gemm_classifier_head) */
    CASE(Reshape, case_reshape_relayout, 1),
    CASE(Gemm, case_gemm_classifier_head, 1),
    CASE(MatMul, case_gemm_matmul_activations, 4),
    CASE(Softmax, case_softmax_channels, 1),
};

/* Winograd layers with fp16 tiles and products: each stored value carries a
 * relative error of up to 2^-11, which the output transform's coefficients
 * (up to 8 per dimension) and sums over channels amplify. */
#define FP16_TILES_REL_TOL 3e-2
static const OpCase fp16_tile_cases[] = {
    CASE(Conv, case_conv_winograd_edges_batch, 79),
    CASE(Conv, case_conv_winograd_bands, 82),
    CASE(Conv, case_conv_winograd_reflect_relu, 85),
    CASE(Conv, case_conv_winograd_upsampled, 88),
    /* an InstanceNormalization applied as the tiles are read */
    CASE(InstanceNormalization, case_norm_fused_winograd_reflect, 27),
};

static const OpCase grad_cases[] = {
    GRAD(Conv, case_conv_3x3, 1, TRUE),
    GRAD(Conv, case_conv_winograd_edges_batch, 6, TRUE),
    GRAD(Conv, case_conv_stride2_odd_asym, 11, TRUE),
    GRAD(Conv, case_conv_1x1_pixel, 16, TRUE),
    GRAD(Conv, case_conv_1x1_wide, 20, TRUE),
    GRAD(Conv, case_conv_1x1_stride2, 25, TRUE),
    GRAD(Conv, case_conv_9x9_thin, 29, TRUE),
    GRAD(Conv, case_conv_dilated_grouped, 34, TRUE),
    GRAD(Conv, case_conv_depthwise_clip, 39, TRUE),
    GRAD(Conv, case_conv_pad_zero_plus_own_pads, 44, TRUE),
    GRAD(Conv, case_conv_pad_reflect_relu, 109, TRUE),
    GRAD(Conv, case_conv_pad_edge_sigmoid, 114, TRUE),
    GRAD(Conv, case_conv_upsampled_reflect, 119, TRUE),
    GRAD(InstanceNormalization, case_norm_instance_relu, 124, TRUE),
    GRAD(InstanceNormalization, case_norm_instance_tall, 129, TRUE),
    GRAD(Clip, case_unary_clip_opset6, 55, FALSE),
    GRAD(LeakyRelu, case_unary_leaky, 52, FALSE),
    GRAD(Relu, case_unary_relu, 49, FALSE),
    GUIDED(Relu, "guided_relu", case_unary_relu, 186),
    GRAD(Sigmoid, case_unary_sigmoid, 58, FALSE),
    GRAD(Tanh, case_unary_tanh, 61, FALSE),
    GRAD(Add, case_binary_add_same, 64, FALSE),
    GRAD(Mul, case_binary_mul_scalar, 68, FALSE),
    GRAD(Pad, case_pad_reflect, 134, FALSE),
    GRAD(Pad, case_pad_edge, 137, FALSE),
    GRAD(Pad, case_pad_constant, 140, FALSE),
    GRAD(Resize, case_resize_nearest_x2, 143, FALSE),
    GRAD(AveragePool, case_pool_avg_exclude_pad, 78, FALSE),
    GRAD(AveragePool, case_pool_avg_include_pad, 81, FALSE),
    GRAD(MaxPool, case_pool_max_ceil, 72, FALSE),
    GRAD(MaxPool, case_pool_max_dilated_padded, 75, FALSE),
    GRAD(GlobalAveragePool, case_pool_global_average, 84, FALSE),
    GRAD(Concat, case_concat_odd_channels, 87, FALSE),
    GRAD(Concat, case_concat_in_place_grad, 92, TRUE),
    GRAD(Reshape, case_reshape_relayout, 106, FALSE),
    GRAD(Gemm, case_gemm_classifier_head, 101, FALSE),
    GRAD(graph, case_transformer_block, 146, TRUE),
    GRAD(graph, case_fire_module, 155, TRUE),
    GRAD(graph, case_fire_module_in_place, 164, TRUE),
    GRAD(graph, case_residual_clip, 173, TRUE),
    GUIDED(graph, "guided_fire_module", case_fire_module, 178),
};

/* grad_multi_output: its own check, after the table's cases. */
#define MULTI_OUTPUT_SEED 188

/* ---- running them ------------------------------------------------------------------ */

/* Builds case c; on a failed building step reports it (FALSE). */
static gboolean build(const OpCase *c, TestModel *b)
{
    *b = tm_new(0, c->seed);
    c->build(b);
    if (b->error)
        printf("    building the model: %s\n", b->error);
    return !b->error;
}

/* Runs the forward cases whose name + suffix starts with family against
 * the reference at the precision. */
static void run_forward(const OpCase *cases, gsize n, const char *suffix, double rel_tol,
                        VknnPrecision precision, const char *family, VknnContext *ctx)
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *name = g_strconcat(cases[i].name, suffix, NULL);
        if (!g_str_has_prefix(name, family))
            continue;
        printf("%s [%s]\n", name, cases[i].op);
        TestModel b;
        test_check(build(&cases[i], &b) && compare(&b, ctx, rel_tol, precision), "%s", name);
        tm_clear(&b);
    }
}

/* Runs the gradient cases whose name (grad_ + the table's) starts with
 * family. */
static void run_grad(const char *family, VknnContext *ctx)
{
    for (gsize i = 0; i < G_N_ELEMENTS(grad_cases); i++) {
        const OpCase *c = &grad_cases[i];
        g_autofree char *name = g_strconcat("grad_", c->name, NULL);
        if (!g_str_has_prefix(name, family))
            continue;
        printf("%s [%s]\n", name, c->op);
        TestModel b;
        test_check(build(c, &b) && compare_grad(&b, ctx, c->mode, c->weights, 1e-4), "%s", name);
        tm_clear(&b);
    }
}

static void run_multi_output(const char *family, VknnContext *ctx)
{
    if (!g_str_has_prefix("grad_multi_output", family))
        return;
    printf("grad_multi_output [%s]\n", GRAPH);
    TestModel b = tm_new(0, MULTI_OUTPUT_SEED);
    case_multi_output(&b);
    test_check(!b.error && check_multi_output(&b, ctx), "grad_multi_output");
    tm_clear(&b);
}

/* ---- coverage ---------------------------------------------------------------------- */

/* Position of op in the list, G_MAXINT for GRAPH, -1 when not in it. */
static int op_index(const char *op)
{
    if (g_str_equal(op, GRAPH))
        return G_MAXINT;
    const char *const *ops = vknn_supported_ops();
    for (int i = 0; ops[i]; i++)
        if (g_str_equal(ops[i], op))
            return i;
    return -1;
}

/* A table's tags name ops of the list, in its order. */
static void check_order(const char *table, const OpCase *cases, gsize n)
{
    int last = 0;
    for (gsize i = 0; i < n; i++) {
        const int k = op_index(cases[i].op);
        if (k < last) {
            test_fail("%s: %s [%s] %s", table, cases[i].name, cases[i].op,
                      k < 0 ? "is not an op of compute/ops.def" : "is out of the list's order");
            return;
        }
        last = k;
    }
    test_check(TRUE, "%s: %zu cases in the order of compute/ops.def", table, n);
}

static int count_tagged(const OpCase *cases, gsize n, const char *op)
{
    int k = 0;
    for (gsize i = 0; i < n; i++)
        k += g_str_equal(cases[i].op, op);
    return k;
}

/* Per op of the list, the forward cases that run it without being tagged
 * with it (fused into a neighbour's case, a view inside a relayout case). */
static int *count_untagged_runs(int n_ops)
{
    int *runs = g_new0(int, n_ops);
    g_autofree gboolean *seen = g_new(gboolean, n_ops);
    for (gsize i = 0; i < G_N_ELEMENTS(op_cases); i++) {
        TestModel b = tm_new(0, op_cases[i].seed);
        op_cases[i].build(&b);
        memset(seen, 0, sizeof(gboolean) * n_ops);
        for (guint j = 0; j < b.m->nodes->len; j++) {
            const char *op = vknn_model_node(b.m, j)->op_type;
            const int k = op_index(op);
            if (k >= 0 && k < n_ops && !seen[k] && !g_str_equal(op, op_cases[i].op))
                runs[k]++, seen[k] = TRUE;
        }
        tm_clear(&b);
    }
    return runs;
}

/* Every op of the list must run in a forward case: adding an op to
 * compute/ops.def without a device test fails here. */
static int check_coverage(void)
{
    check_order("op_cases", op_cases, G_N_ELEMENTS(op_cases));
    check_order("fp16_tile_cases", fp16_tile_cases, G_N_ELEMENTS(fp16_tile_cases));
    check_order("grad_cases", grad_cases, G_N_ELEMENTS(grad_cases));
    const char *const *ops = vknn_supported_ops();
    const int n_ops = (int)g_strv_length((char **)ops);
    g_autofree int *also = count_untagged_runs(n_ops);
    for (int k = 0; k < n_ops; k++) {
        const int fwd = count_tagged(op_cases, G_N_ELEMENTS(op_cases), ops[k]);
        const int fp16 = count_tagged(fp16_tile_cases, G_N_ELEMENTS(fp16_tile_cases), ops[k]);
        const int grad = count_tagged(grad_cases, G_N_ELEMENTS(grad_cases), ops[k]);
        test_check(fwd + also[k] > 0,
                   "%-21s %2d forward, %d fp16, %2d grad cases; runs in %2d other forward cases%s",
                   ops[k], fwd, fp16, grad, also[k], fwd + also[k] ? "" : " (add one to op_cases)");
    }
    return test_summary(0);
}

/* Saves each forward case's model as ONNX into dir, as fuzzing seeds: since
 * every op of the list has a case (coverage), the corpus reaches every op's
 * shape inference with a model vknn accepts (docs/fuzzing.md). */
static int write_seeds(const char *dir)
{
    g_mkdir_with_parents(dir, 0755);
    for (gsize i = 0; i < G_N_ELEMENTS(op_cases); i++) {
        TestModel b;
        g_autofree char *file = g_strdup_printf("case_%02zu_%s.onnx", i, op_cases[i].name);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        GError *err = NULL;
        gboolean ok = build(&op_cases[i], &b) && vknn_model_save(b.m, path, &err);
        g_autoptr(VknnModel) back = ok ? vknn_model_load(path, &err) : NULL;
        ok = back && back->nodes->len == b.m->nodes->len;
        test_check(ok, "%s saved and loaded back%s%s", file, err ? ": " : "",
                   err ? err->message : "");
        g_clear_error(&err);
        tm_clear(&b);
    }
    return test_summary(0);
}

int main(int argc, char **argv)
{
    const char *family = argc > 1 ? argv[1] : "";
    if (g_str_equal(family, "coverage"))
        return check_coverage();
    if (g_str_equal(family, "write-seeds") && argc > 2)
        return write_seeds(argv[2]);
    g_autoptr(VknnContext) ctx = test_context();
    run_forward(op_cases, G_N_ELEMENTS(op_cases), "", 1e-4, VKNN_PRECISION_FP32, family, ctx);
    run_forward(fp16_tile_cases, G_N_ELEMENTS(fp16_tile_cases), "_fp16_tiles", FP16_TILES_REL_TOL,
                VKNN_PRECISION_FP16_TILES, family, ctx);
    run_grad(family, ctx);
    run_multi_output(family, ctx);
    /* A family that matches no case is a typo in tests/meson.build. */
    if (test_passed + test_failed == 0)
        test_fail("no case starts with '%s'", family);
    return test_summary(0);
}
