/* vkdeepdream in GStreamer pipelines (GstHarness), checked against the CPU
 * reference executor (vknn_ref_run) and host arithmetic, on system memory
 * and Vulkan images, at an odd size.
 *
 *   test_deepdream CASE   (sysmem, vulkan, live, feedback, flow, input, errors,
 *                          squeezenet)
 *
 * Needs GST_PLUGIN_PATH pointing at build/gst-plugins (tests/meson.build sets
 * it). Every case but squeezenet runs a tiny generated classifier
 * (tm_classifier, its Relu "feat" the dreamed layer) on a synthetic frame, so
 * they run on a fresh clone; squeezenet dreams with SqueezeNet 1.1 from
 * ../shared (skipped without it).
 */
#include "gsttest.h"
#include "model_build.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/base/gstbasetransform.h>
#include <vknn/ref.h>

#define W 99 /* odd sizes: no row or octave rounds evenly */
#define H 75
#define LAYER "feat"
#define SQUEEZENET "models/classify/squeezenet1_1.onnx"
#define SQUEEZENET_LAYER "/features/features.7/Concat_output_0"
/* The element's input normalisation (ImageNet's). */
static const float MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float STD[3] = {0.229f, 0.224f, 0.225f};

static char *model_path; /* the tiny classifier as a file, unlinked at the end */

/* The tiny classifier as an ONNX file (g_free; unlinked by main). */
static char *write_tiny_classifier(void)
{
    g_autoptr(VknnModel) m = tm_classifier(4, 11);
    g_assert(m);
    GError *err = NULL;
    /* One file a process: the cases run in parallel. */
    g_autofree char *name = g_strdup_printf("vknn-test-dream-%d.onnx", (int)getpid());
    char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    g_assert(vknn_model_save(m, path, &err));
    return path;
}

/* The layer's mean squared activation on frame f, by the CPU reference. */
static double layer_l2(const char *path, const char *layer, const Frame *f)
{
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &err);
    g_assert_no_error(err);
    const gsize hw = (gsize)f->w * f->h;
    g_autofree float *x = g_new(float, 3 * hw);
    for (gsize i = 0; i < hw; i++)
        for (int c = 0; c < 3; c++)
            x[c * hw + i] = (f->px[4 * i + c] / 255.0f - MEAN[c]) / STD[c];
    const VknnRefTensor in = {{4, {1, 3, f->h, f->w}}, x};
    GHashTable *values = vknn_ref_run(m, &in, &err);
    g_assert_no_error(err);
    const VknnRefTensor *a = g_hash_table_lookup(values, layer);
    g_assert(a);
    const int64_t n = vknn_shape_numel(&a->shape);
    double sq = 0;
    for (int64_t i = 0; i < n; i++)
        sq += (double)a->data[i] * a->data[i];
    g_hash_table_unref(values);
    return sq / n;
}

/* The mean |difference| per byte over RGB. */
static double mean_diff(const Frame *a, const Frame *b)
{
    double s = 0;
    const gsize hw = (gsize)a->w * a->h;
    for (gsize i = 0; i < hw; i++)
        for (int c = 0; c < 3; c++)
            s += fabs((double)a->px[4 * i + c] - b->px[4 * i + c]);
    return s / (3 * hw);
}

static gboolean alpha_opaque(const Frame *f)
{
    for (gsize i = 0; i < (gsize)f->w * f->h; i++)
        if (f->px[4 * i + 3] != 255)
            return FALSE;
    return TRUE;
}

/* One frame through "launch" (RGBA W x H). */
static Frame run_one(const char *launch, const Frame *in)
{
    GstHarness *h = harness_new("%s", launch);
    harness_set_size(h, "RGBA", in->w, in->h);
    Frame out = harness_frame(h, in);
    harness_free(h);
    return out;
}

