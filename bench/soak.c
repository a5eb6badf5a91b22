/* vknn-soak: one element in a live pipeline for N minutes, changed at random
 * (seeded) intervals, sampled every 30 s. Driven by bench/soak.sh; not CI.
 *
 *   vknn-soak --element NAME [--minutes M] [--seed S] [--shared DIR]
 *             [--max-interval SEC] [--sample-seconds SEC] [--max-slope KB_PER_MIN]
 *
 *   videotestsrc is-live=true ! capsfilter ! ELEMENT ! fakesink
 *
 * Actions: property changes with valid values; values the element must refuse
 * (a warning, the stream going on); model switches, also to models that
 * cannot load; renegotiations (capsfilter to a new size and format, odd sizes
 * included); state cycles. Samples: RSS, threads, open fds (/proc/self),
 * libvknn's device buffers (the element's `stats`), frames out. Exit status
 * 1 when the bus carried an ERROR, frames stopped for a whole sample period,
 * device buffers outlived the pipeline, or RSS grew faster than --max-slope
 * after the first two minutes (start-up allocations are not a leak).
 */
#include <gst/gst.h>

#include <dirent.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ACT_PROP, ACT_INVALID, ACT_MODEL, ACT_BAD_MODEL, ACT_RENEGOTIATE, ACT_STATE, N_ACT };
static const char *const act_names[N_ACT] = {"prop",      "invalid",     "model",
                                             "bad-model", "renegotiate", "state"};
/* Percent of actions of each kind. */
static const int act_weights[N_ACT] = {40, 15, 15, 5, 15, 10};

typedef struct {
    double t_s;
    long rss_kb, threads, fds;
    int device_buffers;
    guint64 frames;
} Sample;

typedef struct {
    const char *element, *shared;
    double minutes, max_interval, max_slope;
    int sample_s;
    GRand *rand;
    GMainLoop *loop;
    GstElement *pipeline, *filter, *caps;
    gint64 t0;
    gint frames;         /* buffers out of the filter (atomic: streaming thread) */
    guint64 last_frames; /* at the previous sample */
    const char *model;   /* last valid model set (style: 2 styles or 1) */
    const char *framerate;
    guint acts[N_ACT];
    guint warnings, errors, stalls;
    GHashTable *messages; /* "WARNING: text" -> count */
    GArray *samples;
    gboolean restarting;
} Soak;

static double now_s(Soak *s)
{
    return (g_get_monotonic_time() - s->t0) / 1e6;
}

static void logf_(Soak *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void logf_(Soak *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%7.1f s] %s\n", now_s(s), text);
}

static const char *pick(Soak *s, const char *const *list)
{
    int n = 0;
    while (list[n])
        n++;
    return list[g_rand_int_range(s->rand, 0, n)];
}

/* Sets a property from a string, as gst-launch does: one code path for
 * enums, numbers, strings and value arrays. */
static void set(Soak *s, guint kind, const char *name, const char *value)
{
    s->acts[kind]++;
    logf_(s, "%s %s=%s", act_names[kind], name, value);
    gst_util_set_object_arg(G_OBJECT(s->filter), name, value);
}

static gchar *shared_path(Soak *s, const char *rel)
{
    return g_build_filename(s->shared, rel, NULL);
}

/* ---- per-element actions ------------------------------------------------ */

static const char *const colormaps[] = {"turbo", "jet", "inferno", "viridis", "gray", NULL};
static const char *const classifiers[] = {"models/classify/squeezenet1_1.onnx",
                                          "models/classify/mobilenet_v2_1.0_224.onnx", NULL};
/* Multi-style: the style-weights/style-index actions need one. */
static const char *const style_models[] = {"builtin:starry_night",
                                           "builtin:wave",
                                           "builtin:paintings",
                                           "builtin:paintings",
                                           "models/style/small/candy_nc8.onnx",
                                           "models/style/small/mosaic_nc8.onnx",
                                           NULL};

