/* Saliency methods on the Vulkan device against PyTorch golden tensors in
 * ../shared/golden (definitions in golden/README.md): SqueezeNet 1.1's
 * Grad-CAM weights and map at fire9, vanilla gradient saliency and guided
 * backprop; MobileNetV2's Grad-CAM must peak on the parrot; SmoothGrad and
 * occlusion against what they reduce to in limiting cases.
 *
 * Without ../shared (a fresh clone) the cases run on a tiny generated
 * classifier (tm_classifier; mobilenetv2_parrot: MobileNetV2's kinds of
 * layer in miniature) and a random input instead: squeezenet_* and
 * mobilenetv2_parrot check Grad-CAM, vanilla saliency and guided backprop
 * against the CPU reference executor's forward and backward passes
 * (vknn_ref_run, vknn_ref_backward), frames the activations against its
 * forward pass; methods checks the same limiting cases as with SqueezeNet.
 *
 * Case "scores" needs neither: the host-side helpers (top-k, quantile,
 * activation grid) on non-finite and large inputs, against values worked out
 * by hand.
 *
 *   test_explain CASE
 */
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SQUEEZENET "models/classify/squeezenet1_1.onnx"
#define FIRE9 "/features/features.12/Concat_output_0"
#define SIDE 224
/* The parrot's head and body in cells of MobileNetV2's 7x7 Grad-CAM map
 * (inclusive; read off the 224x224 input: the tail below, the branch at the
 * bottom right and the cacti at the left are outside). */
#define PARROT_X0 2
#define PARROT_X1 5
#define PARROT_Y0 0
#define PARROT_Y1 4

/* The generated classifier's classes and its Grad-CAM layer. */
#define TINY_CLASSES 10
#define TINY_LAYER "feat"

typedef struct {
    VknnContext *ctx;
    VknnModel *model;
    float *input;
    gboolean tiny; /* the generated classifier on a random input */
} Fixture;

static gboolean fixture_open(Fixture *f, const char *model, const char *input)
{
    g_autofree char *mpath = test_shared_path(model);
    g_autofree char *ipath = NULL;
    g_autofree char *irel = g_build_filename("golden", input, NULL);
    if (!mpath || !(ipath = test_shared_path(irel)))
        return FALSE;
    GError *err = NULL;
    f->ctx = test_context();
    f->model = vknn_model_load(mpath, &err);
    g_assert_no_error(err);
    f->input = test_read_f32(ipath, 3 * SIDE * SIDE);
    return TRUE;
}

/* MobileNetV2's kinds of layer in miniature: a stride-2 convolution, Clip
 * (ReLU6) activations, a depthwise 3x3 convolution, a 1x1 projection with
 * a residual Add, a 1x1 expansion to "feat" (16 channels), global average
 * pooling and a Gemm to TINY_CLASSES "scores". */
static VknnModel *tiny_mobilenet(guint32 seed)
{
    TestModel b = tm_new(0, seed);
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    tm_const(&b, "lo", SCALAR, F(0.0f));
    tm_const(&b, "hi", SCALAR, F(6.0f));
    tm_weight(&b, "w1", SHAPE(8, 3, 3, 3), -0.5f, 0.5f);
    tm_weight(&b, "b1", SHAPE(8), -0.1f, 0.1f);
    tm_node(&b, "Conv", NAMES("x", "w1", "b1"), "c1");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_attr_ints(&b, "strides", INTS(2, 2));
    tm_node(&b, "Clip", NAMES("c1", "lo", "hi"), "r1");
    tm_weight(&b, "wd", SHAPE(8, 1, 3, 3), -0.6f, 0.6f);
    tm_node(&b, "Conv", NAMES("r1", "wd"), "dw");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_attr_int(&b, "group", 8);
    tm_node(&b, "Clip", NAMES("dw", "lo", "hi"), "r2");
    tm_weight(&b, "wp", SHAPE(8, 8, 1, 1), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("r2", "wp"), "pw");
    tm_node(&b, "Add", NAMES("r1", "pw"), "res");
    tm_weight(&b, "we", SHAPE(16, 8, 1, 1), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("res", "we"), "c3");
    tm_node(&b, "Clip", NAMES("c3", "lo", "hi"), "feat");
    tm_node(&b, "GlobalAveragePool", NAMES("feat"), "pooled");
    tm_node(&b, "Flatten", NAMES("pooled"), "flat");
    tm_weight(&b, "wf", SHAPE(TINY_CLASSES, 16), -1.0f, 1.0f);
    tm_weight(&b, "bf", SHAPE(TINY_CLASSES), -0.1f, 0.1f);
    tm_node(&b, "Gemm", NAMES("flat", "wf", "bf"), "scores");
    tm_attr_int(&b, "transB", 1);
    tm_output(&b, "scores");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    return m;
}

