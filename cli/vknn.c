/* vknn — command-line front end of libvknn.
 *
 *   vknn devices                              Vulkan devices and the one chosen
 *   vknn info MODEL.onnx [--size WxH]         inputs, outputs, tensors, ops, FLOPs
 *   vknn stylize MODEL.onnx IN OUT.png [--size WxH]
 *   vknn bench MODEL.onnx --size WxH [--runs N]
 *   vknn explain MODEL.onnx IMG OUT.png [--method M|all] [--class C] [--layer L]
 *   vknn train --style IMG --content DIR --loss-net ONNX --out STYLE.onnx [--steps N]
 *
 * Every command takes --device SEL (index, name substring or UUID; default:
 * $VKNN_DEVICE or the best device). Errors are one line on stderr and exit 1.
 */
#include "explain.h"
#include "image.h"
#include "profile.h"
#include "train.h"

#include <vknn/vknn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *opt_device;
static char *opt_size;
static int opt_runs = 10;
static gboolean opt_validate;
static char *opt_save_input;
static char *opt_save_output;
static gboolean opt_profile;
static char *opt_precision;
static char *opt_method;
static int opt_class = -1;
static char *opt_layer;
static char *opt_labels;
static char *opt_mean;
static char *opt_std;
static char *opt_colormap;
static double opt_alpha = 0.5;
static int opt_samples = 16;
static int opt_patch = 32;
static int opt_stride = 16;
static char *opt_save_map;
static char *opt_backward;
static char *opt_style;
static char *opt_content;
static char *opt_loss_net;
static char *opt_out;
static char *opt_resume;
static char *opt_checkpoint;
static int opt_steps = 2000;
static int opt_batch = 1;
static int opt_channels = 16;
static int opt_style_size = 256;
static double opt_lr = 1e-3;
static double opt_style_weight = -1, opt_content_weight = -1, opt_tv_weight = -1;
static int opt_seed = 1;
static int opt_checkpoint_every = 100;
static int opt_preview_every = 100;
static char *opt_style_layers;
static char *opt_content_layer;

static const GOptionEntry common_entries[] = {
    {"device", 'd', 0, G_OPTION_ARG_STRING, &opt_device,
     "Vulkan device: index, name substring or UUID (default: $VKNN_DEVICE or the best)", "SEL"},
    {"validate", 0, 0, G_OPTION_ARG_NONE, &opt_validate,
     "Enable the Vulkan validation layer when installed", NULL},
    {NULL},
};

static int fail(GError *err)
{
    fprintf(stderr, "vknn: error: %s\n", err ? err->message : "unknown failure");
    g_clear_error(&err);
    return 1;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "vknn: error: %s (see vknn --help)\n", msg);
    return 1;
}

static gboolean parse_size(const char *s, int *w, int *h, GError **err)
{
    char *end = NULL;
    long a = strtol(s, &end, 10);
    long b = end && (*end == 'x' || *end == 'X') ? strtol(end + 1, &end, 10) : -1;
    if (!end || *end || a < 1 || b < 1 || a > 16384 || b > 16384) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "invalid size '%s': expected WxH, e.g. 640x480", s);
        return FALSE;
    }
    *w = (int)a;
    *h = (int)b;
    return TRUE;
}

static VknnContext *open_context(GError **err)
{
    VknnContextOptions o = {.device = opt_device, .validation = opt_validate};
    return vknn_context_new(&o, err);
}

/* ---- devices ------------------------------------------------------------- */

static int cmd_devices(int argc, char **argv)
{
    GError *err = NULL;
    g_autoptr(GArray) devs = vknn_list_devices(opt_device, &err);
    if (!devs)
        return fail(err);
    if (devs->len == 0)
        return usage_error("no Vulkan device found (install mesa-vulkan-drivers for lavapipe)");
    for (guint i = 0; i < devs->len; i++) {
        const VknnDeviceInfo *d = &g_array_index(devs, VknnDeviceInfo, i);
        char uuid[40];
        printf("%s %d: %s\n", d->selected ? "*" : " ", d->index, d->name);
        printf("      type %s, Vulkan %u.%u.%u, %.1f GiB device-local, uuid %s%s\n",
               vknn_device_type_str(d->type), VK_API_VERSION_MAJOR(d->api_version),
               VK_API_VERSION_MINOR(d->api_version), VK_API_VERSION_PATCH(d->api_version),
               d->device_local_bytes / 1073741824.0, vknn_uuid_str(d->uuid, uuid),
               d->has_compute ? "" : " (unusable: no compute queue or Vulkan < 1.1)");
    }
    gboolean any = FALSE;
    for (guint i = 0; i < devs->len; i++)
        any |= g_array_index(devs, VknnDeviceInfo, i).selected;
    const char *sel = opt_device ? opt_device : g_getenv("VKNN_DEVICE");
    if (!any) {
        fprintf(stderr, "vknn: error: no usable device matches \"%s\"\n", sel ? sel : "");
        return 1;
    }
    printf("* = chosen%s\n", sel ? " by the selector" : " automatically");
    return 0;
}

