/* Whole models on the Vulkan device against PyTorch golden tensors in
 * ../shared/golden (computed independently by the maintainers' scripts).
 *
 *   test_golden CASE [fp16-tiles]   (see `cases` below; skips with 77 without
 *                                    ../shared)
 *
 * With fp16-tiles the net runs in VKNN_PRECISION_FP16_TILES and every tensor
 * must stay within 40 dB PSNR of the golden (peak = the golden's max abs),
 * classifiers with the same top-5. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *tensor; /* value name in the model */
    const char *golden; /* file under golden/ */
    double tol;         /* max abs error allowed */
    gboolean relative;  /* tol is relative to the golden's max abs */
} Expect;

typedef struct {
    const char *name;
    const char *model;
    const char *input;
    int64_t in_dims[4];
    Expect expect[4];
    int top5[5]; /* expected top-5 of the first tensor, or all -1 */
} Case;

#define NO_TOP5                                                                                    \
    {                                                                                              \
        -1, -1, -1, -1, -1                                                                         \
    }

static const Case cases[] = {
    {"candy",
     "models/style/candy.onnx",
     "style_in_1x3x96x128.f32",
     {1, 3, 96, 128},
     {{"output", "candy_out_1x3x96x128.f32", 0.1}},
     NO_TOP5},
    {"candy_nc8",
     "models/style/small/candy_nc8.onnx",
     "style_in_1x3x96x128.f32",
     {1, 3, 96, 128},
     {{"output", "candy_nc8_out_1x3x96x128.f32", 0.1}},
     NO_TOP5},
    {"candy_nc8_100x76",
     "models/style/small/candy_nc8.onnx",
     "style_in_1x3x100x76.f32",
     {1, 3, 100, 76},
     {{"output", "candy_nc8_out_1x3x100x76.f32", 0.1}},
     NO_TOP5},
    /* 99x75 is not a multiple of 4: PyTorch returns 100x76, and so must we. */
    {"candy_nc8_99x75",
     "models/style/small/candy_nc8.onnx",
     "style_in_1x3x99x75.f32",
     {1, 3, 99, 75},
     {{"output", "candy_nc8_out_1x3x100x76_from_99x75.f32", 0.1}},
     NO_TOP5},
    {"matta_engstrom",
     "models/style/matta_engstrom.onnx",
     "style_in_1x3x96x128.f32",
     {1, 3, 96, 128},
     {{"output", "matta_engstrom_out_1x3x96x128.f32", 0.1}},
     NO_TOP5},
    {"squeezenet_chelsea",
     "models/classify/squeezenet1_1.onnx",
     "sq_chelsea_input_1x3x224x224.f32",
     {1, 3, 224, 224},
     {{"logits", "sq_chelsea_logits_1x1000.f32", 1e-3},
      {"/features/features.12/squeeze_activation/Relu_output_0",
       "sq_chelsea_fire9_squeeze_relu_1x64x13x13.f32", 1e-3, TRUE},
      {"/features/features.12/expand1x1_activation/Relu_output_0",
       "sq_chelsea_fire9_expand1x1_relu_1x256x13x13.f32", 1e-3, TRUE},
      {"/features/features.12/expand3x3_activation/Relu_output_0",
       "sq_chelsea_fire9_expand3x3_relu_1x256x13x13.f32", 1e-3, TRUE}},
     {285, 281, 282, 287, 293}},
    {"squeezenet_parrot",
     "models/classify/squeezenet1_1.onnx",
     "sq_parrot_input_1x3x224x224.f32",
     {1, 3, 224, 224},
     {{"logits", "sq_parrot_logits_1x1000.f32", 1e-3}},
     {88, 90, 7, 92, 8}},
    {"mobilenetv2_parrot",
     "models/classify/mobilenet_v2_1.0_224.onnx",
     "mnv2_parrot_input_1x3x224x224.f32",
     {1, 3, 224, 224},
     {{"logits", "mnv2_parrot_logits_1x1001.f32", 1e-3}},
     {89, 91, 130, 93, 129}},
    {"vgg_encoder",
     "models/vgg/vgg19_normalised_relu3_1.onnx",
     "vgg_in_1x3x96x128.f32",
     {1, 3, 96, 128},
     {{"relu3_1", "vgg_relu3_1_1x256x24x32.f32", 1e-4, TRUE},
      {"relu2_1", "vgg_relu2_1_1x128x48x64.f32", 1e-4, TRUE}},
     NO_TOP5},
    {"vgg_decoder",
     "models/vgg/decoder_relu3_1.onnx",
     "vgg_relu3_1_1x256x24x32.f32",
     {1, 256, 24, 32},
     {{"output", "vgg_decoded_1x3x96x128.f32", 1e-4}},
     NO_TOP5},
};