/* Properties vksaliency and vkactivationmap share (GstVknnExplainFilter). */
static void prop_explain(Soak *s)
{
    g_autofree gchar *v = NULL;
    switch (g_rand_int_range(s->rand, 0, 8)) {
    case 0:
        set(s, ACT_PROP, "colormap", pick(s, colormaps));
        return;
    case 1:
        v = g_strdup_printf("%.2f", g_rand_double_range(s->rand, 0, 1));
        set(s, ACT_PROP, "alpha", v);
        return;
    case 2:
        set(s, ACT_PROP, "mean",
            g_rand_boolean(s->rand) ? "<0.485, 0.456, 0.406>" : "<0.5, 0.5, 0.5>");
        return;
    case 3:
        set(s, ACT_PROP, "std",
            g_rand_boolean(s->rand) ? "<0.229, 0.224, 0.225>" : "<0.25, 0.25, 0.25>");
        return;
    case 4:
        /* Multiples of 16 from 96 to 256: small enough for lavapipe. */
        v = g_strdup_printf("%d", 16 * g_rand_int_range(s->rand, 6, 17));
        set(s, ACT_PROP, g_rand_boolean(s->rand) ? "input-width" : "input-height", v);
        return;
    case 5:
        set(s, ACT_PROP, "resize-mode", g_rand_boolean(s->rand) ? "crop" : "stretch");
        return;
    case 6:
        v = g_strdup_printf("%d", g_rand_int_range(s->rand, 1, 5));
        set(s, ACT_PROP, "interval", v);
        return;
    default:
        v = g_strdup_printf("%.2f", g_rand_double_range(s->rand, 0, 0.9));
        set(s, ACT_PROP, "smoothing", v);
        return;
    }
}

static void invalid_explain(Soak *s)
{
    static const char *const bad[][2] = {
        {"std", "<0.2, 0, 0.2>"},         {"std", "<-1, 1, 1>"},      {"mean", "<0.5, 0.5>"},
        {"mean", "<0.5, 0.5, 0.5, 0.5>"}, {"layer", "no-such-layer"},
    };
    const int i = g_rand_int_range(s->rand, 0, G_N_ELEMENTS(bad));
    set(s, ACT_INVALID, bad[i][0], bad[i][1]);
}

static void prop_saliency(Soak *s)
{
    static const char *const methods[] = {"gradcam", "gradcam",    "gradient",
                                          "guided",  "smoothgrad", NULL};
    g_autofree gchar *v = NULL;
    switch (g_rand_int_range(s->rand, 0, 4)) {
    case 0:
        set(s, ACT_PROP, "method", pick(s, methods));
        return;
    case 1:
        v = g_strdup_printf("%d",
                            g_rand_boolean(s->rand) ? -1 : g_rand_int_range(s->rand, 0, 1000));
        set(s, ACT_PROP, "target-class", v);
        return;
    case 2: {
        g_autofree gchar *labels = shared_path(s, "models/classify/imagenet_classes.txt");
        set(s, ACT_PROP, "labels", labels);
        return;
    }
    default:
        prop_explain(s);
        return;
    }
}

static void invalid_saliency(Soak *s)
{
    switch (g_rand_int_range(s->rand, 0, 3)) {
    case 0:
        set(s, ACT_INVALID, "target-class", "5000");
        return;
    case 1:
        set(s, ACT_INVALID, "labels", "/nonexistent/labels.txt");
        return;
    default:
        invalid_explain(s);
        return;
    }
}

static void prop_activation(Soak *s)
{
    g_autofree gchar *v = NULL;
    switch (g_rand_int_range(s->rand, 0, 5)) {
    case 0:
        v = g_strdup_printf("%d", g_rand_int_range(s->rand, -2, 64));
        set(s, ACT_PROP, "channel", v);
        return;
    case 1:
        set(s, ACT_PROP, "mode", g_rand_boolean(s->rand) ? "overlay" : "grid");
        return;
    case 2:
        v = g_strdup_printf("%d", g_rand_int_range(s->rand, 1, 129));
        set(s, ACT_PROP, "grid-channels", v);
        return;
    case 3:
        set(s, ACT_PROP, "normalize", g_rand_boolean(s->rand) ? "per-frame" : "running");
        return;
    default:
        prop_explain(s);
        return;
    }
}

static void invalid_activation(Soak *s)
{
    if (g_rand_boolean(s->rand))
        set(s, ACT_INVALID, "channel", "100000");
    else
        invalid_explain(s);
}

/* Styles of the current model: builtin:paintings holds five. */
static int style_count(Soak *s)
{
    return g_strcmp0(s->model, "builtin:paintings") == 0 ? 5 : 1;
}