/* ---- info ------------------------------------------------------------------ */

static void print_value_line(const VknnModel *m, const VknnValue *v)
{
    char s[64];
    const char *op = v->producer >= 0              ? vknn_model_node(m, v->producer)->op_type
                     : v->kind == VKNN_VALUE_INPUT ? "input"
                                                   : "constant";
    printf("  %-40s %-20s %s\n", v->name, vknn_shape_str(&v->shape, s, sizeof s), op);
}

static char *declared_str(const VknnValue *v)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < v->declared.rank; i++) {
        if (i)
            g_string_append_c(s, 'x');
        if (v->declared.dims[i] >= 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT, v->declared.dims[i]);
        else
            g_string_append(s, v->dim_names[i] ? v->dim_names[i] : "?");
    }
    return g_string_free(s, FALSE);
}

static int cmd_info(int argc, char **argv)
{
    if (argc != 2)
        return usage_error("usage: vknn info MODEL.onnx [--size WxH]");
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(argv[1], &err);
    if (!m)
        return fail(err);
    int w = 224, h = 224;
    if (opt_size && !parse_size(opt_size, &w, &h, &err))
        return fail(err);
    g_autofree VknnShape *shapes = g_new(VknnShape, m->inputs->len);
    for (guint i = 0; i < m->inputs->len; i++)
        shapes[i] = vknn_model_default_input_shape(m, (int)i, h, w);
    if (!vknn_model_infer_shapes(m, shapes, &err))
        return fail(err);

    printf("model: %s (opset %d%s%s)\n", argv[1], m->opset, m->producer ? ", from " : "",
           m->producer ? m->producer : "");
    printf("inputs:\n");
    for (guint i = 0; i < m->inputs->len; i++) {
        const VknnValue *v = vknn_model_value(m, g_array_index(m->inputs, int, i));
        g_autofree char *decl = declared_str(v);
        char s[64];
        printf("  %s  declared %s, at --size: %s\n", v->name, decl,
               vknn_shape_str(&v->shape, s, sizeof s));
    }
    printf("outputs:\n");
    for (guint i = 0; i < m->outputs->len; i++)
        print_value_line(m, vknn_model_value(m, g_array_index(m->outputs, int, i)));
    printf("tensors (name, shape at %dx%d, produced by):\n", w, h);
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, i);
        if (v->kind == VKNN_VALUE_ACTIVATION)
            print_value_line(m, v);
    }
    g_autoptr(GHashTable) ops = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < m->nodes->len; i++) {
        const char *op = vknn_model_node(m, i)->op_type;
        g_hash_table_insert(ops, (gpointer)op,
                            GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(ops, op)) + 1));
    }
    printf("ops (%u nodes):", m->nodes->len);
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(ops), (GCompareFunc)strcmp);
    for (GList *k = keys; k; k = k->next)
        printf(" %s x%d", (char *)k->data, GPOINTER_TO_INT(g_hash_table_lookup(ops, k->data)));
    VknnModelStats st;
    vknn_model_stats(m, &st);
    printf("\nparameters: %" G_GINT64_FORMAT " (%.2f MB fp32)\n", st.params, st.params * 4 / 1e6);
    printf("FLOPs at %dx%d: %.3f G (%.1f k multiply-adds per pixel)\n", w, h, st.flops / 1e9,
           st.flops / 2 / ((double)w * h) / 1e3);
    printf("largest activation: %.2f MB fp32\n", st.activation_bytes_max / 1e6);
    return 0;
}

/* ---- stylize ----------------------------------------------------------------- */

