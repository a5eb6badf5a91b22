/* vknn train: a style network from a painting and a folder of photos, on
 * the Vulkan device, with a progress line, checkpoints, previews and a
 * loss curve. */
#include "train.h"
#include "profile.h"
#ifdef VKNN_CLI_VIDEO
#include "video.h"
#endif

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- content images ---------------------------------------------------------- */

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every image of dir, scaled so the shorter side is `side`, in name order
 * (so a seed always means the same sequence). */
static GPtrArray *load_content(const char *dir, int side, GError **err)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, err);
    if (!d)
        return NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_ptr_array_sort(names, cmp_str);
    GPtrArray *images = g_ptr_array_new_with_free_func((GDestroyNotify)cli_image_free);
    for (guint i = 0; i < names->len; i++) {
        CliImage *img = g_new0(CliImage, 1);
        if (cli_image_load_cover(g_ptr_array_index(names, i), side, img, NULL))
            g_ptr_array_add(images, img);
        else
            g_free(img); /* not an image: skipped */
    }
    if (images->len == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no image in %s", dir);
        g_clear_pointer(&images, g_ptr_array_unref);
    }
    return images;
}

/* Turns the colours of one 3 x n image around the grey axis by `angle`
 * (radians) and scales their distance from grey by `saturation`, so that
 * a dull content set shows a decoder the hues and saturations of
 * paintings; clamped to 0..255 like a real image. */
static void jitter_colours(float *x, gsize n, double angle, double saturation)
{
    /* Rodrigues about k = (1,1,1)/sqrt(3), for d = x - grey (d . k = 0). */
    const double c = cos(angle) * saturation, s = sin(angle) * saturation / sqrt(3.0);
    for (gsize i = 0; i < n; i++) {
        const double r = x[i], g = x[n + i], b = x[2 * n + i], grey = (r + g + b) / 3;
        const double d[3] = {r - grey, g - grey, b - grey};
        const double kxd[3] = {d[2] - d[1], d[0] - d[2], d[1] - d[0]}; /* sqrt(3) k x d */
        for (int ch = 0; ch < 3; ch++)
            x[ch * n + i] = (float)CLAMP(grey + c * d[ch] + s * kxd[ch], 0.0, 255.0);
    }
}

/* The content batch of step `step`: random crops (and mirror flips) of
 * random images, with colours jittered by up to `jitter` (0: none; 1:
 * any hue, saturation x0.5..x2), drawn from (seed, step) alone so a
 * resumed run sees what the uninterrupted one would have. */
static void content_batch(GPtrArray *images, guint32 seed, int step, int batch, int size,
                          double jitter, float *out)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed * 2654435761u + (guint32)step);
    for (int b = 0; b < batch; b++) {
        const CliImage *img = g_ptr_array_index(images, g_rand_int_range(r, 0, images->len));
        const int x0 = g_rand_int_range(r, 0, img->width - size + 1);
        const int y0 = g_rand_int_range(r, 0, img->height - size + 1);
        const gboolean flip = g_rand_boolean(r);
        float *dst = out + (gsize)b * 3 * size * size;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    const int sx = x0 + (flip ? size - 1 - x : x);
                    dst[(c * size + y) * size + x] =
                        img->data[((gsize)c * img->height + y0 + y) * img->width + sx];
                }
        if (jitter > 0) {
            const double angle = g_rand_double_range(r, -G_PI, G_PI) * jitter;
            const double saturation = exp2(g_rand_double_range(r, -1, 1) * jitter);
            jitter_colours(dst, (gsize)size * size, angle, saturation);
        }
    }
}

/* ---- outputs ------------------------------------------------------------------ */

/* Runs m on its one input x of shape s; *out gets `name` (g_free), *os its
 * shape (owned by net, which the caller frees). */