/* Without ../shared: tm_classifier (a stride-2 convolution to 8 channels,
 * "feat", and 10 class maps), or with mobile tiny_mobilenet, on uniform
 * random input in [-2, 2). */
static void fixture_open_tiny(Fixture *f, guint32 seed, gboolean mobile)
{
    printf("without ../shared: a generated %d-class %s on a random %dx%d input\n", TINY_CLASSES,
           mobile ? "MobileNetV2-like network" : "classifier", SIDE, SIDE);
    f->ctx = test_context();
    f->model = mobile ? tiny_mobilenet(seed) : tm_classifier(TINY_CLASSES, seed);
    if (!f->model)
        test_fatal("tiny classifier: not built");
    f->input = g_new(float, 3 * SIDE * SIDE);
    test_fill_random(f->input, 3 * SIDE * SIDE, seed + 100, -2.0f, 2.0f);
    f->tiny = TRUE;
}

/* fixture_open, or the tiny fixture when ../shared lacks the files. */
static void fixture_open_any(Fixture *f, const char *model, const char *input, guint32 seed)
{
    if (!fixture_open(f, model, input))
        fixture_open_tiny(f, seed, FALSE);
}

static void fixture_close(Fixture *f)
{
    vknn_model_free(f->model);
    vknn_context_free(f->ctx);
    g_free(f->input);
}

static float *golden(const char *prefix, const char *suffix, int64_t count)
{
    g_autofree char *rel = g_strdup_printf("golden/%s_%s", prefix, suffix);
    g_autofree char *path = test_shared_path(rel);
    return path ? test_read_f32(path, count) : NULL;
}

/* max |got - want| <= 1e-3 * max |want| (the README's tolerance for gradients). */
static void check_relative(const char *what, const float *got, const float *want, int64_t n)
{
    const double diff = test_max_abs_diff(got, want, n), scale = test_max_abs(want, n);
    test_check(diff <= 1e-3 * scale, "%s: max abs diff %.3g, %.2g of the max %.3g", what, diff,
               diff / scale, scale);
}

