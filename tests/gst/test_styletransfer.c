/* vkstyletransfer in GStreamer pipelines (GstHarness) against libvknn's own
 * VknnStyler and the PyTorch golden output.
 *
 *   test_styletransfer CASE   (sysmem, vulkan, renegotiate, params, swap, errors)
 *
 * Needs GST_PLUGIN_PATH pointing at build/gst-plugins (tests/meson.build sets
 * it). Without ../shared the cases run candy_nc8's part on the built-in
 * styles and synthetic frames; only the PyTorch golden checks are left out.
 */
#include "gsttest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/vulkan/vulkan.h>
#include <vknn/style.h>
#include <vknn/wct.h>

#include "image.h" /* cli/image_read.c, as the element reads style images */

#define MODEL "models/style/small/candy_nc8.onnx"
#define MODEL2 "models/style/small/mosaic_nc8.onnx"
/* Without ../shared (a fresh clone): the style networks built into libvknn.
 * Every case but the golden checks runs on them. */
#define BUILTIN_MODEL "builtin:wave"
#define BUILTIN_MODEL2 "builtin:starry_night"
#define GOLDEN_IN "golden/style_in_1x3x96x128.f32"
#define GOLDEN_OUT "golden/candy_nc8_out_1x3x96x128.f32"
/* Style images: thumbnails of public-domain paintings committed with vknn.
 * A small style-size keeps the tests quick. */
#define PAINTING_A VKNN_TEST_SOURCE_DIR "/docs/images/paintings/wave.jpg"
#define PAINTING_B VKNN_TEST_SOURCE_DIR "/docs/images/paintings/scream.jpg"
#define TEST_STYLE_SIZE 64

/* ---- libvknn reference --------------------------------------------------- */

typedef struct {
    VknnContext *ctx;
    VknnModel *model;
    VknnStyler *styler;
} Reference;

static Reference reference_new(const char *model_path)
{
    GError *err = NULL;
    Reference r = {test_context()};
    r.model = vknn_model_load(model_path, &err);
    g_assert_no_error(err);
    r.styler = vknn_styler_new(r.ctx, r.model, &err);
    g_assert_no_error(err);
    return r;
}

static void reference_clear(Reference *r)
{
    vknn_styler_free(r->styler);
    vknn_model_free(r->model);
    vknn_context_free(r->ctx);
}

/* The element's defaults as libvknn parameters (it stores Winograd tiles as
 * fp16 unless precision=fp32). */
static VknnStyleParams element_defaults(void)
{
    VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
    p.precision = VKNN_PRECISION_FP16_TILES;
    return p;
}

/* The style network of a style image built by libvknn's API directly (the
 * C API's way: encoder, statistics, one network), on a separate context. */
static Reference style_image_reference(const char *image, float alpha, gboolean palette)
{
    GError *err = NULL;
    Reference r = {test_context()};
    g_auto(CliImage) style = {0};
    g_assert(cli_image_load_cover(image, TEST_STYLE_SIZE, &style, &err));
    for (int i = 0; i < 3 * style.width * style.height; i++)
        style.data[i] /= 255.0f;
    g_autoptr(VknnModel) enc = vknn_model_load("builtin:vgg19_relu3_1", &err);
    g_autoptr(VknnModel) dec = vknn_model_load("builtin:decoder_relu3_1", &err);
    g_assert_no_error(err);
    g_autoptr(VknnUniversalStyler) u = vknn_universal_styler_new(r.ctx, enc, dec, "relu3_1", &err);
    g_assert_no_error(err);
    vknn_universal_styler_set_style(u, style.data, style.width, style.height, &err);
    g_assert_no_error(err);
    vknn_universal_styler_set_palette(u, palette);
    r.model = vknn_universal_styler_style_model(u, alpha, &err);
    g_assert_no_error(err);
    r.styler = vknn_styler_new(r.ctx, r.model, &err);
    g_assert_no_error(err);
    return r;
}

/* libvknn's own result for an RGBA frame, on a separate context; params
 * NULL: the element's defaults. */
static Frame reference_run(Reference *r, const Frame *in, const VknnStyleParams *params)
{
    GError *err = NULL;
    const VknnStyleParams defaults = element_defaults();
    if (!params)
        params = &defaults;
    Frame out = frame_new(in->w, in->h);
    if (!vknn_styler_prepare(r->styler, in->w, in->h, params, &err) ||
        !vknn_styler_process_bytes(r->styler, VKNN_PIXEL_RGBA, in->px, in->w * 4, out.px, out.w * 4,
                                   &err))
        test_fatal("libvknn reference: %s", err->message);
    return out;
}

/* The CPU reference executor's output for an RGBA frame (w and h multiples
 * of 4: the network runs at the frame's size), rounded and clamped. */
static Frame cpu_reference(const char *model_path, const Frame *in)
{
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(model_path, &err);
    g_assert_no_error(err);
    const int n = in->w * in->h;
    VknnRefTensor x = {{4, {1, 3, in->h, in->w}}, g_new(float, 3 * n)};
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            x.data[c * n + i] = in->px[i * 4 + c];
    GHashTable *values = vknn_ref_run(m, &x, &err);
    g_assert_no_error(err);
    const VknnRefTensor *y = g_hash_table_lookup(values, "output");
    g_assert(y && vknn_shape_numel(&y->shape) == 3 * n);
    Frame out = frame_from_nchw(y->data, in->w, in->h);
    g_hash_table_unref(values);
    g_free(x.data);
    return out;
}

/* ---- harness helpers ----------------------------------------------------- */

static GstElement *harness_styler(GstHarness *h)
{
    return harness_element(h, "vkstyletransfer");
}

/* Pushes in and checks that the element's output is a Vulkan image of its size. */
static gboolean harness_image_size_is(GstHarness *h, const Frame *in)
{
    g_assert(gst_harness_push(h, gst_buffer_new_memdup(in->px, (gsize)in->w * in->h * 4)) ==
             GST_FLOW_OK);
    GstBuffer *res = gst_harness_pull(h);
    GstMemory *mem = gst_buffer_peek_memory(res, 0);
    gboolean ok = gst_is_vulkan_image_memory(mem);
    GstVulkanImageMemory *img = (GstVulkanImageMemory *)mem;
    ok = test_check(ok && gst_vulkan_image_memory_get_width(img) == (guint)in->w &&
                        gst_vulkan_image_memory_get_height(img) == (guint)in->h,
                    "renegotiated to %dx%d: output image %ux%u", in->w, in->h,
                    ok ? gst_vulkan_image_memory_get_width(img) : 0,
                    ok ? gst_vulkan_image_memory_get_height(img) : 0);
    gst_buffer_unref(res);
    return ok;
}

