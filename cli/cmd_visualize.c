/* vknn visualize METHOD: the CS231n toolbox of vknn/visualize.h as
 * subcommands, each with its own options:
 *
 *   filters      MODEL.onnx OUT.png          the first conv's kernels as a grid
 *   class        MODEL.onnx OUT.png --class C  class visualisation, gradient ascent
 *   adversarial  MODEL.onnx IMG OUT.png      FGSM or the iterative attack
 *   dream        MODEL.onnx IMG OUT.png --layer L   DeepDream
 *   invert       MODEL.onnx IMG OUT.png --layer L[,L...]  feature inversion
 *   texture      MODEL.onnx TEXTURE OUT.png  texture synthesis (Gram matrices)
 *   gatys        MODEL.onnx CONTENT STYLE OUT.png   style transfer by optimisation
 *   neighbours, embed, patches  last-layer features (cmd_features.c)
 *
 * Progress lines go to stderr, results to stdout. A class or layer the
 * model lacks is a usage error (exit 2), like any wrong option value. */
#include "cmd.h"
#include "image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options several subcommands take: the network input and the labels. */
static char *opt_size, *opt_mean, *opt_std, *opt_labels, *opt_layer;
static int opt_seed = 1;

#define INPUT_ENTRIES                                                                              \
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size, "Network input size (224x224)", "WxH"},       \
        {"mean",    0,                                                                             \
         0,         G_OPTION_ARG_STRING,                                                           \
         &opt_mean, "Input mean of RGB/255 (default ImageNet 0.485,0.456,0.406)",                  \
         "R,G,B"},                                                                                 \
        {"std",    0,                                                                              \
         0,        G_OPTION_ARG_STRING,                                                            \
         &opt_std, "Input std (default ImageNet 0.229,0.224,0.225)",                               \
         "R,G,B"},                                                                                 \
        {"labels", 0, 0, G_OPTION_ARG_FILENAME, &opt_labels, "Class names, one per line", "FILE"}, \
    {                                                                                              \
        "seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "Random seed (1)", "N"                          \
    }

/* ---- shared helpers --------------------------------------------------------- */

/* The network input: --size, --mean, --std. */
static gboolean input_params(VknnFrameInputParams *fp, GError **err)
{
    *fp = (VknnFrameInputParams)VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    return (!opt_size || cli_parse_size(opt_size, &fp->width, &fp->height, err)) &&
           (!opt_mean || cli_parse_rgb(opt_mean, "--mean", fp->mean, err)) &&
           (!opt_std || cli_parse_rgb(opt_std, "--std", fp->std, err)) &&
           cli_check_normalisation(fp, err);
}

/* A number or a fraction: "0.01", "2/255". */
static gboolean parse_amount(const char *s, const char *what, float *out, GError **err)
{
    char *end = NULL;
    double v = g_ascii_strtod(s, &end);
    if (end && *end == '/') {
        const double d = g_ascii_strtod(end + 1, &end);
        v = d != 0 ? v / d : NAN;
    }
    if (end && !*end && end != s && isfinite(v) && v >= 0) {
        *out = (float)v;
        return TRUE;
    }
    g_set_error(err, CLI_USAGE_ERROR, 0, "invalid %s '%s': expected a number >= 0 or A/B", what, s);
    return FALSE;
}

/* A class or a layer the model lacks was named on the command line. */
static gboolean as_usage(gboolean ok, GError **err)
{
    if (!ok && err && *err && g_error_matches(*err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND)) {
        (*err)->domain = CLI_USAGE_ERROR;
        (*err)->code = 0;
    }
    return ok;
}

static char **labels;
static int n_labels;

static const char *label(int c)
{
    return labels && c >= 0 && c < n_labels ? labels[c] : "";
}

static gboolean load_labels(GError **err)
{
    return !opt_labels || (labels = vknn_labels_load(opt_labels, &n_labels, err));
}

/* Pixels 0..1 -> 0..255 planes for cli_image_save. */
static gboolean save_pixels(const char *path, const float *x, int w, int h, float scale,
                            float offset, GError **err)
{
    const gsize n = 3 * (gsize)w * h;
    g_autofree float *out = g_new(float, n);
    for (gsize i = 0; i < n; i++)
        out[i] = 255.0f * (offset + scale * x[i]);
    return cli_image_save(path, out, w, h, err);
}

/* The model, a context and a visualizer for the network input fp. */
typedef struct {
    VknnModel *model;
    VknnContext *ctx;
    VknnVisualizer *vis;
} Vis;

static void vis_clear(Vis *v)
{
    vknn_visualizer_free(v->vis);
    vknn_context_free(v->ctx);
    vknn_model_free(v->model);
}

static gboolean vis_open(Vis *v, const char *path, const VknnFrameInputParams *fp,
                         const char *layer, GError **err)
{
    return (v->model = cli_load_model(path, err)) &&
           cli_check_size(v->model, path, fp->width, fp->height, err) &&
           (v->ctx = cli_open_context(err)) &&
           as_usage((v->vis = vknn_visualizer_new(v->ctx, v->model, fp, layer, err)) != NULL, err);
}

static void progress_line(const VknnVisProgress *p, void *user)
{
    const int every = GPOINTER_TO_INT(user);
    if (!p->done && p->iteration % every != 0)
        return;
    if (g_str_equal(p->method, "dream"))
        fprintf(stderr, "dream: octave %d/%d iteration %d/%d: layer mean square %.4g\n",
                p->octave + 1, p->octaves, p->iteration + 1, p->iterations, p->score);
    else
        fprintf(stderr, "%s: %s %d/%d: score %.3f (p %.4f), top-1 %d %s\n", p->method,
                p->done ? "done after" : "iteration", p->iteration, p->iterations, p->score,
                p->prob, p->top1, label(p->top1));
}

/* ---- filters -------------------------------------------------------------------- */

static gboolean opt_global;
static int opt_zoom = 8, opt_gap = 2;

static const GOptionEntry filter_entries[] = {
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
     "The Conv (node, weight or output name; default: the first on RGB with a kernel over 1x1)",
     "NAME"},
    {"global", 'g', 0, G_OPTION_ARG_NONE, &opt_global,
     "Scale all filters by the layer's range (default: each by its own)", NULL},
    {"zoom", 'z', 0, G_OPTION_ARG_INT, &opt_zoom, "Pixels a weight, nearest neighbour (8)", "N"},
    {"gap", 0, 0, G_OPTION_ARG_INT, &opt_gap, "White pixels between filters (2)", "N"},
    {NULL},
};