static void prop_style(Soak *s)
{
    g_autofree gchar *v = NULL;
    switch (g_rand_int_range(s->rand, 0, 6)) {
    case 0:
        v = g_strdup_printf("%.2f", g_rand_double_range(s->rand, 0, 1));
        set(s, ACT_PROP, "strength", v);
        return;
    case 1:
        set(s, ACT_PROP, "preserve-colors", g_rand_boolean(s->rand) ? "true" : "false");
        return;
    case 2:
        v = g_strdup_printf("%.2f", g_rand_double_range(s->rand, 0.3, 1));
        set(s, ACT_PROP, "scale", v);
        return;
    case 3:
        set(s, ACT_PROP, "precision", g_rand_boolean(s->rand) ? "fp16-tiles" : "fp32");
        return;
    case 4:
        v = g_strdup_printf("%d",
                            g_rand_int_range(s->rand, style_count(s) > 1 ? -1 : 0, style_count(s)));
        set(s, ACT_PROP, "style-index", v);
        return;
    default: {
        GString *w = g_string_new(NULL);
        for (int i = 0; i < style_count(s); i++)
            g_string_append_printf(w, "%s%.2f", i ? "," : "",
                                   g_rand_double_range(s->rand, i ? 0 : 0.1, 1));
        v = g_string_free(w, FALSE);
        set(s, ACT_PROP, "style-weights", v);
        return;
    }
    }
}

static void invalid_style(Soak *s)
{
    static const char *const bad[][2] = {
        {"style-weights", "abc"},
        {"style-weights", "nan,1"},
        {"style-weights", "inf,-inf"},
        {"style-weights", "0,0"},
        {"style-weights", "1,1,1,1,1,1"},
        {"style-index", "5"},
        {"model", ""},
    };
    const int i = g_rand_int_range(s->rand, 0, G_N_ELEMENTS(bad));
    set(s, ACT_INVALID, bad[i][0], bad[i][1]);
}

static gboolean is_style(Soak *s)
{
    return g_str_equal(s->element, "vkstyletransfer");
}

static void switch_model(Soak *s)
{
    const char *m = pick(s, is_style(s) ? style_models : classifiers);
    g_autofree gchar *path = g_str_has_prefix(m, "builtin:") ? g_strdup(m) : shared_path(s, m);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) && !g_str_has_prefix(m, "builtin:"))
        return; /* ../shared lacks it: skip rather than count a failure */
    s->model = m;
    set(s, ACT_MODEL, "model", path);
}

/* Models that cannot load: missing, not ONNX, the other kind of network. The
 * running one must keep running. */
static void bad_model(Soak *s)
{
    g_autofree gchar *other =
        shared_path(s, is_style(s) ? classifiers[0] : "models/style/small/candy_nc8.onnx");
    g_autofree gchar *text = shared_path(s, "models/classify/imagenet_classes.txt");
    switch (g_rand_int_range(s->rand, 0, 3)) {
    case 0:
        set(s, ACT_BAD_MODEL, "model", "/nonexistent/model.onnx");
        return;
    case 1:
        set(s, ACT_BAD_MODEL, "model", text);
        return;
    default:
        set(s, ACT_BAD_MODEL, "model", other);
        return;
    }
}

static void renegotiate(Soak *s)
{
    static const char *const formats[] = {"RGBA", "BGRA", "RGBx", "BGRx", NULL};
    /* Odd sizes on purpose: row strides and crops that are not multiples. */
    const int w = g_rand_int_range(s->rand, 160, 321), h = g_rand_int_range(s->rand, 120, 241);
    g_autofree gchar *caps =
        g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=%s", pick(s, formats),
                        w, h, s->framerate);
    s->acts[ACT_RENEGOTIATE]++;
    logf_(s, "renegotiate %s", caps);
    GstCaps *c = gst_caps_from_string(caps);
    g_object_set(s->caps, "caps", c, NULL);
    gst_caps_unref(c);
}

static void state_cycle(Soak *s)
{
    const GstState mid = g_rand_boolean(s->rand) ? GST_STATE_READY : GST_STATE_PAUSED;
    s->acts[ACT_STATE]++;
    logf_(s, "state PLAYING->%s->PLAYING", gst_element_state_get_name(mid));
    gst_element_set_state(s->pipeline, mid);
    gst_element_get_state(s->pipeline, NULL, NULL, 10 * GST_SECOND);
    gst_element_set_state(s->pipeline, GST_STATE_PLAYING);
}