static gboolean run_model(VknnContext *ctx, VknnModel *m, const VknnShape *s, const float *x,
                          const char *name, VknnNet **net, float **out, const VknnShape **os,
                          GError **err)
{
    const float *in[] = {x};
    if (!(*net = vknn_net_new(ctx, m, err)) || !vknn_net_keep(*net, name, err) ||
        !vknn_net_prepare(*net, s, err) || !vknn_net_run(*net, in, err))
        return FALSE;
    *os = vknn_net_shape(*net, name);
    *out = g_new(float, vknn_shape_numel(*os));
    return vknn_net_read(*net, name, *out, err);
}

/* The style network on img, or for a decoder, the encoder then the
 * decoder: the content image as the network sees it. */
static gboolean write_preview(VknnContext *ctx, VknnTrainer *t, VknnModel *encoder,
                              const CliTrainOptions *o, const CliImage *img, const char *path,
                              GError **err)
{
    const VknnShape s = {4, {1, 3, img->height, img->width}};
    g_autoptr(VknnNet) enc = NULL, net = NULL;
    g_autofree float *unit = NULL, *features = NULL, *out = NULL;
    const VknnShape *fs = NULL, *os = NULL;
    const float *x = img->data;
    if (o->decoder_layer) {
        const gsize n = vknn_shape_numel(&s);
        unit = g_new(float, n);
        for (gsize i = 0; i < n; i++)
            unit[i] = img->data[i] / 255.0f;
        if (!run_model(ctx, encoder, &s, unit, o->decoder_layer, &enc, &features, &fs, err))
            return FALSE;
        x = features;
    }
    if (!run_model(ctx, vknn_trainer_model(t), fs ? fs : &s, x, "output", &net, &out, &os, err))
        return FALSE;
    if (o->decoder_layer)
        for (int64_t i = 0; i < vknn_shape_numel(os); i++)
            out[i] *= 255.0f;
    return cli_image_save(path, out, (int)os->dims[3], (int)os->dims[2], err);
}

/* The loss curve as SVG: log-scale total, style and content against steps. */
static gboolean write_plot(GArray *losses, gboolean decoder, const char *path, GError **err)
{
    const int w = 640, h = 360, pad = 48;
    double lo = INFINITY, hi = -INFINITY;
    for (guint i = 0; i < losses->len; i++) {
        const VknnTrainLosses *l = &g_array_index(losses, VknnTrainLosses, i);
        const double v[] = {l->total, decoder ? l->pixel : l->style, l->content};
        for (int k = 0; k < 3; k++)
            if (v[k] > 0) {
                lo = MIN(lo, log10(v[k]));
                hi = MAX(hi, log10(v[k]));
            }
    }
    if (losses->len < 2 || !(hi > lo))
        hi = lo + 1;
    g_autoptr(GString) svg = g_string_new(NULL);
    g_string_append_printf(svg,
                           "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                           "font-family='sans-serif' font-size='12'>\n<rect width='100%%' "
                           "height='100%%' fill='white'/>\n",
                           w, h);
    g_string_append_printf(svg,
                           "<text x='%d' y='16'>vknn train%s: loss (log10 %.2f..%.2f) over %u "
                           "steps</text>\n",
                           pad, decoder ? "-decoder" : "", lo, hi, losses->len);
    static const char *const colours[] = {"black", "crimson", "steelblue"};
    const char *const names[] = {"total", decoder ? "pixel" : "style",
                                 decoder ? "feature" : "content"};
    for (int k = 0; k < 3; k++) {
        g_string_append_printf(svg, "<polyline fill='none' stroke='%s' points='", colours[k]);
        for (guint i = 0; i < losses->len; i++) {
            const VknnTrainLosses *l = &g_array_index(losses, VknnTrainLosses, i);
            const double v = k == 0   ? l->total
                             : k == 1 ? (decoder ? l->pixel : l->style)
                                      : l->content;
            if (v <= 0)
                continue;
            const double x = pad + (w - 2 * pad) * (double)i / MAX(losses->len - 1, 1);
            const double y = h - pad - (h - 2 * pad) * (log10(v) - lo) / (hi - lo);
            g_string_append_printf(svg, "%.1f,%.1f ", x, y);
        }
        g_string_append_printf(svg, "'/>\n<text x='%d' y='%d' fill='%s'>%s</text>\n", w - pad - 60,
                               pad + 16 * k, colours[k], names[k]);
    }
    g_string_append(svg, "</svg>\n");
    return g_file_set_contents(path, svg->str, (gssize)svg->len, err);
}

