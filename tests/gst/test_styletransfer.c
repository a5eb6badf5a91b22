/* vkstyletransfer in GStreamer pipelines (GstHarness) against libvknn's own
 * VknnStyler and the PyTorch golden output.
 *
 *   test_styletransfer CASE   (sysmem, vulkan, renegotiate, params, swap, errors)
 *
 * Needs GST_PLUGIN_PATH pointing at build/gst-plugins (tests/meson.build sets
 * it). Cases using a model skip with 77 when ../shared is absent.
 */
#include "../testutil.h"

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

#define MODEL "models/style/small/candy_nc8.onnx"
#define MODEL2 "models/style/small/mosaic_nc8.onnx"
#define GOLDEN_IN "golden/style_in_1x3x96x128.f32"
#define GOLDEN_OUT "golden/candy_nc8_out_1x3x96x128.f32"

/* An 8-bit frame, 4 bytes a pixel, rows packed. */
typedef struct {
    int w, h;
    guint8 *px;
} Frame;

static Frame frame_new(int w, int h)
{
    return (Frame){w, h, g_malloc0((gsize)w * h * 4)};
}

static void frame_clear(Frame *f)
{
    g_clear_pointer(&f->px, g_free);
}

/* RGBA from a float NCHW [1,3,h,w] tensor of 0..255 values (rounded, clamped). */
static Frame frame_from_nchw(const float *t, int w, int h)
{
    Frame f = frame_new(w, h);
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++)
            f.px[i * 4 + c] = (guint8)CLAMP(lrintf(t[c * w * h + i]), 0, 255);
        f.px[i * 4 + 3] = 255;
    }
    return f;
}

/* Smooth colour gradients with some edges: something to stylise. */
static Frame frame_synthetic(int w, int h, int seed)
{
    Frame f = frame_new(w, h);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            guint8 *p = f.px + ((gsize)y * w + x) * 4;
            p[0] = (guint8)(128 + 100 * sin(0.11 * x + seed));
            p[1] = (guint8)(128 + 100 * cos(0.07 * y - 0.5 * seed));
            p[2] = (guint8)(((x / 8 + y / 8 + seed) % 2) ? 200 : 40);
            p[3] = 255;
        }
    }
    return f;
}

/* Swaps R and B: RGBA <-> BGRA. */
static Frame frame_swap_rb(const Frame *in)
{
    Frame f = frame_new(in->w, in->h);
    for (int i = 0; i < in->w * in->h; i++) {
        const guint8 *s = in->px + i * 4;
        guint8 *d = f.px + i * 4;
        d[0] = s[2], d[1] = s[1], d[2] = s[0], d[3] = s[3];
    }
    return f;
}

/* Largest per-byte difference over channels 0..n_ch-1 of every pixel. */
static int frame_max_diff(const Frame *a, const Frame *b, int n_ch)
{
    if (a->w != b->w || a->h != b->h)
        return 256;
    int m = 0;
    for (int i = 0; i < a->w * a->h; i++)
        for (int c = 0; c < n_ch; c++)
            m = MAX(m, abs(a->px[i * 4 + c] - b->px[i * 4 + c]));
    return m;
}

static gboolean check(gboolean ok, const char *what)
{
    printf("  %-72s %s\n", what, ok ? "ok" : "FAIL");
    return ok;
}

static gboolean check_diff(const Frame *got, const Frame *want, int n_ch, int tol, const char *what)
{
    const int d = frame_max_diff(got, want, n_ch);
    char line[160];
    g_snprintf(line, sizeof line, "%s: max diff %d (<= %d)", what, d, tol);
    return check(d <= tol, line);
}

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

/* libvknn's own result for an RGBA frame, on a separate context. */
static Frame reference_run(Reference *r, const Frame *in, const VknnStyleParams *params)
{
    GError *err = NULL;
    Frame out = frame_new(in->w, in->h);
    if (!vknn_styler_prepare(r->styler, in->w, in->h, params, &err) ||
        !vknn_styler_process_bytes(r->styler, VKNN_PIXEL_RGBA, in->px, in->w * 4, out.px, out.w * 4,
                                   &err)) {
        fprintf(stderr, "FAIL: libvknn reference: %s\n", err->message);
        exit(1);
    }
    return out;
}