/* Loads the model, prepares it at the given input shape on a new context. */
static gboolean open_net(const char *path, int w, int h, VknnContext **ctx, VknnModel **model,
                         VknnNet **net, GError **err)
{
    *model = vknn_model_load(path, err);
    if (!*model)
        return FALSE;
    if ((*model)->inputs->len != 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "%s: the model has %u inputs; expected 1", path, (*model)->inputs->len);
        return FALSE;
    }
    *ctx = open_context(err);
    if (!*ctx)
        return FALSE;
    *net = vknn_net_new(*ctx, *model, err);
    if (!*net)
        return FALSE;
    vknn_net_set_profiling(*net, opt_profile);
    if (opt_precision && g_str_equal(opt_precision, "fp16-tiles"))
        vknn_net_set_precision(*net, VKNN_PRECISION_FP16_TILES);
    else if (opt_precision && !g_str_equal(opt_precision, "fp32")) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "--precision: '%s' is not fp32 or fp16-tiles", opt_precision);
        return FALSE;
    }
    if (opt_backward && !vknn_net_request_grad(*net, opt_backward, err))
        return FALSE;
    VknnShape shape = vknn_model_default_input_shape(*model, 0, h, w);
    return vknn_net_prepare(*net, &shape, err);
}

static void close_net(VknnContext *ctx, VknnModel *model, VknnNet *net)
{
    vknn_net_free(net);
    vknn_context_free(ctx);
    vknn_model_free(model);
}

/* Raw little-endian float32, the format of ../shared/golden and peers.py. */
static gboolean save_f32(const char *path, const float *data, gsize count, GError **err)
{
    return g_file_set_contents(path, (const char *)data, (gssize)(count * sizeof(float)), err);
}

static int cmd_stylize(int argc, char **argv)
{
    if (argc != 4)
        return usage_error("usage: vknn stylize MODEL.onnx IN.{png,jpg} OUT.png [--size WxH]");
    GError *err = NULL;
    int w = 0, h = 0;
    if (opt_size && !parse_size(opt_size, &w, &h, &err))
        return fail(err);
    CliImage img = {0};
    if (!cli_image_load(argv[2], w, h, &img, &err))
        return fail(err);
    VknnContext *ctx = NULL;
    VknnModel *model = NULL;
    VknnNet *net = NULL;
    g_autofree float *result = NULL;
    int rc = 1;
    if (opt_save_input &&
        !save_f32(opt_save_input, img.data, (gsize)3 * img.width * img.height, &err))
        goto out;
    if (!open_net(argv[1], img.width, img.height, &ctx, &model, &net, &err))
        goto out;
    const VknnValue *in = vknn_model_value(model, g_array_index(model->inputs, int, 0));
    if (in->shape.rank != 4 || in->shape.dims[1] != 3) {
        g_set_error(&err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "%s is not a style model: its input is not [1,3,H,W]", argv[1]);
        goto out;
    }
    const float *inputs[] = {img.data};
    if (!vknn_net_run(net, inputs, &err))
        goto out;
    const VknnValue *ov = vknn_model_value(model, g_array_index(model->outputs, int, 0));
    const VknnShape *os = &ov->shape;
    if (os->rank != 4 || os->dims[1] != 3) {
        g_set_error(&err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "%s is not a style model: its output is not [1,3,H,W]", argv[1]);
        goto out;
    }
    result = g_new(float, vknn_shape_numel(os));
    if (!vknn_net_read(net, ov->name, result, &err) ||
        (opt_save_output && !save_f32(opt_save_output, result, vknn_shape_numel(os), &err)) ||
        !cli_image_save_png(argv[3], result, (int)os->dims[3], (int)os->dims[2], &err))
        goto out;
    printf("%s: %dx%d -> %s %dx%d on %s\n", argv[2], img.width, img.height, argv[3],
           (int)os->dims[3], (int)os->dims[2], vknn_context_device_name(ctx));
    rc = 0;
out:
    close_net(ctx, model, net);
    cli_image_clear(&img);
    return rc ? fail(err) : 0;
}

