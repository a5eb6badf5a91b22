/* vksaliency and vkactivationmap in GStreamer pipelines (GstHarness) against
 * libvknn's host path (vknn_frame_input_host + vknn_explainer_run + a
 * VknnOverlay), on system memory and Vulkan images.
 *
 *   test_saliency CASE   (sysmem, vulkan, interval, live, errors, activations, pipeline,
 *                         settings_live, refused_model, fixed_input,
 *                         max_memory, analytics_meta, tensor_meta)
 *
 * Needs GST_PLUGIN_PATH pointing at build/gst-plugins (tests/meson.build sets
 * it). With ../shared the cases run SqueezeNet 1.1 on the cat photo (its
 * class, Egyptian cat, checked too); without it (a fresh clone) on a tiny
 * generated classifier of FRESH_CLASSES classes with a generated labels file
 * and a synthetic scene, whose expected class comes from the CPU reference
 * executor (vknn_ref_run). pipeline runs a 320x240 clip from ../shared, or
 * videotestsrc. settings_live, refused_model, fixed_input and max_memory use
 * tiny generated classifiers either way. analytics_meta (GStreamer >= 1.24)
 * and tensor_meta (>= 1.26) read the buffers' metadata with a pad probe; built
 * with an older GStreamer (Debian 12) they skip.
 */
#include "gstvknnconfig.h"
#include "gsttest.h"
#include "model_build.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/video/video.h>
#if VKNN_HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

#define MODEL "models/classify/squeezenet1_1.onnx"
#define LABELS "models/classify/imagenet_classes.txt"
#define PHOTO "media/photos/skimage_chelsea.png"
#define STYLE_MODEL "models/style/small/candy_nc8.onnx"
#define CLIP "media/video/intel_book.mkv"
#define EGYPTIAN_CAT 285
#define TABBY 281
/* The photo (451x300) at a third of its area, keeping its aspect ratio. */
#define PHOTO_W 240
#define PHOTO_H 160
#define FRAME_NS (GST_SECOND / 30)

/* What the cases run: from ../shared, or generated (photo NULL). */
typedef struct {
    char *model, *labels, *photo;
    int classes;        /* the classifier's */
    const char *logits; /* its output, a layer Grad-CAM cannot take */
    int top1;           /* the class of the photo (PHOTO_W x PHOTO_H) */
    int other;          /* another class, explained on request */
    char *top1_label;   /* top1's label in the labels file */
    gboolean generated; /* model and labels are temporary files */
} Assets;

static Assets assets;

/* The scene of the generated assets: a synthetic frame of any size. */
#define FRESH_CLASSES 10
#define FRESH_SCENE_SEED 5

static Frame load_photo(int w, int h)
{
    if (!assets.photo)
        return frame_synthetic(w, h, FRESH_SCENE_SEED);
    Decoded d;
    if (!decode_file(assets.photo, w, h, &d))
        test_fatal("cannot decode %s", assets.photo);
    return (Frame){d.width, d.height, d.first};
}

/* Left-right mirror: the cat moves, the map must follow. */
static Frame frame_mirror(const Frame *in)
{
    Frame f = frame_new(in->w, in->h);
    for (int y = 0; y < in->h; y++)
        for (int x = 0; x < in->w; x++)
            memcpy(f.px + ((gsize)y * in->w + x) * 4,
                   in->px + ((gsize)y * in->w + (in->w - 1 - x)) * 4, 4);
    return f;
}

/* ---- messages ---------------------------------------------------------- */

typedef struct {
    char *method, *label, *top1_label;
    int class_id, top1_id, n_top;
    double score;
    GstClockTime timestamp, running_time;
} SaliencyMessage;

static void saliency_message_clear(SaliencyMessage *m)
{
    g_free(m->method);
    g_free(m->label);
    g_free(m->top1_label);
    memset(m, 0, sizeof *m);
}

/* Pops the next "vknn-saliency" element message from the harness bus. */
static gboolean saliency_message_pop(GstHarness *h, SaliencyMessage *m)
{
    memset(m, 0, sizeof *m);
    for (;;) {
        GstMessage *msg = harness_message(h, GST_MESSAGE_ELEMENT);
        if (!msg)
            return FALSE;
        const GstStructure *s = gst_message_get_structure(msg);
        if (!gst_structure_has_name(s, "vknn-saliency")) {
            gst_message_unref(msg);
            continue;
        }
        m->method = g_strdup(gst_structure_get_string(s, "method"));
        m->label = g_strdup(gst_structure_get_string(s, "label"));
        gst_structure_get_int(s, "class-id", &m->class_id);
        gst_structure_get_double(s, "score", &m->score);
        gst_structure_get_uint64(s, "timestamp", &m->timestamp);
        gst_structure_get_uint64(s, "running-time", &m->running_time);
        const GValue *top = gst_structure_get_value(s, "top5");
        m->n_top = top && GST_VALUE_HOLDS_ARRAY(top) ? (int)gst_value_array_get_size(top) : 0;
        if (m->n_top > 0) {
            const GstStructure *c = gst_value_get_structure(gst_value_array_get_value(top, 0));
            gst_structure_get_int(c, "id", &m->top1_id);
            m->top1_label = g_strdup(gst_structure_get_string(c, "label"));
        }
        gst_message_unref(msg);
        return TRUE;
    }
}

static int saliency_message_count(GstHarness *h, GstClockTime *timestamps, int max)
{
    SaliencyMessage m;
    int n = 0;
    while (saliency_message_pop(h, &m)) {
        if (n < max)
            timestamps[n] = m.timestamp;
        n++;
        saliency_message_clear(&m);
    }
    return n;
}

/* ---- host reference -------------------------------------------------------- */

/* The element's output by libvknn's host path on its own context: the
 * preprocessing on the host, the explainer on the tensor, the map scaled by
 * its 0.99 quantile and drawn by a VknnOverlay over the crop. */
static Frame reference_saliency(const Frame *in, int *class_id)
{
    GError *err = NULL;
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) model = vknn_model_load(assets.model, &err);
    g_assert_no_error(err);
    const VknnExplainParams params = VKNN_EXPLAIN_PARAMS_DEFAULT;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(ctx, model, &params, &err);
    g_assert_no_error(err);
    const VknnFrameInputParams fp = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    g_autofree float *input = g_new(float, 3 * fp.width * fp.height);
    vknn_frame_input_host(&fp, VKNN_PIXEL_RGBA, in->px, in->w, in->h, in->w * 4, input);
    VknnExplanation e = {0};
    g_assert(vknn_explainer_run(ex, input, fp.width, fp.height, &e, &err));
    *class_id = e.class_id;

    const int n = e.map_w * e.map_h;
    float scale = vknn_map_quantile(e.map, n, 0.99f);
    if (scale <= 0)
        scale = vknn_map_quantile(e.map, n, 1.0f);
    for (int i = 0; i < n; i++)
        e.map[i] = scale > 0 ? CLAMP(e.map[i] / scale, 0.0f, 1.0f) : 0.0f;

    VknnRect region;
    vknn_frame_input_region(&fp, in->w, in->h, &region);
    g_autoptr(VknnOverlay) ov = vknn_overlay_new(ctx, &err);
    g_assert_no_error(err);
    Frame out = frame_new(in->w, in->h);
    const VknnOverlayParams op = VKNN_OVERLAY_PARAMS_DEFAULT;
    g_assert(vknn_overlay_set_map(ov, e.map, e.map_w, e.map_h, &region, &err) &&
             vknn_overlay_process_bytes(ov, &op, VKNN_PIXEL_RGBA, in->w, in->h, in->px, in->w * 4,
                                        out.px, out.w * 4, &err));
    vknn_explanation_clear(&e);
    return out;
}