/* The dream changed the frame, stayed opaque and raised the layer's L2. */
static gboolean check_dreamed(const char *path, const char *layer, const Frame *in,
                              const Frame *out, const char *what)
{
    const double before = layer_l2(path, layer, in), after = layer_l2(path, layer, out);
    const double d = mean_diff(in, out);
    gboolean ok =
        test_check(out->w == in->w && out->h == in->h, "%s: %dx%d out", what, out->w, out->h);
    ok &= test_check(d > 0.5 && d < 60, "%s: the frame changed, not destroyed (mean |diff| %.2f)",
                     what, d);
    ok &= test_check(alpha_opaque(out), "%s: alpha 255", what);
    ok &= test_check(isfinite(after) && after > 1.05 * before,
                     "%s: layer '%s' mean square raised (CPU reference): %.4g -> %.4g", what, layer,
                     before, after);
    return ok;
}

#define DREAM "vkdeepdream model=\"%s\" layer=" LAYER " iterations=4 octaves=2 step=0.02"

static int case_sysmem(void)
{
    printf("sysmem: %dx%d RGBA in system memory\n", W, H);
    Frame in = frame_synthetic(W, H, 3);
    g_autofree char *launch = g_strdup_printf(DREAM, model_path);
    Frame out = run_one(launch, &in);
    gboolean ok = check_dreamed(model_path, LAYER, &in, &out, "system memory");
    /* Byte order: BGRx in = RGBA in with R and B swapped, out likewise. */
    ok &= check_swapped(launch, "BGRx", &in, &out, 0, "BGRx = RGBA with R and B swapped");
    frame_clear(&out);
    frame_clear(&in);
    return ok ? 0 : 1;
}

static int case_vulkan(void)
{
    printf("vulkan: vulkanupload ! vkdeepdream ! vulkandownload, %dx%d\n", W, H);
    Frame in = frame_synthetic(W, H, 3);
    g_autofree char *sys_launch = g_strdup_printf(DREAM, model_path);
    Frame sys = run_one(sys_launch, &in);
    g_autofree char *launch =
        g_strdup_printf("vulkanupload ! " DREAM " ! vulkandownload", model_path);
    GstHarness *h = harness_new("%s", launch);
    harness_set_size(h, "RGBA", W, H);
    Frame got = harness_frame(h, &in);
    GstElement *e = harness_element(h, "vkdeepdream");
    GstCaps *caps = gst_pad_get_current_caps(GST_BASE_TRANSFORM_SRC_PAD(e));
    gboolean ok = test_check(
        caps && gst_caps_features_contains(gst_caps_get_features(caps, 0), "memory:VulkanImage"),
        "the element negotiated memory:VulkanImage");
    gst_clear_caps(&caps);
    gst_object_unref(e);
    ok &= check_dreamed(model_path, LAYER, &in, &got, "Vulkan images");
    /* The same dream: the device's 8-bit -> float conversion is the host's
     * up to float rounding, which the ascent may carry a level. */
    ok &= check_diff(&got, &sys, 4, 2, "Vulkan image output = system memory output");
    frame_clear(&got);
    /* A second frame reuses the pool's images. */
    got = harness_frame(h, &in);
    ok &= check_dreamed(model_path, LAYER, &in, &got, "second frame (pool image reused)");
    frame_clear(&got);
    harness_free(h);
    ok &= check_swapped(launch, "BGRA", &in, &sys, 2,
                        "BGRA images = system memory RGBA, R/B swapped");
    frame_clear(&sys);
    frame_clear(&in);
    return ok ? 0 : 1;
}