/* ---- bench ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmd_bench(int argc, char **argv)
{
    if (argc != 2 || !opt_size)
        return usage_error("usage: vknn bench MODEL.onnx --size WxH [--runs N]");
    GError *err = NULL;
    int w, h;
    if (!parse_size(opt_size, &w, &h, &err))
        return fail(err);
    if (opt_runs < 1 || opt_runs > 10000)
        return usage_error("--runs must be 1..10000");
    VknnContext *ctx = NULL;
    VknnModel *model = NULL;
    VknnNet *net = NULL;
    g_autofree float *input = NULL;
    g_autofree double *ms = NULL, *device_ms = NULL;
    g_autofree float *seed = NULL;
    int rc = 1;
    gint64 t0 = g_get_monotonic_time();
    if (!open_net(argv[1], w, h, &ctx, &model, &net, &err))
        goto out;
    const double prepare_ms = (g_get_monotonic_time() - t0) / 1e3;
    const VknnValue *in = vknn_model_value(model, g_array_index(model->inputs, int, 0));
    const int64_t numel = vknn_shape_numel(&in->shape);
    input = g_new(float, numel);
    GRand *rand = g_rand_new_with_seed(1);
    for (int64_t i = 0; i < numel; i++)
        input[i] = (float)g_rand_double_range(rand, 0, 255);
    g_rand_free(rand);
    const float *inputs[] = {input};
    const VknnValue *out0 = vknn_model_value(model, g_array_index(model->outputs, int, 0));
    seed = g_new0(float, vknn_shape_numel(&out0->shape));
    seed[0] = 1.0f; /* d output[0]: e.g. one class score */
    ms = g_new(double, opt_runs);
    device_ms = g_new(double, opt_runs);
    for (int i = -1; i < opt_runs; i++) { /* run -1 warms up */
        t0 = g_get_monotonic_time();
        if (!vknn_net_run(net, inputs, &err))
            goto out;
        const double forward_device_ms = vknn_net_last_device_ms(net);
        if (opt_backward && !vknn_net_backward(net, seed, &err))
            goto out;
        if (i >= 0) {
            ms[i] = (g_get_monotonic_time() - t0) / 1e3;
            device_ms[i] = forward_device_ms;
        }
    }
    qsort(ms, opt_runs, sizeof(double), cmp_double);
    qsort(device_ms, opt_runs, sizeof(double), cmp_double);
    VknnNetMemory mem;
    vknn_net_memory(net, &mem);
    VknnModelStats st;
    vknn_model_stats(model, &st);
    printf("model %s at %dx%d on %s%s%s\n", argv[1], w, h, vknn_context_device_name(ctx),
           opt_backward ? ", forward + backward to " : "", opt_backward ? opt_backward : "");
    printf("runs %d: min %.2f ms, median %.2f ms (%.1f GFLOP/s at the median); first prepare %.0f "
           "ms\n",
           opt_runs, ms[0], ms[opt_runs / 2], st.flops / (ms[opt_runs / 2] * 1e6), prepare_ms);
    if (device_ms[0] >= 0)
        printf("forward device time (the network, without the input upload): min %.2f ms, "
               "median %.2f ms\n",
               device_ms[0], device_ms[opt_runs / 2]);
    printf("device memory: activations %.1f MiB peak (%.1f MiB without reuse), weights %.1f MiB; "
           "%d dispatches per run\n",
           mem.activation_bytes / 1048576.0, mem.naive_activation_bytes / 1048576.0,
           mem.weight_bytes / 1048576.0, mem.dispatches);
    if (opt_profile && !cli_print_profile(vknn_net_profile(net, &err), "forward", &err))
        goto out;
    if (opt_profile && opt_backward &&
        !cli_print_profile(vknn_net_profile_backward(net, &err), "backward", &err))
        goto out;
    rc = 0;
out:
    close_net(ctx, model, net);
    return rc ? fail(err) : 0;
}

/* ---- explain ---------------------------------------------------------------- */

/* Parses "a,b,c" into three floats. */
static gboolean parse_triple(const char *s, const char *what, float out[3], GError **err)
{
    g_auto(GStrv) parts = g_strsplit(s, ",", -1);
    char *end = NULL;
    for (int i = 0; i < 3 && parts[i]; i++) {
        out[i] = (float)g_ascii_strtod(parts[i], &end);
        if (!end || *end)
            break;
        if (i == 2 && !parts[3])
            return TRUE;
    }
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "invalid %s '%s': expected R,G,B", what, s);
    return FALSE;
}

