/* vknn visualize neighbours|embed|patches: vknn/features.h over a folder of
 * images or the frames of a video.
 *
 *   neighbours  MODEL SET OUT.png --query IMG...   each query and its k nearest
 *   embed       MODEL SET OUT.png --method pca|tsne   thumbnails at 2-D positions
 *   patches     MODEL SET OUT.png --layer L --channels a,b   top-k crops a channel
 *
 * SET is one or more folders (their images, sorted by name), image files or
 * video files (a frame every --every seconds), at most --max images from
 * each folder or video. Every image is preprocessed as
 * the network input (shorter side scaled, centre crop to --size); progress lines go to stderr,
 * results to stdout. A layer the model lacks exits 2. */
#include "cmd.h"
#include "image.h"
#ifdef VKNN_CLI_VIDEO
#include "video.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *opt_size, *opt_mean, *opt_std, *opt_layer, *opt_method, *opt_channels;
static char **opt_queries;
static int opt_k = 5, opt_max = 100, opt_thumb = 0, opt_canvas = 900, opt_top = 8, opt_seed = 1;
static int opt_iterations = 1000, opt_per_source = 0;
static gboolean opt_edges, opt_unit;
static double opt_every = 0.5, opt_perplexity = 30;

#define SET_ENTRIES                                                                                \
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size, "Network input size (224x224)", "WxH"},       \
        {"mean", 0, 0, G_OPTION_ARG_STRING, &opt_mean, "Input mean of RGB/255 (ImageNet's)",       \
         "R,G,B"},                                                                                 \
        {"std", 0, 0, G_OPTION_ARG_STRING, &opt_std, "Input std (ImageNet's)", "R,G,B"},           \
        {"max",    0,                                                                              \
         0,        G_OPTION_ARG_INT,                                                               \
         &opt_max, "At most N images or frames from each folder or video (100)",                   \
         "N"},                                                                                     \
    {                                                                                              \
        "every", 0, 0, G_OPTION_ARG_DOUBLE, &opt_every, "Video: a frame every S seconds (0.5)",    \
            "S"                                                                                    \
    }

/* ---- the image set -------------------------------------------------------------- */

typedef struct {
    char *name;    /* file name, or "VIDEO@SECONDSs" */
    int source;    /* the index of its folder, image or video on the command line */
    float *pixels; /* 3 x height x width of the network input, 0..1 */
} Item;

static void item_free(Item *it)
{
    g_free(it->name);
    g_free(it->pixels);
    g_free(it);
}

static gboolean input_params(VknnFrameInputParams *fp, GError **err)
{
    *fp = (VknnFrameInputParams)VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    return (!opt_size || cli_parse_size(opt_size, &fp->width, &fp->height, err)) &&
           (!opt_mean || cli_parse_rgb(opt_mean, "--mean", fp->mean, err)) &&
           (!opt_std || cli_parse_rgb(opt_std, "--std", fp->std, err)) &&
           cli_check_normalisation(fp, err);
}

/* fp's crop in pixels 0..1 (no mean, no std). */
static VknnFrameInputParams raw_params(const VknnFrameInputParams *fp)
{
    VknnFrameInputParams raw = *fp;
    for (int c = 0; c < 3; c++) {
        raw.mean[c] = 0.0f;
        raw.std[c] = 1.0f;
    }
    return raw;
}

static Item *load_image_item(const char *path, const VknnFrameInputParams *fp, GError **err)
{
    const VknnFrameInputParams raw = raw_params(fp);
    Item *it = g_new0(Item, 1);
    it->name = g_path_get_basename(path);
    if (!cli_image_load_input(path, &raw, &it->pixels, err)) { /* the error names path */
        item_free(it);
        return NULL;
    }
    return it;
}