/* The golden input photo (128x96), or without ../shared a synthetic frame
 * of that size. */
static Frame golden_input(void)
{
    g_autofree char *path = test_shared_path(GOLDEN_IN);
    if (!path)
        return frame_synthetic(128, 96, 7);
    g_autofree float *t = test_read_f32(path, 3 * 96 * 128);
    return frame_from_nchw(t, 128, 96);
}

/* ---- cases --------------------------------------------------------------- */

static int case_sysmem(const char *model)
{
    /* The PyTorch golden output is an extra check of candy_nc8 on its input. */
    g_autofree char *golden_path = test_shared_path(GOLDEN_OUT);
    g_autofree char *golden_in = test_shared_path(GOLDEN_IN);
    const gboolean have_golden = golden_path && golden_in && strcmp(model, BUILTIN_MODEL);
    printf("system memory: videoconvert ! RGBA ! vkstyletransfer, 128x96 %s frame\n",
           have_golden ? "golden" : "synthetic");
    Frame in = golden_input();
    g_autofree float *gt = have_golden ? test_read_f32(golden_path, 3 * 96 * 128) : NULL;
    Frame golden = have_golden ? frame_from_nchw(gt, 128, 96) : (Frame){0};
    Reference ref = reference_new(model);
    Frame want = reference_run(&ref, &in, NULL);

    GstHarness *h =
        harness_new("videoconvert ! video/x-raw,format=RGBA ! vkstyletransfer model=\"%s\"", model);
    harness_set_size(h, "RGBA", 128, 96);
    Frame got = harness_frame(h, &in);
    gboolean ok = test_check(got.w == 128 && got.h == 96, "output size = input size (128x96)");
    ok &= check_diff(&got, &want, 4, 1, "RGBA output = libvknn process_bytes");
    /* fp16 tiles move candy's float output by up to ~1.5 (golden_fp16_candy:
     * 1.3, PSNR 67 dB); with both sides rounded to bytes that is <= 3. */
    if (have_golden)
        ok &= check_diff(&got, &golden, 3, 3, "RGB output = clamp(round(PyTorch golden))");
    frame_clear(&got);
    harness_free(h);

    /* precision=fp32: exact arithmetic, against libvknn in fp32. */
    VknnStyleParams fp32 = VKNN_STYLE_PARAMS_DEFAULT;
    Frame want32 = reference_run(&ref, &in, &fp32);
    h = harness_new("videoconvert ! video/x-raw,format=RGBA ! vkstyletransfer model=\"%s\" "
                    "precision=fp32",
                    model);
    harness_set_size(h, "RGBA", 128, 96);
    got = harness_frame(h, &in);
    ok &= check_diff(&got, &want32, 4, 1, "precision=fp32: output = libvknn in fp32");
    if (have_golden) {
        ok &= check_diff(&got, &golden, 3, 1, "precision=fp32: RGB output = clamp(round(golden))");
    } else {
        /* Without the golden: the CPU reference executor in its place. */
        Frame cpu = cpu_reference(model, &in);
        ok &= check_diff(&got, &cpu, 3, 1, "precision=fp32: RGB output = CPU reference");
        frame_clear(&cpu);
    }
    frame_clear(&got);
    frame_clear(&want32);
    harness_free(h);

    /* BGRx: same pixels with R and B swapped, alpha written 255. */
    g_autofree char *launch = g_strdup_printf("vkstyletransfer model=\"%s\"", model);
    ok &= check_swapped(launch, "BGRx", &in, &want, 1,
                        "BGRx output = libvknn RGBA result, R/B swapped");

    frame_clear(&in);
    frame_clear(&golden);
    frame_clear(&want);
    reference_clear(&ref);
    return ok ? 0 : 1;
}

static int case_vulkan(const char *model)
{
    printf("Vulkan images: vulkanupload ! vkstyletransfer ! vulkandownload, 128x96\n");
    Frame in = golden_input();

    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    harness_set_size(h, "RGBA", 128, 96);
    Frame sys = harness_frame(h, &in);
    harness_free(h);

    h = harness_new("vulkanupload ! vkstyletransfer model=\"%s\" ! vulkandownload", model);
    harness_set_size(h, "RGBA", 128, 96);
    Frame got = harness_frame(h, &in);
    GstElement *e = harness_styler(h);
    GstCaps *caps = gst_pad_get_current_caps(GST_BASE_TRANSFORM_SRC_PAD(e));
    const gboolean vk =
        caps && gst_caps_features_contains(gst_caps_get_features(caps, 0), "memory:VulkanImage");
    gboolean ok = test_check(vk, "the element negotiated memory:VulkanImage");
    gst_clear_caps(&caps);
    gst_object_unref(e);
    ok &= test_check(got.w == 128 && got.h == 96, "output size = input size (128x96)");
    ok &= check_diff(&got, &sys, 4, 1, "RGBA image output = system memory output");
    /* A second frame reuses the pool's images and their recorded layouts. */
    Frame got2 = harness_frame(h, &in);
    ok &= check_diff(&got2, &sys, 4, 1, "second frame (pool image reused) = system memory output");
    frame_clear(&got);
    frame_clear(&got2);
    harness_free(h);

    /* An odd size (99x75: neither dimension a multiple of 4). */
    Reference ref = reference_new(model);
    h = harness_new("vulkanupload ! vkstyletransfer model=\"%s\" ! vulkandownload", model);
    harness_set_size(h, "RGBA", 99, 75);
    Frame odd = frame_synthetic(99, 75, 1);
    got = harness_frame(h, &odd);
    Frame want = reference_run(&ref, &odd, NULL);
    ok &= check_diff(&got, &want, 4, 1, "99x75 image output = libvknn process_bytes");
    frame_clear(&got);
    frame_clear(&want);
    frame_clear(&odd);
    reference_clear(&ref);
    harness_free(h);

    /* Renegotiation: the element's pool follows the size; checked on the
     * images themselves, with shrinking sizes only. GStreamer 1.22's
     * vulkanupload and vulkandownload keep their first pool across
     * renegotiation: vulkanupload writes a larger frame past its old, smaller
     * image (heap corruption on lavapipe) and vulkandownload returns buffers
     * of the old size, whatever element sits between them. */
    h = harness_new("vulkanupload ! vkstyletransfer model=\"%s\"", model);
    static const int sizes[][2] = {{128, 96}, {64, 48}, {63, 47}, {32, 24}};
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        harness_set_size(h, "RGBA", sizes[i][0], sizes[i][1]);
        Frame f = frame_synthetic(sizes[i][0], sizes[i][1], (int)i);
        ok &= harness_image_size_is(h, &f);
        frame_clear(&f);
    }
    harness_free(h);

    /* BGRA images: written through libvknn's copy path. */
    g_autofree char *launch =
        g_strdup_printf("vulkanupload ! vkstyletransfer model=\"%s\" ! vulkandownload", model);
    ok &= check_swapped(launch, "BGRA", &in, &sys, 1,
                        "BGRA image output = system memory RGBA, R/B swapped");

    frame_clear(&sys);
    frame_clear(&in);
    return ok ? 0 : 1;
}