/* ---- the loop ------------------------------------------------------------------- */

static void print_progress(const VknnTrainLosses *l, gboolean decoder, int steps,
                           double seconds_per_step)
{
    const int eta = (int)((steps - l->step) * seconds_per_step);
    g_autofree char *terms =
        decoder ? g_strdup_printf("pixel %.4g  feature %.4g", l->pixel, l->content)
                : g_strdup_printf("content %.4g  style %.4g  tv %.4g", l->content, l->style, l->tv);
    g_autofree char *stability =
        l->stability > 0 ? g_strdup_printf("  stability %.4g", l->stability) : g_strdup("");
    printf("%sstep %d/%d  %s%s  total %.4g  %.2f s/step  ETA %dh%02dm%02ds%s",
           isatty(STDOUT_FILENO) ? "\r" : "", l->step, steps, terms, stability, l->total,
           seconds_per_step, eta / 3600, eta / 60 % 60, eta % 60,
           isatty(STDOUT_FILENO) ? "  " : "\n");
    fflush(stdout);
}

/* The content images, from a folder or a video, scaled so their shorter
 * side leaves room for random crops. */
static GPtrArray *load_content_set(const CliTrainOptions *o, GError **err)
{
    const int side = o->params.size + o->params.size / 8;
    if (g_file_test(o->run->content, G_FILE_TEST_IS_DIR))
        return load_content(o->run->content, side, err);
#ifdef VKNN_CLI_VIDEO
    return cli_video_frames(o->run->content, side, 0.5, 2000, err);
#else
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s is not a folder, and this vknn was built without GStreamer for videos",
                o->run->content);
    return NULL;
#endif
}

/* A style network's trainer, for the comma-separated style images. */
static VknnTrainer *style_trainer(VknnContext *ctx, VknnModel *loss_net, const CliTrainOptions *o,
                                  GError **err)
{
    g_auto(GStrv) style_paths = g_strsplit(o->style, ",", -1);
    const int n_styles = (int)g_strv_length(style_paths);
    g_autoptr(GPtrArray) styles = g_ptr_array_new_with_free_func((GDestroyNotify)cli_image_free);
    const float *data[VKNN_MAX_STYLES];
    int widths[VKNN_MAX_STYLES], heights[VKNN_MAX_STYLES];
    for (int i = 0; i < n_styles; i++) {
        CliImage *img = g_new0(CliImage, 1);
        g_ptr_array_add(styles, img);
        if (!cli_image_load_cover(style_paths[i], o->style_size, img, err))
            return NULL;
        if (i < VKNN_MAX_STYLES) {
            data[i] = img->data;
            widths[i] = img->width;
            heights[i] = img->height;
        }
    }
    return vknn_trainer_new_multi(ctx, loss_net, n_styles, data, widths, heights, &o->params, err);
}

static void print_start(const VknnTrainer *t, const CliTrainOptions *o, guint images)
{
    const VknnTrainParams *p = &o->params;
    g_auto(GStrv) styles = o->style ? g_strsplit(o->style, ",", -1) : NULL;
    const guint n = styles ? g_strv_length(styles) : 0;
    if (o->decoder_layer)
        printf("training a decoder of %s, width %d, ", o->decoder_layer, p->channels);
    else
        printf("training a %d-channel TransformerNet for %u style%s ", p->channels, n,
               n == 1 ? "" : "s");
    printf("on %u content images at %dx%d, batch %d, from step %d\n", images, p->size, p->size,
           p->batch, vknn_trainer_steps_done(t));
}