/* Properties set in PLAYING apply at the next frame. */
static int case_live(void)
{
    printf("live: iterations and temporal changed while playing\n");
    Frame in = frame_synthetic(W, H, 4);
    GstHarness *h =
        harness_new("vkdeepdream model=\"%s\" layer=" LAYER " iterations=0 temporal=none step=0.02",
                    model_path);
    harness_set_size(h, "RGBA", W, H);
    GstElement *e = harness_element(h, "vkdeepdream");
    Frame out = harness_frame(h, &in);
    gboolean ok = check_diff(&out, &in, 4, 0, "iterations=0: the frame passes unchanged");
    frame_clear(&out);

    g_object_set(e, "iterations", 4, NULL);
    out = harness_frame(h, &in);
    ok &= check_dreamed(model_path, LAYER, &in, &out, "iterations=4 set while playing");
    frame_clear(&out);

    g_object_set(e, "iterations", 0, NULL);
    out = harness_frame(h, &in);
    ok &= check_diff(&out, &in, 4, 0, "iterations=0 again: unchanged (temporal=none)");
    frame_clear(&out);

    /* A layer the model lacks, set while playing: its engine fails in the
     * background with a warning naming it, and the running one goes on. */
    g_object_set(e, "iterations", 4, "layer", "no_such_tensor", NULL);
    GstMessage *warning = NULL;
    for (int i = 0; i < 100 && !warning; i++) {
        out = harness_frame(h, &in);
        frame_clear(&out);
        warning = harness_message(h, GST_MESSAGE_WARNING);
        if (!warning)
            g_usleep(20000);
    }
    GError *w = NULL;
    g_autofree char *debug = NULL;
    if (warning)
        gst_message_parse_warning(warning, &w, &debug);
    ok &= test_check(w && debug && strstr(debug, "no_such_tensor"),
                     "unknown layer while playing: a warning naming it (%s | %s)",
                     w ? w->message : "none", debug ? debug : "");
    g_clear_error(&w);
    gst_clear_message(&warning);
    out = harness_frame(h, &in);
    ok &=
        check_dreamed(model_path, LAYER, &in, &out, "after the refused layer, the old one dreams");
    frame_clear(&out);
    ok &= test_check(!harness_message(h, GST_MESSAGE_ERROR), "no error on the bus");
    gst_object_unref(e);
    harness_free(h);
    frame_clear(&in);
    return ok ? 0 : 1;
}

/* temporal=blend: the next frame starts from the camera frame blended with
 * the previous dream; with iterations=0 that blend is the output, checked
 * against host arithmetic. Over frames of a still scene the dream grows. */
static int case_feedback(void)
{
    printf("feedback: the previous dream blended into the next frame\n");
    Frame a = frame_synthetic(W, H, 4), b = frame_synthetic(W, H, 9);
    GstHarness *h = harness_new("vkdeepdream model=\"%s\" layer=" LAYER
                                " iterations=4 step=0.02 temporal=blend feedback=0.75",
                                model_path);
    harness_set_size(h, "RGBA", W, H);
    GstElement *e = harness_element(h, "vkdeepdream");
    Frame dream = harness_frame(h, &a);
    g_object_set(e, "iterations", 0, NULL);
    Frame got = harness_frame(h, &b);
    Frame want = frame_new(W, H);
    for (gsize i = 0; i < 4 * (gsize)W * H; i++)
        want.px[i] = (i % 4 == 3)
                         ? 255
                         : (guint8)lrint(CLAMP(0.25 * b.px[i] + 0.75 * dream.px[i], 0.0, 255.0));
    /* The dream was kept in floats, not 8-bit: a level either way. */
    gboolean ok = check_diff(&got, &want, 4, 1, "iterations=0: 0.25 x new frame + 0.75 x dream");
    frame_clear(&got);
    frame_clear(&want);
    frame_clear(&dream);
    gst_object_unref(e);
    harness_free(h);

    /* Six frames of a still scene: blend keeps dreaming on the dream. */
    double l2[2];
    const char *modes[2] = {"none", "blend"};
    for (int m = 0; m < 2; m++) {
        h = harness_new("vkdeepdream model=\"%s\" layer=" LAYER
                        " iterations=2 step=0.02 temporal=%s feedback=0.9",
                        model_path, modes[m]);
        harness_set_size(h, "RGBA", W, H);
        for (int i = 0; i < 6; i++) {
            got = harness_frame(h, &a);
            if (i == 5)
                l2[m] = layer_l2(model_path, LAYER, &got);
            frame_clear(&got);
        }
        harness_free(h);
    }
    ok &= test_check(l2[1] > 1.2 * l2[0],
                     "sixth frame of a still scene: blend dreams further than none "
                     "(layer mean square %.4g vs %.4g)",
                     l2[1], l2[0]);
    frame_clear(&a);
    frame_clear(&b);
    return ok ? 0 : 1;
}