static int case_renegotiate(const char *model)
{
    static const int sizes[][2] = {{64, 48}, {96, 128}, {99, 75}, {64, 48}};
    printf("renegotiation in one stream: 64x48 -> 96x128 -> 99x75 -> 64x48\n");
    Reference ref = reference_new(model);
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    gboolean ok = TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        const int w = sizes[i][0], hh = sizes[i][1];
        char what[96];
        harness_set_size(h, "RGBA", w, hh);
        Frame in = frame_synthetic(w, hh, (int)i);
        Frame got = harness_frame(h, &in);
        ok &= test_check(got.w == w && got.h == hh, "%dx%d: output size %dx%d = input size", w, hh,
                         got.w, got.h);
        Frame want = reference_run(&ref, &in, NULL);
        g_snprintf(what, sizeof what, "%dx%d: output = libvknn process_bytes", w, hh);
        ok &= check_diff(&got, &want, 4, 1, what);
        frame_clear(&in);
        frame_clear(&got);
        frame_clear(&want);
    }
    harness_free(h);
    reference_clear(&ref);
    return ok ? 0 : 1;
}

/* Mean |chroma(a) - chroma(b)| (BT.601 Cb and Cr, 0..255 units). */
static double chroma_mean_diff(const Frame *a, const Frame *b)
{
    double sum = 0;
    for (int i = 0; i < a->w * a->h; i++) {
        const guint8 *p = a->px + i * 4, *q = b->px + i * 4;
        const double dr = p[0] - q[0], dg = p[1] - q[1], db = p[2] - q[2];
        sum += fabs(-0.168736 * dr - 0.331264 * dg + 0.5 * db);
        sum += fabs(0.5 * dr - 0.418688 * dg - 0.081312 * db);
    }
    return sum / (2.0 * a->w * a->h);
}

/* Every byte of mid within [min(a,b) - 1, max(a,b) + 1]. */
static gboolean frame_between(const Frame *mid, const Frame *a, const Frame *b)
{
    for (int i = 0; i < mid->w * mid->h * 4; i++) {
        const int lo = MIN(a->px[i], b->px[i]) - 1, hi = MAX(a->px[i], b->px[i]) + 1;
        if (mid->px[i] < lo || mid->px[i] > hi)
            return FALSE;
    }
    return TRUE;
}

static int case_params(const char *model)
{
    printf("properties while playing: strength, preserve-colors, scale (128x96)\n");
    Frame in = golden_input();
    Reference ref = reference_new(model);
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\" strength=0", model);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 128, 96);
    gboolean ok = TRUE;

    Frame s0 = harness_frame(h, &in);
    ok &= check_diff(&s0, &in, 4, 1, "strength=0: output = input");

    g_object_set(e, "strength", 1.0, NULL);
    Frame s1 = harness_frame(h, &in);
    g_object_set(e, "strength", 0.5, NULL);
    Frame half = harness_frame(h, &in);
    ok &= test_check(frame_between(&half, &in, &s1), "strength=0.5: every byte between input and "
                                                     "strength 1 (+-1)");
    ok &= test_check(frame_max_diff(&half, &in, 3) > 8 && frame_max_diff(&half, &s1, 3) > 8,
                     "strength=0.5: differs from both");

    g_object_set(e, "strength", 1.0, "preserve-colors", TRUE, NULL);
    Frame pc = harness_frame(h, &in);
    const double d_pc = chroma_mean_diff(&pc, &in), d_s1 = chroma_mean_diff(&s1, &in);
    ok &= test_check(d_pc < 3.0, "preserve-colors: mean |chroma - input chroma| %.2f (< 3)", d_pc);
    ok &= test_check(d_s1 > 3 * d_pc && d_s1 > 5.0,
                     "without it: mean |chroma - input chroma| %.2f (> 3 x %.2f)", d_s1, d_pc);
    ok &= test_check(frame_max_diff(&pc, &s1, 3) > 8, "preserve-colors changes the output");

    g_object_set(e, "preserve-colors", FALSE, "scale", 0.5, NULL);
    Frame sc = harness_frame(h, &in);
    VknnStyleParams params = element_defaults();
    params.scale = 0.5f;
    Frame want_sc = reference_run(&ref, &in, &params);
    ok &= test_check(sc.w == 128 && sc.h == 96, "scale=0.5: output at frame size");
    ok &= check_diff(&sc, &want_sc, 4, 1, "scale=0.5: output = libvknn at scale 0.5");

    frame_clear(&s0);
    frame_clear(&s1);
    frame_clear(&half);
    frame_clear(&pc);
    frame_clear(&sc);
    frame_clear(&want_sc);
    frame_clear(&in);
    gst_object_unref(e);
    harness_free(h);
    reference_clear(&ref);
    return ok ? 0 : 1;
}

/* Setting `model` while playing: the new model takes over after loading in
 * the background; a bad one leaves the running model in place. */