static int run_filters(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, filter_entries, 0, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 3)
        return cli_usage_error(cmd, "usage: vknn visualize filters MODEL.onnx OUT.png");
    if (opt_zoom < 1 || opt_zoom > 64 || opt_gap < 0 || opt_gap > 64)
        return cli_usage_error(cmd, "--zoom must be 1..64 and --gap 0..64");
    GError *err = NULL;
    VknnFilterGridParams p = VKNN_FILTER_GRID_PARAMS_DEFAULT;
    p.layer = opt_layer;
    p.global = opt_global;
    p.zoom = opt_zoom;
    p.gap = opt_gap;
    g_autoptr(VknnModel) model = NULL;
    VknnFilterGrid g = {0};
    gboolean ok = cli_image_check_output(argv[2], &err) &&
                  (model = vknn_model_load(argv[1], &err)) &&
                  as_usage(vknn_filter_grid(model, &p, &g, &err), &err) &&
                  save_pixels(argv[2], g.rgb, g.width, g.height, 1.0f, 0.0f, &err);
    if (ok)
        printf("%s: %d filters %dx%d%s, %s scale, %dx%d grid -> %s (%dx%d)\n", g.layer, g.filters,
               g.kh, g.kw, g.folded ? " (colour conv folded in)" : "",
               opt_global ? "global" : "per-filter", g.cols, g.rows, argv[2], g.width, g.height);
    vknn_filter_grid_clear(&g);
    return ok ? 0 : cli_fail(err);
}

/* ---- class visualisation ---------------------------------------------------------- */

#define NO_CLASS G_MININT
static int opt_class = NO_CLASS, opt_iterations = -1, opt_blur_every = 10, opt_jitter = -1;
static char *opt_step, *opt_optimizer, *opt_init;
static double opt_l2 = 1e-3, opt_blur_sigma = 0.5, opt_tv = 0, opt_noise = 0.1;

static const GOptionEntry class_entries[] = {
    {"class", 'c', 0, G_OPTION_ARG_INT, &opt_class, "The class to visualise (required)", "C"},
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "Steps (200)", "N"},
    {"step", 0, 0, G_OPTION_ARG_STRING, &opt_step,
     "Step in pixel units (0..1): the RMS change a step for sgd (0.01), Adam's rate", "S"},
    {"optimizer", 0, 0, G_OPTION_ARG_STRING, &opt_optimizer, "sgd (default) or adam", "NAME"},
    {"l2", 0, 0, G_OPTION_ARG_DOUBLE, &opt_l2, "Decay towards the mean colour a step (0.001)", "D"},
    {"blur-every", 0, 0, G_OPTION_ARG_INT, &opt_blur_every, "Blur every N steps, 0 never (10)",
     "N"},
    {"blur-sigma", 0, 0, G_OPTION_ARG_DOUBLE, &opt_blur_sigma, "Blur sigma in pixels (0.5)", "S"},
    {"jitter", 0, 0, G_OPTION_ARG_INT, &opt_jitter, "Random shifts up to +-J pixels (16)", "J"},
    {"tv", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tv, "Total-variation weight (0)", "W"},
    {"init", 0, 0, G_OPTION_ARG_STRING, &opt_init,
     "zero (the mean colour, default) or noise (plus Gaussian noise of --noise)", "FROM"},
    {"noise", 0, 0, G_OPTION_ARG_DOUBLE, &opt_noise, "Noise std in pixel units (0.1)", "S"},
    INPUT_ENTRIES,
    {NULL},
};