static gboolean has_image_extension(const char *name)
{
    static const char *const ext[] = {".png", ".jpg",  ".jpeg", ".bmp", ".gif",
                                      ".tif", ".tiff", ".webp", ".ppm"};
    g_autofree char *lower = g_ascii_strdown(name, -1);
    for (gsize i = 0; i < G_N_ELEMENTS(ext); i++)
        if (g_str_has_suffix(lower, ext[i]))
            return TRUE;
    return FALSE;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The images of a folder (by extension, sorted); one that cannot be read
 * is an error naming it. */
static GPtrArray *load_folder(const char *dir, const VknnFrameInputParams *fp, GError **err)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, err);
    if (!d)
        return NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (has_image_extension(n))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    g_ptr_array_sort(names, compare_names);
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
    for (guint i = 0; i < names->len && (int)items->len < opt_max; i++) {
        Item *it = load_image_item(g_ptr_array_index(names, i), fp, err);
        if (!it)
            return NULL;
        g_ptr_array_add(items, it);
    }
    if (items->len == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no image (.png, .jpg, ...) in %s", dir);
        return NULL;
    }
    return g_steal_pointer(&items);
}

#ifdef VKNN_CLI_VIDEO
/* A decoded frame (0..255 planes) through fp's crop into pixels 0..1. */
static float *frame_pixels(const CliImage *img, const VknnFrameInputParams *fp)
{
    const gsize hw = (gsize)img->width * img->height;
    g_autofree guint8 *rgbx = g_new(guint8, 4 * hw);
    for (gsize i = 0; i < hw; i++) {
        for (int c = 0; c < 3; c++)
            rgbx[4 * i + c] = (guint8)CLAMP(lroundf(img->data[c * hw + i]), 0, 255);
        rgbx[4 * i + 3] = 255;
    }
    const VknnFrameInputParams raw = raw_params(fp);
    float *out = g_new(float, 3 * (gsize)fp->width * fp->height);
    vknn_frame_input_host(&raw, VKNN_PIXEL_RGBX, rgbx, img->width, img->height, 4 * img->width,
                          out);
    return out;
}
#endif

static GPtrArray *load_video(const char *path, const VknnFrameInputParams *fp, GError **err)
{
#ifdef VKNN_CLI_VIDEO
    const int side = MAX(fp->width, fp->height);
    g_autoptr(GPtrArray) frames = cli_video_frames(path, side, opt_every, opt_max, err);
    if (!frames) {
        g_prefix_error(err, "%s: ", path);
        return NULL;
    }
    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
    for (guint i = 0; i < frames->len; i++) {
        Item *it = g_new0(Item, 1);
        g_autofree char *base = g_path_get_basename(path);
        it->name = g_strdup_printf("%s@%.1fs", base, i * opt_every);
        it->pixels = frame_pixels(g_ptr_array_index(frames, i), fp);
        g_ptr_array_add(items, it);
    }
    return items;
#else
    (void)fp;
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s is not a folder, and this vknn was built without GStreamer for videos", path);
    return NULL;
#endif
}

static GPtrArray *load_one(const char *path, const VknnFrameInputParams *fp, GError **err)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
        return load_folder(path, fp, err);
    if (has_image_extension(path)) { /* one image */
        Item *it = load_image_item(path, fp, err);
        GPtrArray *one = it ? g_ptr_array_new_with_free_func((GDestroyNotify)item_free) : NULL;
        if (one)
            g_ptr_array_add(one, it);
        return one;
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such folder or video", path);
        return NULL;
    }
    return load_video(path, fp, err);
}

/* The items of every folder or video of paths (n of them), in order; --max
 * applies to each. */
static GPtrArray *load_set(char **paths, int n, const VknnFrameInputParams *fp, GError **err)
{
    if (opt_max < 1 || opt_max > 2000 || !(opt_every > 0)) {
        g_set_error(err, CLI_USAGE_ERROR, 0, "--max must be 1..2000 and --every > 0");
        return NULL;
    }
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
    for (int i = 0; i < n; i++) {
        g_autoptr(GPtrArray) one = load_one(paths[i], fp, err);
        if (!one)
            return NULL;
        for (guint j = 0; j < one->len; j++) {
            ((Item *)one->pdata[j])->source = i;
            g_ptr_array_add(all, g_steal_pointer(&one->pdata[j]));
        }
        g_ptr_array_set_free_func(one, NULL);
    }
    return g_steal_pointer(&all);
}