/* in moved right by dx pixels (the left columns repeat the edge). */
static Frame frame_shift(const Frame *in, int dx)
{
    Frame f = frame_new(in->w, in->h);
    for (int y = 0; y < in->h; y++)
        for (int x = 0; x < in->w; x++)
            memcpy(f.px + ((gsize)y * in->w + x) * 4,
                   in->px + ((gsize)y * in->w + MAX(x - dx, 0)) * 4, 4);
    return f;
}

/* Mean |a - b| over RGB away from a margin of m pixels. */
static double interior_diff(const Frame *a, const Frame *b, int m)
{
    double s = 0;
    int n = 0;
    for (int y = m; y < a->h - m; y++)
        for (int x = m; x < a->w - m; x++, n++)
            for (int c = 0; c < 3; c++) {
                const gsize i = ((gsize)y * a->w + x) * 4 + c;
                s += fabs((double)a->px[i] - b->px[i]);
            }
    return s / (3.0 * n);
}

/* temporal=flow: the scene moves 2 px right; the previous dream, warped
 * along the flow, moves with it (iterations=0 and feedback=1 make the
 * warped dream the output where the flow is trusted). */
static int case_flow(void)
{
    printf("flow: the previous dream follows the scene's motion\n");
    const int dx = 2;
    Frame a = frame_synthetic(W, H, 4), b = frame_shift(&a, dx);
    double err[2];
    const char *modes[2] = {"flow", "blend"};
    gboolean ok = TRUE;
    for (int m = 0; m < 2; m++) {
        GstHarness *h = harness_new("vkdeepdream model=\"%s\" layer=" LAYER
                                    " iterations=4 step=0.02 temporal=%s feedback=1",
                                    model_path, modes[m]);
        harness_set_size(h, "RGBA", W, H);
        GstElement *e = harness_element(h, "vkdeepdream");
        Frame dream = harness_frame(h, &a);
        g_object_set(e, "iterations", 0, NULL);
        Frame got = harness_frame(h, &b);
        Frame moved = frame_shift(&dream, dx);
        err[m] = interior_diff(&got, &moved, 8);
        const double unmoved = interior_diff(&got, &dream, 8);
        printf("  %s: |out - dream moved %d px| %.2f, |out - dream in place| %.2f\n", modes[m], dx,
               err[m], unmoved);
        if (m == 0)
            ok &= test_check(err[0] < 3.0 && err[0] < 0.5 * unmoved,
                             "flow: the output is the dream moved %d px (mean |diff| %.2f, "
                             "in place %.2f)",
                             dx, err[0], unmoved);
        frame_clear(&moved);
        frame_clear(&got);
        frame_clear(&dream);
        gst_object_unref(e);
        harness_free(h);
    }
    ok &= test_check(err[0] < 0.5 * err[1],
                     "flow follows the motion better than blend (%.2f vs %.2f)", err[0], err[1]);
    frame_clear(&a);
    frame_clear(&b);
    return ok ? 0 : 1;
}

/* mean and std from a launch line reach the network; a std of 0 is refused
 * with a warning and the stream runs on the default. */
static int case_input(void)
{
    printf("input: mean and std\n");
    Frame in = frame_synthetic(W, H, 3);
    g_autofree char *plain = g_strdup_printf(DREAM, model_path);
    g_autofree char *normed =
        g_strdup_printf(DREAM " mean=\"<0.2, 0.2, 0.2>\" std=\"<0.5, 0.5, 0.5>\"", model_path);
    Frame a = run_one(plain, &in), b = run_one(normed, &in);
    const double d = mean_diff(&a, &b);
    gboolean ok = test_check(d > 0.5, "mean/std change the dream (mean |diff| %.2f)", d);
    GstHarness *h = harness_new(DREAM, model_path);
    GstElement *e = harness_element(h, "vkdeepdream");
    gst_util_set_object_arg(G_OBJECT(e), "std", "<0.0, 1.0, 1.0>");
    g_autofree char *std = NULL;
    GValue back = G_VALUE_INIT;
    g_value_init(&back, GST_TYPE_ARRAY);
    g_object_get_property(G_OBJECT(e), "std", &back);
    std = gst_value_serialize(&back);
    g_value_unset(&back);
    ok &= test_check(std && strstr(std, "0.229"), "std <0, 1, 1> refused, reads back %s", std);
    harness_set_size(h, "RGBA", W, H);
    Frame c = harness_frame(h, &in);
    ok &= check_diff(&c, &a, 4, 0, "the stream runs with the default std");
    frame_clear(&c);
    gst_object_unref(e);
    harness_free(h);
    frame_clear(&a);
    frame_clear(&b);
    frame_clear(&in);
    return ok ? 0 : 1;
}