static gboolean class_params(VknnClassVisParams *p, GError **err)
{
    *p = (VknnClassVisParams)VKNN_CLASS_VIS_PARAMS_DEFAULT;
    p->target_class = opt_class;
    if (opt_iterations >= 0)
        p->iterations = opt_iterations;
    if (opt_jitter >= 0)
        p->jitter = opt_jitter;
    p->l2_decay = (float)opt_l2;
    p->blur_every = opt_blur_every;
    p->blur_sigma = (float)opt_blur_sigma;
    p->tv_weight = (float)opt_tv;
    p->seed = (guint32)opt_seed;
    const gboolean noise = opt_init && g_str_equal(opt_init, "noise");
    p->init_noise = noise ? (float)opt_noise : 0.0f;
    p->optimizer =
        opt_optimizer && g_str_equal(opt_optimizer, "adam") ? VKNN_VIS_ADAM : VKNN_VIS_SGD;
    if (opt_class == NO_CLASS)
        g_set_error(err, CLI_USAGE_ERROR, 0, "--class C is required");
    else if (opt_class < 0)
        g_set_error(err, CLI_USAGE_ERROR, 0, "--class %d: a class is an index from 0", opt_class);
    else if (opt_init && !noise && !g_str_equal(opt_init, "zero"))
        g_set_error(err, CLI_USAGE_ERROR, 0, "unknown --init '%s' (zero, noise)", opt_init);
    else if (opt_optimizer && !g_str_equal(opt_optimizer, "sgd") &&
             !g_str_equal(opt_optimizer, "adam"))
        g_set_error(err, CLI_USAGE_ERROR, 0, "unknown --optimizer '%s' (sgd, adam)", opt_optimizer);
    else if (!(opt_l2 >= 0 && opt_l2 < 1) || opt_blur_every < 0 || !(opt_blur_sigma >= 0) ||
             !(opt_tv >= 0) || !(opt_noise >= 0) || p->jitter > 1000)
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "--l2 must be in 0..1, --blur-every, --blur-sigma, --tv, --noise >= 0");
    else
        return !opt_step || parse_amount(opt_step, "--step", &p->step, err);
    return FALSE;
}

static int run_class(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, class_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 3)
        return cli_usage_error(cmd, "usage: vknn visualize class MODEL.onnx OUT.png --class C");
    GError *err = NULL;
    VknnClassVisParams p;
    VknnFrameInputParams fp;
    Vis v = {0};
    VknnVisResult r;
    g_autofree float *image = NULL;
    gboolean ok = class_params(&p, &err) && input_params(&fp, &err) && load_labels(&err) &&
                  cli_image_check_output(argv[2], &err) && vis_open(&v, argv[1], &fp, NULL, &err);
    if (ok) {
        image = g_new(float, 3 * fp.width * fp.height);
        ok = as_usage(vknn_class_visualize(v.vis, &p, fp.width, fp.height, image, progress_line,
                                           GINT_TO_POINTER(10), &r, &err),
                      &err) &&
             save_pixels(argv[2], image, fp.width, fp.height, 1.0f, 0.0f, &err);
    }
    vis_clear(&v);
    if (!ok)
        return cli_fail(err);
    printf("class %d %s: score %.3f -> %.3f, p %.4f -> %.4f, top-1 now %d %s\n", p.target_class,
           label(p.target_class), r.start_score, r.final_score, r.start_prob, r.final_prob,
           r.final_top1, label(r.final_top1));
    printf("%d iterations in %.1f s (%.2f it/s) -> %s\n", p.iterations, r.seconds,
           r.seconds > 0 ? p.iterations / r.seconds : 0.0, argv[2]);
    return 0;
}

/* ---- adversarial examples ------------------------------------------------------------ */

static char *opt_method, *opt_epsilon, *opt_perturbation;
static int opt_target = NO_CLASS;

static const GOptionEntry adversarial_entries[] = {
    {"method", 'm', 0, G_OPTION_ARG_STRING, &opt_method, "fgsm (default) or iterative", "M"},
    {"target", 't', 0, G_OPTION_ARG_INT, &opt_target,
     "Class to flip the top-1 to (default: untargeted, any other class)", "C"},
    {"epsilon", 'e', 0, G_OPTION_ARG_STRING, &opt_epsilon,
     "L-infinity budget in pixel units, e.g. 2/255 (default)", "E"},
    {"step", 0, 0, G_OPTION_ARG_STRING, &opt_step, "Iterative: step in pixel units (1/255)", "S"},
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "Iterative: at most N (50)", "N"},
    {"perturbation", 'p', 0, G_OPTION_ARG_FILENAME, &opt_perturbation,
     "Also write the perturbation x10 around mid-grey", "FILE.png"},
    INPUT_ENTRIES,
    {NULL},
};