/* Largest difference outside r and whether anything inside r differs. */
static void frame_region_diff(const Frame *a, const Frame *b, const VknnRect *r, int *outside,
                              int *inside)
{
    *outside = *inside = 0;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++) {
            const gboolean in_r =
                x >= r->x && x < r->x + r->width && y >= r->y && y < r->y + r->height;
            for (int c = 0; c < 4; c++) {
                const int d = abs(a->px[((gsize)y * a->w + x) * 4 + c] -
                                  b->px[((gsize)y * a->w + x) * 4 + c]);
                int *m = in_r ? inside : outside;
                *m = MAX(*m, d);
            }
        }
}

static gboolean check_cat_message(GstHarness *h, GstClockTime pts, const char *what)
{
    SaliencyMessage m;
    if (!test_check(saliency_message_pop(h, &m), "a vknn-saliency message was posted"))
        return FALSE;
    gboolean ok =
        test_check(m.class_id == assets.top1 && !g_strcmp0(m.label, assets.top1_label) &&
                       m.top1_id == assets.top1 && !g_strcmp0(m.top1_label, assets.top1_label) &&
                       m.n_top == MIN(5, assets.classes) && m.score > 0.0 && m.score <= 1.0 &&
                       !g_strcmp0(m.method, "gradcam"),
                   "%s: %s says class %d \"%s\" (p %.2f), top-1 %d \"%s\", %d in top5", what,
                   m.method, m.class_id, m.label, m.score, m.top1_id, m.top1_label, m.n_top);
    ok &= test_check(m.timestamp == pts && GST_CLOCK_TIME_IS_VALID(m.running_time),
                     "message timestamp %" GST_TIME_FORMAT " = the buffer's",
                     GST_TIME_ARGS(m.timestamp));
    saliency_message_clear(&m);
    return ok;
}

/* ---- cases ----------------------------------------------------------------- */

static int case_sysmem(void)
{
    printf("vksaliency, system memory: %dx%d %s, Grad-CAM\n", PHOTO_W, PHOTO_H, assets.model);
    Frame in = load_photo(PHOTO_W, PHOTO_H);
    int ref_class = -1;
    Frame want = reference_saliency(&in, &ref_class);
    gboolean ok = test_check(ref_class == assets.top1, "host reference: class %d, %s (got %d)",
                             assets.top1, assets.top1_label, ref_class);

    GstHarness *h =
        harness_new("vksaliency model=\"%s\" labels=\"%s\"", assets.model, assets.labels);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    Frame got = {0};
    g_assert(harness_run_at(h, &in, 5 * FRAME_NS, &got, NULL));
    ok &= test_check(got.w == PHOTO_W && got.h == PHOTO_H, "output size = input size");
    ok &= check_cat_message(h, 5 * FRAME_NS, "message");

    const VknnFrameInputParams fp = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    VknnRect crop;
    vknn_frame_input_region(&fp, PHOTO_W, PHOTO_H, &crop);
    int outside, inside;
    frame_region_diff(&got, &in, &crop, &outside, &inside);
    ok &= test_check(outside == 0, "outside the crop %dx%d+%d+%d: output = input (max diff %d)",
                     crop.width, crop.height, crop.x, crop.y, outside);
    ok &= test_check(inside > 32, "inside the crop: the heatmap changes the frame (max diff %d)",
                     inside);
    ok &= check_diff(&got, &want, 4, 2, "output = host preprocessing + explainer + overlay");
    frame_clear(&got);
    harness_free(h);

    /* BGRx: the same pixels with R and B swapped, alpha written 255. */
    g_autofree char *launch = g_strdup_printf("vksaliency model=\"%s\"", assets.model);
    ok &= check_swapped(launch, "BGRx", &in, &want, 2, "BGRx output = RGBA reference, R/B swapped");

    frame_clear(&want);
    frame_clear(&in);
    return ok ? 0 : 1;
}

static int case_vulkan(void)
{
    printf("vksaliency, Vulkan images: vulkanupload ! vksaliency ! vulkandownload\n");
    Frame in = load_photo(PHOTO_W, PHOTO_H);
    GstHarness *h = harness_new("vksaliency model=\"%s\"", assets.model);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    Frame sys = harness_frame(h, &in);
    SaliencyMessage m;
    g_autofree char *unlabelled = g_strdup_printf("class %d", assets.top1);
    gboolean ok = test_check(
        saliency_message_pop(h, &m) && m.class_id == assets.top1 && !g_strcmp0(m.label, unlabelled),
        "system memory: class %d, labelled \"%s\" without a labels file", assets.top1, unlabelled);
    saliency_message_clear(&m);
    harness_free(h);

    h = harness_new("vulkanupload ! vksaliency model=\"%s\" labels=\"%s\" ! vulkandownload",
                    assets.model, assets.labels);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    Frame got = {0};
    g_assert(harness_run_at(h, &in, 0, &got, NULL));
    GstElement *e = harness_element(h, "vksaliency");
    GstCaps *caps = gst_pad_get_current_caps(GST_BASE_TRANSFORM_SRC_PAD(e));
    ok &= test_check(
        caps && gst_caps_features_contains(gst_caps_get_features(caps, 0), "memory:VulkanImage"),
        "the element negotiated memory:VulkanImage");
    gst_clear_caps(&caps);
    gst_object_unref(e);
    ok &= check_cat_message(h, 0, "Vulkan image input");
    ok &= check_diff(&got, &sys, 4, 1, "RGBA image output = system memory output");
    frame_clear(&got);
    /* A second frame reuses the pool's images and their recorded layouts. */
    got = harness_frame(h, &in);
    ok &= check_diff(&got, &sys, 4, 1, "second frame (pool image reused) = system memory output");
    frame_clear(&got);
    harness_free(h);

    g_autofree char *launch =
        g_strdup_printf("vulkanupload ! vksaliency model=\"%s\" ! vulkandownload", assets.model);
    ok &= check_swapped(launch, "BGRA", &in, &sys, 1,
                        "BGRA image output = system memory RGBA, R/B swapped");

    frame_clear(&sys);
    frame_clear(&in);
    return ok ? 0 : 1;
}

/* Runs frames[0..n-1] through a fresh harness; returns the outputs. */
static Frame *run_frames(const char *options, const Frame *frames, int n)
{
    GstHarness *h = harness_new("vksaliency model=\"%s\" %s", assets.model, options);
    harness_set_size(h, "RGBA", frames[0].w, frames[0].h);
    Frame *out = g_new0(Frame, n);
    for (int i = 0; i < n; i++)
        out[i] = harness_frame(h, &frames[i]);
    harness_free(h);
    return out;
}

static void frames_free(Frame *f, int n)
{
    for (int i = 0; i < n; i++)
        frame_clear(&f[i]);
    g_free(f);
}