VknnTrainParams cli_train_run_params(const CliTrainRun *r)
{
    VknnTrainParams p = VKNN_TRAIN_PARAMS_DEFAULT;
    p.batch = r->batch;
    p.lr = (float)r->lr;
    p.seed = (guint32)r->seed;
    return p;
}

gboolean cli_train(VknnContext *ctx, VknnModel *loss_net, const CliTrainOptions *o, GError **err)
{
    const VknnTrainParams *p = &o->params;
    g_autoptr(GPtrArray) content = load_content_set(o, err);
    if (!content)
        return FALSE;
    g_autoptr(VknnTrainer) t =
        o->decoder_layer ? vknn_decoder_trainer_new(ctx, loss_net, o->decoder_layer, p, err)
                         : style_trainer(ctx, loss_net, o, err);
    g_autoptr(VknnModel) init = t && o->run->init ? vknn_model_load(o->run->init, err) : NULL;
    if (!t || (o->run->init && (!init || !vknn_trainer_init_weights(t, init, err))) ||
        (o->run->resume && !vknn_trainer_load_checkpoint(t, o->run->resume, err)))
        return FALSE;
    vknn_trainer_set_profiling(t, o->profile);
    print_start(t, o, content->len);
    g_autoptr(GArray) losses = g_array_new(FALSE, FALSE, sizeof(VknnTrainLosses));
    g_autofree float *batch = g_new(float, (gsize)p->batch * 3 * p->size * p->size);
    g_autofree char *checkpoint =
        o->run->checkpoint ? g_strdup(o->run->checkpoint) : g_strconcat(o->run->out, ".ckpt", NULL);
    g_autofree char *plot = g_strconcat(o->run->out, ".losses.svg", NULL);
    g_autofree char *preview = g_strconcat(o->run->out, ".preview.png", NULL);
    const gint64 start = g_get_monotonic_time();
    const int first = vknn_trainer_steps_done(t);
    while (vknn_trainer_steps_done(t) < o->run->steps) {
        VknnTrainLosses l;
        content_batch(content, p->seed, vknn_trainer_steps_done(t), p->batch, p->size,
                      o->color_jitter, batch);
        if (!vknn_trainer_step(t, batch, &l, err))
            return FALSE;
        g_array_append_val(losses, l);
        if (o->profile && losses->len == 2 &&
            !(cli_print_profile(vknn_trainer_profile(t, FALSE, err), "forward", err) &&
              cli_print_profile(vknn_trainer_profile(t, TRUE, err), "backward", err)))
            return FALSE;
        const double per_step =
            (g_get_monotonic_time() - start) / 1e6 / (vknn_trainer_steps_done(t) - first);
        print_progress(&l, o->decoder_layer != NULL, o->run->steps, per_step);
        const gboolean last = l.step == o->run->steps;
        if ((o->run->checkpoint_every > 0 && l.step % o->run->checkpoint_every == 0) || last) {
            if (!vknn_trainer_save_checkpoint(t, checkpoint, err) ||
                !write_plot(losses, o->decoder_layer != NULL, plot, err))
                return FALSE;
        }
        if ((o->run->preview_every > 0 && l.step % o->run->preview_every == 0) || last)
            if (!write_preview(ctx, t, loss_net, o, g_ptr_array_index(content, 0), preview, err))
                return FALSE;
    }
    if (!vknn_model_save(vknn_trainer_model(t), o->run->out, err))
        return FALSE;
    printf("\nwrote %s (%s), %s (loss curve), %s (preview), %s (checkpoint)\n", o->run->out,
           o->decoder_layer ? "decoder" : "style network", plot, preview, checkpoint);
    return TRUE;
}