static gboolean adversarial_params(VknnAdversarialParams *p, GError **err)
{
    *p = (VknnAdversarialParams)VKNN_ADVERSARIAL_PARAMS_DEFAULT;
    const gboolean iterative = opt_method && g_str_equal(opt_method, "iterative");
    p->method = iterative ? VKNN_ATTACK_ITERATIVE : VKNN_ATTACK_FGSM;
    p->target_class = opt_target == NO_CLASS ? -1 : opt_target;
    if (opt_iterations >= 0)
        p->iterations = opt_iterations;
    if (opt_method && !iterative && !g_str_equal(opt_method, "fgsm"))
        g_set_error(err, CLI_USAGE_ERROR, 0, "unknown --method '%s' (fgsm, iterative)", opt_method);
    else if (opt_target != NO_CLASS && opt_target < 0)
        g_set_error(err, CLI_USAGE_ERROR, 0, "--target %d: a class is an index from 0", opt_target);
    else
        return (!opt_epsilon || parse_amount(opt_epsilon, "--epsilon", &p->epsilon, err)) &&
               (!opt_step || parse_amount(opt_step, "--step", &p->step, err));
    return FALSE;
}

/* The crop the network sees, in pixels 0..1 on 8-bit levels (what a PNG
 * holds), so that the attack's budget counts levels. */
static gboolean load_pixels(const char *path, const VknnFrameInputParams *fp, float **x,
                            GError **err)
{
    VknnFrameInputParams raw = *fp;
    for (int c = 0; c < 3; c++) {
        raw.mean[c] = 0.0f;
        raw.std[c] = 1.0f;
    }
    if (!cli_image_load_input(path, &raw, x, err))
        return FALSE;
    for (int i = 0; i < 3 * fp->width * fp->height; i++)
        (*x)[i] = roundf((*x)[i] * 255.0f) / 255.0f;
    return TRUE;
}

static void print_attack(const VknnAdversarialParams *p, const VknnAdversarialResult *r,
                         const char *out)
{
    printf("clean: %d %s (p %.4f)\n", r->clean_class, label(r->clean_class), r->clean_prob);
    printf("adversarial: %d %s (p %.4f)%s\n", r->adv_class, label(r->adv_class), r->adv_prob,
           r->success ? "" : " -- the attack did not succeed");
    if (p->target_class >= 0)
        printf("target: %d %s (p %.4f)\n", p->target_class, label(p->target_class), r->target_prob);
    printf("L-inf %.5f = %.2f/255 (budget %.2f/255), %d steps in %.1f s -> %s\n", r->linf,
           r->linf * 255, p->epsilon * 255, r->iterations, r->seconds, out);
}

static int run_adversarial(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, adversarial_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 4)
        return cli_usage_error(cmd, "usage: vknn visualize adversarial MODEL.onnx IMG OUT.png");
    GError *err = NULL;
    VknnAdversarialParams p;
    VknnFrameInputParams fp;
    Vis v = {0};
    VknnAdversarialResult r;
    g_autofree float *image = NULL, *adv = NULL;
    gboolean ok = adversarial_params(&p, &err) && input_params(&fp, &err) && load_labels(&err) &&
                  cli_image_check_output(argv[3], &err) &&
                  (!opt_perturbation || cli_image_check_output(opt_perturbation, &err)) &&
                  vis_open(&v, argv[1], &fp, NULL, &err) && load_pixels(argv[2], &fp, &image, &err);
    if (ok) {
        const gsize n = 3 * (gsize)fp.width * fp.height;
        adv = g_new(float, n);
        ok = as_usage(vknn_adversarial(v.vis, &p, fp.width, fp.height, image, adv, progress_line,
                                       GINT_TO_POINTER(1), &r, &err),
                      &err) &&
             save_pixels(argv[3], adv, fp.width, fp.height, 1.0f, 0.0f, &err);
        for (gsize i = 0; ok && opt_perturbation && i < n; i++)
            image[i] = adv[i] - image[i];
        ok = ok && (!opt_perturbation ||
                    save_pixels(opt_perturbation, image, fp.width, fp.height, 10.0f, 0.5f, &err));
    }
    vis_clear(&v);
    if (!ok)
        return cli_fail(err);
    print_attack(&p, &r, argv[3]);
    return 0;
}

/* ---- DeepDream ------------------------------------------------------------------------ */

static int opt_octaves = 4;
static double opt_octave_scale = 1.4;

static const GOptionEntry dream_entries[] = {
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer, "The layer to amplify (required)", "NAME"},
    {"octaves", 0, 0, G_OPTION_ARG_INT, &opt_octaves, "Image scales (4)", "N"},
    {"octave-scale", 0, 0, G_OPTION_ARG_DOUBLE, &opt_octave_scale, "Ratio of scales (1.4)", "S"},
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "Steps an octave (10)", "N"},
    {"step", 0, 0, G_OPTION_ARG_STRING, &opt_step, "Step in pixel units, of g / mean|g| (1.5/255)",
     "S"},
    {"jitter", 0, 0, G_OPTION_ARG_INT, &opt_jitter, "Random shifts up to +-J pixels (32)", "J"},
    INPUT_ENTRIES,
    {NULL},
};