/* ---- harness helpers ----------------------------------------------------- */

static GstHarness *harness_new(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static GstHarness *harness_new(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *launch = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    GstHarness *h = gst_harness_new_parse(launch);
    /* A bus to collect the element's errors and warnings: GstHarness has none. */
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    gst_object_unref(bus);
    return h;
}

/* Messages left on the bus hold the element that holds the bus: drop it first. */
static void harness_free(GstHarness *h)
{
    gst_element_set_bus(h->element, NULL);
    gst_harness_teardown(h);
}

static void harness_set_size(GstHarness *h, const char *format, int w, int h_)
{
    g_autofree char *caps =
        g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", format, w, h_);
    gst_harness_set_src_caps_str(h, caps);
}

static GstElement *harness_styler(GstHarness *h)
{
    GstElement *e = gst_harness_find_element(h, "vkstyletransfer");
    g_assert(e);
    return e;
}

/* Pushes one frame and pulls the result; returns FALSE (and the flow) when
 * the push fails. */
static gboolean harness_run(GstHarness *h, const Frame *in, Frame *out, GstFlowReturn *flow)
{
    GstBuffer *buf = gst_buffer_new_memdup(in->px, (gsize)in->w * in->h * 4);
    GstFlowReturn ret = gst_harness_push(h, buf);
    if (flow)
        *flow = ret;
    if (ret != GST_FLOW_OK)
        return FALSE;
    GstBuffer *res = gst_harness_pull(h);
    g_assert(res);
    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    GstVideoInfo info;
    g_assert(caps && gst_video_info_from_caps(&info, caps));
    gst_caps_unref(caps);
    GstVideoFrame vf;
    g_assert(gst_video_frame_map(&vf, &info, res, GST_MAP_READ));
    *out = frame_new(GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info));
    for (int y = 0; y < out->h; y++)
        memcpy(out->px + (gsize)y * out->w * 4,
               (guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&vf, 0) +
                   y * GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0),
               (gsize)out->w * 4);
    gst_video_frame_unmap(&vf);
    gst_buffer_unref(res);
    return TRUE;
}

static Frame harness_frame(GstHarness *h, const Frame *in)
{
    Frame out = {0};
    GstFlowReturn flow;
    if (!harness_run(h, in, &out, &flow)) {
        fprintf(stderr, "FAIL: push returned %s\n", gst_flow_get_name(flow));
        exit(1);
    }
    return out;
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
    char what[96];
    g_snprintf(what, sizeof what, "renegotiated to %dx%d: output image %ux%u", in->w, in->h,
               ok ? gst_vulkan_image_memory_get_width(img) : 0,
               ok ? gst_vulkan_image_memory_get_height(img) : 0);
    ok = check(ok && gst_vulkan_image_memory_get_width(img) == (guint)in->w &&
                   gst_vulkan_image_memory_get_height(img) == (guint)in->h,
               what);
    gst_buffer_unref(res);
    return ok;
}

/* The first message of type on the harness bus, or NULL. */
static GstMessage *harness_message(GstHarness *h, GstMessageType type)
{
    GstBus *bus = gst_element_get_bus(h->element);
    GstMessage *msg = gst_bus_pop_filtered(bus, type);
    gst_object_unref(bus);
    return msg;
}

/* Whether rel exists under ../shared (prints a skip notice otherwise). */
static gboolean have_shared(const char *rel)
{
    g_autofree char *path = test_shared_path(rel);
    return path != NULL;
}

static Frame golden_input(void)
{
    g_autofree char *path = test_shared_path(GOLDEN_IN);
    g_autofree float *t = test_read_f32(path, 3 * 96 * 128);
    return frame_from_nchw(t, 128, 96);
}

/* ---- cases --------------------------------------------------------------- */

