/* Faults injected into vkstyletransfer and vksaliency while they play
 * (VKNN_FAULT, compute/runtime/fault.h): a failed allocation, submission
 * or fence wait, or a lost device, posts an ERROR message from the element
 * (no crash, no hang, no GLib critical), and once the fault is gone the
 * same pipeline runs every frame again after READY -> PLAYING.
 *
 *   test_faults CASE   (style, style_vulkan, saliency)
 *
 * Each kind of fault is injected at its call 1, 4, 16, 64... of the
 * element's context until one lies beyond the run: the first ones fail
 * while the engine is built, later ones in the middle of the stream.
 * Needs nothing from ../shared.
 */
#include "gsttest.h"
#include "model_build.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Enough that a call from 64 on falls in the steady stream, after the
 * engine's build and first frame (weight uploads: up to ~50 calls). */
#define FRAMES 30
#define TIMEOUT (60 * GST_SECOND)

static gint frames_seen;

static void on_handoff(GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer data)
{
    g_atomic_int_inc(&frames_seen);
}

static GstElement *pipeline_new(const char *element, const char *memory)
{
    g_autofree char *launch = g_strdup_printf(
        "videotestsrc num-buffers=%d ! video/x-raw,format=RGBA,width=64,height=48 ! %s "
        "%s name=vknn %s ! fakesink name=sink sync=false signal-handoffs=true",
        FRAMES, memory ? "vulkanupload !" : "", element, memory ? "! vulkandownload" : "");
    GError *err = NULL;
    GstElement *p = gst_parse_launch(launch, &err);
    if (!p)
        test_fatal("%s: %s", launch, err->message);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), NULL);
    gst_object_unref(sink);
    return p;
}

typedef struct {
    gboolean timed_out;
    int frames;
    GError *error; /* the first ERROR message, NULL at EOS */
    gboolean from_element;
} Outcome;

/* Plays from READY to EOS or the first ERROR, then back to READY. */
static Outcome play(GstElement *p)
{
    Outcome o = {0};
    g_atomic_int_set(&frames_seen, 0);
    GstBus *bus = gst_element_get_bus(p);
    gst_bus_set_flushing(bus, TRUE); /* drop what the last run left */
    gst_bus_set_flushing(bus, FALSE);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstMessage *msg = gst_bus_timed_pop_filtered(bus, TIMEOUT, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    o.timed_out = msg == NULL;
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &o.error, &debug);
        printf("  error: %s (%s)\n", o.error->message, debug ? debug : "");
        GstElement *vknn = gst_bin_get_by_name(GST_BIN(p), "vknn");
        o.from_element = GST_MESSAGE_SRC(msg) == GST_OBJECT(vknn);
        gst_object_unref(vknn);
    }
    gst_clear_message(&msg);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_READY);
    o.frames = g_atomic_int_get(&frames_seen);
    return o;
}

/* One fault: the run fails from the element; the next, without it, runs
 * every frame. Returns whether the fault was beyond the run (it ran clean),
 * *mid_stream when frames passed before the error. */
static gboolean check_fault(GstElement *p, const char *spec, gboolean *ok, gboolean *mid_stream)
{
    g_setenv("VKNN_FAULT", spec, TRUE);
    Outcome o = play(p);
    g_unsetenv("VKNN_FAULT");
    if (o.timed_out) {
        *ok = test_fail("VKNN_FAULT=%s: neither an error nor the end in 60 s", spec);
        return TRUE;
    }
    if (!o.error)
        return TRUE;
    *mid_stream |= o.frames > 0;
    *ok &= test_check(o.from_element, "VKNN_FAULT=%s: ERROR from the element after %d frames: %s",
                      spec, o.frames, o.error->message);
    g_clear_error(&o.error);
    Outcome again = play(p);
    *ok &= test_check(!again.error && !again.timed_out && again.frames == FRAMES,
                      "VKNN_FAULT=%s: without it, READY -> PLAYING runs %d of %d frames%s%s", spec,
                      again.frames, FRAMES, again.error ? ": " : "",
                      again.error ? again.error->message : "");
    g_clear_error(&again.error);
    return FALSE;
}

/* A kind whose calls continue frame after frame (not alloc: the device
 * memory is all allocated at the first frame) must have failed mid-stream
 * at some N. */
static void sweep_kind(GstElement *p, const char *kind, const char *suffix, gboolean per_frame)
{
    gboolean ok = TRUE, mid_stream = FALSE, beyond = FALSE;
    for (int n = 1; n <= 4096 && ok && !beyond; n *= 4) {
        g_autofree char *spec = g_strdup_printf("%s:%d%s", kind, n, suffix);
        beyond = check_fault(p, spec, &ok, &mid_stream);
    }
    test_check(!ok || (beyond && (mid_stream || !per_frame)),
               "%s%s: the sweep went beyond the last call%s", kind, suffix,
               per_frame ? ", and some fault fell mid-stream" : "");
}

static void sweep_element(const char *element, const char *memory)
{
    GstElement *p = pipeline_new(element, memory);
    gst_element_set_state(p, GST_STATE_READY);
    Outcome clean = play(p);
    if (!test_check(!clean.error && clean.frames == FRAMES, "%s%s runs %d frames without a fault",
                    element, memory ? " (Vulkan images)" : "", clean.frames))
        test_fatal("%s", clean.error ? clean.error->message : "timed out");
    sweep_kind(p, "alloc", "", FALSE);
    sweep_kind(p, "submit", "", TRUE);
    sweep_kind(p, "wait", ":lost", TRUE);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    gst_init(&argc, &argv);
    const char *which = argc > 1 ? argv[1] : "style";
    if (!have_element("vkstyletransfer"))
        return test_summary(1);
    if (g_str_equal(which, "style") || g_str_equal(which, "style_vulkan")) {
        sweep_element("vkstyletransfer model=builtin:wave",
                      g_str_equal(which, "style_vulkan") ? "vulkan" : NULL);
    } else if (g_str_equal(which, "saliency")) {
        g_autofree char *name = g_strdup_printf("vknn-faults-tiny-%d.onnx", (int)getpid());
        g_autofree char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
        g_autoptr(VknnModel) m = tm_tiny_classifier();
        GError *err = NULL;
        if (!vknn_model_save(m, path, &err))
            test_fatal("%s", err->message);
        g_autofree char *element =
            g_strdup_printf("vksaliency model=\"%s\" input-width=32 input-height=32", path);
        sweep_element(element, NULL);
        g_unlink(path);
    } else {
        test_fatal("unknown case %s (style, style_vulkan, saliency)", which);
    }
    return test_summary(0);
}
