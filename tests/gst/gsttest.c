/* Helpers shared by the GStreamer tests (gsttest.h). */
#include "gsttest.h"

#include <gst/video/video.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Frame frame_new(int w, int h)
{
    return (Frame){w, h, g_malloc0((gsize)w * h * 4)};
}

void frame_clear(Frame *f)
{
    g_clear_pointer(&f->px, g_free);
}

/* RGBA from a float NCHW [1,3,h,w] tensor of 0..255 values (rounded, clamped). */
Frame frame_from_nchw(const float *t, int w, int h)
{
    Frame f = frame_new(w, h);
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++)
            f.px[i * 4 + c] = (guint8)CLAMP(lrintf(t[c * w * h + i]), 0, 255);
        f.px[i * 4 + 3] = 255;
    }
    return f;
}

/* Smooth colour gradients with some edges: something to stylise or classify. */
Frame frame_synthetic(int w, int h, int seed)
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
Frame frame_swap_rb(const Frame *in)
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
int frame_max_diff(const Frame *a, const Frame *b, int n_ch)
{
    if (a->w != b->w || a->h != b->h)
        return 256;
    int m = 0;
    for (int i = 0; i < a->w * a->h; i++)
        for (int c = 0; c < n_ch; c++)
            m = MAX(m, abs(a->px[i * 4 + c] - b->px[i * 4 + c]));
    return m;
}

gboolean check_diff(const Frame *got, const Frame *want, int n_ch, int tol, const char *what)
{
    const int d = frame_max_diff(got, want, n_ch);
    return test_check(d <= tol, "%s: max diff %d (<= %d)", what, d, tol);
}

GstHarness *harness_new(const char *fmt, ...)
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
void harness_free(GstHarness *h)
{
    gst_element_set_bus(h->element, NULL);
    gst_harness_teardown(h);
}

void harness_set_size(GstHarness *h, const char *format, int w, int h_)
{
    g_autofree char *caps =
        g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1", format, w, h_);
    gst_harness_set_src_caps_str(h, caps);
}

GstElement *harness_element(GstHarness *h, const char *name)
{
    GstElement *e = gst_harness_find_element(h, name);
    g_assert(e);
    return e;
}

gboolean harness_run_at(GstHarness *h, const Frame *in, GstClockTime pts, Frame *out,
                        GstFlowReturn *flow)
{
    GstBuffer *buf = gst_buffer_new_memdup(in->px, (gsize)in->w * in->h * 4);
    GST_BUFFER_PTS(buf) = pts;
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

gboolean harness_run(GstHarness *h, const Frame *in, Frame *out, GstFlowReturn *flow)
{
    return harness_run_at(h, in, GST_CLOCK_TIME_NONE, out, flow);
}

Frame harness_frame(GstHarness *h, const Frame *in)
{
    Frame out = {0};
    GstFlowReturn flow;
    if (!harness_run(h, in, &out, &flow))
        test_fatal("push returned %s", gst_flow_get_name(flow));
    return out;
}

gboolean check_swapped(const char *launch, const char *format, const Frame *in, const Frame *want,
                       int tol, const char *what)
{
    GstHarness *h = harness_new("%s", launch);
    harness_set_size(h, format, in->w, in->h);
    Frame in_bgr = frame_swap_rb(in), want_bgr = frame_swap_rb(want);
    Frame got = harness_frame(h, &in_bgr);
    const gboolean ok = check_diff(&got, &want_bgr, 4, tol, what);
    frame_clear(&got);
    frame_clear(&in_bgr);
    frame_clear(&want_bgr);
    harness_free(h);
    return ok;
}

/* The first message of type on the harness bus, or NULL. */
GstMessage *harness_message(GstHarness *h, GstMessageType type)
{
    GstBus *bus = gst_element_get_bus(h->element);
    GstMessage *msg = gst_bus_pop_filtered(bus, type);
    gst_object_unref(bus);
    return msg;
}

gboolean have_element(const char *name)
{
    GstElementFactory *factory = gst_element_factory_find(name);
    if (!factory) {
        test_fail("element %s not found (GST_PLUGIN_PATH=%s)", name, g_getenv("GST_PLUGIN_PATH"));
        return FALSE;
    }
    gst_object_unref(factory);
    return TRUE;
}

/* Whether rel exists under ../shared (prints a skip notice otherwise). */
gboolean have_shared(const char *rel)
{
    g_autofree char *path = test_shared_path(rel);
    return path != NULL;
}

/* Runs launch to its end; returns the error it posted (or NULL). */
GError *pipeline_run(const char *launch, char **warnings)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(launch, &err);
    g_assert_no_error(err);
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    GString *all = g_string_new(NULL);
    const GstMessageType types = GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_WARNING;
    GstMessage *msg;
    while ((msg = gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, types)) &&
           GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
        GError *w = NULL;
        gst_message_parse_warning(msg, &w, NULL);
        printf("  warning: %s\n", w->message);
        g_string_append_printf(all, "%s%s", all->len ? " | " : "", w->message);
        g_error_free(w);
        gst_message_unref(msg);
    }
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        printf("  error: %s (%s)\n", err->message, debug ? debug : "");
    }
    gst_clear_message(&msg);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    if (warnings)
        *warnings = g_string_free(all, FALSE);
    else
        g_string_free(all, TRUE);
    return err;
}

GError *pipeline_error(const char *launch)
{
    return pipeline_run(launch, NULL);
}

gboolean decode_file(const char *path, int width, int height, Decoded *d)
{
    g_autofree char *size =
        width > 0 && height > 0 ? g_strdup_printf(",width=%d,height=%d", width, height) : NULL;
    g_autofree char *desc =
        g_strdup_printf("filesrc location=\"%s\" ! decodebin ! videoconvert ! videoscale ! "
                        "video/x-raw,format=RGBA%s ! appsink name=sink sync=false",
                        path, size ? size : "");
    GError *err = NULL;
    GstElement *p = gst_parse_launch(desc, &err);
    if (!p) {
        return test_fail("%s", err->message);
    }
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    gst_element_set_state(p, GST_STATE_PLAYING);
    memset(d, 0, sizeof *d);
    for (;;) {
        GstSample *s = NULL;
        g_signal_emit_by_name(sink, "pull-sample", &s);
        if (!s)
            break;
        if (d->frames++ == 0) {
            GstVideoInfo info;
            gst_video_info_from_caps(&info, gst_sample_get_caps(s));
            d->width = GST_VIDEO_INFO_WIDTH(&info);
            d->height = GST_VIDEO_INFO_HEIGHT(&info);
            d->fps = (double)GST_VIDEO_INFO_FPS_N(&info) / MAX(GST_VIDEO_INFO_FPS_D(&info), 1);
            GstVideoFrame vf;
            gst_video_frame_map(&vf, &info, gst_sample_get_buffer(s), GST_MAP_READ);
            d->first = g_malloc((gsize)d->width * d->height * 4);
            for (int y = 0; y < d->height; y++)
                memcpy(d->first + (gsize)y * d->width * 4,
                       (guint8 *)GST_VIDEO_FRAME_PLANE_DATA(&vf, 0) +
                           y * GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0),
                       (gsize)d->width * 4);
            gst_video_frame_unmap(&vf);
        }
        gst_sample_unref(s);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(p);
    return d->frames > 0;
}