/* ---- the network ------------------------------------------------------------------------ */

typedef struct {
    VknnModel *model;
    VknnContext *ctx;
    VknnFeatureNet *net;
} Features;

static void features_clear(Features *f)
{
    vknn_feature_net_free(f->net);
    vknn_context_free(f->ctx);
    vknn_model_free(f->model);
}

/* A layer the model lacks was named on the command line: a usage error. */
static gboolean as_usage(gboolean ok, GError **err)
{
    if (!ok && err && *err && g_error_matches(*err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND)) {
        (*err)->domain = CLI_USAGE_ERROR;
        (*err)->code = 0;
    }
    return ok;
}

static gboolean features_open(Features *f, const char *path, const VknnFrameInputParams *fp,
                              const char *layer, GError **err)
{
    return (f->model = cli_load_model(path, err)) &&
           cli_check_size(f->model, path, fp->width, fp->height, err) &&
           (f->ctx = cli_open_context(err)) &&
           as_usage((f->net = vknn_feature_net_new(f->ctx, f->model, fp, layer, err)) != NULL, err);
}

static void progress(const char *what, int done, int total)
{
    if (done % 10 == 0 || done == total)
        fprintf(stderr, "%s: %d/%d images\n", what, done, total);
}

/* The feature vector of every item (n x *dim), timing the extraction. */
static float *extract_all(Features *f, GPtrArray *items, const VknnFrameInputParams *fp, int *dim,
                          double *seconds, GError **err)
{
    g_autofree float *all = NULL;
    const gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < items->len; i++) {
        const Item *it = g_ptr_array_index(items, i);
        int h, w;
        if (!vknn_feature_net_run(f->net, it->pixels, fp->width, fp->height, err))
            return NULL;
        vknn_feature_net_dims(f->net, dim, &h, &w);
        if (!all)
            all = g_new(float, (gsize)*dim * items->len);
        if (!vknn_feature_net_vector(f->net, all + (gsize)i * *dim, err))
            return NULL;
        progress("features", i + 1, items->len);
    }
    *seconds = (g_get_monotonic_time() - t0) / 1e6;
    return g_steal_pointer(&all);
}

static void print_throughput(guint n, double seconds, const VknnFrameInputParams *fp,
                             const char *layer, int dim)
{
    printf("features '%s' (%d-D) of %u images at %dx%d in %.2f s (%.1f images/s)\n", layer, dim, n,
           fp->width, fp->height, seconds, seconds > 0 ? n / seconds : 0.0);
}

/* ---- drawing --------------------------------------------------------------------------- */

/* pixels (w x h) scaled to tw x th: blurred first when shrinking, against aliasing. */
static float *thumbnail(const float *pixels, int w, int h, int tw, int th)
{
    g_autofree float *tmp = g_memdup2(pixels, sizeof(float) * 3 * w * h);
    const float shrink = (float)w / tw;
    if (shrink > 1.5f)
        vknn_image_blur(tmp, w, h, 0.4f * shrink);
    float *out = g_new(float, 3 * (gsize)tw * th);
    vknn_image_resize(tmp, w, h, out, tw, th);
    return out;
}

static float *white(int w, int h)
{
    float *x = g_new(float, 3 * (gsize)w * h);
    for (gsize i = 0; i < 3 * (gsize)w * h; i++)
        x[i] = 1.0f;
    return x;
}

static void paste(float *canvas, int cw, int ch, const float *tile, int tw, int th, int x0, int y0)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < th && y0 + y < ch; y++)
            for (int x = 0; x < tw && x0 + x < cw; x++)
                canvas[((gsize)c * ch + y0 + y) * cw + x0 + x] = tile[((gsize)c * th + y) * tw + x];
}

static void fill_rect(float *canvas, int cw, int ch, int x0, int y0, int w, int h,
                      const float rgb[3])
{
    for (int c = 0; c < 3; c++)
        for (int y = MAX(y0, 0); y < MIN(y0 + h, ch); y++)
            for (int x = MAX(x0, 0); x < MIN(x0 + w, cw); x++)
                canvas[((gsize)c * ch + y) * cw + x] = rgb[c];
}