static gboolean dream_params(VknnDreamParams *p, GError **err)
{
    *p = (VknnDreamParams)VKNN_DREAM_PARAMS_DEFAULT;
    p->octaves = opt_octaves;
    p->octave_scale = (float)opt_octave_scale;
    p->seed = (guint32)opt_seed;
    if (opt_iterations >= 0)
        p->iterations = opt_iterations;
    if (opt_jitter >= 0)
        p->jitter = opt_jitter;
    if (!opt_layer)
        g_set_error(err, CLI_USAGE_ERROR, 0, "--layer NAME is required (vknn info lists them)");
    else if (opt_octaves < 1 || opt_octaves > 10 ||
             !(opt_octave_scale >= 1 && opt_octave_scale <= 4))
        g_set_error(err, CLI_USAGE_ERROR, 0, "--octaves must be 1..10, --octave-scale 1..4");
    else
        return !opt_step || parse_amount(opt_step, "--step", &p->step, err);
    return FALSE;
}

static int run_dream(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, dream_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 4)
        return cli_usage_error(cmd,
                               "usage: vknn visualize dream MODEL.onnx IMG OUT.png --layer NAME");
    GError *err = NULL;
    VknnDreamParams p;
    VknnFrameInputParams fp;
    Vis v = {0};
    VknnVisResult r;
    g_autofree float *image = NULL;
    gboolean ok = dream_params(&p, &err) && input_params(&fp, &err) &&
                  cli_image_check_output(argv[3], &err) &&
                  vis_open(&v, argv[1], &fp, opt_layer, &err) &&
                  load_pixels(argv[2], &fp, &image, &err) &&
                  vknn_dream(v.vis, &p, fp.width, fp.height, image, progress_line,
                             GINT_TO_POINTER(1), &r, &err) &&
                  save_pixels(argv[3], image, fp.width, fp.height, 1.0f, 0.0f, &err);
    vis_clear(&v);
    if (!ok)
        return cli_fail(err);
    const int steps = p.octaves * p.iterations;
    printf("layer %s: mean square %.4g -> %.4g; %d steps in %.1f s (%.2f it/s) -> %s\n", opt_layer,
           r.start_score, r.final_score, steps, r.seconds, r.seconds > 0 ? steps / r.seconds : 0.0,
           argv[3]);
    return 0;
}

/* ---- image synthesis: feature inversion, textures, Gatys style transfer ---------------- */

/* NAN: the method's default (vknn/synthesis.h). */
static double opt_lr = NAN, opt_synth_tv = NAN, opt_alpha = NAN, opt_alpha_weight = NAN,
              opt_content_weight = NAN, opt_style_weight = NAN;
static char *opt_style_layers, *opt_content_layer, *opt_style_size;

#define SYNTH_ENTRIES                                                                              \
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations, "Adam steps (200)", "N"},            \
        {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &opt_lr, "Adam's rate in pixel units (0.02)", "R"},      \
        {"tv", 0, 0, G_OPTION_ARG_DOUBLE, &opt_synth_tv, "Total-variation weight", "W"},           \
        {"noise", 0, 0, G_OPTION_ARG_DOUBLE, &opt_noise, "Start: noise std in pixel units (0.1)",  \
         "S"},                                                                                     \
        INPUT_ENTRIES

static const GOptionEntry invert_entries[] = {
    {"layer", 'l', 0, G_OPTION_ARG_STRING, &opt_layer,
     "Layers to invert, comma-separated: one reconstruction each, side by side (required)",
     "NAME[,NAME...]"},
    {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha, "The alpha-norm's exponent (6)", "A"},
    {"alpha-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha_weight, "Alpha-norm weight (0.001)",
     "W"},
    SYNTH_ENTRIES,
    {NULL},
};

static const GOptionEntry texture_entries[] = {
    {"style-layers", 0, 0, G_OPTION_ARG_STRING, &opt_style_layers,
     "Layers whose Gram matrices are matched (relu1_1,relu2_1,relu3_1)", "NAMES"},
    {"style-size", 0, 0, G_OPTION_ARG_STRING, &opt_style_size,
     "Size the texture is cropped to (default --size)", "WxH"},
    SYNTH_ENTRIES,
    {NULL},
};