static gboolean on_action(gpointer data)
{
    Soak *s = data;
    if (!s->restarting) {
        int r = g_rand_int_range(s->rand, 0, 100), kind = 0;
        while (r >= act_weights[kind])
            r -= act_weights[kind++];
        switch (kind) {
        case ACT_PROP:
            if (is_style(s))
                prop_style(s);
            else if (g_str_equal(s->element, "vksaliency"))
                prop_saliency(s);
            else
                prop_activation(s);
            break;
        case ACT_INVALID:
            if (is_style(s))
                invalid_style(s);
            else if (g_str_equal(s->element, "vksaliency"))
                invalid_saliency(s);
            else
                invalid_activation(s);
            break;
        case ACT_MODEL:
            switch_model(s);
            break;
        case ACT_BAD_MODEL:
            bad_model(s);
            break;
        case ACT_RENEGOTIATE:
            renegotiate(s);
            break;
        default:
            state_cycle(s);
            break;
        }
    }
    g_timeout_add((guint)(1000 * g_rand_double_range(s->rand, 0.5, s->max_interval)), on_action, s);
    return G_SOURCE_REMOVE;
}

/* ---- samples ------------------------------------------------------------ */

static long status_field(const char *name)
{
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return -1;
    const char *p = strstr(text, name);
    return p ? atol(p + strlen(name)) : -1;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = -1; /* the directory's own fd */
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 2; /* . and .. */
}

static int device_buffers(Soak *s)
{
    GstStructure *st = NULL;
    int n = -1;
    g_object_get(s->filter, "stats", &st, NULL);
    if (st)
        gst_structure_get_int(st, "device-buffers", &n);
    gst_structure_free(st);
    return n;
}

static gboolean on_sample(gpointer data)
{
    Soak *s = data;
    Sample x = {
        .t_s = now_s(s),
        .rss_kb = status_field("VmRSS:"),
        .threads = status_field("Threads:"),
        .fds = open_fds(),
        .device_buffers = device_buffers(s),
        .frames = (guint64)g_atomic_int_get(&s->frames),
    };
    if (s->samples->len > 0 && x.frames == s->last_frames) {
        s->stalls++;
        logf_(s, "STALL: no frame in the last %d s", s->sample_s);
    }
    s->last_frames = x.frames;
    g_array_append_val(s->samples, x);
    printf("sample,%s,%.0f,%ld,%ld,%ld,%d,%" G_GUINT64_FORMAT ",%u,%u\n", s->element, x.t_s,
           x.rss_kb, x.threads, x.fds, x.device_buffers, x.frames, s->warnings, s->errors);
    fflush(stdout);
    return G_SOURCE_CONTINUE;
}

/* ---- bus ---------------------------------------------------------------- */

static void count_message(Soak *s, const char *kind, GError *err)
{
    g_autofree gchar *key = g_strdup_printf("%s: %s", kind, err->message);
    /* Paths and numbers vary; the first 90 characters group them well enough. */
    if (strlen(key) > 90)
        key[90] = '\0';
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(s->messages, key));
    g_hash_table_insert(s->messages, g_strdup(key), GUINT_TO_POINTER(n + 1));
}

static gboolean restart(gpointer data)
{
    Soak *s = data;
    gst_element_set_state(s->pipeline, GST_STATE_NULL);
    gst_element_set_state(s->pipeline, GST_STATE_PLAYING);
    s->restarting = FALSE;
    return G_SOURCE_REMOVE;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    Soak *s = data;
    GError *err = NULL;
    gchar *dbg = NULL;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(msg, &err, &dbg);
        s->warnings++;
        logf_(s, "WARNING from %s: %s (%s)", GST_OBJECT_NAME(msg->src), err->message,
              dbg ? dbg : "");
        count_message(s, "WARNING", err);
        break;
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(msg, &err, &dbg);
        s->errors++;
        logf_(s, "ERROR from %s: %s (%s)", GST_OBJECT_NAME(msg->src), err->message, dbg ? dbg : "");
        count_message(s, "ERROR", err);
        /* Go on from NULL so that one fault does not hide the others; give
         * up when they repeat. */
        if (s->errors >= 10)
            g_main_loop_quit(s->loop);
        else if (!s->restarting) {
            s->restarting = TRUE;
            g_timeout_add_seconds(1, restart, s);
        }
        break;
    case GST_MESSAGE_EOS:
        logf_(s, "EOS (unexpected from a live source)");
        s->errors++;
        g_main_loop_quit(s->loop);
        break;
    default:
        break;
    }
    g_clear_error(&err);
    g_free(dbg);
    return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn count_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    g_atomic_int_inc(&((Soak *)data)->frames);
    return GST_PAD_PROBE_OK;
}

static gboolean on_end(gpointer data)
{
    g_main_loop_quit(((Soak *)data)->loop);
    return G_SOURCE_REMOVE;
}