static gboolean save_canvas(const char *path, const float *x, int w, int h, GError **err)
{
    const gsize n = 3 * (gsize)w * h;
    g_autofree float *out = g_new(float, n);
    for (gsize i = 0; i < n; i++)
        out[i] = 255.0f * x[i];
    return cli_image_save(path, out, w, h, err);
}

/* ---- neighbours --------------------------------------------------------------------------- */

static const GOptionEntry neighbour_entries[] = {
    {"query", 'q', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_queries,
     "A query image, or #N: the set's N-th (then not its own neighbour); repeat for several",
     "IMG"},
    {"k", 'k', 0, G_OPTION_ARG_INT, &opt_k, "Neighbours a query (5)", "K"},
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
     "Feature layer (default: the input of the final Gemm or Conv), averaged over positions",
     "NAME"},
    {"unit", 0, 0, G_OPTION_ARG_NONE, &opt_unit,
     "Scale feature vectors to unit length first (L2 then ranks as cosine similarity)", NULL},
    {"thumb", 0, 0, G_OPTION_ARG_INT, &opt_thumb, "Tile side in pixels (112)", "PX"},
    SET_ENTRIES,
    {NULL},
};

/* Each of the n vectors (n x dim) scaled to length 1 (zero ones stay zero). */
static void unit_length(float *v, int n, int dim)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int d = 0; d < dim; d++)
            s += (double)v[(gsize)i * dim + d] * v[(gsize)i * dim + d];
        for (int d = 0; s > 0 && d < dim; d++)
            v[(gsize)i * dim + d] = (float)(v[(gsize)i * dim + d] / sqrt(s));
    }
}

/* A query: an image file, or "#N", the N-th image of the set (*self = N). */
static gboolean load_query(const char *arg, GPtrArray *items, const VknnFrameInputParams *fp,
                           Item **out, int *self, GError **err)
{
    *self = -1;
    if (arg[0] != '#') {
        *out = load_image_item(arg, fp, err);
        return *out != NULL;
    }
    char *end = NULL;
    const long n = strtol(arg + 1, &end, 10);
    if (!arg[1] || *end || n < 0 || n >= (long)items->len) {
        g_set_error(err, CLI_USAGE_ERROR, 0, "--query %s: the set has images #0..#%u", arg,
                    items->len - 1);
        return FALSE;
    }
    const Item *src = g_ptr_array_index(items, n);
    *out = g_new0(Item, 1);
    (*out)->name = g_strdup_printf("#%ld %s", n, src->name);
    (*out)->pixels = g_memdup2(src->pixels, sizeof(float) * 3 * fp->width * fp->height);
    *self = (int)n;
    return TRUE;
}

/* Row q: the query, a gap, its neighbours; under each neighbour a bar as
 * long as its distance relative to the figure's largest. */
static void draw_neighbour_row(float *canvas, int cw, int ch, int row, const float *query,
                               const VknnNeighbour *nb, int k, GPtrArray *items,
                               const VknnFrameInputParams *fp, float max_distance)
{
    const int t = opt_thumb, gap = 6, bar = 5, y0 = gap + row * (t + bar + 2 * gap);
    g_autofree float *q = thumbnail(query, fp->width, fp->height, t, t);
    paste(canvas, cw, ch, q, t, t, gap, y0);
    for (int j = 0; j < k; j++) {
        const Item *it = g_ptr_array_index(items, nb[j].index);
        g_autofree float *tile = thumbnail(it->pixels, fp->width, fp->height, t, t);
        const int x0 = gap + (j + 1) * (t + gap) + 2 * gap;
        paste(canvas, cw, ch, tile, t, t, x0, y0);
        static const float grey[3] = {0.85f, 0.85f, 0.85f}, ink[3] = {0.2f, 0.3f, 0.6f};
        fill_rect(canvas, cw, ch, x0, y0 + t + 2, t, bar, grey);
        const int len = max_distance > 0 ? (int)lroundf(t * nb[j].distance / max_distance) : 0;
        fill_rect(canvas, cw, ch, x0, y0 + t + 2, len, bar, ink);
    }
}