static int case_interval(void)
{
    printf("interval, smoothing, mean/std from a launch line\n");
    Frame photo = load_photo(PHOTO_W, PHOTO_H), mirrored = frame_mirror(&photo);
    gboolean ok = TRUE;

    /* interval=3: maps on frames 0, 3 and 6; the others reuse the last. */
    GstHarness *h = harness_new("vksaliency model=\"%s\" interval=3", assets.model);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    Frame out[7];
    for (int i = 0; i < 7; i++) {
        g_assert(harness_run_at(h, i % 3 == 1 ? &mirrored : &photo, i * FRAME_NS, &out[i], NULL));
    }
    GstClockTime ts[8];
    const int n = saliency_message_count(h, ts, 8);
    ok &= test_check(n == 3, "interval=3, 7 frames: %d messages (3)", n);
    ok &= test_check(n == 3 && ts[0] == 0 && ts[1] == 3 * FRAME_NS && ts[2] == 6 * FRAME_NS,
                     "computed on frames 0, 3 and 6");
    /* Frame 1 is the mirror image, drawn with frame 0's map: outside the
     * crop it is the mirror, inside it is not what a fresh map gives. */
    Frame *fresh = run_frames("", &mirrored, 1);
    ok &= test_check(frame_max_diff(&out[1], &fresh[0], 3) > 16,
                     "frame 1 (mirrored input) keeps frame 0's map");
    ok &= check_diff(&out[3], &out[0], 4, 0, "frame 3 (same input as 0): same output");
    frames_free(fresh, 1);
    for (int i = 0; i < 7; i++)
        frame_clear(&out[i]);
    harness_free(h);

    /* smoothing=0.5: the second map is averaged with the first. */
    const Frame pair[2] = {photo, mirrored};
    Frame *sharp = run_frames("", pair, 2), *smooth = run_frames("smoothing=0.5", pair, 2);
    ok &= check_diff(&smooth[0], &sharp[0], 4, 0, "smoothing=0.5: first frame unchanged");
    const int d = frame_max_diff(&smooth[1], &sharp[1], 3);
    ok &= test_check(d > 16, "smoothing=0.5: second frame shows the average map (diff %d)", d);
    frames_free(sharp, 2);
    frames_free(smooth, 2);

    /* mean and std as GstValueArrays in a launch line. */
    Frame *def = run_frames("", &photo, 1);
    Frame *same =
        run_frames("mean=\"<0.485, 0.456, 0.406>\" std=\"<0.229, 0.224, 0.225>\"", &photo, 1);
    Frame *other = run_frames("mean=\"<0.5, 0.5, 0.5>\" std=\"<0.5, 0.5, 0.5>\"", &photo, 1);
    ok &= check_diff(&same[0], &def[0], 4, 0, "mean/std = the ImageNet defaults: same output");
    ok &= test_check(frame_max_diff(&other[0], &def[0], 3) > 0, "other mean/std: other output");
    frames_free(def, 1);
    frames_free(same, 1);
    frames_free(other, 1);

    frame_clear(&photo);
    frame_clear(&mirrored);
    return ok ? 0 : 1;
}

/* Pushes photo until a message passes accept (at most ~5 s). */
static gboolean run_until(GstHarness *h, const Frame *photo, gboolean (*accept)(SaliencyMessage *))
{
    for (int i = 0; i < 500; i++) {
        Frame out = harness_frame(h, photo);
        frame_clear(&out);
        SaliencyMessage m;
        gboolean done = FALSE;
        while (saliency_message_pop(h, &m)) {
            done |= accept(&m);
            saliency_message_clear(&m);
        }
        if (done)
            return TRUE;
        g_usleep(10000);
    }
    return FALSE;
}

static gboolean is_guided(SaliencyMessage *m)
{
    return !g_strcmp0(m->method, "guided");
}

static gboolean is_tabby(SaliencyMessage *m)
{
    return m->class_id == assets.other && m->top1_id == assets.top1;
}

static int case_live(void)
{
    printf("properties while playing: method, target-class, a bad layer (warning)\n");
    Frame photo = load_photo(PHOTO_W, PHOTO_H);
    GstHarness *h = harness_new("vksaliency model=\"%s\"", assets.model);
    GstElement *e = harness_element(h, "vksaliency");
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    Frame first = harness_frame(h, &photo);
    gboolean ok = TRUE;

    g_object_set(e, "method", 1 /* guided */, NULL);
    ok &= test_check(run_until(h, &photo, is_guided), "method=guided: messages say guided");
    g_object_set(e, "method", 2 /* gradcam */, "target-class", assets.other, NULL);
    ok &=
        test_check(run_until(h, &photo, is_tabby), "target-class=%d: class %d explained, top-1 %d",
                   assets.other, assets.other, assets.top1);

    g_object_set(e, "layer", "no-such-tensor", NULL);
    GstMessage *warning = NULL;
    for (int i = 0; i < 500 && !warning; i++) {
        Frame out = harness_frame(h, &photo);
        frame_clear(&out);
        if (!(warning = harness_message(h, GST_MESSAGE_WARNING)))
            g_usleep(10000);
    }
    if (warning) {
        GError *err = NULL;
        gst_message_parse_warning(warning, &err, NULL);
        printf("  warning: %s\n", err->message);
        g_clear_error(&err);
    }
    ok &= test_check(warning != NULL, "layer=no-such-tensor while playing: a warning");
    ok &= test_check(harness_message(h, GST_MESSAGE_ERROR) == NULL, "and no error: frames flow");
    gst_clear_message(&warning);

    frame_clear(&first);
    frame_clear(&photo);
    gst_object_unref(e);
    harness_free(h);
    return ok ? 0 : 1;
}

/* Whether launch fails with an error of domain/code whose message names path. */
static gboolean check_error(const char *launch, GQuark domain, int code, const char *path,
                            const char *what)
{
    GError *err = pipeline_error(launch);
    const gboolean ok = test_check(err && g_error_matches(err, domain, code) &&
                                       (!path || strstr(err->message, path)),
                                   "%s", what);
    g_clear_error(&err);
    return ok;
}

