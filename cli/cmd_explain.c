/* vknn explain: the options of a saliency map and the photo as the network
 * sees it; cli/explain.c explains and draws. */
#include "cmd.h"
#include "explain.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <stdio.h>

static char *opt_size;
static char *opt_method;
/* Not given: the top-1 class (VknnExplainParams' -1, which --class does not take). */
#define CLASS_TOP1 G_MININT
static int opt_class = CLASS_TOP1;
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

static const GOptionEntry entries[] = {
    {"method", 'm', 0, G_OPTION_ARG_STRING, &opt_method,
     "gradient, guided, gradcam (default), smoothgrad, occlusion, or all side by side", "M"},
    {"class", 'c', 0, G_OPTION_ARG_INT, &opt_class, "Class to explain (default: top-1)", "C"},
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
     "Grad-CAM layer (default: the last spatial feature layer)", "NAME"},
    {"labels", 0, 0, G_OPTION_ARG_FILENAME, &opt_labels, "Class names, one per line", "FILE"},
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size, "The network's input crop (224x224)", "WxH"},
    {"mean", 0, 0, G_OPTION_ARG_STRING, &opt_mean,
     "Input mean of RGB/255 (default ImageNet 0.485,0.456,0.406)", "R,G,B"},
    {"std", 0, 0, G_OPTION_ARG_STRING, &opt_std, "Input std (default ImageNet 0.229,0.224,0.225)",
     "R,G,B"},
    {"colormap", 0, 0, G_OPTION_ARG_STRING, &opt_colormap,
     "turbo (default), jet, inferno, viridis, gray", "NAME"},
    {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha, "Heatmap opacity (0.5)", "A"},
    {"samples", 0, 0, G_OPTION_ARG_INT, &opt_samples, "SmoothGrad samples (16)", "N"},
    {"patch", 0, 0, G_OPTION_ARG_INT, &opt_patch, "Occlusion patch in pixels (32)", "P"},
    {"stride", 0, 0, G_OPTION_ARG_INT, &opt_stride, "Occlusion stride (16)", "S"},
    {"save-map", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_map,
     "Also write the raw map as float32 (.METHOD appended with --method all)", "FILE.f32"},
    {NULL},
};

/* --method, --colormap and the numbers that must be in range. */
static gboolean map_options(CliExplainOptions *o, GError **err)
{
    o->params = (VknnExplainParams)VKNN_EXPLAIN_PARAMS_DEFAULT;
    o->colormap = VKNN_COLORMAP_TURBO;
    o->all = opt_method && g_str_equal(opt_method, "all");
    if (opt_method && !o->all && !vknn_explain_method_from_string(opt_method, &o->params.method)) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "unknown method '%s' (gradient, guided, gradcam, smoothgrad, occlusion, all)",
                    opt_method);
        return FALSE;
    }
    if (opt_colormap && !vknn_colormap_from_string(opt_colormap, &o->colormap)) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "unknown colormap '%s' (turbo, jet, inferno, viridis, gray)", opt_colormap);
        return FALSE;
    }
    /* Written so that a NaN --alpha fails too. */
    if (!(opt_alpha >= 0 && opt_alpha <= 1) || opt_samples < 1 || opt_patch < 1 || opt_stride < 1) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "--alpha must be in 0..1, --samples, --patch and --stride positive");
        return FALSE;
    }
    if (opt_class != CLASS_TOP1 && opt_class < 0) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "--class %d: a class is an index from 0 (leave --class out for the top-1)",
                    opt_class);
        return FALSE;
    }
    return TRUE;
}

static gboolean explain_options(CliExplainOptions *o, VknnFrameInputParams *fp, GError **err)
{
    if (!map_options(o, err))
        return FALSE;
    o->alpha = (float)opt_alpha;
    o->save_map = opt_save_map;
    o->params.target_class = opt_class == CLASS_TOP1 ? -1 : opt_class;
    o->params.layer = opt_layer;
    o->params.smooth_samples = opt_samples;
    o->params.occlusion_patch = opt_patch;
    o->params.occlusion_stride = opt_stride;
    *fp = (VknnFrameInputParams)VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    if ((opt_size && !cli_parse_size(opt_size, &fp->width, &fp->height, err)) ||
        (opt_mean && !cli_parse_rgb(opt_mean, "--mean", fp->mean, err)) ||
        (opt_std && !cli_parse_rgb(opt_std, "--std", fp->std, err)) ||
        !cli_check_normalisation(fp, err))
        return FALSE;
    if (opt_labels && !(o->labels = vknn_labels_load(opt_labels, &o->n_labels, err)))
        return FALSE;
    return TRUE;
}

int cli_cmd_explain(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 4)
        return cli_usage_error(cmd,
                               "usage: vknn explain MODEL.onnx IMG OUT.{png,jpg} [--method M|all] "
                               "[--class C] [--layer L] [--labels FILE]");
    GError *err = NULL;
    CliExplainOptions o = {0};
    VknnFrameInputParams fp;
    g_autofree float *input = NULL;
    g_autoptr(VknnContext) ctx = NULL;
    g_autoptr(VknnModel) model = NULL;
    /* The crop size is checked against the model, then against the
     * device, before the photo is read and cropped. */
    gboolean ok = explain_options(&o, &fp, &err) && cli_image_check_output(argv[3], &err) &&
                  (model = cli_load_model(argv[1], &err)) &&
                  cli_check_size(model, argv[1], fp.width, fp.height, &err) &&
                  (ctx = cli_open_context(&err)) && cli_explain_fits(ctx, model, &fp, &o, &err) &&
                  cli_image_load_input(argv[2], &fp, &input, &err) &&
                  cli_explain(ctx, model, input, &fp, &o, argv[3], &err);
    g_strfreev(o.labels);
    if (!ok)
        return cli_fail(err);
    printf("wrote %s\n", argv[3]);
    return 0;
}