static gboolean explain_options(CliExplainOptions *o, VknnFrameInputParams *fp, GError **err)
{
    o->params = (VknnExplainParams)VKNN_EXPLAIN_PARAMS_DEFAULT;
    o->colormap = VKNN_COLORMAP_TURBO;
    o->alpha = (float)opt_alpha;
    o->save_map = opt_save_map;
    o->all = opt_method && g_str_equal(opt_method, "all");
    if (opt_method && !o->all && !vknn_explain_method_from_string(opt_method, &o->params.method)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "unknown method '%s' (gradient, guided, gradcam, smoothgrad, occlusion, all)",
                    opt_method);
        return FALSE;
    }
    if (opt_colormap && !vknn_colormap_from_string(opt_colormap, &o->colormap)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "unknown colormap '%s' (turbo, jet, inferno, viridis, gray)", opt_colormap);
        return FALSE;
    }
    if (opt_alpha < 0 || opt_alpha > 1 || opt_samples < 1 || opt_patch < 1 || opt_stride < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "--alpha must be in 0..1, --samples, --patch and --stride positive");
        return FALSE;
    }
    o->params.target_class = opt_class;
    o->params.layer = opt_layer;
    o->params.smooth_samples = opt_samples;
    o->params.occlusion_patch = opt_patch;
    o->params.occlusion_stride = opt_stride;
    *fp = (VknnFrameInputParams)VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    if ((opt_size && !parse_size(opt_size, &fp->width, &fp->height, err)) ||
        (opt_mean && !parse_triple(opt_mean, "--mean", fp->mean, err)) ||
        (opt_std && !parse_triple(opt_std, "--std", fp->std, err)))
        return FALSE;
    if (opt_labels && !(o->labels = vknn_labels_load(opt_labels, &o->n_labels, err)))
        return FALSE;
    return TRUE;
}

/* The photo as RGBA bytes, preprocessed into the network input. */
static gboolean load_input(const char *path, const VknnFrameInputParams *fp, float **input,
                           GError **err)
{
    g_auto(CliImage) img = {0};
    if (!cli_image_load(path, 0, 0, &img, err))
        return FALSE;
    const int n = img.width * img.height;
    g_autofree guint8 *rgba = g_new(guint8, 4 * n);
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++)
            rgba[4 * i + c] = (guint8)CLAMP(lrintf(img.data[c * n + i]), 0, 255);
        rgba[4 * i + 3] = 255;
    }
    *input = g_new(float, 3 * fp->width * fp->height);
    vknn_frame_input_host(fp, VKNN_PIXEL_RGBA, rgba, img.width, img.height, 4 * img.width, *input);
    return TRUE;
}

static int cmd_explain(int argc, char **argv)
{
    if (argc != 4)
        return usage_error("usage: vknn explain MODEL.onnx IMG OUT.png [--method M|all] "
                           "[--class C] [--layer L] [--labels FILE]");
    GError *err = NULL;
    CliExplainOptions o = {0};
    VknnFrameInputParams fp;
    g_autofree float *input = NULL;
    g_autoptr(VknnContext) ctx = NULL;
    g_autoptr(VknnModel) model = NULL;
    gboolean ok = explain_options(&o, &fp, &err) && load_input(argv[2], &fp, &input, &err) &&
                  (model = vknn_model_load(argv[1], &err)) && (ctx = open_context(&err)) &&
                  cli_explain(ctx, model, input, &fp, &o, argv[3], &err);
    g_strfreev(o.labels);
    if (!ok)
        return fail(err);
    printf("wrote %s\n", argv[3]);
    return 0;
}

/* ---- train ------------------------------------------------------------------ */