static int case_errors(void)
{
    printf("errors: no model, missing file, not a classifier, bad settings, labels\n");
    /* candy_nc8, or without ../shared the built-in wave network as a file. */
    g_autofree char *style = test_shared_path(STYLE_MODEL);
    g_autofree char *style_saved = NULL;
    if (!style) {
        GError *err = NULL;
        g_autoptr(VknnModel) wave = vknn_model_load("builtin:wave", &err);
        g_autofree char *name = g_strdup_printf("vknn-test-style-%d.onnx", (int)getpid());
        style_saved = g_build_filename(g_get_tmp_dir(), name, NULL);
        g_assert(wave && vknn_model_save(wave, style_saved, &err));
        style = g_strdup(style_saved);
    }
    g_autofree char *junk =
        g_build_filename(g_get_tmp_dir(), "vknn-test-not-a-classifier.onnx", NULL);
    g_assert(g_file_set_contents(junk, "not an ONNX file", -1, NULL));
    const char *src = "videotestsrc num-buffers=2 ! video/x-raw,width=64,height=48 ! videoconvert";
    char launch[1024];
    gboolean ok = TRUE;

    g_snprintf(launch, sizeof launch, "%s ! vksaliency ! fakesink", src);
    ok &= check_error(launch, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, NULL,
                      "no model property: RESOURCE/NOT_FOUND at start");
    g_snprintf(launch, sizeof launch, "%s ! vksaliency model=/nonexistent/c.onnx ! fakesink", src);
    ok &= check_error(launch, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
                      "/nonexistent/c.onnx", "missing model: RESOURCE/NOT_FOUND naming the path");
    g_snprintf(launch, sizeof launch, "%s ! vksaliency model=\"%s\" ! fakesink", src, junk);
    ok &= check_error(launch, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, junk,
                      "not an ONNX file: RESOURCE/READ naming the path");
    {
        g_snprintf(launch, sizeof launch, "%s ! vksaliency model=\"%s\" ! fakesink", src, style);
        ok &= check_error(launch, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, style,
                          "a style network (not a classifier): RESOURCE/READ naming the path");
        g_snprintf(launch, sizeof launch, "%s ! vkactivationmap model=\"%s\" ! fakesink", src,
                   style);
        ok &= check_error(launch, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, style,
                          "vkactivationmap, style network: RESOURCE/READ naming the path");
    }
    /* Settings the classifier cannot take, on a launch line: refused with a
     * warning, and the pipeline runs (they were fatal LIBRARY/SETTINGS). */
    g_autofree char *many_classes =
        g_strdup_printf("target-class 5000: classifier .* has %d classes", assets.classes);
    g_autofree char *logits_layer = g_strdup_printf("layer=%s", assets.logits);
    g_autofree char *not_spatial =
        g_strdup_printf("layer '%s': 1x%d, not a spatial", assets.logits, assets.classes);
    const char *refused[][3] = {
        {"vksaliency", "target-class=5000", many_classes},
        {"vkactivationmap", "channel=100000", "channel 100000: layer "},
        {"vkactivationmap", "layer=nope", "layer 'nope': no tensor"},
        {"vksaliency", logits_layer, not_spatial},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_snprintf(launch, sizeof launch, "%s ! %s model=\"%s\" %s ! fakesink", src, refused[i][0],
                   assets.model, refused[i][1]);
        g_autofree char *warnings = NULL;
        GError *err = pipeline_run(launch, &warnings);
        ok &= test_check(!err && g_regex_match_simple(refused[i][2], warnings, 0, 0),
                         "%s %s on a launch line: runs, with a warning naming the value",
                         refused[i][0], refused[i][1]);
        g_clear_error(&err);
    }

    /* A labels file that cannot be read: refused where it is set, with a
     * warning, keeping the previous value; frames flow. */
    GstHarness *h =
        harness_new("vksaliency model=\"%s\" labels=\"%s\"", assets.model, assets.labels);
    GstElement *e = harness_element(h, "vksaliency");
    harness_set_size(h, "RGBA", 64, 48);
    g_object_set(e, "labels", "/nonexistent/labels.txt", NULL);
    GstMessage *warning = harness_message(h, GST_MESSAGE_WARNING);
    ok &= test_check(warning != NULL, "missing labels file: a warning");
    gst_clear_message(&warning);
    g_autofree char *labels = NULL;
    g_object_get(e, "labels", &labels, NULL);
    ok &= test_check(!g_strcmp0(labels, assets.labels), "labels reads back the previous file");
    Frame in = frame_synthetic(64, 48, 0), out = {0};
    ok &= test_check(harness_run(h, &in, &out, NULL), "missing labels file: frames flow");
    frame_clear(&out);
    frame_clear(&in);
    gst_object_unref(e);
    harness_free(h);
    g_unlink(junk);
    if (style_saved)
        g_unlink(style_saved);
    return ok ? 0 : 1;
}

/* Whether the frame has more than one distinct RGB value. */
static gboolean frame_is_constant(const Frame *f)
{
    for (int i = 1; i < f->w * f->h; i++)
        if (memcmp(f->px + i * 4, f->px, 3))
            return FALSE;
    return TRUE;
}

/* The element's output on a fresh harness, system memory or Vulkan images. */
static Frame activation_run(const Frame *in, gboolean vulkan, const char *options)
{
    GstHarness *h =
        harness_new("%svkactivationmap model=\"%s\" %s%s", vulkan ? "vulkanupload ! " : "",
                    assets.model, options, vulkan ? " ! vulkandownload" : "");
    harness_set_size(h, "RGBA", in->w, in->h);
    Frame out = harness_frame(h, in);
    harness_free(h);
    return out;
}

static int case_activations(void)
{
    printf("vkactivationmap: grid and overlay, system memory and Vulkan images, 256x256\n");
    Frame in = load_photo(256, 256);
    gboolean ok = TRUE;

    Frame grid = activation_run(&in, FALSE, "mode=grid alpha=1");
    ok &= test_check(grid.w == 256 && grid.h == 256 && !frame_is_constant(&grid),
                     "grid: 256x256, not constant");
    ok &= test_check(frame_max_diff(&grid, &in, 3) > 64, "grid: covers the frame");
    Frame grid_vk = activation_run(&in, TRUE, "mode=grid alpha=1");
    ok &= check_diff(&grid_vk, &grid, 4, 1, "grid: Vulkan images = system memory");

    Frame max = activation_run(&in, FALSE, "channel=-2");
    Frame ch0 = activation_run(&in, FALSE, "channel=0");
    Frame mean = activation_run(&in, FALSE, "");
    const int d = frame_max_diff(&max, &ch0, 3);
    ok &= test_check(d > 16, "overlay: channel=-2 (max) differs from channel=0 (diff %d)", d);
    ok &= test_check(frame_max_diff(&max, &mean, 3) > 0,
                     "overlay: channel=-2 differs from -1 (mean)");
    ok &= test_check(frame_max_diff(&max, &in, 3) > 16, "overlay: the map changes the frame");
    Frame max_vk = activation_run(&in, TRUE, "channel=-2");
    ok &= check_diff(&max_vk, &max, 4, 1, "overlay: Vulkan images = system memory");
    Frame running = activation_run(&in, FALSE, "channel=-2 normalize=running");
    ok &= check_diff(&running, &max, 4, 0, "normalize=running: first frame = per-frame");

    Frame *all[] = {&grid, &grid_vk, &max, &ch0, &mean, &max_vk, &running, &in};
    for (guint i = 0; i < G_N_ELEMENTS(all); i++)
        frame_clear(all[i]);
    return ok ? 0 : 1;
}

/* Lets the first second of frames through (from the first timestamp: the
 * clip starts at 33 ms), then ends the stream. */
typedef struct {
    GstElement *src;
    GstClockTime first;
    gboolean eos_sent;
} FirstSecond;

static GstPadProbeReturn first_second_only(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    FirstSecond *fs = data;
    const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
    if (!GST_CLOCK_TIME_IS_VALID(fs->first))
        fs->first = pts;
    if (pts < fs->first + GST_SECOND)
        return GST_PAD_PROBE_OK;
    if (!fs->eos_sent) {
        fs->eos_sent = TRUE;
        gst_element_send_event(fs->src, gst_event_new_eos());
    }
    return GST_PAD_PROBE_DROP;
}