int cli_visualize_neighbours(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, neighbour_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc < 4)
        return cli_usage_error(
            cmd, "usage: vknn visualize neighbours MODEL.onnx DIR|VIDEO... OUT.png --query IMG...");
    const int nq = opt_queries ? (int)g_strv_length(opt_queries) : 0;
    if (nq < 1 || opt_k < 1 || opt_k > 50)
        return cli_usage_error(cmd, "--query IMG is required, and --k must be 1..50");
    if (opt_thumb == 0)
        opt_thumb = 112;
    if (opt_thumb < 8 || opt_thumb > 512)
        return cli_usage_error(cmd, "--thumb must be 8..512");
    GError *err = NULL;
    VknnFrameInputParams fp;
    Features f = {0};
    g_autoptr(GPtrArray) items = NULL,
                         queries = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
    g_autofree float *feats = NULL, *qfeats = NULL, *canvas = NULL;
    int dim = 0;
    double seconds = 0;
    gboolean ok = input_params(&fp, &err) && cli_image_check_output(argv[argc - 1], &err) &&
                  (items = load_set(argv + 2, argc - 3, &fp, &err)) &&
                  features_open(&f, argv[1], &fp, opt_layer, &err) &&
                  (feats = extract_all(&f, items, &fp, &dim, &seconds, &err));
    g_autofree int *self = g_new(int, nq);
    for (int q = 0; ok && q < nq; q++) {
        Item *it = NULL;
        ok = load_query(opt_queries[q], items, &fp, &it, &self[q], &err);
        if (ok) {
            g_ptr_array_add(queries, it);
            qfeats = g_renew(float, qfeats, (gsize)dim *(q + 1));
            if (self[q] >= 0)
                memcpy(qfeats + (gsize)q * dim, feats + (gsize)self[q] * dim, sizeof(float) * dim);
            else
                ok = vknn_feature_net_run(f.net, it->pixels, fp.width, fp.height, &err) &&
                     vknn_feature_net_vector(f.net, qfeats + (gsize)q * dim, &err);
        }
    }
    if (ok) {
        print_throughput(items->len, seconds, &fp, vknn_feature_net_layer(f.net), dim);
        if (opt_unit) {
            unit_length(feats, items->len, dim);
            unit_length(qfeats, nq, dim);
        }
        const int k = MIN(opt_k, (int)items->len - 1);
        if (k < 1) {
            g_set_error(&err, CLI_USAGE_ERROR, 0, "the set needs at least 2 images");
            features_clear(&f);
            return cli_fail(err);
        }
        g_autofree VknnNeighbour *nb = g_new(VknnNeighbour, (gsize)nq * k);
        g_autofree VknnNeighbour *all = g_new(VknnNeighbour, k + 1);
        float max_distance = 0;
        for (int q = 0; q < nq; q++) {
            /* A query from the set is left out of its own neighbours. */
            const int got =
                vknn_nearest(feats, items->len, dim, qfeats + (gsize)q * dim, k + 1, all);
            for (int j = 0, m = 0; j < got && m < k; j++)
                if (all[j].index != self[q])
                    nb[q * k + m++] = all[j];
            const Item *qi = g_ptr_array_index(queries, q);
            printf("%s:", qi->name);
            for (int j = 0; j < k; j++) {
                const Item *it = g_ptr_array_index(items, nb[q * k + j].index);
                printf(" %s (%.2f)%s", it->name, nb[q * k + j].distance, j + 1 < k ? "," : "\n");
                max_distance = fmaxf(max_distance, nb[q * k + j].distance);
            }
        }
        const int cw = 6 + (k + 1) * (opt_thumb + 6) + 12, ch = 6 + nq * (opt_thumb + 5 + 12);
        canvas = white(cw, ch);
        for (int q = 0; q < nq; q++)
            draw_neighbour_row(canvas, cw, ch, q,
                               ((const Item *)g_ptr_array_index(queries, q))->pixels, nb + q * k, k,
                               items, &fp, max_distance);
        ok = save_canvas(argv[argc - 1], canvas, cw, ch, &err);
        if (ok)
            printf("-> %s (%dx%d: %d queries x %d neighbours, bars: distance / %.2f)\n",
                   argv[argc - 1], cw, ch, nq, k, max_distance);
    }
    features_clear(&f);
    return ok ? 0 : cli_fail(err);
}