static const GOptionEntry gatys_entries[] = {
    {"content-layer", 0, 0, G_OPTION_ARG_STRING, &opt_content_layer,
     "Layer whose features are matched (relu3_1)", "NAME"},
    {"style-layers", 0, 0, G_OPTION_ARG_STRING, &opt_style_layers,
     "Layers whose Gram matrices are matched (relu1_1,relu2_1,relu3_1)", "NAMES"},
    {"content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_content_weight, "Content weight (1)", "W"},
    {"style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_style_weight, "Style weight (10)", "W"},
    {"style-size", 0, 0, G_OPTION_ARG_STRING, &opt_style_size,
     "Size the style image is cropped to (default --size)", "WxH"},
    {"init", 0, 0, G_OPTION_ARG_STRING, &opt_init, "content (default) or noise", "FROM"},
    SYNTH_ENTRIES,
    {NULL},
};

static void set_if_given(float *field, double option)
{
    if (!isnan(option))
        *field = (float)option;
}

/* The options over the method's defaults; the layers are the caller's. */
static gboolean synth_params(VknnSynthParams *p, int *iterations, float *lr, GError **err)
{
    set_if_given(&p->tv_weight, opt_synth_tv);
    set_if_given(&p->alpha, opt_alpha);
    set_if_given(&p->alpha_weight, opt_alpha_weight);
    set_if_given(&p->content_weight, opt_content_weight);
    set_if_given(&p->style_weight, opt_style_weight);
    *iterations = opt_iterations >= 0 ? opt_iterations : 200;
    *lr = isnan(opt_lr) ? 0.02f : (float)opt_lr;
    if (*iterations > 100000 || !(*lr > 0) || !(opt_noise >= 0) || !(p->tv_weight >= 0) ||
        !(p->alpha_weight >= 0) || !(p->alpha >= 1) || !(p->content_weight >= 0) ||
        !(p->style_weight >= 0)) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "--iterations must be 0..100000, --lr > 0, --alpha >= 1, weights and "
                    "--noise >= 0");
        return FALSE;
    }
    return TRUE;
}

static void synth_progress(const VknnSynthProgress *p, void *user)
{
    const char *method = user;
    if (!p->done && p->iteration % 10 != 0)
        return;
    const VknnSynthLosses *l = &p->losses;
    fprintf(stderr,
            "%s: %s %d/%d: loss %.4g (content %.4g, style %.4g, tv %.4g, alpha %.4g), %.2f it/s\n",
            method, p->done ? "done after" : "iteration", p->iteration, p->iterations, l->total,
            l->content, l->style, l->tv, l->alpha,
            p->seconds > 0 ? p->iteration / p->seconds : 0.0);
}

static void print_synth(const char *what, const VknnSynthResult *r, int iterations)
{
    printf("%s: loss %.4g -> %.4g (content %.4g, style %.4g, tv %.4g, alpha %.4g); %d iterations "
           "in %.1f s (%.2f it/s)\n",
           what, r->start.total, r->final.total, r->final.content, r->final.style, r->final.tv,
           r->final.alpha, iterations, r->seconds, r->seconds > 0 ? iterations / r->seconds : 0.0);
}

/* A model, a context and a synthesizer for params. */
typedef struct {
    VknnModel *model;
    VknnContext *ctx;
    VknnSynthesizer *syn;
} Synth;

static void synth_clear(Synth *s)
{
    vknn_synthesizer_free(s->syn);
    vknn_context_free(s->ctx);
    vknn_model_free(s->model);
}

static gboolean synth_open(Synth *s, const char *path, const VknnFrameInputParams *fp,
                           const VknnSynthParams *p, GError **err)
{
    return (s->model || (s->model = cli_load_model(path, err))) &&
           cli_check_size(s->model, path, fp->width, fp->height, err) &&
           (s->ctx || (s->ctx = cli_open_context(err))) &&
           as_usage((s->syn = vknn_synthesizer_new(s->ctx, s->model, fp, p, err)) != NULL, err);
}

/* Pastes the 3 x h x w image into column k of a strip of n (gap pixels
 * of white between). */
static void paste(float *strip, int n, int k, const float *img, int w, int h, int gap)
{
    const int sw = n * w + (n - 1) * gap;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            memcpy(strip + ((gsize)c * h + y) * sw + k * (w + gap), img + ((gsize)c * h + y) * w,
                   sizeof(float) * w);
}

/* Inverts layer into x (from noise), printing its summary. */
static gboolean invert_layer(Synth *s, const char *model, const VknnFrameInputParams *fp,
                             const char *layer, const float *photo, float *x, GError **err)
{
    VknnSynthParams p = VKNN_SYNTH_INVERSION_DEFAULT;
    int iterations;
    float lr;
    VknnSynthResult r;
    p.content_layer = layer;
    vknn_synthesizer_free(g_steal_pointer(&s->syn));
    if (!synth_params(&p, &iterations, &lr, err) || !synth_open(s, model, fp, &p, err) ||
        !vknn_synthesizer_set_content(s->syn, photo, fp->width, fp->height, err))
        return FALSE;
    vknn_synth_noise_image(x, fp->width, fp->height, (float)opt_noise, (guint32)opt_seed);
    g_autofree char *what = g_strdup_printf("invert %s", layer);
    if (!vknn_synthesizer_optimize(s->syn, iterations, lr, fp->width, fp->height, x, synth_progress,
                                   what, &r, err))
        return FALSE;
    print_synth(what, &r, iterations);
    return TRUE;
}