static int case_pipeline(void)
{
    /* The clip from ../shared, or 2 s of videotestsrc at 30 fps. */
    g_autofree char *clip = test_shared_path(CLIP);
    g_autofree char *source =
        clip ? g_strdup_printf("filesrc name=src location=\"%s\" ! decodebin", clip)
             : g_strdup("videotestsrc name=src num-buffers=60 pattern=ball ! "
                        "video/x-raw,framerate=30/1");
    printf("pipeline: %s (1 s) ! vksaliency ! x264enc ! mp4mux -> decoded back\n",
           clip ? CLIP : "videotestsrc");
    g_autofree char *tmp = g_dir_make_tmp("vknn-saliency-XXXXXX", NULL);
    g_autofree char *mp4 = g_build_filename(tmp, "saliency.mp4", NULL);
    g_autofree char *launch = g_strdup_printf(
        "%s ! videoconvert ! videoscale ! "
        "video/x-raw,width=320,height=240 ! vksaliency name=sal model=\"%s\" ! videoconvert ! "
        "x264enc ! mp4mux ! filesink location=\"%s\"",
        source, assets.model, mp4);
    GError *err = NULL;
    GstElement *p = gst_parse_launch(launch, &err);
    g_assert_no_error(err);
    FirstSecond fs = {gst_bin_get_by_name(GST_BIN(p), "src"), GST_CLOCK_TIME_NONE, FALSE};
    GstElement *sal = gst_bin_get_by_name(GST_BIN(p), "sal");
    GstPad *sink = gst_element_get_static_pad(sal, "sink");
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, first_second_only, &fs, NULL);
    const gint64 start = g_get_monotonic_time();
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 300 * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    gboolean ok =
        test_check(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "pipeline reached EOS");
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        printf("  error: %s (%s)\n", err->message, debug ? debug : "");
        g_clear_error(&err);
    }
    gst_clear_message(&msg);
    gst_element_set_state(p, GST_STATE_NULL);
    const double secs = (g_get_monotonic_time() - start) / 1e6;
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(sal);
    gst_object_unref(fs.src);
    gst_object_unref(p);

    Decoded out = {0};
    ok &= test_check(decode_file(mp4, 0, 0, &out), "the MP4 decodes");
    ok &= test_check(out.frames == 30 && out.width == 320 && out.height == 240,
                     "%d frames of %dx%d (30 of 320x240; rendered in %.1f s)", out.frames,
                     out.width, out.height, secs);
    g_free(out.first);
    g_remove(mp4);
    g_rmdir(tmp);
    return ok ? 0 : 1;
}

/* ---- settings the running classifier cannot take (tiny generated model) ---- */

#define TINY_CLASSES 10

/* The tiny classifier (tm_classifier: `classes` classes, "feat" of 8
 * channels) as an ONNX file (g_free; the caller unlinks it). */
static char *write_tiny_classifier(int classes)
{
    g_autoptr(VknnModel) m = tm_classifier(classes, 11);
    g_assert(m);
    GError *err = NULL;
    /* One file a process: the cases run in parallel and unlink theirs. */
    g_autofree char *name = g_strdup_printf("vknn-test-tiny-classifier-%d.onnx", (int)getpid());
    char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    g_assert(vknn_model_save(m, path, &err));
    return path;
}

/* Runs frames through h until a warning comes (the refusal is made when
 * the new engine is built, in the background); its text (g_free) or NULL.
 * Every frame must flow. */
static char *run_until_warning(GstHarness *h, const Frame *in, gboolean *flowed)
{
    *flowed = TRUE;
    for (int i = 0; i < 300; i++) {
        Frame out = {0};
        GstFlowReturn flow;
        *flowed &= harness_run(h, in, &out, &flow) && flow == GST_FLOW_OK;
        frame_clear(&out);
        GstMessage *msg = harness_message(h, GST_MESSAGE_WARNING);
        if (msg) {
            GError *err = NULL;
            gst_message_parse_warning(msg, &err, NULL);
            gst_message_unref(msg);
            printf("  warning: %s\n", err->message);
            char *text = g_strdup(err->message);
            g_error_free(err);
            return text;
        }
        g_usleep(10000);
    }
    return NULL;
}

/* Sets prop to a value the running model cannot take: frames keep flowing,
 * a warning names `expect`, no error, and an int property reads back `keep`
 * (a string one `keep_str`). */
static gboolean check_live_refusal(GstHarness *h, GstElement *e, const Frame *in, const char *prop,
                                   const GValue *value, const char *expect, gint keep,
                                   const char *keep_str)
{
    g_object_set_property(G_OBJECT(e), prop, value);
    gboolean flowed;
    g_autofree char *warning = run_until_warning(h, in, &flowed);
    g_autofree char *shown = gst_value_serialize(value);
    gboolean ok = test_check(warning && strstr(warning, expect), "%s=%s: a warning naming %s", prop,
                             shown, expect);
    ok &= test_check(flowed && !harness_message(h, GST_MESSAGE_ERROR),
                     "%s=%s: frames flow, no error", prop, shown);
    if (keep_str) {
        g_autofree char *now = NULL;
        g_object_get(e, prop, &now, NULL);
        ok &= test_check(!g_strcmp0(now, keep_str), "%s reads back '%s' (got '%s')", prop, keep_str,
                         now);
    } else {
        gint now = 0;
        g_object_get(e, prop, &now, NULL);
        ok &= test_check(now == keep, "%s reads back %d (got %d)", prop, keep, now);
    }
    return ok;
}

static gboolean check_live_int(GstHarness *h, GstElement *e, const Frame *in, const char *prop,
                               gint v, const char *expect, gint keep)
{
    GValue value = G_VALUE_INIT;
    g_value_init(&value, G_TYPE_INT);
    g_value_set_int(&value, v);
    return check_live_refusal(h, e, in, prop, &value, expect, keep, NULL);
}

static gboolean check_live_string(GstHarness *h, GstElement *e, const Frame *in, const char *prop,
                                  const char *v, const char *expect, const char *keep)
{
    GValue value = G_VALUE_INIT;
    g_value_init(&value, G_TYPE_STRING);
    g_value_set_string(&value, v);
    const gboolean ok = check_live_refusal(h, e, in, prop, &value, expect, 0, keep);
    g_value_unset(&value);
    return ok;
}

/* Waits until the element runs the settings just made (a new engine): a
 * saliency message with class class_id. */
static gboolean run_until_class(GstHarness *h, const Frame *in, int class_id)
{
    for (int i = 0; i < 300; i++) {
        Frame out = harness_frame(h, in);
        frame_clear(&out);
        SaliencyMessage m = {0};
        while (saliency_message_pop(h, &m)) {
            const gboolean hit = m.class_id == class_id;
            saliency_message_clear(&m);
            if (hit)
                return TRUE;
        }
        g_usleep(10000);
    }
    return FALSE;
}

/* Issue 19: target-class, layer and channel values the running classifier
 * cannot take were fatal LIBRARY/SETTINGS errors; now refused, the stream
 * going on with the last value that worked, which reads back. */