/* ---- embedding ------------------------------------------------------------------------------- */

static const GOptionEntry embed_entries[] = {
    {"method", 'm', 0, G_OPTION_ARG_STRING, &opt_method, "pca or tsne (default)", "M"},
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
     "Feature layer (default: the input of the final Gemm or Conv), averaged over positions",
     "NAME"},
    {"perplexity", 0, 0, G_OPTION_ARG_DOUBLE, &opt_perplexity, "t-SNE perplexity (30)", "P"},
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "t-SNE steps (1000)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "t-SNE random seed (1)", "N"},
    {"thumb", 0, 0, G_OPTION_ARG_INT, &opt_thumb, "Thumbnail side in pixels (56)", "PX"},
    {"canvas", 0, 0, G_OPTION_ARG_INT, &opt_canvas, "Canvas side in pixels (900)", "PX"},
    SET_ENTRIES,
    {NULL},
};

static gboolean embed(const float *feats, int n, int dim, gboolean tsne, float *xy, GError **err)
{
    if (!tsne)
        return vknn_pca_2d(feats, n, dim, xy, err);
    VknnTsneParams p = VKNN_TSNE_PARAMS_DEFAULT;
    p.perplexity = (float)opt_perplexity;
    p.iterations = opt_iterations;
    p.seed = (guint32)opt_seed;
    return vknn_tsne(feats, n, dim, &p, xy, err);
}

int cli_visualize_embed(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, embed_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc < 4)
        return cli_usage_error(
            cmd, "usage: vknn visualize embed MODEL.onnx DIR|VIDEO... OUT.png --method pca|tsne");
    const gboolean tsne = !opt_method || g_str_equal(opt_method, "tsne");
    if (!tsne && !g_str_equal(opt_method, "pca"))
        return cli_usage_error(cmd, "unknown --method (pca, tsne)");
    if (opt_thumb == 0)
        opt_thumb = 56;
    if (opt_thumb < 8 || opt_thumb > 256 || opt_canvas < 2 * opt_thumb || opt_canvas > 8192 ||
        !(opt_perplexity > 0) || opt_iterations < 1 || opt_iterations > 100000)
        return cli_usage_error(cmd, "--thumb must be 8..256, --canvas 2 thumbs..8192, "
                                    "--perplexity > 0, --iterations 1..100000");
    GError *err = NULL;
    VknnFrameInputParams fp;
    Features f = {0};
    g_autoptr(GPtrArray) items = NULL;
    g_autofree float *feats = NULL;
    int dim = 0;
    double seconds = 0;
    gboolean ok = input_params(&fp, &err) && cli_image_check_output(argv[argc - 1], &err) &&
                  (items = load_set(argv + 2, argc - 3, &fp, &err)) &&
                  features_open(&f, argv[1], &fp, opt_layer, &err) &&
                  (feats = extract_all(&f, items, &fp, &dim, &seconds, &err));
    if (ok) {
        print_throughput(items->len, seconds, &fp, vknn_feature_net_layer(f.net), dim);
        const int n = items->len;
        g_autofree float *xy = g_new(float, 2 * n);
        const gint64 t0 = g_get_monotonic_time();
        ok = embed(feats, n, dim, tsne, xy, &err);
        const double embed_s = (g_get_monotonic_time() - t0) / 1e6;
        g_autoptr(GPtrArray) thumbs = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; ok && i < n; i++)
            g_ptr_array_add(thumbs, thumbnail(((const Item *)g_ptr_array_index(items, i))->pixels,
                                              fp.width, fp.height, opt_thumb, opt_thumb));
        g_autofree float *canvas = g_new(float, 3 * (gsize)opt_canvas * opt_canvas);
        if (ok) {
            vknn_thumbnail_canvas(xy, n, (const float *const *)thumbs->pdata, opt_thumb, opt_thumb,
                                  opt_canvas, canvas);
            ok = save_canvas(argv[argc - 1], canvas, opt_canvas, opt_canvas, &err);
        }
        if (ok)
            printf("%s of %d points in %.2f s -> %s (%dx%d)\n", tsne ? "t-SNE" : "PCA", n, embed_s,
                   argv[argc - 1], opt_canvas, opt_canvas);
    }
    features_clear(&f);
    return ok ? 0 : cli_fail(err);
}

