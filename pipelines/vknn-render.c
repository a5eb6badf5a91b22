/* vknn-render: stylise a video file into an MP4, with a progress line.
 *
 *   vknn-render IN OUT.mp4 [--model STYLE.onnx|builtin:NAME |
 *                           --style-image IMG[,IMG --style-weights W,W] [--alpha A]
 *                           [--no-palette]]
 *               [--strength S] [--scale X]
 *               [--seconds N] [--preserve-colors] [--temporal [--temporal-strength T]]
 *
 * Decodes through decodebin (libav decoders via gst-libav), runs
 * vkstyletransfer on every frame, encodes H.264 with x264enc (or MPEG-4 Part 2
 * with libav's avenc_mpeg4 where x264 is not installed) into MP4; an audio
 * track is re-encoded to AAC and kept. Prints frames done, fps and ETA.
 * --temporal stabilises the stylisation along the optical flow
 * (vkstyletransfer temporal=flow): steady strokes instead of flicker.
 */
#include <gst/gst.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    GstElement *pipeline, *mux, *video_in;
    GMainLoop *loop;
    guint64 frames;    /* stylised, leaving vkstyletransfer */
    guint64 frames_in; /* decoded, entering the video branch (after --seconds) */
    gboolean done;     /* EOS reached: frames_in is the exact total */
    gint64 start_us;
    gdouble fps_in;  /* source frame rate, for the frame total */
    gint64 limit_ns; /* --seconds, or -1 */
    gboolean eos_sent;
    GstClockTime first_pts;
    gboolean failed;
    gint decoded_any; /* atomic: a frame was decoded (the start-up watchdog) */
    const char *input;
} Render;

static gchar *opt_model;       /* NULL: the element's default, a built-in style */
static gchar *opt_style_image; /* any image as the style, instead of a model */
static gdouble opt_alpha = 1.0;
static gboolean opt_palette = TRUE;
static gchar *opt_style_weights; /* several style images: their blend */
static gdouble opt_strength = 1.0, opt_scale = 1.0;
static gint opt_seconds = 0;
static gboolean opt_preserve, opt_temporal;
static gdouble opt_temporal_strength = 0.8;

static GstElement *make(const char *factory, GError **err)
{
    GstElement *e = gst_element_factory_make(factory, NULL);
    if (!e)
        g_set_error(err, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                    "GStreamer element '%s' is missing (see scripts/deps.sh)", factory);
    return e;
}

static const char *video_encoder(void)
{
    GstElementFactory *f = gst_element_factory_find("x264enc");
    if (f) {
        gst_object_unref(f);
        return "x264enc";
    }
    return "avenc_mpeg4";
}

static gboolean send_eos(gpointer data)
{
    gst_element_send_event(((Render *)data)->pipeline, gst_event_new_eos());
    return G_SOURCE_REMOVE;
}

/* Counts the decoded frames and notes the first one's time. --seconds:
 * drops decoded frames beyond the limit before they are stylised, and ends
 * the stream. */
static GstPadProbeReturn decoded_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    Render *r = data;
    const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
    g_atomic_int_set(&r->decoded_any, TRUE);
    /* Clips need not start at 0 (edit lists, B-frame delay): count from the first frame. */
    if (!GST_CLOCK_TIME_IS_VALID(r->first_pts) && GST_CLOCK_TIME_IS_VALID(pts))
        r->first_pts = pts;
    if (r->limit_ns <= 0 || !GST_CLOCK_TIME_IS_VALID(pts) ||
        pts < r->first_pts + (GstClockTime)r->limit_ns) {
        r->frames_in++;
        return GST_PAD_PROBE_OK;
    }
    if (!r->eos_sent) {
        r->eos_sent = TRUE;
        g_idle_add(send_eos, r);
    }
    return GST_PAD_PROBE_DROP;
}

/* Seconds from PLAYING to the first decoded frame after which the input is
 * taken as undecodable. A corrupt file normally fails with an error from
 * the demuxer, but GStreamer 1.26's decodebin sometimes loses it ("got eos
 * but no streams", then nothing: 1 run in 4 on Debian 13 with a Vulkan
 * element downstream) and the pipeline would wait in PREROLLING forever. The
 * first frame needs no network (it is counted before vkstyletransfer), so
 * any real input is far below this. */
#define STARTUP_TIMEOUT_S 30

