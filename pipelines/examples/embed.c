/* Embedding vkstyletransfer in an application: builds a pipeline, receives
 * stylised frames through appsink, and changes strength and style while it
 * plays.
 *
 *   embed STYLE1.onnx STYLE2.onnx [FRAMES]
 *
 * Build tree: GST_PLUGIN_PATH=build/gst-plugins build/pipelines/embed ...
 */
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    GstElement *style;
    const char *second_model;
    int frames, total;
} App;

/* Mean of the red channel: enough to see the picture change. */
static double mean_red(GstSample *sample)
{
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    double sum = 0;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ))
        return -1;
    for (gsize i = 0; i < map.size; i += 4)
        sum += map.data[i];
    gst_buffer_unmap(buf, &map);
    return sum / (map.size / 4);
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
    App *app = data;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    const int n = ++app->frames;
    printf("frame %3d: mean red %.1f\n", n, mean_red(sample));
    gst_sample_unref(sample);
    /* Properties may be changed from any thread while playing. */
    if (n == app->total / 3) {
        printf("-> strength 0.5\n");
        g_object_set(app->style, "strength", 0.5, NULL);
    } else if (n == 2 * app->total / 3) {
        printf("-> model %s (loads in the background; frames keep flowing)\n", app->second_model);
        g_object_set(app->style, "strength", 1.0, "model", app->second_model, NULL);
    }
    return GST_FLOW_OK;
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    if (argc < 3) {
        fprintf(stderr, "usage: %s STYLE1.onnx STYLE2.onnx [FRAMES]\n", argv[0]);
        return 2;
    }
    App app = {.second_model = argv[2], .total = argc > 3 ? atoi(argv[3]) : 30};
    gchar *desc = g_strdup_printf(
        "videotestsrc num-buffers=%d ! video/x-raw,format=RGBA,width=160,height=120 ! "
        "vkstyletransfer name=style model=\"%s\" ! appsink name=sink sync=false",
        app.total, argv[1]);
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch(desc, &err);
    g_free(desc);
    if (!pipeline) {
        fprintf(stderr, "embed: %s\n", err->message);
        return 1;
    }
    app.style = gst_bin_get_by_name(GST_BIN(pipeline), "style");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GstAppSinkCallbacks cb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, &app, NULL);

    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int rc = 0;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "embed: error: %s\n", err->message);
        g_error_free(err);
        rc = 1;
    }
    printf("%d frames received\n", app.frames);
    gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(app.style);
    gst_object_unref(pipeline);
    return rc;
}