static int case_sysmem(const char *model)
{
    g_autofree char *golden_path = test_shared_path(GOLDEN_OUT);
    if (!golden_path || !have_shared(GOLDEN_IN))
        return TEST_SKIP;
    printf("system memory: videoconvert ! RGBA ! vkstyletransfer, 128x96 golden frame\n");
    Frame in = golden_input();
    g_autofree float *gt = test_read_f32(golden_path, 3 * 96 * 128);
    Frame golden = frame_from_nchw(gt, 128, 96);
    Reference ref = reference_new(model);
    Frame want = reference_run(&ref, &in, NULL);

    GstHarness *h =
        harness_new("videoconvert ! video/x-raw,format=RGBA ! vkstyletransfer model=\"%s\"", model);
    harness_set_size(h, "RGBA", 128, 96);
    Frame got = harness_frame(h, &in);
    gboolean ok = check(got.w == 128 && got.h == 96, "output size = input size (128x96)");
    ok &= check_diff(&got, &want, 4, 1, "RGBA output = libvknn process_bytes");
    ok &= check_diff(&got, &golden, 3, 2, "RGB output = clamp(round(PyTorch golden))");
    frame_clear(&got);
    harness_free(h);

    /* BGRx: same pixels with R and B swapped, alpha written 255. */
    h = harness_new("vkstyletransfer model=\"%s\"", model);
    harness_set_size(h, "BGRx", 128, 96);
    Frame in_bgr = frame_swap_rb(&in);
    got = harness_frame(h, &in_bgr);
    Frame want_bgr = frame_swap_rb(&want);
    ok &= check_diff(&got, &want_bgr, 4, 1, "BGRx output = libvknn RGBA result, R/B swapped");
    frame_clear(&got);
    harness_free(h);

    frame_clear(&in_bgr);
    frame_clear(&want_bgr);
    frame_clear(&in);
    frame_clear(&golden);
    frame_clear(&want);
    reference_clear(&ref);
    return ok ? 0 : 1;
}

static int case_vulkan(const char *model)
{
    if (!have_shared(GOLDEN_IN))
        return TEST_SKIP;
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
    gboolean ok = check(vk, "the element negotiated memory:VulkanImage");
    gst_clear_caps(&caps);
    gst_object_unref(e);
    ok &= check(got.w == 128 && got.h == 96, "output size = input size (128x96)");
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
    h = harness_new("vulkanupload ! vkstyletransfer model=\"%s\" ! vulkandownload", model);
    harness_set_size(h, "BGRA", 128, 96);
    Frame in_bgr = frame_swap_rb(&in);
    got = harness_frame(h, &in_bgr);
    Frame want_bgr = frame_swap_rb(&sys);
    ok &= check_diff(&got, &want_bgr, 4, 1, "BGRA image output = system memory RGBA, R/B swapped");
    frame_clear(&got);
    harness_free(h);

    frame_clear(&in_bgr);
    frame_clear(&want_bgr);
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
        g_snprintf(what, sizeof what, "%dx%d: output size %dx%d = input size", w, hh, got.w, got.h);
        ok &= check(got.w == w && got.h == hh, what);
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
    if (!have_shared(GOLDEN_IN))
        return TEST_SKIP;
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
    ok &= check(frame_between(&half, &in, &s1), "strength=0.5: every byte between input and "
                                                "strength 1 (+-1)");
    ok &= check(frame_max_diff(&half, &in, 3) > 8 && frame_max_diff(&half, &s1, 3) > 8,
                "strength=0.5: differs from both");

    g_object_set(e, "strength", 1.0, "preserve-colors", TRUE, NULL);
    Frame pc = harness_frame(h, &in);
    const double d_pc = chroma_mean_diff(&pc, &in), d_s1 = chroma_mean_diff(&s1, &in);
    char what[128];
    g_snprintf(what, sizeof what, "preserve-colors: mean |chroma - input chroma| %.2f (< 3)", d_pc);
    ok &= check(d_pc < 3.0, what);
    g_snprintf(what, sizeof what, "without it: mean |chroma - input chroma| %.2f (> 3 x %.2f)",
               d_s1, d_pc);
    ok &= check(d_s1 > 3 * d_pc && d_s1 > 5.0, what);
    ok &= check(frame_max_diff(&pc, &s1, 3) > 8, "preserve-colors changes the output");

    g_object_set(e, "preserve-colors", FALSE, "scale", 0.5, NULL);
    Frame sc = harness_frame(h, &in);
    VknnStyleParams params = VKNN_STYLE_PARAMS_DEFAULT;
    params.scale = 0.5f;
    Frame want_sc = reference_run(&ref, &in, &params);
    ok &= check(sc.w == 128 && sc.h == 96, "scale=0.5: output at frame size");
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
    g_autofree char *model2 = test_shared_path(MODEL2);
    if (!model2)
        return TEST_SKIP;
    printf("model swap while playing: candy_nc8 -> missing file (warning) -> mosaic_nc8 -> "
           "quick changes\n");
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
    ok &= check(warning != NULL, "bad model while running: a warning on the bus");
    ok &= check(harness_message(h, GST_MESSAGE_ERROR) == NULL, "and no error");
    ok &= check(ok, "frames kept flowing with the first model");
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
    ok &= check(swapped, "the second model was swapped in");

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
    ok &= check(swapped, "7 quick model changes: the last one (first model) runs");

    frame_clear(&in);
    frame_clear(&want1);
    frame_clear(&want2);
    gst_object_unref(e);
    harness_free(h);
    reference_clear(&ref1);
    reference_clear(&ref2);
    return ok ? 0 : 1;
}