/* ---- summary ------------------------------------------------------------ */

/* Least-squares slope of RSS (KB per minute) over the samples from 120 s on;
 * all but the first when the run is shorter. */
static double rss_slope(Soak *s)
{
    double from = 120;
    guint n = 0;
    for (guint i = 0; i < s->samples->len; i++)
        n += g_array_index(s->samples, Sample, i).t_s >= from;
    if (n < 3)
        from = 1;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    n = 0;
    for (guint i = 0; i < s->samples->len; i++) {
        const Sample *x = &g_array_index(s->samples, Sample, i);
        if (x->t_s < from)
            continue;
        const double t = x->t_s / 60;
        sx += t, sy += x->rss_kb, sxx += t * t, sxy += t * x->rss_kb, n++;
    }
    if (n < 2 || sxx * n - sx * sx == 0)
        return 0;
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static int summarise(Soak *s, int buffers_after)
{
    const Sample *first = &g_array_index(s->samples, Sample, 0);
    const Sample *last = &g_array_index(s->samples, Sample, s->samples->len - 1);
    long max_threads = 0, max_fds = 0;
    int max_buffers = 0;
    for (guint i = 0; i < s->samples->len; i++) {
        const Sample *x = &g_array_index(s->samples, Sample, i);
        max_threads = MAX(max_threads, x->threads);
        max_fds = MAX(max_fds, x->fds);
        max_buffers = MAX(max_buffers, x->device_buffers);
    }
    const double slope = rss_slope(s);
    /* At 2 min the models have loaded once and the pools filled. */
    const Sample *at2 = first;
    for (guint i = 0; i < s->samples->len; i++)
        if (g_array_index(s->samples, Sample, i).t_s <= 125)
            at2 = &g_array_index(s->samples, Sample, i);

    printf("\nsummary %s: %.1f min, %" G_GUINT64_FORMAT " frames\n", s->element, last->t_s / 60,
           last->frames);
    printf("  actions:");
    for (int i = 0; i < N_ACT; i++)
        printf(" %s %u", act_names[i], s->acts[i]);
    printf("\n  bus: %u warnings, %u errors; %u stalled sample periods\n", s->warnings, s->errors,
           s->stalls);
    printf("  RSS: %ld KB at start, %ld KB at %.0f s, %ld KB at end; slope %.1f KB/min "
           "(limit %.0f)\n",
           first->rss_kb, at2->rss_kb, at2->t_s, last->rss_kb, slope, s->max_slope);
    printf("  max threads %ld, max fds %ld, device buffers max %d, last %d, after stop %d\n",
           max_threads, max_fds, max_buffers, last->device_buffers, buffers_after);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->messages);
    while (g_hash_table_iter_next(&it, &key, &value))
        printf("  %5u x %s\n", GPOINTER_TO_UINT(value), (const char *)key);
    /* One line for bench/soak.sh's table. */
    printf("row|%s|%.1f|%" G_GUINT64_FORMAT "|%u|%u|%u|%u|%u|%u|%u|%u|%ld|%ld|%.1f|%ld|%ld|%d/%d/%d"
           "\n",
           s->element, last->t_s / 60, last->frames, s->acts[ACT_PROP], s->acts[ACT_INVALID],
           s->acts[ACT_MODEL], s->acts[ACT_BAD_MODEL], s->acts[ACT_RENEGOTIATE], s->acts[ACT_STATE],
           s->warnings, s->errors, first->rss_kb, last->rss_kb, slope, max_threads, max_fds,
           max_buffers, last->device_buffers, buffers_after);

    int rc = 0;
    if (s->errors > 0)
        rc = 1, printf("FAIL: %u ERROR messages\n", s->errors);
    if (s->stalls > 0)
        rc = 1, printf("FAIL: no frames for %u sample periods\n", s->stalls);
    if (slope > s->max_slope)
        rc = 1, printf("FAIL: RSS grows %.1f KB/min, over %.0f\n", slope, s->max_slope);
    if (buffers_after != 0)
        rc = 1, printf("FAIL: %d device buffers outlived the pipeline\n", buffers_after);
    printf("%s %s\n", rc ? "FAIL" : "PASS", s->element);
    return rc;
}