/* Every layer exists, checked before the first one is inverted. */
static gboolean check_layers(Synth *s, const char *path, char **layers, GError **err)
{
    if (!s->model && !(s->model = cli_load_model(path, err)))
        return FALSE;
    for (char **l = layers; *l; l++) {
        const int v = vknn_model_find_value(s->model, g_strstrip(*l));
        if (v < 0 || vknn_model_value(s->model, v)->kind == VKNN_VALUE_CONSTANT) {
            g_set_error(err, CLI_USAGE_ERROR, 0,
                        "layer '%s' not found in the model (vknn info lists its tensors)", *l);
            return FALSE;
        }
    }
    return TRUE;
}

static int run_invert(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, invert_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 4)
        return cli_usage_error(
            cmd, "usage: vknn visualize invert MODEL.onnx IMG OUT.png --layer NAME[,NAME...]");
    if (!opt_layer || !*opt_layer)
        return cli_usage_error(cmd, "--layer NAME[,NAME...] is required (vknn info lists them)");
    GError *err = NULL;
    VknnFrameInputParams fp;
    Synth s = {0};
    g_auto(GStrv) layers = g_strsplit(opt_layer, ",", -1);
    const int n = (int)g_strv_length(layers) + 1, gap = 4;
    g_autofree float *photo = NULL, *x = NULL, *strip = NULL;
    gboolean ok = input_params(&fp, &err) && cli_image_check_output(argv[3], &err) &&
                  check_layers(&s, argv[1], layers, &err) &&
                  load_pixels(argv[2], &fp, &photo, &err);
    if (ok) {
        x = g_new(float, 3 * (gsize)fp.width * fp.height);
        strip = g_new(float, 3 * (gsize)(n * fp.width + (n - 1) * gap) * fp.height);
        for (gsize i = 0; i < 3 * (gsize)(n * fp.width + (n - 1) * gap) * fp.height; i++)
            strip[i] = 1.0f;
        paste(strip, n, 0, photo, fp.width, fp.height, gap);
    }
    for (int k = 1; ok && k < n; k++) {
        ok = invert_layer(&s, argv[1], &fp, g_strstrip(layers[k - 1]), photo, x, &err);
        if (ok)
            paste(strip, n, k, x, fp.width, fp.height, gap);
    }
    ok = ok &&
         save_pixels(argv[3], strip, n * fp.width + (n - 1) * gap, fp.height, 1.0f, 0.0f, &err);
    synth_clear(&s);
    if (!ok)
        return cli_fail(err);
    printf("photo and %d reconstruction%s side by side -> %s\n", n - 1, n == 2 ? "" : "s", argv[3]);
    return 0;
}

/* The style image at --style-size (default: the output's size). */
static gboolean load_style(const char *path, const VknnFrameInputParams *fp, float **x,
                           VknnFrameInputParams *style_fp, GError **err)
{
    *style_fp = *fp;
    return (!opt_style_size ||
            cli_parse_size(opt_style_size, &style_fp->width, &style_fp->height, err)) &&
           load_pixels(path, style_fp, x, err);
}

static int run_texture(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, texture_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 4)
        return cli_usage_error(cmd, "usage: vknn visualize texture MODEL.onnx TEXTURE OUT.png");
    GError *err = NULL;
    VknnFrameInputParams fp, sfp;
    VknnSynthParams p = VKNN_SYNTH_TEXTURE_DEFAULT;
    if (opt_style_layers)
        p.style_layers = opt_style_layers;
    int iterations;
    float lr;
    Synth s = {0};
    VknnSynthResult r;
    g_autofree float *style = NULL, *x = NULL;
    gboolean ok = synth_params(&p, &iterations, &lr, &err) && input_params(&fp, &err) &&
                  cli_image_check_output(argv[3], &err) &&
                  load_style(argv[2], &fp, &style, &sfp, &err) &&
                  synth_open(&s, argv[1], &fp, &p, &err) &&
                  vknn_synthesizer_set_style(s.syn, style, sfp.width, sfp.height, &err);
    if (ok) {
        x = g_new(float, 3 * (gsize)fp.width * fp.height);
        vknn_synth_noise_image(x, fp.width, fp.height, (float)opt_noise, (guint32)opt_seed);
        ok = vknn_synthesizer_optimize(s.syn, iterations, lr, fp.width, fp.height, x,
                                       synth_progress, "texture", &r, &err) &&
             save_pixels(argv[3], x, fp.width, fp.height, 1.0f, 0.0f, &err);
    }
    synth_clear(&s);
    if (!ok)
        return cli_fail(err);
    print_synth("texture", &r, iterations);
    return 0;
}