static gboolean startup_watchdog(gpointer data)
{
    Render *r = data;
    if (!g_atomic_int_get(&r->decoded_any) && !r->done && !r->failed) {
        fprintf(stderr,
                "vknn-render: error: no video frame decoded in %d s: the input is not a video "
                "GStreamer can decode, or its decoder stalled\n",
                STARTUP_TIMEOUT_S);
        r->failed = TRUE;
        g_main_loop_quit(r->loop);
    }
    return G_SOURCE_REMOVE;
}

/* Counts stylised frames as they leave the filter. */
static GstPadProbeReturn count_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    Render *r = data;
    if (r->frames++ == 0)
        r->start_us = g_get_monotonic_time();
    return GST_PAD_PROBE_OK;
}

/* The frame total: exact (the frames decoded) once the stream has ended;
 * until then an estimate, the duration times the frame rate, as the
 * container states them. They need not agree with the frames there are:
 * intel_book.mkv states 3.666 s at 30 fps, 110 frames, and holds 109 (from
 * 33 ms on); a phone's variable-rate clip states a nominal rate. */
static double frame_total(Render *r)
{
    if (r->done)
        return (double)r->frames_in;
    gint64 dur = -1;
    if (!gst_element_query_duration(r->pipeline, GST_FORMAT_TIME, &dur))
        dur = -1;
    if (r->limit_ns > 0 && (dur < 0 || dur > r->limit_ns))
        dur = r->limit_ns;
    const double total =
        dur > 0 && r->fps_in > 0 ? (double)(gint64)(dur / 1e9 * r->fps_in + 0.5) : 0;
    return total > 0 ? MAX(total, (double)r->frames) : 0;
}

static gboolean print_progress(gpointer data)
{
    Render *r = data;
    const double elapsed = (g_get_monotonic_time() - r->start_us) / 1e6;
    const double fps = r->frames > 1 && elapsed > 0 ? (r->frames - 1) / elapsed : 0;
    const double total = frame_total(r);
    if (total > 0 && fps > 0) {
        const int eta = (int)MAX(0, (total - r->frames) / fps);
        fprintf(stderr,
                "\rrender: frame %" G_GUINT64_FORMAT "/%.0f (%3.0f%%), %.2f fps, ETA %d:%02d   ",
                r->frames, total, 100.0 * MIN(r->frames / total, 1.0), fps, eta / 60, eta % 60);
    } else {
        fprintf(stderr, "\rrender: frame %" G_GUINT64_FORMAT ", %.2f fps   ", r->frames, fps);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean link_audio(Render *r, GstPad *pad, GError **err)
{
    const char *chain[] = {"queue", "audioconvert", "audioresample", "avenc_aac"};
    GstElement *prev = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(chain); i++) {
        GstElement *e = make(chain[i], err);
        if (!e)
            return FALSE;
        gst_bin_add(GST_BIN(r->pipeline), e);
        gst_element_sync_state_with_parent(e);
        if (prev)
            gst_element_link(prev, e);
        else
            gst_pad_link(pad, gst_element_get_static_pad(e, "sink"));
        prev = e;
    }
    return gst_element_link(prev, r->mux);
}

static void on_pad_added(GstElement *decodebin, GstPad *pad, gpointer data)
{
    Render *r = data;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    const char *name = gst_structure_get_name(s);
    GError *err = NULL;
    if (g_str_has_prefix(name, "video/")) {
        gint n = 0, d = 1;
        if (gst_structure_get_fraction(s, "framerate", &n, &d) && d)
            r->fps_in = (double)n / d;
        GstPad *sink = gst_element_get_static_pad(r->video_in, "sink");
        if (!gst_pad_is_linked(sink))
            gst_pad_link(pad, sink);
        gst_object_unref(sink);
    } else if (g_str_has_prefix(name, "audio/") && !link_audio(r, pad, &err)) {
        fprintf(stderr, "\nvknn-render: warning: dropping the audio track: %s\n",
                err ? err->message : "cannot link");
        g_clear_error(&err);
    }
    gst_caps_unref(caps);
}

static gboolean report_no_video(gpointer data)
{
    Render *r = data;
    if (!r->failed) {
        fprintf(stderr, "\nvknn-render: error: %s has no video stream\n", r->input);
        r->failed = TRUE;
        g_main_loop_quit(r->loop);
    }
    return G_SOURCE_REMOVE;
}

/* decodebin has exposed every stream: without a video one there is
 * nothing to stylise, and the muxer would wait for it forever. */
static void on_no_more_pads(GstElement *decodebin, gpointer data)
{
    Render *r = data;
    GstPad *sink = gst_element_get_static_pad(r->video_in, "sink");
    const gboolean linked = gst_pad_is_linked(sink);
    gst_object_unref(sink);
    if (!linked)
        g_idle_add(report_no_video, r);
}

static gboolean on_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    Render *r = data;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &err, &dbg);
        fprintf(stderr, "\nvknn-render: error: %s (%s)\n", err->message, dbg ? dbg : "");
        g_error_free(err);
        g_free(dbg);
        r->failed = TRUE;
        g_main_loop_quit(r->loop);
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        r->done = TRUE;
        g_main_loop_quit(r->loop);
    }
    return G_SOURCE_CONTINUE;
}

