/* Frames of a video file as content images, decoded by GStreamer (and
 * libav through decodebin): one frame every `period` seconds. */
#include "video.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

/* An RGB frame as a CliImage whose shorter side is `side`. */
static CliImage *frame_image(GstSample *sample, int side)
{
    GstVideoInfo info;
    GstMapInfo map;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        !gst_buffer_map(buf, &map, GST_MAP_READ))
        return NULL;
    const int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
    g_autoptr(GdkPixbuf) pb =
        gdk_pixbuf_new_from_data(map.data, GDK_COLORSPACE_RGB, FALSE, 8, w, h,
                                 GST_VIDEO_INFO_PLANE_STRIDE(&info, 0), NULL, NULL);
    const double s = (double)side / MIN(w, h);
    g_autoptr(GdkPixbuf) scaled = gdk_pixbuf_scale_simple(
        pb, MAX((int)(w * s + 0.5), side), MAX((int)(h * s + 0.5), side), GDK_INTERP_BILINEAR);
    gst_buffer_unmap(buf, &map);
    CliImage *img = g_new0(CliImage, 1);
    cli_image_from_pixbuf(scaled, img);
    return img;
}

GPtrArray *cli_video_frames(const char *path, int side, double period, int max_frames, GError **err)
{
    if (!gst_init_check(NULL, NULL, err))
        return NULL;
    g_autofree char *uri = gst_filename_to_uri(path, err);
    if (!uri)
        return NULL;
    g_autofree char *desc = g_strdup_printf(
        "uridecodebin uri=\"%s\" ! videoconvert ! videorate ! video/x-raw,format=RGB,"
        "framerate=%d/%d ! appsink name=sink sync=false max-buffers=4",
        uri, 1000, (int)(period * 1000 + 0.5));
    g_autoptr(GstElement) pipeline = gst_parse_launch(desc, err);
    if (!pipeline)
        return NULL;
    g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)cli_image_free);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstSample *sample;
    while ((int)frames->len < max_frames &&
           (sample = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        CliImage *img = frame_image(sample, side);
        gst_sample_unref(sample);
        if (img)
            g_ptr_array_add(frames, img);
    }
    /* A decoding error ends the stream early: report it if nothing came. */
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    if (frames->len == 0) {
        if (msg)
            gst_message_parse_error(msg, err, NULL);
        else
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "no video frame in %s", path);
        g_clear_pointer(&frames, g_ptr_array_unref);
    }
    return frames;
}