static int cmd_train(int argc, char **argv)
{
    if (argc != 1 || !opt_style || !opt_content || !opt_loss_net || !opt_out)
        return usage_error("usage: vknn train --style IMG --content DIR --loss-net ONNX "
                           "--out STYLE.onnx [--steps N] [--size S] [--channels C]");
    int size = 128, size_h = 128;
    GError *err = NULL;
    if (opt_size && !strchr(opt_size, 'x')) {
        g_autofree char *square = g_strdup_printf("%sx%s", opt_size, opt_size);
        if (!parse_size(square, &size, &size_h, &err))
            return fail(err);
    } else if (opt_size && !parse_size(opt_size, &size, &size_h, &err)) {
        return fail(err);
    }
    if (size != size_h)
        return usage_error("training crops are square: --size S");
    if (opt_steps < 1 || opt_batch < 1 || opt_batch > 64 || size < 16 || opt_style_size < 16 ||
        opt_lr <= 0)
        return usage_error("--steps, --batch (<= 64) and --lr must be positive, --size and "
                           "--style-size at least 16");
    CliTrainOptions o = {
        .params = VKNN_TRAIN_PARAMS_DEFAULT,
        .style = opt_style,
        .style_size = opt_style_size,
        .content = opt_content,
        .out = opt_out,
        .resume = opt_resume,
        .steps = opt_steps,
        .checkpoint_every = opt_checkpoint_every,
        .preview_every = opt_preview_every,
        .profile = opt_profile,
    };
    o.params.channels = opt_channels;
    o.params.size = size;
    o.params.batch = opt_batch;
    o.params.lr = (float)opt_lr;
    o.params.seed = (guint32)opt_seed;
    if (opt_style_weight >= 0)
        o.params.style_weight = (float)opt_style_weight;
    if (opt_content_weight >= 0)
        o.params.content_weight = (float)opt_content_weight;
    if (opt_tv_weight >= 0)
        o.params.tv_weight = (float)opt_tv_weight;
    if (opt_style_layers)
        o.params.style_layers = opt_style_layers;
    if (opt_content_layer)
        o.params.content_layer = opt_content_layer;
    g_autofree char *checkpoint =
        opt_checkpoint ? g_strdup(opt_checkpoint) : g_strconcat(opt_out, ".ckpt", NULL);
    o.checkpoint = checkpoint;
    g_autoptr(VknnModel) loss_net = vknn_model_load(opt_loss_net, &err);
    g_autoptr(VknnContext) ctx = loss_net ? open_context(&err) : NULL;
    if (!ctx || !cli_train(ctx, loss_net, &o, &err))
        return fail(err);
    return 0;
}

/* ---- main ------------------------------------------------------------------- */

typedef struct {
    const char *name, *args, *summary;
    int (*run)(int argc, char **argv);
} Command;

static const Command commands[] = {
    {"devices", "", "list Vulkan devices and the one vknn chooses", cmd_devices},
    {"info", "MODEL.onnx", "inputs, outputs, tensors, op counts, parameters, FLOPs", cmd_info},
    {"stylize", "MODEL.onnx IN OUT.png", "run a style model on an image", cmd_stylize},
    {"bench", "MODEL.onnx --size WxH", "time inference: min and median ms, device memory",
     cmd_bench},
    {"explain", "MODEL.onnx IMG OUT.png", "saliency map of a classifier (--method, --class)",
     cmd_explain},
    {"train", "--style IMG --content DIR", "train a style network (--loss-net, --out)", cmd_train},
};