static void check_top5(const Case *c, const float *logits, int64_t n)
{
    if (c->top5[0] < 0)
        return;
    int top[5];
    test_top_k(logits, (int)n, 5, top);
    gboolean ok = TRUE;
    for (int i = 0; i < 5; i++)
        ok &= top[i] == c->top5[i];
    test_check(ok, "top-5: %d %d %d %d %d (expected %d %d %d %d %d)", top[0], top[1], top[2],
               top[3], top[4], c->top5[0], c->top5[1], c->top5[2], c->top5[3], c->top5[4]);
}

#define MIN_PSNR_DB 40.0

/* PSNR of got against want, with want's max abs as the peak. */
static double psnr_db(const float *got, const float *want, int64_t n)
{
    double se = 0;
    for (int64_t i = 0; i < n; i++)
        se += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
    const double rms = sqrt(se / (double)n), peak = test_max_abs(want, n);
    return rms > 0 ? 20.0 * log10(peak / rms) : INFINITY;
}

/* Compares one kept tensor with its golden. */
static void check_tensor(const Expect *e, const VknnShape *s, const float *got, const float *want,
                         VknnPrecision precision)
{
    const int64_t n = vknn_shape_numel(s);
    char ss[64];
    vknn_shape_str(s, ss, sizeof ss);
    if (precision == VKNN_PRECISION_FP16_TILES) {
        const double db = psnr_db(got, want, n);
        test_check(db >= MIN_PSNR_DB, "%s %s: PSNR %.1f dB (min %.0f), max abs diff %.3g",
                   e->tensor, ss, db, MIN_PSNR_DB, test_max_abs_diff(got, want, n));
        return;
    }
    const double diff = test_max_abs_diff(got, want, n);
    const double limit = e->relative ? e->tol * test_max_abs(want, n) : e->tol;
    test_check(diff <= limit, "%s %s: max abs diff %.3g (limit %.3g)", e->tensor, ss, diff, limit);
}

static int run_case(const Case *c, VknnPrecision precision)
{
    g_autofree char *model_path = test_shared_path(c->model);
    g_autofree char *input_path = NULL;
    g_autofree char *gdir = g_build_filename("golden", c->input, NULL);
    if (!model_path || !(input_path = test_shared_path(gdir)))
        return TEST_SKIP;
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(model_path, &err);
    g_assert_no_error(err);
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    g_assert_no_error(err);
    vknn_net_set_precision(net, precision);
    for (int i = 0; i < 4 && c->expect[i].tensor; i++) {
        vknn_net_keep(net, c->expect[i].tensor, &err);
        g_assert_no_error(err);
    }
    const VknnShape shape = {4, {c->in_dims[0], c->in_dims[1], c->in_dims[2], c->in_dims[3]}};
    g_autofree float *input = test_read_f32(input_path, vknn_shape_numel(&shape));
    if (!vknn_net_prepare(net, &shape, &err) ||
        !vknn_net_run(net, (const float *const[]){input}, &err)) {
        test_fail("%s", err->message);
        return 1;
    }
    for (int i = 0; i < 4 && c->expect[i].tensor; i++) {
        const Expect *e = &c->expect[i];
        const VknnShape *s = vknn_net_shape(net, e->tensor);
        const int64_t n = vknn_shape_numel(s);
        g_autofree char *gp = g_build_filename("golden", e->golden, NULL);
        g_autofree char *golden_path = test_shared_path(gp);
        if (!golden_path)
            return TEST_SKIP;
        g_autofree float *want = test_read_f32(golden_path, n);
        g_autofree float *got = g_new(float, n);
        vknn_net_read(net, e->tensor, got, &err);
        g_assert_no_error(err);
        check_tensor(e, s, got, want, precision);
        if (i == 0)
            check_top5(c, got, n);
    }
    VknnNetMemory mem;
    vknn_net_memory(net, &mem);
    printf("  peak activation memory %.2f MiB (%.2f MiB without reuse), %d dispatches\n",
           mem.activation_bytes / 1048576.0, mem.naive_activation_bytes / 1048576.0,
           mem.dispatches);
    return 0;
}

int main(int argc, char **argv)
{
    const gboolean half = argc == 3 && g_str_equal(argv[2], "fp16-tiles");
    if (argc < 2 || argc > 3 || (argc == 3 && !half)) {
        fprintf(stderr, "usage: %s CASE [fp16-tiles]\n", argv[0]);
        return 2;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        if (g_str_equal(argv[1], cases[i].name)) {
            printf("%s (%s)%s\n", cases[i].name, cases[i].model, half ? ", fp16 tiles" : "");
            return test_summary(
                run_case(&cases[i], half ? VKNN_PRECISION_FP16_TILES : VKNN_PRECISION_FP32));
        }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