/* filesrc ! decodebin ; video: queue ! videoconvert ! vkstyletransfer !
 * videoconvert ! ENCODER ! mp4mux ! filesink */
static gboolean build(Render *r, const char *in, const char *out, GError **err)
{
    /* 4:2:0: videoconvert would pick 4:4:4 for RGBA input, which x264 encodes
     * as High 4:4:4, a profile most players cannot decode. */
    const char *video[] = {"queue",        "videoconvert", "vkstyletransfer",
                           "videoconvert", "capsfilter",   video_encoder()};
    r->pipeline = gst_pipeline_new("render");
    GstElement *src = make("filesrc", err), *dec = src ? make("decodebin", err) : NULL;
    r->mux = dec ? make("mp4mux", err) : NULL;
    GstElement *sink = r->mux ? make("filesink", err) : NULL;
    if (!sink)
        return FALSE;
    g_object_set(src, "location", in, NULL);
    g_object_set(sink, "location", out, NULL);
    gst_bin_add_many(GST_BIN(r->pipeline), src, dec, r->mux, sink, NULL);
    gst_element_link(src, dec);
    gst_element_link(r->mux, sink);
    GstElement *prev = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(video); i++) {
        GstElement *e = make(video[i], err);
        if (!e)
            return FALSE;
        gst_bin_add(GST_BIN(r->pipeline), e);
        if (prev && !gst_element_link(prev, e)) {
            g_set_error(err, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link %s",
                        video[i]);
            return FALSE;
        }
        if (!prev) {
            r->video_in = e;
            GstPad *pad = gst_element_get_static_pad(e, "sink");
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, decoded_frame, r, NULL);
            gst_object_unref(pad);
        }
        if (g_str_equal(video[i], "capsfilter")) {
            GstCaps *caps = gst_caps_from_string("video/x-raw,format=I420");
            g_object_set(e, "caps", caps, NULL);
            gst_caps_unref(caps);
        }
        if (g_str_equal(video[i], "vkstyletransfer")) {
            if (opt_model)
                g_object_set(e, "model", opt_model, NULL);
            if (opt_style_image)
                g_object_set(e, "style-image", opt_style_image, "alpha", opt_alpha, "palette",
                             opt_palette, NULL);
            if (opt_style_weights)
                g_object_set(e, "style-weights", opt_style_weights, NULL);
            g_object_set(e, "strength", opt_strength, "scale", opt_scale, "preserve-colors",
                         opt_preserve, "temporal-strength", opt_temporal_strength, NULL);
            gst_util_set_object_arg(G_OBJECT(e), "temporal", opt_temporal ? "flow" : "off");
            GstPad *pad = gst_element_get_static_pad(e, "src");
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, r, NULL);
            gst_object_unref(pad);
        }
        prev = e;
    }
    if (!gst_element_link(prev, r->mux)) {
        g_set_error(err, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                    "cannot link the encoder to mp4mux");
        return FALSE;
    }
    g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), r);
    g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), r);
    r->input = in;
    return TRUE;
}

/* The first path of a style-image list that is no file, or NULL: the
 * element's rule (cli/style_images.c), comma-separated unless the whole
 * list names a file. */
static const char *unreadable_style(const char *list)
{
    static gchar **paths; /* lives with the process: the caller prints one */
    if (g_file_test(list, G_FILE_TEST_IS_REGULAR))
        return NULL;
    paths = g_strsplit(list, ",", -1);
    for (int k = 0; paths[k]; k++)
        if (!g_file_test(paths[k], G_FILE_TEST_IS_REGULAR))
            return paths[k];
    return NULL;
}