int main(int argc, char **argv)
{
    Soak s = {.minutes = 1, .max_interval = 10, .max_slope = 512, .sample_s = 30};
    gchar *element = NULL, *shared = NULL;
    gint seed = 1;
    GOptionEntry entries[] = {
        {"element", 0, 0, G_OPTION_ARG_STRING, &element, "vkstyletransfer, vksaliency, ...", "E"},
        {"minutes", 0, 0, G_OPTION_ARG_DOUBLE, &s.minutes, "how long (1)", "M"},
        {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "PRNG seed (1)", "S"},
        {"shared", 0, 0, G_OPTION_ARG_FILENAME, &shared, "../shared", "DIR"},
        {"max-interval", 0, 0, G_OPTION_ARG_DOUBLE, &s.max_interval,
         "longest wait between actions, s (10)", "SEC"},
        {"sample-seconds", 0, 0, G_OPTION_ARG_INT, &s.sample_s, "sample period (30)", "SEC"},
        {"max-slope", 0, 0, G_OPTION_ARG_DOUBLE, &s.max_slope, "RSS KB/min limit (512)", "KB"},
        {NULL},
    };
    GOptionContext *ctx = g_option_context_new("- soak one vknn element");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, gst_init_get_option_group());
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || !element) {
        fprintf(stderr, "vknn-soak: %s\n", err ? err->message : "--element is required");
        return 2;
    }
    g_option_context_free(ctx);
    s.element = element;
    s.shared = shared ? shared : "../shared";
    s.rand = g_rand_new_with_seed((guint32)seed);
    s.messages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s.samples = g_array_new(FALSE, FALSE, sizeof(Sample));

    /* The classifiers come from ../shared; the style element starts on a
     * built-in model so it needs none. */
    g_autofree gchar *first_model =
        is_style(&s) ? g_strdup("builtin:starry_night") : shared_path(&s, classifiers[0]);
    s.model = is_style(&s) ? "builtin:starry_night" : classifiers[0];
    if (!is_style(&s) && !g_file_test(first_model, G_FILE_TEST_IS_REGULAR)) {
        fprintf(stderr, "vknn-soak: %s not found (--shared)\n", first_model);
        return 77;
    }
    /* 10 fps for style (about 110 ms a frame at 320x240 on lavapipe), 15
     * for the classifiers: QoS drops what the machine cannot keep up with. */
    s.framerate = is_style(&s) ? "10/1" : "15/1";
    g_autofree gchar *launch = g_strdup_printf(
        "videotestsrc is-live=true pattern=ball ! capsfilter name=caps "
        "caps=video/x-raw,format=RGBA,width=240,height=180,framerate=%s ! %s name=f model=%s ! "
        "fakesink name=sink",
        s.framerate, element, first_model);
    s.pipeline = gst_parse_launch(launch, &err);
    if (!s.pipeline) {
        fprintf(stderr, "vknn-soak: %s\n", err->message);
        return 2;
    }
    s.filter = gst_bin_get_by_name(GST_BIN(s.pipeline), "f");
    s.caps = gst_bin_get_by_name(GST_BIN(s.pipeline), "caps");
    GstPad *pad = gst_element_get_static_pad(s.filter, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, &s, NULL);
    gst_object_unref(pad);

    s.loop = g_main_loop_new(NULL, FALSE);
    GstBus *bus = gst_element_get_bus(s.pipeline);
    gst_bus_add_watch(bus, on_bus, &s);
    gst_object_unref(bus);

    printf("# vknn-soak %s: %.1f min, seed %d, actions every 0.5..%.1f s, samples every %d s\n",
           element, s.minutes, seed, s.max_interval, s.sample_s);
    printf("sample,element,t_s,rss_kb,threads,fds,device_buffers,frames,warnings,errors\n");
    s.t0 = g_get_monotonic_time();
    gst_element_set_state(s.pipeline, GST_STATE_PLAYING);
    on_sample(&s);
    g_timeout_add_seconds(s.sample_s, on_sample, &s);
    g_timeout_add(1000 * g_rand_double_range(s.rand, 0.5, s.max_interval), on_action, &s);
    g_timeout_add((guint)(s.minutes * 60000), on_end, &s);
    g_main_loop_run(s.loop);
    on_sample(&s);

    gst_element_set_state(s.pipeline, GST_STATE_NULL);
    const int buffers_after = device_buffers(&s);
    const int rc = summarise(&s, buffers_after);
    gst_object_unref(s.filter);
    gst_object_unref(s.caps);
    gst_object_unref(s.pipeline);
    g_main_loop_unref(s.loop);
    g_hash_table_unref(s.messages);
    g_array_unref(s.samples);
    g_rand_free(s.rand);
    g_free(element);
    g_free(shared);
    return rc;
}