/* Runs launch to its end; the error's message and debug text (g_free), or
 * NULL when none came. */
static char *pipeline_error_text(const char *launch)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(launch, &err);
    g_assert_no_error(err);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    char *text = NULL;
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        text = g_strdup_printf("%s | %s", err->message, debug ? debug : "");
        printf("  error: %s\n", text);
        g_clear_error(&err);
    }
    gst_clear_message(&msg);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return text;
}

static gboolean check_error_names(const char *launch, const char *name, const char *what)
{
    g_autofree char *text = pipeline_error_text(launch);
    return test_check(text && strstr(text, name), "%s: an error naming %s", what, name);
}

static int case_errors(void)
{
    printf("errors: missing model, not a model, unknown layer, no layer\n");
    const char *src = "videotestsrc num-buffers=2 ! video/x-raw,width=64,height=48 ! "
                      "videoconvert ! ";
    const char *missing = "/nonexistent/dream-model.onnx";
    g_autofree char *l1 =
        g_strdup_printf("%svkdeepdream model=%s layer=" LAYER " ! fakesink", src, missing);
    gboolean ok = check_error_names(l1, missing, "missing model file");

    g_autofree char *junk = g_build_filename(g_get_tmp_dir(), "vknn-test-dream-junk.onnx", NULL);
    g_assert(g_file_set_contents(junk, "not an onnx file", -1, NULL));
    g_autofree char *l2 =
        g_strdup_printf("%svkdeepdream model=%s layer=" LAYER " ! fakesink", src, junk);
    ok &= check_error_names(l2, junk, "a file that is not ONNX");
    g_unlink(junk);

    g_autofree char *l3 = g_strdup_printf(
        "%svkdeepdream model=\"%s\" layer=no_such_tensor ! fakesink", src, model_path);
    ok &= check_error_names(l3, "no_such_tensor", "unknown layer");
    g_autofree char *l4 = g_strdup_printf("%svkdeepdream model=\"%s\" ! fakesink", src, model_path);
    ok &= check_error_names(l4, "'layer' property", "no layer set");
    return ok ? 0 : 1;
}

/* SqueezeNet 1.1 from ../shared at its figure layer. */
static int case_squeezenet(void)
{
    g_autofree char *path = test_shared_path(SQUEEZENET);
    if (!path)
        return TEST_SKIP;
    printf("squeezenet: %s at %s, 96x72\n", SQUEEZENET, SQUEEZENET_LAYER);
    Frame in = frame_synthetic(96, 72, 2);
    g_autofree char *launch =
        g_strdup_printf("vkdeepdream model=\"%s\" layer=%s iterations=4 octaves=2 step=0.02", path,
                        SQUEEZENET_LAYER);
    Frame out = run_one(launch, &in);
    const gboolean ok = check_dreamed(path, SQUEEZENET_LAYER, &in, &out, "SqueezeNet");
    frame_clear(&out);
    frame_clear(&in);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(void);
    } cases[] = {
        {"sysmem", case_sysmem}, {"vulkan", case_vulkan},
        {"live", case_live},     {"feedback", case_feedback},
        {"flow", case_flow},     {"errors", case_errors},
        {"input", case_input},   {"squeezenet", case_squeezenet},
    };
    setvbuf(stdout, NULL, _IONBF, 0);
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s sysmem|vulkan|live|feedback|flow|input|errors|squeezenet\n",
                argv[0]);
        return 2;
    }
    if (!have_element("vkdeepdream"))
        return test_summary(1);
    model_path = write_tiny_classifier();
    int status = -1;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        if (g_str_equal(argv[1], cases[i].name))
            status = cases[i].run();
    g_unlink(model_path);
    g_free(model_path);
    if (status < 0) {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    return test_summary(status);
}