static int case_swap(const char *model)
{
    g_autofree char *model2 =
        strcmp(model, BUILTIN_MODEL) ? test_shared_path(MODEL2) : g_strdup(BUILTIN_MODEL2);
    if (!model2)
        return TEST_SKIP;
    printf("model swap while playing: %s -> missing file (warning) -> %s -> quick changes\n", model,
           model2);
    Frame in = frame_synthetic(64, 48, 3);
    Reference ref1 = reference_new(model), ref2 = reference_new(model2);
    Frame want1 = reference_run(&ref1, &in, NULL), want2 = reference_run(&ref2, &in, NULL);
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    gboolean ok = TRUE;

    Frame got = harness_frame(h, &in);
    ok &= check_diff(&got, &want1, 4, 1, "first model: output = libvknn");
    frame_clear(&got);

    g_object_set(e, "model", "/nonexistent/style.onnx", NULL);
    GstMessage *warning = NULL;
    for (int i = 0; i < 200 && !warning; i++) {
        got = harness_frame(h, &in);
        ok &= frame_max_diff(&got, &want1, 4) <= 1;
        frame_clear(&got);
        if (!(warning = harness_message(h, GST_MESSAGE_WARNING)))
            g_usleep(10000);
    }
    ok &= test_check(warning != NULL, "bad model while running: a warning on the bus");
    ok &= test_check(harness_message(h, GST_MESSAGE_ERROR) == NULL, "and no error");
    ok &= test_check(ok, "frames kept flowing with the first model");
    gst_clear_message(&warning);

    g_object_set(e, "model", model2, NULL);
    gboolean swapped = FALSE;
    for (int i = 0; i < 500 && !swapped; i++) {
        got = harness_frame(h, &in);
        swapped = frame_max_diff(&got, &want1, 4) > 1;
        if (swapped)
            ok &= check_diff(&got, &want2, 4, 1, "second model took over: output = libvknn");
        frame_clear(&got);
        if (!swapped)
            g_usleep(10000);
    }
    ok &= test_check(swapped, "the second model was swapped in");

    /* Requests faster than loads: only the last one counts. */
    for (int k = 0; k < 6; k++)
        g_object_set(e, "model", k % 2 ? model2 : model, NULL);
    g_object_set(e, "model", model, NULL);
    swapped = FALSE;
    for (int i = 0; i < 500 && !swapped; i++) {
        got = harness_frame(h, &in);
        swapped = frame_max_diff(&got, &want1, 4) <= 1;
        frame_clear(&got);
        if (!swapped)
            g_usleep(10000);
    }
    ok &= test_check(swapped, "7 quick model changes: the last one (first model) runs");

    frame_clear(&in);
    frame_clear(&want1);
    frame_clear(&want2);
    gst_object_unref(e);
    harness_free(h);
    reference_clear(&ref1);
    reference_clear(&ref2);
    return ok ? 0 : 1;
}