static int run_gatys(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, gatys_entries, CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 5)
        return cli_usage_error(cmd, "usage: vknn visualize gatys MODEL.onnx CONTENT STYLE OUT.png");
    const gboolean noise = opt_init && g_str_equal(opt_init, "noise");
    if (opt_init && !noise && !g_str_equal(opt_init, "content"))
        return cli_usage_error(cmd, "unknown --init (content, noise)");
    GError *err = NULL;
    VknnFrameInputParams fp, sfp;
    VknnSynthParams p = VKNN_SYNTH_STYLE_TRANSFER_DEFAULT;
    if (opt_style_layers)
        p.style_layers = opt_style_layers;
    if (opt_content_layer)
        p.content_layer = opt_content_layer;
    int iterations;
    float lr;
    Synth s = {0};
    VknnSynthResult r;
    g_autofree float *content = NULL, *style = NULL, *x = NULL;
    gboolean ok =
        synth_params(&p, &iterations, &lr, &err) && input_params(&fp, &err) &&
        cli_image_check_output(argv[4], &err) && load_pixels(argv[2], &fp, &content, &err) &&
        load_style(argv[3], &fp, &style, &sfp, &err) && synth_open(&s, argv[1], &fp, &p, &err) &&
        vknn_synthesizer_set_content(s.syn, content, fp.width, fp.height, &err) &&
        vknn_synthesizer_set_style(s.syn, style, sfp.width, sfp.height, &err);
    if (ok) {
        const gsize n = 3 * (gsize)fp.width * fp.height;
        x = g_memdup2(content, sizeof(float) * n);
        if (noise)
            vknn_synth_noise_image(x, fp.width, fp.height, (float)opt_noise, (guint32)opt_seed);
        ok = vknn_synthesizer_optimize(s.syn, iterations, lr, fp.width, fp.height, x,
                                       synth_progress, "gatys", &r, &err) &&
             save_pixels(argv[4], x, fp.width, fp.height, 1.0f, 0.0f, &err);
    }
    synth_clear(&s);
    if (!ok)
        return cli_fail(err);
    print_synth("gatys", &r, iterations);
    return 0;
}

#define METHOD_NAMES                                                                               \
    "filters, class, adversarial, dream, invert, texture, gatys, neighbours, embed, patches"

/* ---- dispatch ----------------------------------------------------------------------------- */

static const CliCommand methods[] = {
    {"visualize filters", "MODEL.onnx OUT.png", "the first convolution's kernels as an RGB grid",
     run_filters},
    {"visualize class", "MODEL.onnx OUT.png --class C",
     "class visualisation by gradient ascent (Simonyan et al. 2014, Yosinski et al. 2015)",
     run_class},
    {"visualize adversarial", "MODEL.onnx IMG OUT.png",
     "FGSM or iterative (targeted) adversarial example within an L-infinity budget",
     run_adversarial},
    {"visualize dream", "MODEL.onnx IMG OUT.png --layer NAME", "DeepDream on a still image",
     run_dream},
    {"visualize invert", "MODEL.onnx IMG OUT.png --layer L,...",
     "feature inversion (Mahendran & Vedaldi 2015), layers side by side", run_invert},
    {"visualize texture", "MODEL.onnx TEXTURE OUT.png",
     "texture synthesis by Gram matrices (Gatys et al. 2015)", run_texture},
    {"visualize gatys", "MODEL.onnx CONTENT STYLE OUT.png",
     "style transfer by optimisation (Gatys et al. 2016)", run_gatys},
    {"visualize neighbours", "MODEL.onnx SET... OUT.png -q IMG",
     "nearest neighbours in a SET (folders, images, videos) by penultimate features",
     cli_visualize_neighbours},
    {"visualize embed", "MODEL.onnx SET... OUT.png",
     "t-SNE or PCA of a SET's features as a thumbnail plot", cli_visualize_embed},
    {"visualize patches", "MODEL.onnx SET... OUT.png --layer L",
     "top receptive-field crops of a layer's --channels over a SET", cli_visualize_patches},
};

static void print_methods(FILE *f)
{
    fprintf(f, "Usage: vknn visualize METHOD ARGS [OPTIONS]\n\nMethods:\n");
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
        fprintf(f, "  %-12s %-36s %s\n", methods[i].name + strlen("visualize "), methods[i].args,
                methods[i].summary);
    fprintf(f, "\nvknn visualize METHOD --help lists its options.\n");
}

int cli_cmd_visualize(const CliCommand *cmd, int argc, char **argv)
{
    if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
        print_methods(stdout);
        return 0;
    }
    for (gsize i = 0; argc >= 2 && i < G_N_ELEMENTS(methods); i++)
        if (g_str_equal(argv[1], methods[i].name + strlen("visualize "))) {
            const int status = methods[i].run(&methods[i], argc - 1, argv + 1);
            g_strfreev(labels);
            return status;
        }
    g_autofree char *msg = argc < 2
                               ? g_strdup("a method is required: " METHOD_NAMES)
                               : g_strdup_printf("unknown method '%s' (" METHOD_NAMES ")", argv[1]);
    return cli_usage_error(cmd, msg);
}