int main(int argc, char **argv)
{
    const GOptionEntry entries[] = {
        {"model", 'm', 0, G_OPTION_ARG_FILENAME, &opt_model,
         "Style model: an ONNX file or builtin:NAME (default: builtin:starry_night)", "FILE"},
        {"style-image", 0, 0, G_OPTION_ARG_FILENAME, &opt_style_image,
         "Any image as the style instead of a model (no training: vkstyletransfer style-image=)",
         "IMG"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha,
         "With --style-image: 0 the content .. 1 the style's statistics (default 1)", "A"},
        {"style-weights", 0, 0, G_OPTION_ARG_STRING, &opt_style_weights,
         "Several style images (comma-separated) or builtin:paintings: their blend, e.g. 0.3,0.7",
         "W,W"},
        {"no-palette", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &opt_palette,
         "With --style-image: keep the decoder's colours, not the painting's (palette=false)",
         NULL},
        {"strength", 's', 0, G_OPTION_ARG_DOUBLE, &opt_strength, "Blend 0..1 (default 1)", "S"},
        {"scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt_scale, "Inference scale 0.1..1 (default 1)", "X"},
        {"seconds", 't', 0, G_OPTION_ARG_INT, &opt_seconds, "Render only the first N seconds", "N"},
        {"preserve-colors", 0, 0, G_OPTION_ARG_NONE, &opt_preserve, "Keep the input's colours",
         NULL},
        {"temporal", 0, 0, G_OPTION_ARG_NONE, &opt_temporal,
         "Stabilise along the optical flow: no flicker (vkstyletransfer temporal=flow)", NULL},
        {"temporal-strength", 0, 0, G_OPTION_ARG_DOUBLE, &opt_temporal_strength,
         "With --temporal: weight of the previous frame 0..1 (default 0.8)", "T"},
        {NULL},
    };
    GError *err = NULL;
    GOptionContext *oc = g_option_context_new("IN OUT.mp4 - stylise a video file");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_option_context_add_group(oc, gst_init_get_option_group());
    if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 3) {
        fprintf(stderr, "vknn-render: error: %s\nusage: vknn-render IN OUT.mp4 [--model STYLE]\n",
                err ? err->message : "need IN and OUT");
        return 2;
    }
    g_option_context_free(oc);
    const gboolean builtin = opt_model && g_str_has_prefix(opt_model, "builtin:");
    const char *unreadable =
        !g_file_test(argv[1], G_FILE_TEST_IS_REGULAR)                              ? argv[1]
        : opt_model && !builtin && !g_file_test(opt_model, G_FILE_TEST_IS_REGULAR) ? opt_model
        : opt_style_image ? unreadable_style(opt_style_image)
                          : NULL;
    if (unreadable) {
        fprintf(stderr, "vknn-render: error: cannot read %s\n", unreadable);
        return 1;
    }
    Render r = {.limit_ns = opt_seconds > 0 ? opt_seconds * GST_SECOND : -1,
                .first_pts = GST_CLOCK_TIME_NONE};
    r.loop = g_main_loop_new(NULL, FALSE);
    if (!build(&r, argv[1], argv[2], &err)) {
        fprintf(stderr, "vknn-render: error: %s\n", err->message);
        return 1;
    }
    GstBus *bus = gst_element_get_bus(r.pipeline);
    gst_bus_add_watch(bus, on_message, &r);
    r.start_us = g_get_monotonic_time();
    if (gst_element_set_state(r.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* The error message on the bus says why. */
        GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        if (m)
            on_message(bus, m, &r), gst_message_unref(m);
        else
            fprintf(stderr, "vknn-render: error: the pipeline does not start\n");
        return 1;
    }
    const guint timer = g_timeout_add(500, print_progress, &r);
    const guint watchdog = g_timeout_add_seconds(STARTUP_TIMEOUT_S, startup_watchdog, &r);
    g_main_loop_run(r.loop);
    g_source_remove(timer);
    if (g_main_context_find_source_by_id(NULL, watchdog))
        g_source_remove(watchdog);
    print_progress(&r);
    gst_element_set_state(r.pipeline, GST_STATE_NULL);
    const double secs = (g_get_monotonic_time() - r.start_us) / 1e6;
    if (!r.failed)
        fprintf(stderr, "\nrender: %" G_GUINT64_FORMAT " frames in %.1f s (%.2f fps) -> %s (%s)\n",
                r.frames, secs, r.frames / MAX(secs, 1e-3), argv[2], video_encoder());
    if (!r.failed && r.frames != r.frames_in)
        fprintf(stderr,
                "vknn-render: warning: %" G_GUINT64_FORMAT " frames decoded, %" G_GUINT64_FORMAT
                " stylised\n",
                r.frames_in, r.frames);
    gst_object_unref(bus);
    gst_object_unref(r.pipeline);
    g_main_loop_unref(r.loop);
    return r.failed ? 1 : 0;
}