static int case_settings_live(void)
{
    printf("settings_live: values the running classifier cannot take keep the stream\n");
    g_autofree char *model = write_tiny_classifier(TINY_CLASSES);
    Frame in = frame_synthetic(64, 48, 1);
    gboolean ok = TRUE;

    GstHarness *h = harness_new("vksaliency model=\"%s\"", model);
    GstElement *e = harness_element(h, "vksaliency");
    harness_set_size(h, "RGBA", 64, 48);
    Frame first = harness_frame(h, &in);
    ok &= check_live_int(h, e, &in, "target-class", 5000, "target-class 5000", -1);
    g_object_set(e, "target-class", 3, NULL);
    ok &= test_check(run_until_class(h, &in, 3), "target-class=3: class 3 explained");
    ok &= check_live_int(h, e, &in, "target-class", TINY_CLASSES, "has 10 classes (0 to 9)", 3);
    ok &=
        check_live_string(h, e, &in, "layer", "nonexistent", "layer 'nonexistent': no tensor", "");
    ok &=
        check_live_string(h, e, &in, "layer", "scores", "layer 'scores': 1x10, not a spatial", "");
    /* A layer that worked is what a refused one falls back to. */
    g_object_set(e, "layer", "conv1", "target-class", 4, NULL);
    ok &= test_check(run_until_class(h, &in, 4), "layer=conv1 target-class=4: runs");
    ok &= check_live_string(h, e, &in, "layer", "w1", "layer 'w1': a weight", "conv1");
    gst_object_unref(e);
    harness_free(h);

    h = harness_new("vkactivationmap model=\"%s\" channel=2", model);
    e = harness_element(h, "vkactivationmap");
    harness_set_size(h, "RGBA", 64, 48);
    Frame act = harness_frame(h, &in);
    ok &= check_live_int(h, e, &in, "channel", 100, "channel 100: layer 'feat'", 2);
    ok &= check_live_int(h, e, &in, "channel", 8, "has 8 channels (0 to 7)", 2);
    gst_object_unref(e);
    harness_free(h);

    frame_clear(&act);
    frame_clear(&first);
    frame_clear(&in);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* READY and back to PLAYING, then a frame: the restart builds a new engine
 * from the properties as they read. */
static gboolean restart_runs(GstHarness *h, const Frame *in)
{
    gst_element_set_state(h->element, GST_STATE_READY);
    gst_element_set_state(h->element, GST_STATE_PLAYING);
    harness_set_size(h, "RGBA", in->w, in->h);
    Frame out = harness_frame(h, in);
    frame_clear(&out);
    return harness_message(h, GST_MESSAGE_ERROR) == NULL;
}

/* Found by bench/soak.sh: a model refused while another ran stayed the one to
 * load, so every later engine setting reloaded the refused file (lost, with a
 * warning) and a READY -> PLAYING restart failed on it. */
static int case_refused_model(void)
{
    printf("refused_model: a model that cannot load is not what later engines load\n");
    g_autofree char *model = write_tiny_classifier(TINY_CLASSES);
    Frame in = frame_synthetic(64, 48, 1);
    gboolean ok = TRUE;

    GstHarness *h = harness_new("vksaliency model=\"%s\"", model);
    GstElement *e = harness_element(h, "vksaliency");
    harness_set_size(h, "RGBA", 64, 48);
    Frame first = harness_frame(h, &in);
    ok &= check_live_string(h, e, &in, "model", "/nonexistent/model.onnx",
                            "/nonexistent/model.onnx", model);
    g_object_set(e, "target-class", 3, NULL);
    ok &= test_check(run_until_class(h, &in, 3), "then target-class=3: class 3 explained");
    ok &= test_check(!harness_message(h, GST_MESSAGE_WARNING), "without a warning");
    ok &= test_check(restart_runs(h, &in), "READY -> PLAYING: frames, no error");
    ok &= test_check(run_until_class(h, &in, 3), "the restart runs the model that loaded");
    ok &= test_check(!harness_message(h, GST_MESSAGE_WARNING), "without a warning");
    gst_object_unref(e);
    harness_free(h);

    frame_clear(&first);
    frame_clear(&in);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* Found by bench/soak.sh: a classifier with a fixed input size (MobileNetV2's
 * ONNX) and input-width/height of another size was refused as a model, and
 * after a restart, with no engine to keep, failed fatally. It runs at its
 * own size, with a warning saying so. */
static int case_fixed_input(void)
{
    printf("fixed_input: a classifier that takes only 32x32 runs at 32x32\n");
    g_autoptr(VknnModel) m = tm_tiny_classifier();
    GError *err = NULL;
    g_autofree char *name = g_strdup_printf("vknn-test-fixed-%d.onnx", (int)getpid());
    g_autofree char *model = g_build_filename(g_get_tmp_dir(), name, NULL);
    g_assert(vknn_model_save(m, model, &err));
    Frame in = frame_synthetic(64, 48, 1);
    gboolean ok = TRUE;

    GstHarness *h = harness_new("vksaliency model=\"%s\" input-width=64 input-height=48", model);
    harness_set_size(h, "RGBA", 64, 48);
    gboolean flowed;
    g_autofree char *warning = run_until_warning(h, &in, &flowed);
    ok &= test_check(warning && strstr(warning, "takes only 32x32"),
                     "input 64x48: a warning that the classifier takes only 32x32");
    ok &= test_check(flowed && !harness_message(h, GST_MESSAGE_ERROR), "frames flow, no error");
    ok &= test_check(restart_runs(h, &in), "READY -> PLAYING: frames, no error");
    harness_free(h);

    frame_clear(&in);
    g_unlink(model);
    return ok ? 0 : 1;
}

/* max-memory (issue 19): a budget the network cannot fit in is an element
 * error naming the estimate and the budget, before anything is allocated;
 * a generous one runs. The same property on all three elements. */
static int case_max_memory(void)
{
    printf("max-memory: too small is a clear error, generous runs\n");
    g_autofree char *model = write_tiny_classifier(TINY_CLASSES);
    const char *src = "videotestsrc num-buffers=2 ! video/x-raw,width=64,height=48 ! videoconvert";
    const char *elements[] = {"vksaliency", "vkactivationmap", "vkstyletransfer"};
    char launch[1024];
    gboolean ok = TRUE;

    for (gsize i = 0; i < G_N_ELEMENTS(elements); i++) {
        g_autofree char *model_prop = i < 2 ? g_strdup_printf("model=\"%s\"", model) : g_strdup("");
        g_snprintf(launch, sizeof launch, "%s ! %s %s max-memory=100000 ! fakesink", src,
                   elements[i], model_prop);
        GError *err = pipeline_error(launch);
        ok &=
            test_check(g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT) &&
                           strstr(err->message, "needs about") &&
                           strstr(err->message, "the budget is 0.1 MiB"),
                       "%s max-memory=100000: RESOURCE/NO_SPACE_LEFT naming the estimate and "
                       "the budget",
                       elements[i]);
        g_clear_error(&err);
        g_snprintf(launch, sizeof launch, "%s ! %s %s max-memory=1000000000 ! fakesink", src,
                   elements[i], model_prop);
        err = pipeline_error(launch);
        ok &= test_check(err == NULL, "%s max-memory=1000000000: runs", elements[i]);
        g_clear_error(&err);
    }
    g_unlink(model);
    return ok ? 0 : 1;
}

/* The photo's logits (assets.classes of them) by the CPU reference executor
 * on the host preprocessing: what the element's classifier must give. */
static float *reference_logits(void)
{
    GError *err = NULL;
    g_autoptr(VknnModel) model = vknn_model_load(assets.model, &err);
    g_assert_no_error(err);
    const VknnFrameInputParams fp = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    Frame photo = load_photo(PHOTO_W, PHOTO_H);
    VknnRefTensor x = {{4, {1, 3, fp.height, fp.width}}, g_new(float, 3 * fp.width * fp.height)};
    vknn_frame_input_host(&fp, VKNN_PIXEL_RGBA, photo.px, photo.w, photo.h, photo.w * 4, x.data);
    GHashTable *values = vknn_ref_run(model, &x, &err);
    g_assert_no_error(err);
    const VknnRefTensor *y = g_hash_table_lookup(values, assets.logits);
    g_assert(y && y->shape.dims[1] == assets.classes);
    float *logits = g_memdup2(y->data, sizeof(float) * assets.classes);
    g_hash_table_unref(values);
    g_free(x.data);
    frame_clear(&photo);
    return logits;
}

/* The top-1 class of the photo by the CPU reference executor: what the
 * explainer and the element must find. */
static int reference_top1(void)
{
    g_autofree float *logits = reference_logits();
    int order[2];
    test_top_k(logits, assets.classes, 2, order);
    printf("CPU reference: top-1 class %d (logit %.4f), then %d (%.4f)\n", order[0],
           logits[order[0]], order[1], logits[order[1]]);
    return order[0];
}

/* ---- buffer metadata (GStreamer >= 1.24) ----------------------------------- */

#if VKNN_HAVE_GST_ANALYTICS
#define META_TOP_K 5
#define MAX_PROBED 8

/* What the pad probe read from one output buffer. */
typedef struct {
    GstClockTime pts;
    int n_cls; /* GstAnalyticsClsMtd in its relation meta */
    int k;     /* classes in the first one */
    char *labels[META_TOP_K];
    float levels[META_TOP_K];
    int n_tensors; /* in its GstTensorMeta (1.26); -1: no such meta */
    char *tensor_id;
    gboolean tensor_float32;
    int n_dims;
    gsize dims[2];
    float *tensor; /* the first tensor's data, when float32 1 x n */
} BufferMeta;

typedef struct {
    BufferMeta b[MAX_PROBED];
    int n;
} ProbedMeta;

static void probed_meta_clear(ProbedMeta *p)
{
    for (int i = 0; i < p->n; i++) {
        for (int j = 0; j < p->b[i].k; j++)
            g_free(p->b[i].labels[j]);
        g_free(p->b[i].tensor_id);
        g_free(p->b[i].tensor);
    }
    memset(p, 0, sizeof *p);
}

#if VKNN_HAVE_GST_TENSOR_META
static void read_tensor_meta(GstBuffer *buf, BufferMeta *m)
{
    GstTensorMeta *tm = gst_buffer_get_tensor_meta(buf);
    m->n_tensors = tm ? (int)tm->num_tensors : -1;
    if (!tm || tm->num_tensors < 1)
        return;
    const GstTensor *t = gst_tensor_meta_get(tm, 0);
    m->tensor_id = g_strdup(g_quark_to_string(t->id));
    m->tensor_float32 = t->data_type == GST_TENSOR_DATA_TYPE_FLOAT32;
    m->n_dims = (int)t->num_dims;
    for (gsize i = 0; i < MIN(t->num_dims, 2); i++)
        m->dims[i] = t->dims[i];
    GstMapInfo map;
    if (m->tensor_float32 && m->n_dims == 2 && gst_buffer_map(t->data, &map, GST_MAP_READ)) {
        if (map.size == sizeof(float) * m->dims[0] * m->dims[1])
            m->tensor = g_memdup2(map.data, map.size);
        gst_buffer_unmap(t->data, &map);
    }
}
#endif

/* The metadata of each buffer leaving vksaliency, as a downstream element
 * reads it. */
static GstPadProbeReturn read_meta_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    ProbedMeta *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (p->n >= MAX_PROBED)
        return GST_PAD_PROBE_OK;
    BufferMeta *m = &p->b[p->n++];
    m->pts = GST_BUFFER_PTS(buf);
    m->n_tensors = -1;
    GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta(buf);
    gpointer state = NULL;
    GstAnalyticsClsMtd mtd;
    while (rmeta && gst_analytics_relation_meta_iterate(
                        rmeta, &state, gst_analytics_cls_mtd_get_mtd_type(), &mtd)) {
        if (m->n_cls++ > 0)
            continue;
        m->k = (int)MIN(gst_analytics_cls_mtd_get_length(&mtd), META_TOP_K);
        for (int i = 0; i < m->k; i++) {
            m->labels[i] = g_strdup(g_quark_to_string(gst_analytics_cls_mtd_get_quark(&mtd, i)));
            m->levels[i] = gst_analytics_cls_mtd_get_level(&mtd, i);
        }
    }
#if VKNN_HAVE_GST_TENSOR_META
    read_tensor_meta(buf, m);
#endif
    return GST_PAD_PROBE_OK;
}