static int case_errors(const char *model)
{
    printf("errors: default and unknown built-in models, missing model file, not a model\n");
    gboolean ok = TRUE;

    GError *err = pipeline_error("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                                 "videoconvert ! vkstyletransfer ! fakesink");
    if (err)
        printf("  error: %s\n", err->message);
    ok &= test_check(err == NULL, "no model property: the built-in default style runs");
    g_clear_error(&err);

    err = pipeline_error("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                         "videoconvert ! vkstyletransfer model=builtin:nothing ! fakesink");
    ok &= test_check(err && strstr(err->message, "builtin:nothing"),
                     "unknown built-in model: an error naming it");
    if (err)
        printf("  error: %s\n", err->message);
    g_clear_error(&err);

    err = pipeline_error("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                         "videoconvert ! vkstyletransfer model=/nonexistent/x.onnx ! fakesink");
    ok &=
        test_check(err && g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND) &&
                       strstr(err->message, "/nonexistent/x.onnx"),
                   "missing model file: RESOURCE/NOT_FOUND error naming the path");
    g_clear_error(&err);

    /* In a harness: the push fails cleanly and the error is on the bus. */
    g_autofree char *junk = g_build_filename(g_get_tmp_dir(), "vknn-test-not-a-model.onnx", NULL);
    g_assert(g_file_set_contents(junk, "not an ONNX file", -1, NULL));
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", junk);
    harness_set_size(h, "RGBA", 32, 24);
    Frame in = frame_synthetic(32, 24, 0), out = {0};
    GstFlowReturn flow;
    ok &= test_check(!harness_run(h, &in, &out, &flow) && flow == GST_FLOW_ERROR,
                     "not a model (harness): push returns GST_FLOW_ERROR");
    GstMessage *msg = harness_message(h, GST_MESSAGE_ERROR);
    if (msg) {
        gst_message_parse_error(msg, &err, NULL);
        printf("  error: %s\n", err->message);
    }
    ok &= test_check(err && g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ),
                     "not a model (harness): RESOURCE/READ error on the bus");
    g_clear_error(&err);
    gst_clear_message(&msg);
    harness_free(h);
    frame_clear(&in);
    g_unlink(junk);
    (void)model;
    return ok ? 0 : 1;
}

/* Resident memory of this process, in MiB (Linux). */
static double rss_mib(void)
{
    g_autofree char *statm = NULL;
    long pages = 0, resident = 0;
    if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
        sscanf(statm, "%ld %ld", &pages, &resident);
    return resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

/* libvknn's live device buffers in the element's process, from its stats. */
static int element_device_buffers(GstElement *element)
{
    GstStructure *stats = NULL;
    int n = -1;
    g_object_get(element, "stats", &stats, NULL);
    if (stats)
        gst_structure_get_int(stats, "device-buffers", &n);
    gst_clear_structure(&stats);
    return n;
}

/* 300 frames, switching size every 50: after the warm-up, resident memory and
 * libvknn's device buffers must not grow. */
static int case_soak(const char *model)
{
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    const int sizes[][2] = {{64, 48}, {48, 64}};
    Frame in[2] = {frame_synthetic(64, 48, 3), frame_synthetic(48, 64, 4)};
    double rss_warm = 0;
    int buffers_warm = 0;
    for (int n = 0; n < 300; n++) {
        const int k = (n / 50) % 2;
        if (n % 50 == 0)
            harness_set_size(h, "RGBA", sizes[k][0], sizes[k][1]);
        Frame out = harness_frame(h, &in[k]);
        frame_clear(&out);
        if (n == 99) { /* both sizes seen twice: steady state */
            rss_warm = rss_mib();
            buffers_warm = element_device_buffers(harness_styler(h));
        }
    }
    const double rss_end = rss_mib();
    const int buffers_end = element_device_buffers(harness_styler(h));
    gboolean ok = test_check(rss_end - rss_warm <= 4.0,
                             "300 frames: resident %.1f -> %.1f MiB after warm-up (<= +4)",
                             rss_warm, rss_end);
    ok &= test_check(buffers_warm > 0 && buffers_end == buffers_warm,
                     "device buffers %d -> %d after warm-up (flat)", buffers_warm, buffers_end);
    frame_clear(&in[0]);
    frame_clear(&in[1]);
    harness_free(h);
    return ok ? 0 : 1;
}

/* A two-style network saved to a temporary file: a small TransformerNet
 * whose instance norms get a second style's parameters (NAME@1). */
static char *write_two_style_model(void)
{
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_transformer_net_new(4, 5, &err);
    g_assert_no_error(err);
    VknnValue *w = vknn_model_value(m, vknn_model_find_value(m, "deconv3.weight"));
    VknnValue *b = vknn_model_value(m, vknn_model_find_value(m, "deconv3.bias"));
    for (int64_t j = 0; j < vknn_shape_numel(&w->shape); j++)
        w->data[j] *= 200.0f; /* an untrained network's output is near 0 */
    for (int64_t j = 0; j < vknn_shape_numel(&b->shape); j++)
        b->data[j] = 128.0f;
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        for (int k = 1; g_str_equal(n->op_type, "InstanceNormalization") && k < 3; k++) {
            const VknnValue *v = vknn_model_value(m, n->inputs[k]);
            const int64_t numel = vknn_shape_numel(&v->shape);
            g_autofree float *other = g_new(float, numel);
            test_fill_random(other, numel, i * 3 + k, k == 1 ? 0.2f : -1.0f, k == 1 ? 2.0f : 1.0f);
            g_autofree char *name = g_strdup_printf("%s@1", v->name);
            vknn_model_add_constant(m, name, &v->shape, other);
        }
    }
    char *path = g_build_filename(g_get_tmp_dir(), "vknn-test-two-styles.onnx", NULL);
    g_assert(vknn_model_save(m, path, &err));
    return path;
}

/* style-index and style-weights while playing: weights (1, 0) = style 0 =
 * no weights, (0, 1) = style-index 1, (0.5, 0.5) differs from both. */
static int case_styles(const char *unused)
{
    printf("multi-style network: style-index and style-weights while playing (64x48)\n");
    g_autofree char *model = write_two_style_model();
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame in = frame_synthetic(64, 48, 3);
    Frame plain = harness_frame(h, &in);
    g_object_set(e, "style-weights", "1,0", NULL);
    Frame w10 = harness_frame(h, &in);
    g_object_set(e, "style-weights", "0,1", NULL);
    Frame w01 = harness_frame(h, &in);
    g_object_set(e, "style-weights", "0.5,0.5", NULL);
    Frame half = harness_frame(h, &in);
    g_object_set(e, "style-index", 1, NULL);
    Frame idx1 = harness_frame(h, &in);
    gboolean ok = check_diff(&w10, &plain, 4, 0, "style-weights=1,0: style 0 as stored");
    ok &= check_diff(&idx1, &w01, 4, 0, "style-index=1: = style-weights 0,1");
    ok &= test_check(frame_max_diff(&w01, &w10, 3) > 20, "the two styles differ");
    ok &= test_check(frame_max_diff(&half, &w10, 3) > 2 && frame_max_diff(&half, &w01, 3) > 2,
                     "style-weights=0.5,0.5: a third look");
    Frame *frames[] = {&in, &plain, &w10, &w01, &half, &idx1};
    for (gsize i = 0; i < G_N_ELEMENTS(frames); i++)
        frame_clear(frames[i]);
    gst_object_unref(e);
    harness_free(h);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* The warning messages on h's bus so far, their texts joined by " | ". */
static char *harness_warnings(GstHarness *h)
{
    GString *all = g_string_new(NULL);
    GstMessage *msg;
    while ((msg = harness_message(h, GST_MESSAGE_WARNING))) {
        GError *err = NULL;
        gst_message_parse_warning(msg, &err, NULL);
        g_string_append_printf(all, "%s%s", all->len ? " | " : "", err->message);
        g_error_free(err);
        gst_message_unref(msg);
    }
    return g_string_free(all, FALSE);
}

/* Sets a string property; checks it is refused with a warning naming
 * `expect` and reads back `keep`. */
static gboolean check_refused_string(GstHarness *h, GstElement *e, const char *prop,
                                     const char *value, const char *expect, const char *keep)
{
    g_object_set(e, prop, value, NULL);
    g_autofree char *warnings = harness_warnings(h);
    g_autofree char *now = NULL;
    g_object_get(e, prop, &now, NULL);
    printf("  %s=%s: %s\n", prop, value, warnings);
    return test_check(strstr(warnings, expect) && !g_strcmp0(now, keep),
                      "%s=\"%s\": refused with a warning, reads back \"%s\"", prop, value,
                      keep ? keep : "(null)");
}

/* A change the running model cannot take, made while playing: the stream
 * goes on with the choice in effect, a warning says why, and the property
 * reads back what runs. */
static gboolean check_refused_live(GstHarness *h, GstElement *e, const Frame *in, const Frame *want,
                                   const char *expect, const char *what)
{
    Frame out = {0};
    GstFlowReturn flow;
    const gboolean ran = harness_run(h, in, &out, &flow);
    g_autofree char *warnings = harness_warnings(h);
    printf("  %s: %s\n", what, warnings);
    gboolean ok = test_check(ran && flow == GST_FLOW_OK, "%s: the stream goes on", what);
    ok &= test_check(strstr(warnings, expect) != NULL, "%s: a warning naming %s", what, expect);
    ok &= ran && check_diff(&out, want, 4, 0, what);
    frame_clear(&out);
    return ok;
}

/* Style choices the running model cannot take, made while playing (issue
 * 19's fault 1): the stream goes on with the choice in effect. */
static int case_settings_live(const char *unused)
{
    printf("settings_live: style choices the model cannot take keep the stream\n");
    g_autofree char *model = write_two_style_model();
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\"", model);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame in = frame_synthetic(64, 48, 3);
    Frame plain = harness_frame(h, &in);

    g_object_set(e, "style-index", 5, NULL);
    gboolean ok =
        check_refused_live(h, e, &in, &plain, "style-index 5", "style-index=5 (2 styles)");
    gint index = 0;
    g_object_get(e, "style-index", &index, NULL);
    ok &=
        test_check(index == -1, "style-index reads back -1, the choice in effect (got %d)", index);

    g_object_set(e, "style-weights", "0,1", NULL);
    Frame w01 = harness_frame(h, &in);
    g_object_set(e, "style-weights", "1,1,1", NULL);
    ok &= check_refused_live(h, e, &in, &w01, "style-weights '1,1,1'", "style-weights=1,1,1");
    g_autofree char *weights = NULL;
    g_object_get(e, "style-weights", &weights, NULL);
    ok &= test_check(!g_strcmp0(weights, "0,1"), "style-weights reads back 0,1 (got %s)", weights);

    frame_clear(&in);
    frame_clear(&plain);
    frame_clear(&w01);
    gst_object_unref(e);
    harness_free(h);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* Values that cannot be used are refused where they are set, with a
 * warning, keeping the previous value (faults 2, 3 and 6): non-finite or
 * all-zero weights gave black frames, malformed ones were silent, an empty
 * model and a model that failed to load read back as if in effect. */
static int case_settings_values(const char *unused)
{
    printf("settings_values: refused values keep the previous one\n");
    g_autofree char *model = write_two_style_model();
    GstHarness *h = harness_new("vkstyletransfer model=\"%s\" style-weights=0,1", model);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame in = frame_synthetic(64, 48, 3);
    Frame w01 = harness_frame(h, &in);

    const char *bad[][2] = {{"nan,1", "finite"},
                            {"inf,-inf", "finite"},
                            {"0,0", "all weights are 0"},
                            {"abc", "not a number"},
                            {"1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", "1 to 16 numbers"}};
    gboolean ok = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        ok &= check_refused_string(h, e, "style-weights", bad[i][0], bad[i][1], "0,1");
    Frame after = harness_frame(h, &in);
    ok &= check_diff(&after, &w01, 4, 0, "after the refusals: still style 1, not black");

    ok &= check_refused_string(h, e, "model", "", "model: empty", model);
    g_object_set(e, "model", "/nonexistent/x.onnx", NULL);
    gboolean warned = FALSE;
    for (int i = 0; i < 100 && !warned; i++) {
        Frame out = harness_frame(h, &in);
        frame_clear(&out);
        g_autofree char *w = harness_warnings(h);
        warned = strstr(w, "/nonexistent/x.onnx") != NULL;
        if (!warned)
            g_usleep(20000);
    }
    g_autofree char *now = NULL;
    g_object_get(e, "model", &now, NULL);
    ok &= test_check(warned && !g_strcmp0(now, model),
                     "a model that fails to load while another runs: a warning, and `model` "
                     "reads back the one running (%s)",
                     now);

    frame_clear(&in);
    frame_clear(&w01);
    frame_clear(&after);
    gst_object_unref(e);
    harness_free(h);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* gst-launch sets properties before the element has a bus: a refusal then
 * reaches the bus when the pipeline starts, where gst-launch prints it. */
static int case_launch_warning(const char *unused)
{
    printf("launch: a value refused before the pipeline runs is still reported\n");
    GError *err = NULL;
    GstElement *p =
        gst_parse_launch("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                         "videoconvert ! vkstyletransfer style-weights=abc ! fakesink",
                         &err);
    g_assert_no_error(err);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    gboolean warned = FALSE, ended = FALSE;
    while (!ended) {
        GstMessage *msg = gst_bus_timed_pop_filtered(
            bus, 120 * GST_SECOND, GST_MESSAGE_WARNING | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
        ended = !msg || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_WARNING;
        if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
            gst_message_parse_warning(msg, &err, NULL);
            printf("  warning: %s\n", err->message);
            warned |= strstr(err->message, "style-weights 'abc'") != NULL;
            g_clear_error(&err);
        } else if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
            test_fail("the pipeline failed");
        }
        gst_clear_message(&msg);
    }
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return test_check(warned, "style-weights=abc on the launch line: a warning on the bus") ? 0 : 1;
}

/* A device whose buffers are too small for the network at the frame's size
 * (emulated with VKNN_MAX_BUFFER_BYTES; lavapipe's real limit, 128 MiB,
 * stops 32-channel networks at 1920x1080): the element lowers the scale in
 * steps of 15% until the network fits, warns once, and its output is
 * libvknn's at that scale. */
static int case_device_limit(const char *unused)
{
    /* 2 MB: above every packed weight tensor (< 1 MB), below the 16-channel
     * activations at 256x192 (3.1 MB). */
    printf("device limit: buffers of at most 2 MB, builtin:starry_night at 256x192\n");
    g_setenv("VKNN_MAX_BUFFER_BYTES", "2000000", TRUE);
    Frame in = frame_synthetic(256, 192, 3);
    Reference ref = reference_new("builtin:starry_night");
    VknnStyleParams params = element_defaults();
    GError *err = NULL;
    while (!vknn_styler_prepare(ref.styler, 256, 192, &params, &err) &&
           g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) && params.scale > 0.2f) {
        g_clear_error(&err);
        params.scale *= 0.85f;
    }
    gboolean ok = test_check(err == NULL && params.scale < 1.0f,
                             "libvknn alone: the network does not fit at scale 1, fits lower");
    g_clear_error(&err);
    printf("  fits at scale %.3f\n", params.scale);
    Frame want = reference_run(&ref, &in, &params);

    GstHarness *h = harness_new("vkstyletransfer");
    harness_set_size(h, "RGBA", 256, 192);
    Frame got = harness_frame(h, &in);
    ok &= check_diff(&got, &want, 4, 1, "element output = libvknn at that scale");
    GstMessage *msg = harness_message(h, GST_MESSAGE_WARNING);
    if (msg) {
        gst_message_parse_warning(msg, &err, NULL);
        printf("  warning: %s\n", err->message);
        gst_message_unref(msg);
    }
    ok &= test_check(err && strstr(err->message, "scale"), "a warning names the scale used");
    g_clear_error(&err);
    frame_clear(&got);
    got = harness_frame(h, &in);
    msg = harness_message(h, GST_MESSAGE_WARNING);
    ok &= test_check(msg == NULL, "the next frame: no second warning");
    ok &= check_diff(&got, &want, 4, 1, "the next frame: same output");
    if (msg)
        gst_message_unref(msg);
    harness_free(h);
    frame_clear(&got);
    frame_clear(&want);
    frame_clear(&in);
    reference_clear(&ref);
    g_unsetenv("VKNN_MAX_BUFFER_BYTES");
    return ok ? 0 : 1;
}

/* Frame seed of the noisy static shot: the synthetic picture plus noise of
 * up to +-4 levels, a new draw per frame. */
static Frame noisy_frame(int w, int h, guint32 frame)
{
    Frame f = frame_synthetic(w, h, 3);
    GRand *rng = g_rand_new_with_seed(frame);
    for (int i = 0; i < w * h * 4; i++)
        if (i % 4 != 3)
            f.px[i] = (guint8)CLAMP(f.px[i] + g_rand_int_range(rng, -4, 5), 0, 255);
    g_rand_free(rng);
    return f;
}

/* temporal=flow: the first frame, and the first after a flush or a size
 * change, is the per-frame stylisation bit for bit (no history); the frames
 * between are not (the history is used), and temporal-strength=0 set while
 * playing gives per-frame output again. */
static int case_temporal(const char *unused)
{
    printf("temporal: stabilisation restarts at flushes and size changes\n");
    GstHarness *h = harness_new("vkstyletransfer temporal=flow");
    GstHarness *plain = harness_new("vkstyletransfer temporal=off");
    GstElement *e = harness_styler(h);
    gboolean ok = TRUE;
    for (int size = 0; size < 2; size++) {
        const int w = size ? 72 : 64, hh = size ? 40 : 48;
        harness_set_size(h, "RGBA", w, hh);
        harness_set_size(plain, "RGBA", w, hh);
        for (int f = 0; f < 4; f++) {
            if (f == 3) { /* a seek: flush, then a new segment */
                gst_harness_push_event(h, gst_event_new_flush_start());
                gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
                GstSegment seg;
                gst_segment_init(&seg, GST_FORMAT_TIME);
                gst_harness_push_event(h, gst_event_new_segment(&seg));
            }
            Frame in = noisy_frame(w, hh, 10 * size + f);
            Frame got = harness_frame(h, &in), want = harness_frame(plain, &in);
            const int diff = frame_max_diff(&got, &want, 3);
            const char *when = f == 0   ? (size ? "after a size change" : "first frame")
                               : f == 3 ? "after a flush"
                                        : NULL;
            if (when)
                ok &= test_check(diff == 0, "%dx%d %s: the per-frame output (max diff %d)", w, hh,
                                 when, diff);
            else
                ok &= test_check(diff > 0,
                                 "%dx%d frame %d: stabilised, not per-frame (max diff "
                                 "%d)",
                                 w, hh, f, diff);
            frame_clear(&in);
            frame_clear(&got);
            frame_clear(&want);
        }
    }
    g_object_set(e, "temporal-strength", 0.0, NULL);
    Frame in = noisy_frame(72, 40, 99);
    Frame got = harness_frame(h, &in), want = harness_frame(plain, &in);
    ok &= test_check(frame_max_diff(&got, &want, 3) == 0,
                     "temporal-strength=0 set while playing: the per-frame output");
    frame_clear(&in);
    frame_clear(&got);
    frame_clear(&want);
    gst_object_unref(e);
    harness_free(h);
    harness_free(plain);
    return ok ? 0 : 1;
}

/* Pushes `in` until the output matches want (the new style swapped in), at
 * most ~5 s; every frame in between must match `old` (when not NULL): the
 * stream never stalls or shows anything else. */
static gboolean wait_for_output(GstHarness *h, const Frame *in, const Frame *want, const Frame *old,
                                const char *what)
{
    gboolean steady = TRUE, swapped = FALSE;
    for (int i = 0; i < 500 && !swapped; i++) {
        Frame got = harness_frame(h, in);
        swapped = frame_max_diff(&got, want, 4) <= 1;
        steady &= swapped || !old || frame_max_diff(&got, old, 4) <= 1;
        frame_clear(&got);
        if (!swapped)
            g_usleep(10000);
    }
    return test_check(swapped && steady, "%s (the old style until then: %s)", what,
                      steady ? "yes" : "no");
}

/* style-image in both memory paths, with alpha and palette, against the
 * network libvknn's API builds for the same image. */
static int case_style_image(const char *unused)
{
    printf("style-image: %s at style-size %d, 64x48 frames\n", PAINTING_A, TEST_STYLE_SIZE);
    Frame in = frame_synthetic(64, 48, 5);
    Reference ref = style_image_reference(PAINTING_A, 1.0f, TRUE);
    Frame want = reference_run(&ref, &in, NULL);
    gboolean ok = TRUE;
    const char *const paths[] = {"videoconvert ! video/x-raw,format=RGBA ! ", ""};
    for (int vulkan = 0; vulkan < 2; vulkan++) {
        GstHarness *h = harness_new("%svkstyletransfer style-image=\"%s\" style-size=%d",
                                    paths[vulkan], PAINTING_A, TEST_STYLE_SIZE);
        harness_set_size(h, "RGBA", 64, 48);
        if (vulkan) {
            gst_harness_add_src_parse(h, "vulkanupload", TRUE);
            gst_harness_add_sink_parse(h, "vulkandownload");
        }
        Frame got = harness_frame(h, &in);
        ok &= check_diff(&got, &want, 4, 1,
                         vulkan ? "Vulkan images: output = libvknn's network of the image"
                                : "system memory: output = libvknn's network of the image");
        ok &= test_check(frame_max_diff(&got, &in, 3) > 20, "the frame is restyled (max diff %d)",
                         frame_max_diff(&got, &in, 3));
        frame_clear(&got);
        harness_free(h);
    }
    /* alpha 0: the decoder's reconstruction of the frame, not the style. */
    Reference ref0 = style_image_reference(PAINTING_A, 0.0f, TRUE);
    Frame want0 = reference_run(&ref0, &in, NULL);
    GstHarness *h = harness_new("vkstyletransfer style-image=\"%s\" style-size=%d", PAINTING_A,
                                TEST_STYLE_SIZE);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame got = harness_frame(h, &in);
    frame_clear(&got);
    g_object_set(e, "alpha", 0.0, NULL);
    ok &= wait_for_output(h, &in, &want0, &want, "alpha=0 while playing: the reconstruction");
    ok &= test_check(frame_max_diff(&want0, &want, 3) > 10, "alpha 0 and 1 differ (max diff %d)",
                     frame_max_diff(&want0, &want, 3));
    /* palette=false: the decoder's own colours. */
    Reference ref_np = style_image_reference(PAINTING_A, 1.0f, FALSE);
    Frame want_np = reference_run(&ref_np, &in, NULL);
    /* palette first: at alpha 0 it changes nothing, so no frame shows a third style. */
    g_object_set(e, "palette", FALSE, "alpha", 1.0, NULL);
    ok &= wait_for_output(h, &in, &want_np, &want0, "palette=false while playing: no palette");
    ok &= test_check(frame_max_diff(&want_np, &want, 3) > 10,
                     "with and without the palette differ (max diff %d)",
                     frame_max_diff(&want_np, &want, 3));
    frame_clear(&want_np);
    reference_clear(&ref_np);
    gst_object_unref(e);
    harness_free(h);
    frame_clear(&in);
    frame_clear(&want);
    frame_clear(&want0);
    reference_clear(&ref);
    reference_clear(&ref0);
    (void)unused;
    return ok ? 0 : 1;
}

/* Changing style-image while playing: the old style runs until the new one
 * is ready; a bad image is a warning naming it and changes nothing;
 * unsetting it goes back to `model`. */
static int case_style_image_swap(const char *unused)
{
    printf("style-image swap while playing: %s -> missing -> %s -> unset (model)\n", PAINTING_A,
           PAINTING_B);
    Frame in = frame_synthetic(64, 48, 6);
    Reference ra = style_image_reference(PAINTING_A, 1.0f, TRUE);
    Reference rb = style_image_reference(PAINTING_B, 1.0f, TRUE);
    Reference rm = reference_new(BUILTIN_MODEL);
    Frame want_a = reference_run(&ra, &in, NULL), want_b = reference_run(&rb, &in, NULL);
    Frame want_m = reference_run(&rm, &in, NULL);
    GstHarness *h = harness_new("vkstyletransfer model=%s style-image=\"%s\" style-size=%d",
                                BUILTIN_MODEL, PAINTING_A, TEST_STYLE_SIZE);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame got = harness_frame(h, &in);
    gboolean ok = check_diff(&got, &want_a, 4, 1, "first style image runs");
    frame_clear(&got);

    g_object_set(e, "style-image", "/nonexistent/painting.jpg", NULL);
    GstMessage *warning = NULL;
    for (int i = 0; i < 300 && !warning; i++) {
        got = harness_frame(h, &in);
        ok &= frame_max_diff(&got, &want_a, 4) <= 1;
        frame_clear(&got);
        if (!(warning = harness_message(h, GST_MESSAGE_WARNING)))
            g_usleep(10000);
    }
    GError *err = NULL;
    g_autofree char *debug = NULL;
    if (warning)
        gst_message_parse_warning(warning, &err, &debug);
    ok &= test_check(err && (strstr(err->message, "/nonexistent/painting.jpg") ||
                             (debug && strstr(debug, "/nonexistent/painting.jpg"))),
                     "missing image while playing: a warning naming it: %s",
                     err ? err->message : "none");
    ok &= test_check(harness_message(h, GST_MESSAGE_ERROR) == NULL, "no error");
    ok &= test_check(ok, "frames kept the first style meanwhile");
    g_clear_error(&err);
    gst_clear_message(&warning);
    g_autofree char *shown = NULL;
    g_object_get(e, "style-image", &shown, NULL);
    ok &= test_check(!g_strcmp0(shown, PAINTING_A), "style-image reads back the one running: %s",
                     shown);

    g_object_set(e, "style-image", PAINTING_B, NULL);
    ok &= wait_for_output(h, &in, &want_b, &want_a, "second style image swapped in");
    g_object_set(e, "style-image", NULL, NULL);
    ok &= wait_for_output(h, &in, &want_m, &want_b, "style-image unset: model runs again");
    g_autofree char *model = NULL;
    g_object_get(e, "model", &model, NULL);
    ok &= test_check(!g_strcmp0(model, BUILTIN_MODEL), "model reads back %s", model);

    gst_object_unref(e);
    harness_free(h);
    frame_clear(&in);
    frame_clear(&want_a);
    frame_clear(&want_b);
    frame_clear(&want_m);
    reference_clear(&ra);
    reference_clear(&rb);
    reference_clear(&rm);
    (void)unused;
    return ok ? 0 : 1;
}

/* Two style images, comma-separated: one multi-style network whose images
 * style-weights blends; weights 0,1 give the second image's own network,
 * and 1,0 set while playing the first's. */
static int case_style_image_blend(const char *unused)
{
    Frame in = frame_synthetic(64, 48, 9);
    Reference ra = style_image_reference(PAINTING_A, 1.0f, TRUE);
    Reference rb = style_image_reference(PAINTING_B, 1.0f, TRUE);
    Frame want_a = reference_run(&ra, &in, NULL), want_b = reference_run(&rb, &in, NULL);
    GstHarness *h = harness_new("vkstyletransfer style-image=\"%s,%s\" style-size=%d "
                                "style-weights=0,1",
                                PAINTING_A, PAINTING_B, TEST_STYLE_SIZE);
    GstElement *e = harness_styler(h);
    harness_set_size(h, "RGBA", 64, 48);
    Frame got = harness_frame(h, &in);
    gboolean ok = check_diff(&got, &want_b, 4, 1, "style-weights=0,1: the second image's style");
    g_object_set(e, "style-weights", "1,0", NULL);
    ok &= wait_for_output(h, &in, &want_a, &want_b, "style-weights=1,0 while playing: the first");
    ok &= test_check(frame_max_diff(&want_a, &want_b, 3) > 10, "the two styles differ (%d)",
                     frame_max_diff(&want_a, &want_b, 3));
    frame_clear(&got);
    gst_object_unref(e);
    harness_free(h);
    frame_clear(&in);
    frame_clear(&want_a);
    frame_clear(&want_b);
    reference_clear(&ra);
    reference_clear(&rb);
    (void)unused;
    return ok ? 0 : 1;
}

/* A missing file or one that is no image, at start: an element error
 * naming the path. */
static int case_style_image_errors(const char *unused)
{
    g_autofree char *junk = g_build_filename(g_get_tmp_dir(), "vknn-test-not-an-image.jpg", NULL);
    g_assert(g_file_set_contents(junk, "not a JPEG", -1, NULL));
    const char *const bad[] = {"/nonexistent/painting.jpg", junk};
    gboolean ok = TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *launch = g_strdup_printf(
            "videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! videoconvert ! "
            "vkstyletransfer style-image=\"%s\" ! fakesink",
            bad[i]);
        GError *err = pipeline_error(launch);
        if (err)
            printf("  error: %s\n", err->message);
        const int code = i ? GST_RESOURCE_ERROR_READ : GST_RESOURCE_ERROR_NOT_FOUND;
        ok &= test_check(err && g_error_matches(err, GST_RESOURCE_ERROR, code) &&
                             strstr(err->message, bad[i]) && strstr(err->message, "style image"),
                         "%s: a RESOURCE/%s error naming the style image",
                         i ? "not an image" : "missing image", i ? "READ" : "NOT_FOUND");
        g_clear_error(&err);
    }
    g_unlink(junk);
    (void)unused;
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(const char *model);
        gboolean needs_model;
    } cases[] = {
        {"sysmem", case_sysmem, TRUE},
        {"vulkan", case_vulkan, TRUE},
        {"renegotiate", case_renegotiate, TRUE},
        {"params", case_params, TRUE},
        {"swap", case_swap, TRUE},
        {"errors", case_errors, FALSE},
        {"soak", case_soak, TRUE},
        {"styles", case_styles, FALSE},
        {"settings_live", case_settings_live, FALSE},
        {"settings_values", case_settings_values, FALSE},
        {"launch_warning", case_launch_warning, FALSE},
        {"device_limit", case_device_limit, FALSE},
        {"temporal", case_temporal, FALSE},
        {"style_image", case_style_image, FALSE},
        {"style_image_swap", case_style_image_swap, FALSE},
        {"style_image_blend", case_style_image_blend, FALSE},
        {"style_image_errors", case_style_image_errors, FALSE},
    };
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the checks printed so far if it crashes */
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s sysmem|vulkan|renegotiate|params|swap|errors\n", argv[0]);
        return 2;
    }
    if (!have_element("vkstyletransfer"))
        return test_summary(1);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (strcmp(argv[1], cases[i].name))
            continue;
        g_autofree char *model = test_shared_path(MODEL);
        if (!model && cases[i].needs_model)
            model = g_strdup(BUILTIN_MODEL);
        return test_summary(cases[i].run(model));
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