static gboolean explain(Fixture *f, VknnExplainParams *p, VknnExplanation *e)
{
    GError *err = NULL;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(f->ctx, f->model, p, &err);
    if (!ex || !vknn_explainer_run(ex, f->input, SIDE, SIDE, e, &err)) {
        test_check(FALSE, "%s: %s", vknn_explain_method_to_string(p->method), err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

/* alpha_k = spatial mean of d logits[c] / d fire9, through the executor API. */
static void check_gradcam_alpha(Fixture *f, const char *prefix, int cls)
{
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(f->ctx, f->model, &err);
    g_assert_no_error(err);
    const VknnShape shape = {4, {1, 3, SIDE, SIDE}};
    const float *inputs[] = {f->input};
    g_autofree float *seed = g_new0(float, 1000);
    g_autofree float *grad = g_new(float, 512 * 169);
    g_autofree float *want = golden(prefix, "gradcam_alpha_512.f32", 512);
    seed[cls] = 1.0f;
    if (!vknn_net_request_grad(net, FIRE9, &err) || !vknn_net_prepare(net, &shape, &err) ||
        !vknn_net_run(net, inputs, &err) || !vknn_net_backward(net, seed, &err) ||
        !vknn_net_read_grad(net, FIRE9, grad, &err))
        g_error("%s", err->message);
    float alpha[512];
    for (int k = 0; k < 512; k++) {
        double s = 0;
        for (int i = 0; i < 169; i++)
            s += grad[k * 169 + i];
        alpha[k] = (float)(s / 169);
    }
    check_relative("Grad-CAM alpha (512)", alpha, want, 512);
}

static int tiny_gradients(guint32 seed, gboolean mobile);

static int squeezenet(const char *photo, int cls)
{
    g_autofree char *prefix = g_strdup_printf("sq_%s", photo);
    g_autofree char *input = g_strdup_printf("%s_input_1x3x224x224.f32", prefix);
    Fixture f = {0};
    if (!fixture_open(&f, SQUEEZENET, input))
        return tiny_gradients(!strcmp(photo, "chelsea") ? 1 : 2, FALSE);
    g_autofree float *want_map = golden(prefix, "gradcam_fire9_13x13.f32", 169);
    g_autofree float *want_sal = golden(prefix, "saliency_vanilla_224x224.f32", SIDE * SIDE);
    g_autofree float *want_gb = golden(prefix, "guided_backprop_3x224x224.f32", 3 * SIDE * SIDE);

    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    VknnExplanation e = {0};
    if (explain(&f, &p, &e)) {
        test_check(e.class_id == cls, "top-1 class %d (want %d), p = %.3f", e.class_id, cls,
                   e.score);
        test_check(e.map_w == 13 && e.map_h == 13, "Grad-CAM map %dx%d at the default layer",
                   e.map_w, e.map_h);
        if (e.map_w == 13 && e.map_h == 13)
            check_relative("Grad-CAM map 13x13", e.map, want_map, 169);
    }
    check_gradcam_alpha(&f, prefix, cls);

    p.method = VKNN_EXPLAIN_GRADIENT;
    if (explain(&f, &p, &e))
        check_relative("vanilla saliency 224x224", e.map, want_sal, SIDE * SIDE);
    p.method = VKNN_EXPLAIN_GUIDED;
    if (explain(&f, &p, &e))
        check_relative("guided backprop 3x224x224", e.input_grad, want_gb, 3 * SIDE * SIDE);
    vknn_explanation_clear(&e);
    fixture_close(&f);
    return 0;
}

/* The CPU reference's forward pass on the fixture's input; free with
 * g_hash_table_unref. */
static GHashTable *reference_forward(Fixture *f, VknnRefTensor *x)
{
    GError *err = NULL;
    *x = (VknnRefTensor){{4, {1, 3, SIDE, SIDE}}, f->input};
    GHashTable *values = vknn_ref_run(f->model, x, &err);
    if (!values)
        test_fatal("CPU reference: %s", err->message);
    return values;
}

/* The tiny classifier's Grad-CAM, vanilla saliency and guided backprop
 * against the CPU reference: its forward pass picks the class, its backward
 * pass (guided or not) gives d score / d feat and d score / d input, from
 * which the maps follow by their definitions in vknn/explain.h. */
static int tiny_gradients(guint32 seed, gboolean mobile)
{
    Fixture f = {0};
    fixture_open_tiny(&f, seed, mobile);
    GError *err = NULL;
    VknnRefTensor x;
    GHashTable *values = reference_forward(&f, &x);
    const VknnRefTensor *logits = g_hash_table_lookup(values, "scores");
    const VknnRefTensor *feat = g_hash_table_lookup(values, TINY_LAYER);
    g_assert(logits && feat);
    int cls;
    test_top_k(logits->data, TINY_CLASSES, 1, &cls);
    float one_hot[TINY_CLASSES] = {0};
    one_hot[cls] = 1.0f;
    const VknnRefTensor seed_t = {{2, {1, TINY_CLASSES}}, one_hot};
    GHashTable *grads = vknn_ref_backward(f.model, values, &x, "scores", &seed_t, FALSE, &err);
    g_assert_no_error(err);
    GHashTable *guided = vknn_ref_backward(f.model, values, &x, "scores", &seed_t, TRUE, &err);
    g_assert_no_error(err);
    const VknnRefTensor *dfeat = g_hash_table_lookup(grads, TINY_LAYER);
    const VknnRefTensor *dx = g_hash_table_lookup(grads, "x");
    const VknnRefTensor *dx_guided = g_hash_table_lookup(guided, "x");
    g_assert(dfeat && dx && dx_guided);

    /* Grad-CAM: ReLU(sum_k alpha_k A_k), alpha_k the spatial mean of dfeat. */
    const int fc = (int)feat->shape.dims[1], fh = (int)feat->shape.dims[2],
              fw = (int)feat->shape.dims[3], n = fh * fw;
    g_autofree float *want_cam = g_new0(float, n);
    for (int k = 0; k < fc; k++) {
        double a = 0;
        for (int i = 0; i < n; i++)
            a += dfeat->data[k * n + i];
        for (int i = 0; i < n; i++)
            want_cam[i] += (float)(a / n) * feat->data[k * n + i];
    }
    for (int i = 0; i < n; i++)
        want_cam[i] = MAX(want_cam[i], 0.0f);
    /* Vanilla saliency: max over colour channels of |d score / d input|. */
    g_autofree float *want_sal = g_new(float, SIDE *SIDE);
    for (int i = 0; i < SIDE * SIDE; i++)
        want_sal[i] = MAX(fabsf(dx->data[i]), MAX(fabsf(dx->data[SIDE * SIDE + i]),
                                                  fabsf(dx->data[2 * SIDE * SIDE + i])));

    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    VknnExplanation e = {0};
    if (explain(&f, &p, &e)) {
        test_check(e.class_id == cls, "top-1 class %d (CPU reference: %d)", e.class_id, cls);
        test_check(e.map_w == fw && e.map_h == fh,
                   "Grad-CAM map %dx%d at the default layer (%dx%d)", e.map_w, e.map_h, fw, fh);
        if (e.map_w == fw && e.map_h == fh)
            check_relative("Grad-CAM map = CPU reference", e.map, want_cam, n);
    }
    p.method = VKNN_EXPLAIN_GRADIENT;
    if (explain(&f, &p, &e)) {
        check_relative("vanilla saliency = CPU reference", e.map, want_sal, SIDE * SIDE);
        check_relative("d score / d input = CPU reference backward", e.input_grad, dx->data,
                       3 * SIDE * SIDE);
    }
    p.method = VKNN_EXPLAIN_GUIDED;
    if (explain(&f, &p, &e))
        check_relative("guided backprop = CPU reference guided backward", e.input_grad,
                       dx_guided->data, 3 * SIDE * SIDE);
    vknn_explanation_clear(&e);
    g_hash_table_unref(guided);
    g_hash_table_unref(grads);
    g_hash_table_unref(values);
    fixture_close(&f);
    return 0;
}

/* With no noise, SmoothGrad is the vanilla saliency map. */
static void check_smoothgrad_limit(Fixture *f)
{
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    VknnExplanation vanilla = {0}, smooth = {0};
    p.method = VKNN_EXPLAIN_GRADIENT;
    gboolean ok = explain(f, &p, &vanilla);
    p.method = VKNN_EXPLAIN_SMOOTHGRAD;
    p.smooth_samples = 2;
    p.smooth_sigma = 0.0f;
    if (ok && explain(f, &p, &smooth))
        check_relative("SmoothGrad, sigma 0 = vanilla", smooth.map, vanilla.map, SIDE * SIDE);
    vknn_explanation_clear(&vanilla);
    vknn_explanation_clear(&smooth);
}

/* Occlusion with a patch as large as the image: one value, the class
 * probability minus its probability on a blank input (run separately). */
static void check_occlusion_limit(Fixture *f)
{
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    p.method = VKNN_EXPLAIN_OCCLUSION;
    p.occlusion_patch = SIDE;
    p.occlusion_batch = 3;
    VknnExplanation occ = {0}, blank = {0};
    if (!explain(f, &p, &occ))
        return;
    g_autofree float *saved = f->input;
    f->input = g_new0(float, 3 * SIDE * SIDE);
    p.method = VKNN_EXPLAIN_GRADIENT;
    p.target_class = occ.class_id;
    if (explain(f, &p, &blank)) {
        const float want = occ.score - blank.score;
        test_check(occ.map_w == 1 && occ.map_h == 1 && fabsf(occ.map[0] - want) < 1e-4f,
                   "occlusion of everything: %.5f (want p %.5f - blank p %.5f)", occ.map[0],
                   occ.score, blank.score);
    }
    g_free(f->input);
    f->input = g_steal_pointer(&saved);
    vknn_explanation_clear(&occ);
    vknn_explanation_clear(&blank);
}

/* A coarse grid of occlusions must find the cat: the drop where the patch
 * covers the Grad-CAM peak is among the largest. */
static void check_occlusion_grid(Fixture *f)
{
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    VknnExplanation occ = {0}, cam = {0};
    if (!explain(f, &p, &cam))
        return;
    p.method = VKNN_EXPLAIN_OCCLUSION;
    p.occlusion_patch = 64;
    p.occlusion_stride = 32;
    if (!explain(f, &p, &occ))
        return;
    int peak = 0, best = 0;
    for (int i = 1; i < cam.map_w * cam.map_h; i++)
        peak = cam.map[i] > cam.map[peak] ? i : peak;
    for (int i = 1; i < occ.map_w * occ.map_h; i++)
        best = occ.map[i] > occ.map[best] ? i : best;
    printf("occlusion %dx%d: largest drop %.3f at cell (%d, %d); Grad-CAM peak at (%d, %d)\n",
           occ.map_w, occ.map_h, occ.map[best], best % occ.map_w, best / occ.map_w,
           peak % cam.map_w, peak / cam.map_w);
    test_check(occ.map_w == 6 && occ.map_h == 6 && occ.map[best] > 0.0f,
               "occlusion grid 6x6 with a positive largest drop");
    vknn_explanation_clear(&occ);
    vknn_explanation_clear(&cam);
}

static int methods(void)
{
    Fixture f = {0};
    fixture_open_any(&f, SQUEEZENET, "sq_chelsea_input_1x3x224x224.f32", 3);
    check_smoothgrad_limit(&f);
    check_occlusion_limit(&f);
    check_occlusion_grid(&f);
    fixture_close(&f);
    return 0;
}

/* The golden input back as 8-bit RGBA, cut to w x h (a video frame). */
static guint8 *frame_from_input(const float *input, int w, int h)
{
    static const float mean[] = {0.485f, 0.456f, 0.406f}, std[] = {0.229f, 0.224f, 0.225f};
    guint8 *rgba = g_new(guint8, 4 * w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++) {
                const float v = input[(c * SIDE + y) * SIDE + x] * std[c] + mean[c];
                rgba[4 * (y * w + x) + c] = (guint8)CLAMP(lrintf(v * 255), 0, 255);
            }
            rgba[4 * (y * w + x) + 3] = 255;
        }
    return rgba;
}

/* A frame explained through the device-side conversion gives what the host
 * conversion (vknn_frame_input_host) followed by vknn_explainer_run gives. */
static void check_frame_path(Fixture *f, VknnExplainMethod method, int w, int h)
{
    g_autofree guint8 *frame = frame_from_input(f->input, w, h);
    VknnFrameInputParams fp = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    g_autofree float *host_input = g_new(float, 3 * SIDE * SIDE);
    vknn_frame_input_host(&fp, VKNN_PIXEL_RGBA, frame, w, h, 4 * w, host_input);
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    p.method = method;
    GError *err = NULL;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(f->ctx, f->model, &p, &err);
    VknnExplanation dev = {0}, host = {0};
    if (!ex ||
        !vknn_explainer_run_bytes(ex, &fp, VKNN_PIXEL_RGBA, frame, w, h, 4 * w, &dev, &err) ||
        !vknn_explainer_run(ex, host_input, SIDE, SIDE, &host, &err)) {
        test_check(FALSE, "frame path: %s", err->message);
        g_error_free(err);
        return;
    }
    g_autofree char *what = g_strdup_printf("%s of a %dx%d frame: device conversion = host",
                                            vknn_explain_method_to_string(method), w, h);
    if (dev.map_w == host.map_w && dev.map_h == host.map_h && dev.class_id == host.class_id)
        check_relative(what, dev.map, host.map, dev.map_w * dev.map_h);
    else
        test_check(FALSE, "%s: map or class differ", what);
    vknn_explanation_clear(&dev);
    vknn_explanation_clear(&host);
}

/* Activations of fire9's squeeze layer against the golden tensor (the tiny
 * classifier's "feat" against the CPU reference), and the channel
 * reductions and grid against their definitions. */
static void check_activations(Fixture *f)
{
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    p.method = VKNN_EXPLAIN_ACTIVATIONS;
    p.layer = f->tiny ? TINY_LAYER : "/features/features.12/squeeze_activation/Relu_output_0";
    p.channel = -2;
    VknnExplanation e = {0};
    int c = 64, h = 13, w = 13;
    g_autofree float *want = NULL;
    if (f->tiny) {
        VknnRefTensor x;
        GHashTable *values = reference_forward(f, &x);
        const VknnRefTensor *feat = g_hash_table_lookup(values, TINY_LAYER);
        c = (int)feat->shape.dims[1], h = (int)feat->shape.dims[2], w = (int)feat->shape.dims[3];
        want = g_memdup2(feat->data, sizeof(float) * c * h * w);
        g_hash_table_unref(values);
    } else {
        want = golden("sq_chelsea", "fire9_squeeze_relu_1x64x13x13.f32", 64 * 169);
    }
    if (!explain(f, &p, &e))
        return;
    const int n = h * w;
    if (!test_check(e.act_c == c && e.act_h == h && e.act_w == w,
                    "activations of %s: %dx%dx%d (want %dx%dx%d)", p.layer, e.act_c, e.act_h,
                    e.act_w, c, h, w))
        return;
    check_relative(f->tiny ? "activations of feat = CPU reference"
                           : "activations of fire9 squeeze (64x13x13)",
                   e.activations, want, (int64_t)c * n);
    gboolean max_ok = TRUE;
    for (int i = 0; i < n; i++) {
        float m = 0;
        for (int k = 0; k < c; k++)
            m = MAX(m, want[k * n + i]);
        max_ok &= fabsf(e.map[i] - m) <= 1e-3f * MAX(m, 1.0f);
    }
    test_check(max_ok, "channel -2 is the maximum over channels");
    int gw, gh;
    g_autofree float *grid = vknn_activation_grid(e.activations, c, h, w, c, &gw, &gh);
    float lo = 1, hi = 0;
    for (int i = 0; i < gw * gh; i++) {
        lo = MIN(lo, grid[i]);
        hi = MAX(hi, grid[i]);
    }
    /* ceil(sqrt(c)) columns, as many rows as the channels need, 1-pixel gaps. */
    int cols = 1;
    while (cols * cols < c)
        cols++;
    const int rows = (c + cols - 1) / cols;
    const int want_w = cols * (w + 1) - 1, want_h = rows * (h + 1) - 1;
    test_check(gw == want_w && gh == want_h && lo == 0.0f && hi == 1.0f,
               "grid of %d channels: %dx%d (want %dx%d), values %.2f..%.2f", c, gw, gh, want_w,
               want_h, lo, hi);
    vknn_explanation_clear(&e);
}

static int frames(void)
{
    Fixture f = {0};
    fixture_open_any(&f, SQUEEZENET, "sq_chelsea_input_1x3x224x224.f32", 4);
    check_frame_path(&f, VKNN_EXPLAIN_GRADCAM, SIDE, SIDE);
    check_frame_path(&f, VKNN_EXPLAIN_GUIDED, 201, 163);
    check_frame_path(&f, VKNN_EXPLAIN_ACTIVATIONS, 163, 201);
    check_activations(&f);
    fixture_close(&f);
    return 0;
}

/* MobileNetV2 (TF-style Clip activations, depthwise convolutions, residual
 * Adds): Grad-CAM at its default layer must peak on the parrot. */
static int mobilenet(void)
{
    Fixture f = {0};
    if (!fixture_open(&f, "models/classify/mobilenet_v2_1.0_224.onnx",
                      "mnv2_parrot_input_1x3x224x224.f32"))
        return tiny_gradients(5, TRUE);
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    VknnExplanation e = {0};
    if (explain(&f, &p, &e)) {
        int peak = 0;
        for (int i = 1; i < e.map_w * e.map_h; i++)
            peak = e.map[i] > e.map[peak] ? i : peak;
        const int px = peak % e.map_w, py = peak / e.map_w;
        test_check(e.class_id == 89, "top-1 %d (macaw = 89)", e.class_id);
        test_check(e.map_w == 7 && e.map_h == 7, "Grad-CAM %dx%d at %s", e.map_w, e.map_h,
                   vknn_default_feature_layer(f.model));
        test_check(PARROT_X0 <= px && px <= PARROT_X1 && PARROT_Y0 <= py && py <= PARROT_Y1,
                   "Grad-CAM peak at cell (%d, %d) of 7x7, on the parrot", px, py);
    }
    vknn_explanation_clear(&e);
    fixture_close(&f);
    return 0;
}

/* Scores a broken network can produce: NaN and inf logits and activations. */
static int scores(void)
{
    {
        const float logits[] = {1.0f, INFINITY, NAN, INFINITY, -3.0f};
        VknnClassScore top[5];
        vknn_top_k(logits, 5, 5, top);
        test_check(top[0].id == 1 && top[1].id == 3 && top[0].prob == 0.5f && top[1].prob == 0.5f &&
                       top[2].id == 0 && top[2].prob == 0.0f,
                   "two +inf logits share probability 1 (got %d:%g %d:%g %d:%g)", top[0].id,
                   top[0].prob, top[1].id, top[1].prob, top[2].id, top[2].prob);
        test_check(top[4].id == 2 && top[4].prob == 0.0f, "a NaN logit ranks last with 0 (%d:%g)",
                   top[4].id, top[4].prob);
    }
    {
        const float logits[] = {NAN, 0.0f, logf(3.0f)};
        VknnClassScore top[2];
        vknn_top_k(logits, 3, 2, top);
        test_check(top[0].id == 2 && fabsf(top[0].prob - 0.75f) < 1e-6f && top[1].id == 1 &&
                       fabsf(top[1].prob - 0.25f) < 1e-6f,
                   "finite logits beside a NaN: 0.75 and 0.25 (got %g, %g)", top[0].prob,
                   top[1].prob);
    }
    {
        /* n - 1 = 2^24 + 3 is not a float: q * (n - 1) in float rounds up to n. */
        const int n = (1 << 24) + 4;
        float *map = g_new(float, n);
        for (int i = 0; i < n; i++)
            map[i] = (float)(i % 1000);
        map[12345] = 5000.0f;
        test_check(vknn_map_quantile(map, n, 1.0f) == 5000.0f, "quantile 1 of 2^24 + 4 values is "
                                                               "their maximum");
        map[7] = NAN;
        test_check(vknn_map_quantile(map, n, 1.0f) == 5000.0f &&
                       vknn_map_quantile(map, n, 0.0f) != vknn_map_quantile(map, n, 0.0f),
                   "with a NaN, quantile 1 is still the maximum and quantile 0 the NaN");
        g_free(map);
    }
    {
        /* Two 2x2 tiles: {NaN, 0, 2, inf} and {1, 1, 1, 1}. */
        const float act[] = {NAN, 0.0f, 2.0f, INFINITY, 1, 1, 1, 1};
        int gw, gh;
        g_autofree float *grid = vknn_activation_grid(act, 2, 2, 2, 2, &gw, &gh);
        const float *row0 = grid, *row1 = grid + gw;
        test_check(gw == 5 && gh == 2 && row0[0] == 0.0f && row0[1] == 0.0f && row1[0] == 1.0f &&
                       row1[1] == 1.0f && row0[3] == 0.0f,
                   "activation grid: NaN -> 0, finite range 0..2 -> 0..1, inf -> 1, flat tile 0 "
                   "(got %g %g %g %g)",
                   row0[0], row0[1], row1[0], row1[1]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    int rc;
    if (!strcmp(which, "squeezenet_chelsea"))
        rc = squeezenet("chelsea", 285);
    else if (!strcmp(which, "squeezenet_parrot"))
        rc = squeezenet("parrot", 88);
    else if (!strcmp(which, "methods"))
        rc = methods();
    else if (!strcmp(which, "frames"))
        rc = frames();
    else if (!strcmp(which, "mobilenetv2_parrot"))
        rc = mobilenet();
    else if (!strcmp(which, "scores"))
        rc = scores();
    else {
        fprintf(stderr, "usage: test_explain squeezenet_chelsea|squeezenet_parrot|methods|frames|"
                        "mobilenetv2_parrot|scores\n");
        return 2;
    }
    return test_summary(rc);
}