static void probe_outputs(GstHarness *h, ProbedMeta *p)
{
    GstElement *e = harness_element(h, "vksaliency");
    GstPad *src = gst_element_get_static_pad(e, "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, read_meta_probe, p, NULL);
    gst_object_unref(src);
    gst_object_unref(e);
}

/* Softmax of the reference logits, in double. */
static double *reference_probabilities(const float *logits, int n)
{
    double *p = g_new(double, n), max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        max = MAX(max, logits[i]);
    for (int i = 0; i < n; i++)
        sum += p[i] = exp(logits[i] - max);
    for (int i = 0; i < n; i++)
        p[i] /= sum;
    return p;
}

/* The meta's classes against the CPU reference: each label is a class
 * whose reference probability is its level (+- tol), best first, the best
 * being the photo's class. Labels may repeat (ImageNet's "crane"): the
 * closest class of that label counts. */
static gboolean check_cls_against_reference(const BufferMeta *m, char **labels, int n_labels,
                                            const double *prob, const char *what)
{
    const double tol = 5e-4;
    gboolean ok = test_check(m->k == MIN(META_TOP_K, assets.classes) &&
                                 !g_strcmp0(m->labels[0], assets.top1_label),
                             "%s: %d classes, the first \"%s\" (%s)", what, m->k,
                             m->k ? m->labels[0] : "", assets.top1_label);
    for (int i = 0; i < m->k; i++) {
        double closest = INFINITY;
        for (int c = 0; c < MIN(n_labels, assets.classes); c++)
            if (!g_strcmp0(labels[c], m->labels[i]))
                closest = MIN(closest, fabs(prob[c] - m->levels[i]));
        ok &= test_check(closest <= tol && (i == 0 || m->levels[i] <= m->levels[i - 1]),
                         "%s: \"%s\" level %.5f = CPU reference probability (diff %.1e <= %.0e), "
                         "not above the previous",
                         what, m->labels[i], m->levels[i], closest, tol);
    }
    return ok;
}

/* The meta's classes against the message the element posted for the same
 * frame: the same top 5, labels and scores. */
static gboolean check_cls_against_message(GstHarness *h, const BufferMeta *m, const char *what)
{
    gboolean ok = FALSE;
    for (;;) {
        GstMessage *msg = harness_message(h, GST_MESSAGE_ELEMENT);
        if (!msg)
            return test_check(FALSE, "%s: a vknn-saliency message", what);
        const GstStructure *s = gst_message_get_structure(msg);
        if (!gst_structure_has_name(s, "vknn-saliency")) {
            gst_message_unref(msg);
            continue;
        }
        guint64 ts = GST_CLOCK_TIME_NONE;
        gst_structure_get_uint64(s, "timestamp", &ts);
        const GValue *top = gst_structure_get_value(s, "top5");
        ok = ts == m->pts && top && (int)gst_value_array_get_size(top) == m->k;
        for (int i = 0; ok && i < m->k; i++) {
            const GstStructure *c = gst_value_get_structure(gst_value_array_get_value(top, i));
            double score = -1;
            gst_structure_get_double(c, "score", &score);
            ok = !g_strcmp0(gst_structure_get_string(c, "label"), m->labels[i]) &&
                 fabs(score - m->levels[i]) < 1e-6;
        }
        gst_message_unref(msg);
        return test_check(ok, "%s: the meta = the message's top5 (labels, scores, timestamp)",
                          what);
    }
}
#endif

static int case_analytics_meta(void)
{
#if !VKNN_HAVE_GST_ANALYTICS
    printf("analytics_meta: skipped: built with GStreamer %d.%d, without its analytics library "
           "(1.24)\n",
           GST_VERSION_MAJOR, GST_VERSION_MINOR);
    return TEST_SKIP;
#else
    printf("analytics_meta: a GstAnalyticsClsMtd on each buffer with a computed map "
           "(interval=2, 3 frames)\n");
    Frame photo = load_photo(PHOTO_W, PHOTO_H);
    g_autofree float *logits = reference_logits();
    g_autofree double *prob = reference_probabilities(logits, assets.classes);
    GError *err = NULL;
    int n_labels = 0;
    g_auto(GStrv) labels = vknn_labels_load(assets.labels, &n_labels, &err);
    g_assert_no_error(err);

    GstHarness *h = harness_new("vksaliency model=\"%s\" labels=\"%s\" interval=2", assets.model,
                                assets.labels);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    ProbedMeta p = {0};
    probe_outputs(h, &p);
    for (int i = 0; i < 3; i++) {
        Frame out = {0};
        g_assert(harness_run_at(h, &photo, i * FRAME_NS, &out, NULL));
        frame_clear(&out);
    }
    gboolean ok = test_check(p.n == 3, "the probe saw 3 buffers (%d)", p.n);
    ok &= test_check(p.n == 3 && p.b[0].n_cls == 1 && p.b[1].n_cls == 0 && p.b[2].n_cls == 1,
                     "one GstAnalyticsClsMtd on frames 0 and 2 (maps computed), none on frame 1");
    for (int i = 0; ok && i < 3; i += 2) {
        g_autofree char *what = g_strdup_printf("frame %d", i);
        ok &= check_cls_against_message(h, &p.b[i], what);
        ok &= check_cls_against_reference(&p.b[i], labels, n_labels, prob, what);
    }
    ok &= test_check(p.n < 1 || p.b[0].n_tensors == -1,
                     "tensor-meta off (default): no GstTensorMeta");
    probed_meta_clear(&p);
    harness_free(h);
    frame_clear(&photo);
    return ok ? 0 : 1;
#endif
}

static int case_tensor_meta(void)
{
#if !VKNN_HAVE_GST_TENSOR_META
    GstElementFactory *f = gst_element_factory_find("vksaliency");
    GstElement *e = gst_element_factory_create(f, NULL);
    const gboolean absent = !g_object_class_find_property(G_OBJECT_GET_CLASS(e), "tensor-meta");
    gst_object_unref(e);
    gst_object_unref(f);
    test_check(absent, "built with GStreamer %d.%d: vksaliency has no tensor-meta property",
               GST_VERSION_MAJOR, GST_VERSION_MINOR);
    printf("tensor_meta: skipped: GstTensorMeta needs GStreamer 1.26\n");
    return absent ? TEST_SKIP : 1;
#else
    printf("tensor_meta: tensor-meta=true adds a GstTensorMeta with the raw logits\n");
    Frame photo = load_photo(PHOTO_W, PHOTO_H);
    g_autofree float *want = reference_logits();
    GstHarness *h = harness_new("vksaliency model=\"%s\" tensor-meta=true", assets.model);
    harness_set_size(h, "RGBA", PHOTO_W, PHOTO_H);
    ProbedMeta p = {0};
    probe_outputs(h, &p);
    Frame out = {0};
    g_assert(harness_run_at(h, &photo, 0, &out, NULL));
    frame_clear(&out);
    const BufferMeta *m = &p.b[0];
    gboolean ok = test_check(p.n == 1 && m->n_tensors == 1 && m->n_cls == 1,
                             "one GstTensorMeta with one tensor, beside the classification meta");
    ok &= test_check(!g_strcmp0(m->tensor_id, "classification-generic-out") && m->tensor_float32 &&
                         m->n_dims == 2 && m->dims[0] == 1 && m->dims[1] == (gsize)assets.classes,
                     "tensor \"%s\": float32, %d dims, 1 x %d", m->tensor_id, m->n_dims,
                     assets.classes);
    if (m->tensor) {
        float max_diff = 0, max_abs = 0;
        for (int i = 0; i < assets.classes; i++) {
            max_diff = MAX(max_diff, fabsf(m->tensor[i] - want[i]));
            max_abs = MAX(max_abs, fabsf(want[i]));
        }
        int top[1];
        test_top_k(m->tensor, assets.classes, 1, top);
        ok &= test_check(max_diff <= 1e-3f * MAX(max_abs, 1.0f),
                         "logits = CPU reference (max diff %.2e, largest |logit| %.2f)", max_diff,
                         max_abs);
        ok &=
            test_check(top[0] == assets.top1, "largest logit: class %d (%d)", top[0], assets.top1);
    }
    probed_meta_clear(&p);
    harness_free(h);
    frame_clear(&photo);
    return ok ? 0 : 1;
#endif
}

/* SqueezeNet, its labels and the cat photo from ../shared, or else a tiny
 * classifier, labels and a synthetic scene made here. */
static void assets_open(void)
{
    assets.model = test_shared_path(MODEL);
    assets.labels = test_shared_path(LABELS);
    assets.photo = test_shared_path(PHOTO);
    if (assets.model && assets.labels && assets.photo) {
        assets.classes = 1000;
        assets.logits = "logits";
        assets.top1 = EGYPTIAN_CAT;
        assets.other = TABBY;
        assets.top1_label = g_strdup("Egyptian cat");
        return;
    }
    g_clear_pointer(&assets.model, g_free);
    g_clear_pointer(&assets.labels, g_free);
    g_clear_pointer(&assets.photo, g_free);
    printf("without ../shared: a generated %d-class classifier on a synthetic scene\n",
           FRESH_CLASSES);
    assets.generated = TRUE;
    assets.classes = FRESH_CLASSES;
    assets.logits = "scores";
    assets.model = write_tiny_classifier(FRESH_CLASSES);
    assets.labels = g_strdup_printf("%s.labels.txt", assets.model);
    GString *labels = g_string_new(NULL);
    for (int i = 0; i < FRESH_CLASSES; i++)
        g_string_append_printf(labels, "generated class %d\n", i);
    g_assert(g_file_set_contents(assets.labels, labels->str, -1, NULL));
    g_string_free(labels, TRUE);
    assets.top1 = reference_top1();
    assets.other = (assets.top1 + 1) % FRESH_CLASSES;
    assets.top1_label = g_strdup_printf("generated class %d", assets.top1);
}

static void assets_close(void)
{
    if (assets.generated) {
        g_unlink(assets.model);
        g_unlink(assets.labels);
    }
    g_free(assets.model);
    g_free(assets.labels);
    g_free(assets.photo);
    g_free(assets.top1_label);
    memset(&assets, 0, sizeof assets);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(void);
        gboolean needs_assets; /* from ../shared */
    } cases[] = {
        {"sysmem", case_sysmem, TRUE},
        {"vulkan", case_vulkan, TRUE},
        {"interval", case_interval, TRUE},
        {"live", case_live, TRUE},
        {"errors", case_errors, TRUE},
        {"activations", case_activations, TRUE},
        {"pipeline", case_pipeline, TRUE},
        {"settings_live", case_settings_live, FALSE},
        {"refused_model", case_refused_model, FALSE},
        {"fixed_input", case_fixed_input, FALSE},
        {"max_memory", case_max_memory, FALSE},
        /* Without the metadata (an older GStreamer) they skip at once. */
        {"analytics_meta", case_analytics_meta, VKNN_HAVE_GST_ANALYTICS},
        {"tensor_meta", case_tensor_meta, VKNN_HAVE_GST_TENSOR_META},
    };
    setvbuf(stdout, NULL, _IONBF, 0); /* keep the checks printed so far if it crashes */
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr,
                "usage: %s sysmem|vulkan|interval|live|errors|activations|pipeline|"
                "settings_live|refused_model|fixed_input|max_memory|analytics_meta|tensor_meta\n",
                argv[0]);
        return 2;
    }
    if (!have_element("vksaliency") || !have_element("vkactivationmap"))
        return test_summary(1);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (strcmp(argv[1], cases[i].name))
            continue;
        if (cases[i].needs_assets)
            assets_open();
        const int res = cases[i].run();
        assets_close();
        return test_summary(res);
    }
    fprintf(stderr, "unknown case %s\n", argv[1]);
    return 2;
}
