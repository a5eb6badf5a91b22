/* Reading vksaliency's buffer metadata (GStreamer >= 1.24) downstream: runs
 * a gst-launch description and, from a pad probe on the element named
 * "sink", prints each buffer's GstAnalyticsClsMtd (the top classes and
 * their probabilities) and, with GStreamer >= 1.26 and tensor-meta=true,
 * the GstTensorMeta's tensors.
 *
 *   saliency_meta 'videotestsrc num-buffers=3 ! videoconvert !
 *       vksaliency model=M.onnx labels=L.txt tensor-meta=true ! fakesink name=sink'
 *
 * Build tree: GST_PLUGIN_PATH=build/gst-plugins build/pipelines/saliency_meta ...
 * (built where meson found gstreamer-analytics-1.0; docs/elements.md).
 */
#include <gst/analytics/analytics.h>
#include <gst/gst.h>

#include <stdio.h>

static void print_classes(GstBuffer *buf)
{
    GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta(buf);
    GstAnalyticsClsMtd cls;
    gpointer state = NULL;

    while (rmeta && gst_analytics_relation_meta_iterate(rmeta, &state,
                                                        gst_analytics_cls_mtd_get_mtd_type(), &cls))
        for (gsize i = 0; i < gst_analytics_cls_mtd_get_length(&cls); i++)
            printf("  class %s: %.4f\n",
                   g_quark_to_string(gst_analytics_cls_mtd_get_quark(&cls, i)),
                   gst_analytics_cls_mtd_get_level(&cls, i));
}

#if GST_CHECK_VERSION(1, 26, 0)
static void print_tensors(GstBuffer *buf)
{
    GstTensorMeta *tmeta = gst_buffer_get_tensor_meta(buf);

    for (gsize i = 0; tmeta && i < tmeta->num_tensors; i++) {
        const GstTensor *t = gst_tensor_meta_get(tmeta, i);
        printf("  tensor %s: %" G_GSIZE_FORMAT " dims (", g_quark_to_string(t->id), t->num_dims);
        for (gsize d = 0; d < t->num_dims; d++)
            printf("%s%" G_GSIZE_FORMAT, d ? " x " : "", t->dims[d]);
        printf("), %" G_GSIZE_FORMAT " bytes\n", gst_buffer_get_size(t->data));
    }
}
#endif

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);

    printf("buffer %" GST_TIME_FORMAT ":%s\n", GST_TIME_ARGS(GST_BUFFER_PTS(buf)),
           gst_buffer_get_analytics_relation_meta(buf) ? "" : " no classification meta");
    print_classes(buf);
#if GST_CHECK_VERSION(1, 26, 0)
    print_tensors(buf);
#endif
    return GST_PAD_PROBE_OK;
}

int main(int argc, char **argv)
{
    GError *err = NULL;

    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: %s 'LAUNCH ... ! fakesink name=sink'\n", argv[0]);
        return 2;
    }
    GstElement *pipeline = gst_parse_launch(argv[1], &err);
    GstElement *sink = pipeline ? gst_bin_get_by_name(GST_BIN(pipeline), "sink") : NULL;
    if (!sink) {
        fprintf(stderr, "%s\n", err ? err->message : "no element named \"sink\"");
        return 1;
    }
    GstPad *pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
    gst_object_unref(pad);
    gst_object_unref(sink);

    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int status = 0;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "error: %s\n", err->message);
        g_clear_error(&err);
        status = 1;
    }
    gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return status;
}