/* ---- maximally activating patches ------------------------------------------------------------ */

static const GOptionEntry patch_entries[] = {
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer, "The layer (required)", "NAME"},
    {"channels", 'c', 0, G_OPTION_ARG_STRING, &opt_channels, "Channels, one row each (required)",
     "A,B,..."},
    {"top", 't', 0, G_OPTION_ARG_INT, &opt_top, "Patches a channel, one an image (8)", "K"},
    {"per-source", 0, 0, G_OPTION_ARG_INT, &opt_per_source,
     "At most N patches a row from one folder or video (0: any)", "N"},
    {"thumb", 0, 0, G_OPTION_ARG_INT, &opt_thumb, "Tile side in pixels (64)", "PX"},
    {"edges", 0, 0, G_OPTION_ARG_NONE, &opt_edges,
     "Also positions whose field crosses the image border (padding shows grey)", NULL},
    SET_ENTRIES,
    {NULL},
};

/* "3,17,40" into channels (at most 64). */
static int parse_channels(const char *s, int *out, GError **err)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    int n = 0;
    for (int i = 0; parts[i]; i++) {
        char *end = NULL;
        const long v = strtol(parts[i], &end, 10);
        if (!*parts[i] || *end || v < 0 || v > G_MAXINT || n == 64) {
            g_set_error(err, CLI_USAGE_ERROR, 0,
                        "invalid --channels '%s': expected up to 64 indices from 0, A,B,...", s);
            return 0;
        }
        out[n++] = (int)v;
    }
    return n;
}

static gboolean check_channels(const int *ch, int n, int channels, const char *layer, GError **err)
{
    for (int i = 0; i < n; i++)
        if (ch[i] >= channels) {
            g_set_error(err, CLI_USAGE_ERROR, 0, "channel %d: layer '%s' has channels 0..%d", ch[i],
                        layer, channels - 1);
            return FALSE;
        }
    return TRUE;
}

/* How many patches a channel keeps while collecting: all images when
 * --per-source may skip some of the strongest. */
static int patch_capacity(guint n_items)
{
    return opt_per_source > 0 ? (int)n_items : opt_top;
}

/* Runs every item and keeps each channel's top patches (n_ch x capacity). */
static gboolean collect_patches(Features *f, GPtrArray *items, const VknnFrameInputParams *fp,
                                const VknnReceptiveField *rf, const int *ch, int n_ch,
                                VknnPatch *top, int *count, double *seconds, GError **err)
{
    const int cap = patch_capacity(items->len);
    g_autofree float *map = NULL;
    const gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < items->len; i++) {
        const Item *it = g_ptr_array_index(items, i);
        int c, h, w;
        if (!vknn_feature_net_run(f->net, it->pixels, fp->width, fp->height, err))
            return FALSE;
        vknn_feature_net_dims(f->net, &c, &h, &w);
        if (i == 0 && !check_channels(ch, n_ch, c, vknn_feature_net_layer(f->net), err))
            return FALSE;
        map = g_renew(float, map, (gsize)c *h *w);
        if (!vknn_feature_net_read(f->net, map, err))
            return FALSE;
        for (int k = 0; k < n_ch; k++)
            vknn_top_patches_add(top + (gsize)k * cap, &count[k], cap, map, h, w, ch[k], i,
                                 opt_edges ? NULL : rf, fp->width, fp->height);
        progress("patches", i + 1, items->len);
    }
    *seconds = (g_get_monotonic_time() - t0) / 1e6;
    return TRUE;
}