static void print_help(void)
{
    printf("Usage: vknn COMMAND [ARGS] [OPTIONS]\n\nCommands:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        printf("  %-8s %-24s %s\n", commands[i].name, commands[i].args, commands[i].summary);
    printf("\nOptions: --device SEL, --size WxH, --runs N, --validate. Run vknn COMMAND --help.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
        print_help();
        return argc < 2;
    }
    const Command *cmd = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        if (g_str_equal(argv[1], commands[i].name))
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "vknn: error: unknown command '%s' (see vknn --help)\n", argv[1]);
        return 1;
    }
    GOptionEntry entries[] = {
        {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size,
         "Input size (resize images first); train: crop size S (128)", "WxH"},
        {"runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Timed runs (bench, default 10)", "N"},
        {"profile", 0, 0, G_OPTION_ARG_NONE, &opt_profile,
         "bench, train: device time per op type and the slowest steps (timestamps)", NULL},
        {"precision", 0, 0, G_OPTION_ARG_STRING, &opt_precision,
         "bench, stylize: fp32 (default) or fp16-tiles (Winograd tiles stored as fp16)", "P"},
        {"save-input", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_input,
         "stylize: also write the network input as raw float32 NCHW", "FILE.f32"},
        {"save-output", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_output,
         "stylize: also write the unclamped network output as raw float32 NCHW", "FILE.f32"},
        {"method", 'm', 0, G_OPTION_ARG_STRING, &opt_method,
         "explain: gradient, guided, gradcam (default), smoothgrad, occlusion, or all side by side",
         "M"},
        {"class", 'c', 0, G_OPTION_ARG_INT, &opt_class,
         "explain: class to explain (default: top-1)", "C"},
        {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
         "explain: Grad-CAM layer (default: the last spatial feature layer)", "NAME"},
        {"labels", 0, 0, G_OPTION_ARG_FILENAME, &opt_labels, "explain: class names, one per line",
         "FILE"},
        {"mean", 0, 0, G_OPTION_ARG_STRING, &opt_mean,
         "explain: input mean of RGB/255 (default ImageNet 0.485,0.456,0.406)", "R,G,B"},
        {"std", 0, 0, G_OPTION_ARG_STRING, &opt_std,
         "explain: input std (default ImageNet 0.229,0.224,0.225)", "R,G,B"},
        {"colormap", 0, 0, G_OPTION_ARG_STRING, &opt_colormap,
         "explain: turbo (default), jet, inferno, viridis, gray", "NAME"},
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha, "explain: heatmap opacity (0.5)", "A"},
        {"samples", 0, 0, G_OPTION_ARG_INT, &opt_samples, "explain: SmoothGrad samples (16)", "N"},
        {"patch", 0, 0, G_OPTION_ARG_INT, &opt_patch, "explain: occlusion patch in pixels (32)",
         "P"},
        {"stride", 0, 0, G_OPTION_ARG_INT, &opt_stride, "explain: occlusion stride (16)", "S"},
        {"backward", 0, 0, G_OPTION_ARG_STRING, &opt_backward,
         "bench: also time the backward pass from the first output to this tensor", "NAME"},
        {"style", 0, 0, G_OPTION_ARG_FILENAME, &opt_style,
         "train: the style image; several, comma-separated: one multi-style network", "IMG[,IMG]"},
        {"content", 0, 0, G_OPTION_ARG_FILENAME, &opt_content, "train: folder of content images",
         "DIR"},
        {"loss-net", 0, 0, G_OPTION_ARG_FILENAME, &opt_loss_net,
         "train: loss network (e.g. vgg19_normalised_relu3_1.onnx)", "ONNX"},
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "train: the trained network",
         "STYLE.onnx"},
        {"steps", 0, 0, G_OPTION_ARG_INT, &opt_steps, "train: total steps (2000)", "N"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "train: images per step (1)", "B"},
        {"channels", 0, 0, G_OPTION_ARG_INT, &opt_channels,
         "train: base channels of the network (16; 32 is the original)", "C"},
        {"style-size", 0, 0, G_OPTION_ARG_INT, &opt_style_size,
         "train: shorter side of the style image (256)", "S"},
        {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &opt_lr, "train: Adam learning rate (1e-3)", "LR"},
        {"style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_style_weight,
         "train: style loss weight (1e4)", "W"},
        {"content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_content_weight,
         "train: content loss weight (1)", "W"},
        {"tv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tv_weight,
         "train: total-variation weight (1e-6)", "W"},
        {"style-layers", 0, 0, G_OPTION_ARG_STRING, &opt_style_layers,
         "train: loss-net tensors for style (relu1_1,relu2_1,relu3_1)", "A,B"},
        {"content-layer", 0, 0, G_OPTION_ARG_STRING, &opt_content_layer,
         "train: loss-net tensor for content (relu2_1)", "NAME"},
        {"seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "train: initialisation and data order (1)",
         "N"},
        {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &opt_checkpoint,
         "train: checkpoint file (OUT.ckpt)", "FILE"},
        {"checkpoint-every", 0, 0, G_OPTION_ARG_INT, &opt_checkpoint_every,
         "train: steps between checkpoints and plots (100)", "N"},
        {"preview-every", 0, 0, G_OPTION_ARG_INT, &opt_preview_every,
         "train: steps between previews, OUT.preview.png (100)", "N"},
        {"resume", 0, 0, G_OPTION_ARG_FILENAME, &opt_resume, "train: continue from a checkpoint",
         "FILE"},
        {"save-map", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_map,
         "explain: also write the raw map as float32 (.METHOD appended with --method all)",
         "FILE.f32"},
        {NULL},
    };
    g_autofree char *param = g_strdup_printf("%s %s", cmd->name, cmd->args);
    g_autoptr(GOptionContext) oc = g_option_context_new(param);
    g_option_context_set_summary(oc, cmd->summary);
    g_option_context_add_main_entries(oc, entries, NULL);
    g_option_context_add_main_entries(oc, common_entries, NULL);
    GError *err = NULL;
    /* argv[1] is the command; GOption treats argv[0] as the program. */
    if (!g_option_context_parse(oc, &argc, &argv, &err))
        return fail(err);
    return cmd->run(argc - 1, argv + 1);
}