/* Runs launch to its end; returns the error it posted (or NULL). */
static GError *pipeline_error(const char *launch)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(launch, &err);
    g_assert_no_error(err);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        printf("  error: %s (%s)\n", err->message, debug ? debug : "");
    }
    gst_clear_message(&msg);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return err;
}

static int case_errors(const char *model)
{
    printf("errors: no model property, missing model file, not a model\n");
    gboolean ok = TRUE;

    GError *err = pipeline_error("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                                 "videoconvert ! vkstyletransfer ! fakesink");
    ok &= check(err && g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND),
                "no model property: RESOURCE/NOT_FOUND error at start");
    g_clear_error(&err);

    err = pipeline_error("videotestsrc num-buffers=2 ! video/x-raw,width=32,height=24 ! "
                         "videoconvert ! vkstyletransfer model=/nonexistent/x.onnx ! fakesink");
    ok &= check(err && g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND) &&
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
    ok &= check(!harness_run(h, &in, &out, &flow) && flow == GST_FLOW_ERROR,
                "not a model (harness): push returns GST_FLOW_ERROR");
    GstMessage *msg = harness_message(h, GST_MESSAGE_ERROR);
    if (msg) {
        gst_message_parse_error(msg, &err, NULL);
        printf("  error: %s\n", err->message);
    }
    ok &= check(err && g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ),
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
    char what[160];
    g_snprintf(what, sizeof what, "300 frames: resident %.1f -> %.1f MiB after warm-up (<= +4)",
               rss_warm, rss_end);
    gboolean ok = check(rss_end - rss_warm <= 4.0, what);
    g_snprintf(what, sizeof what, "device buffers %d -> %d after warm-up (flat)", buffers_warm,
               buffers_end);
    ok &= check(buffers_warm > 0 && buffers_end == buffers_warm, what);
    frame_clear(&in[0]);
    frame_clear(&in[1]);
    harness_free(h);
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
    };
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the checks printed so far if it crashes */
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s sysmem|vulkan|renegotiate|params|swap|errors\n", argv[0]);
        return 2;
    }
    GstElementFactory *factory = gst_element_factory_find("vkstyletransfer");
    if (!factory) {
        fprintf(stderr, "FAIL: element vkstyletransfer not found (GST_PLUGIN_PATH=%s)\n",
                g_getenv("GST_PLUGIN_PATH"));
        return 1;
    }
    gst_object_unref(factory);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (strcmp(argv[1], cases[i].name))
            continue;
        g_autofree char *model = test_shared_path(MODEL);
        if (!model && cases[i].needs_model)
            return TEST_SKIP;
        const int res = cases[i].run(model);
        printf("%s: %s\n", argv[1], res == 0 ? "PASS" : res == TEST_SKIP ? "SKIP" : "FAIL");
        return res;
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