static float *draw_patches(const VknnReceptiveField *rf, GPtrArray *items,
                           const VknnFrameInputParams *fp, const int *ch, int n_ch,
                           const VknnPatch *top, const int *count, int *cw, int *chh)
{
    const int t = opt_thumb, gap = 4;
    *cw = gap + opt_top * (t + gap);
    *chh = gap + n_ch * (t + gap);
    float *canvas = white(*cw, *chh);
    g_autofree float *crop = g_new(float, 3 * (gsize)rf->size[0] * rf->size[1]);
    g_autofree float *tile = g_new(float, 3 * (gsize)t * t);
    const int cap = patch_capacity(items->len);
    g_autofree int *per_source = g_new(int, items->len);
    for (int k = 0; k < n_ch; k++) {
        printf("channel %d:", ch[k]);
        memset(per_source, 0, sizeof(int) * items->len);
        for (int j = 0, drawn = 0; j < count[k] && drawn < opt_top; j++) {
            const VknnPatch *p = &top[(gsize)k * cap + j];
            const Item *it = g_ptr_array_index(items, p->image);
            if (opt_per_source > 0 && per_source[it->source]++ >= opt_per_source)
                continue;
            vknn_patch_crop(rf, p, it->pixels, fp->width, fp->height, 0.5f, crop);
            vknn_image_resize(crop, rf->size[1], rf->size[0], tile, t, t);
            paste(canvas, *cw, *chh, tile, t, t, gap + drawn * (t + gap), gap + k * (t + gap));
            printf("%s %s@%d,%d (%.2f)", drawn ? "," : "", it->name, p->y, p->x, p->activation);
            drawn++;
        }
        printf("\n");
    }
    return canvas;
}

int cli_visualize_patches(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, patch_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc < 4)
        return cli_usage_error(cmd, "usage: vknn visualize patches MODEL.onnx DIR|VIDEO... OUT.png "
                                    "--layer NAME --channels A,B");
    if (!opt_layer || !opt_channels)
        return cli_usage_error(cmd, "--layer NAME and --channels A,B,... are required");
    if (opt_thumb == 0)
        opt_thumb = 64;
    if (opt_top < 1 || opt_top > 64 || opt_thumb < 8 || opt_thumb > 512 || opt_per_source < 0)
        return cli_usage_error(cmd, "--top must be 1..64, --thumb 8..512, --per-source >= 0");
    GError *err = NULL;
    int ch[64], count[64] = {0};
    const int n_ch = parse_channels(opt_channels, ch, &err);
    if (!n_ch)
        return cli_fail(err);
    VknnFrameInputParams fp;
    VknnReceptiveField rf;
    Features f = {0};
    g_autoptr(GPtrArray) items = NULL;
    g_autofree VknnPatch *top = NULL;
    double seconds = 0;
    gboolean ok = input_params(&fp, &err) && cli_image_check_output(argv[argc - 1], &err) &&
                  features_open(&f, argv[1], &fp, opt_layer, &err) &&
                  as_usage(vknn_receptive_field(f.model, opt_layer, &rf, &err), &err) &&
                  (items = load_set(argv + 2, argc - 3, &fp, &err));
    if (ok) {
        top = g_new(VknnPatch, (gsize)n_ch * patch_capacity(items->len));
        ok = collect_patches(&f, items, &fp, &rf, ch, n_ch, top, count, &seconds, &err);
    }
    if (ok) {
        printf("layer '%s': receptive field %dx%d pixels, jump %dx%d, from (%d, %d); %u images in "
               "%.2f s (%.1f images/s)\n",
               opt_layer, rf.size[0], rf.size[1], rf.jump[0], rf.jump[1], rf.start[0], rf.start[1],
               items->len, seconds, seconds > 0 ? items->len / seconds : 0.0);
        int cw, chh;
        g_autofree float *canvas = draw_patches(&rf, items, &fp, ch, n_ch, top, count, &cw, &chh);
        ok = save_canvas(argv[argc - 1], canvas, cw, chh, &err);
        if (ok)
            printf("-> %s (%dx%d: %d channels x top %d)\n", argv[argc - 1], cw, chh, n_ch, opt_top);
    }
    features_clear(&f);
    return ok ? 0 : cli_fail(err);
}
