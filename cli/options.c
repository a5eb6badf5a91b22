/* The options that several vknn commands share, the parsing of a command's
 * options, its one-line errors, and the context and network that the shared
 * options describe. */
#include "cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

CliSharedOptions cli_shared = {
    .train = {.steps = 2000,
              .batch = 1,
              .seed = 1,
              .checkpoint_every = 100,
              .preview_every = 100,
              .lr = 1e-3},
};

GQuark cli_usage_error_quark(void)
{
    return g_quark_from_static_string("vknn-cli-usage-error");
}

/* One table, so that a shared option is described alike in each --help. */
static const struct {
    CliSharedOptionSet flag;
    GOptionEntry entry;
} shared_entries[] = {
    {CLI_OPT_PRECISION,
     {"precision", 0, 0, G_OPTION_ARG_STRING, &cli_shared.precision,
      "fp32 (default) or fp16-tiles (Winograd tiles stored as fp16)", "P"}},
    {CLI_OPT_PROFILE,
     {"profile", 0, 0, G_OPTION_ARG_NONE, &cli_shared.profile,
      "Device time per op type and the slowest steps (timestamps)", NULL}},
    {CLI_OPT_DEVICE,
     {"device", 'd', 0, G_OPTION_ARG_STRING, &cli_shared.device,
      "Vulkan device: index, name substring or UUID (default: $VKNN_DEVICE or the best)", "SEL"}},
    {CLI_OPT_VALIDATE,
     {"validate", 0, 0, G_OPTION_ARG_NONE, &cli_shared.validate,
      "Enable the Vulkan validation layer when installed", NULL}},
    {CLI_OPT_TRAIN_RUN,
     {"content", 0, 0, G_OPTION_ARG_FILENAME, &cli_shared.train.content,
      "Folder of content images, or a video file", "DIR"}},
    {CLI_OPT_TRAIN_RUN,
     {"out", 'o', 0, G_OPTION_ARG_FILENAME, &cli_shared.train.out, "The trained network",
      "NET.onnx"}},
    {CLI_OPT_TRAIN_RUN,
     {"steps", 0, 0, G_OPTION_ARG_INT, &cli_shared.train.steps, "Total steps (2000)", "N"}},
    {CLI_OPT_TRAIN_RUN,
     {"batch", 0, 0, G_OPTION_ARG_INT, &cli_shared.train.batch, "Images per step (1)", "B"}},
    {CLI_OPT_TRAIN_RUN,
     {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &cli_shared.train.lr, "Adam learning rate (1e-3)", "LR"}},
    {CLI_OPT_TRAIN_RUN,
     {"seed", 0, 0, G_OPTION_ARG_INT, &cli_shared.train.seed, "Initialisation and data order (1)",
      "N"}},
    {CLI_OPT_TRAIN_RUN,
     {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &cli_shared.train.checkpoint,
      "Checkpoint file (OUT.ckpt)", "FILE"}},
    {CLI_OPT_TRAIN_RUN,
     {"checkpoint-every", 0, 0, G_OPTION_ARG_INT, &cli_shared.train.checkpoint_every,
      "Steps between checkpoints and plots (100)", "N"}},
    {CLI_OPT_TRAIN_RUN,
     {"preview-every", 0, 0, G_OPTION_ARG_INT, &cli_shared.train.preview_every,
      "Steps between previews, OUT.preview.png (100)", "N"}},
    {CLI_OPT_TRAIN_RUN,
     {"resume", 0, 0, G_OPTION_ARG_FILENAME, &cli_shared.train.resume, "Continue from a checkpoint",
      "FILE"}},
    {CLI_OPT_TRAIN_RUN,
     {"init", 0, 0, G_OPTION_ARG_FILENAME, &cli_shared.train.init,
      "Start from this network's weights (fine-tuning; same architecture)", "NET.onnx"}},
};

/* The shared entries named by set, NULL-terminated as GOption wants them. */
static GArray *shared_option_entries(CliSharedOptionSet set)
{
    GArray *entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
    for (gsize i = 0; i < G_N_ELEMENTS(shared_entries); i++)
        if (set & shared_entries[i].flag)
            g_array_append_val(entries, shared_entries[i].entry);
    return entries;
}

static gboolean check_train_run(const CliTrainRun *r, GError **err)
{
    if (r->steps < 1 || r->batch < 1 || r->batch > 64 || !(r->lr > 0)) {
        g_set_error(err, CLI_USAGE_ERROR, 0, "--steps, --batch (<= 64) and --lr must be positive");
        return FALSE;
    }
    if (r->init && r->resume) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "--init and --resume exclude each other: a checkpoint holds its own weights");
        return FALSE;
    }
    return TRUE;
}

/* The shared options' values, checked before a command loads anything. */
static gboolean check_shared_options(CliSharedOptionSet set, GError **err)
{
    const char *p = cli_shared.precision;
    if (p && !g_str_equal(p, "fp32") && !g_str_equal(p, "fp16-tiles")) {
        g_set_error(err, CLI_USAGE_ERROR, 0, "--precision: '%s' is not fp32 or fp16-tiles", p);
        return FALSE;
    }
    return !(set & CLI_OPT_TRAIN_RUN) || check_train_run(&cli_shared.train, err);
}

gboolean cli_parse_options(const CliCommand *cmd, const GOptionEntry *entries,
                           CliSharedOptionSet shared, int *argc, char ***argv)
{
    /* GOption's help begins "Usage: PRGNAME [OPTION…] ARGS"; argv[0], the
     * command's name, is skipped as the program's. */
    g_autofree char *prgname = g_strdup_printf("vknn %s", cmd->name);
    g_set_prgname(prgname);
    g_autoptr(GOptionContext) oc = g_option_context_new(cmd->args);
    g_option_context_set_summary(oc, cmd->summary);
    if (entries)
        g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GArray) common = shared_option_entries(shared);
    g_option_context_add_main_entries(oc, (const GOptionEntry *)common->data, NULL);
    GError *err = NULL;
    if (g_option_context_parse(oc, argc, argv, &err) && check_shared_options(shared, &err))
        return TRUE;
    /* GLib says "Unknown option --x": lower case reads on after "CMD: ". */
    err->message[0] = g_ascii_tolower(err->message[0]);
    fprintf(stderr, "vknn: error: %s: %s (see vknn %s --help)\n", cmd->name, err->message,
            cmd->name);
    g_error_free(err);
    return FALSE;
}

int cli_usage_error(const CliCommand *cmd, const char *msg)
{
    fprintf(stderr, "vknn: error: %s (see vknn %s --help)\n", msg, cmd->name);
    return CLI_EXIT_USAGE;
}

int cli_fail(GError *err)
{
    const gboolean usage = err && err->domain == CLI_USAGE_ERROR;
    /* cli_parse_options() named the program "vknn CMD". */
    if (usage)
        fprintf(stderr, "vknn: error: %s (see %s --help)\n", err->message, g_get_prgname());
    else
        fprintf(stderr, "vknn: error: %s\n", err ? err->message : "unknown failure");
    g_clear_error(&err);
    return usage ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}

gboolean cli_parse_size(const char *s, int *w, int *h, GError **err)
{
    char *end = NULL;
    long a = strtol(s, &end, 10);
    long b = end && (*end == 'x' || *end == 'X') ? strtol(end + 1, &end, 10) : -1;
    if (!end || *end || a < 1 || b < 1 || a > 16384 || b > 16384) {
        g_set_error(err, CLI_USAGE_ERROR, 0,
                    "invalid size '%s': expected WxH, e.g. 640x480, each side 1..16384", s);
        return FALSE;
    }
    *w = (int)a;
    *h = (int)b;
    return TRUE;
}

gboolean cli_parse_rgb(const char *s, const char *what, float out[3], GError **err)
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
    g_set_error(err, CLI_USAGE_ERROR, 0, "invalid %s '%s': expected R,G,B", what, s);
    return FALSE;
}

/* A std <= 0 or a value that is not a number would feed the network
 * infinities or NaNs, and the result would be noise without a word. */
gboolean cli_check_normalisation(const VknnFrameInputParams *fp, GError **err)
{
    for (int c = 0; c < 3; c++)
        if (!isfinite(fp->mean[c]) || !isfinite(fp->std[c]) || fp->std[c] <= 0) {
            g_set_error(err, CLI_USAGE_ERROR, 0,
                        "--mean %g,%g,%g --std %g,%g,%g: each std must be positive and every "
                        "value a finite number",
                        fp->mean[0], fp->mean[1], fp->mean[2], fp->std[0], fp->std[1], fp->std[2]);
            return FALSE;
        }
    return TRUE;
}

VknnContext *cli_open_context(GError **err)
{
    VknnContextOptions o = {.device = cli_shared.device, .validation = cli_shared.validate};
    return vknn_context_new(&o, err);
}

/* --precision, checked by check_shared_options(). */
static void set_precision(VknnNet *net)
{
    if (cli_shared.precision && g_str_equal(cli_shared.precision, "fp16-tiles"))
        vknn_net_set_precision(net, VKNN_PRECISION_FP16_TILES);
}

VknnModel *cli_load_model(const char *path, GError **err)
{
    g_autoptr(VknnModel) m = vknn_model_load(path, err);
    if (m && m->inputs->len != 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "%s: the model has %u inputs; expected 1", path, m->inputs->len);
        return NULL;
    }
    return g_steal_pointer(&m);
}

/* Bytes of a tensor as libvknn stores it (docs/architecture.md): fp32, the
 * shape padded on the right to (n, c, h, w), channels packed by 4 into
 * vec4s. vknn_model_stats() counts plain elements, which underestimates a
 * 3-channel image by a third. */
static guint64 packed_bytes(const VknnShape *s)
{
    guint64 d[4] = {1, 1, 1, 1};
    for (int i = 0; i < s->rank && i < 4; i++)
        d[i] = (guint64)s->dims[i];
    return d[0] * ((d[1] + 3) / 4) * d[2] * d[3] * 16;
}

/* Refuses a tensor over CLI_MAX_TENSOR_BYTES; what names the model and the
 * size. */
static gboolean tensor_fits(const char *name, const VknnShape *shape, const char *what,
                            GError **err)
{
    const guint64 bytes = packed_bytes(shape);
    if (bytes <= CLI_MAX_TENSOR_BYTES)
        return TRUE;
    char s[64];
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT,
                "%s: its tensor '%s' (%s) would take %.1f GiB as libvknn stores it, over the 4 GiB "
                "that one Vulkan buffer can hold on any device: use a smaller size",
                what, name, vknn_shape_str(shape, s, sizeof s), bytes / 1073741824.0);
    return FALSE;
}

/* The largest tensor that is not a constant, at the inferred shapes. */
static const VknnValue *largest_tensor(const VknnModel *m)
{
    const VknnValue *largest = NULL;
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, i);
        if (v->kind != VKNN_VALUE_CONSTANT &&
            (!largest || packed_bytes(&v->shape) > packed_bytes(&largest->shape)))
            largest = v;
    }
    return largest;
}

gboolean cli_check_size(VknnModel *m, const char *path, int w, int h, GError **err)
{
    g_autofree char *what = g_strdup_printf("%s cannot run at %dx%d", path, w, h);
    const VknnShape in = vknn_model_default_input_shape(m, 0, h, w);
    const char *in_name = vknn_model_value(m, g_array_index(m->inputs, int, 0))->name;
    /* The input alone first: inference names no size when it fails. */
    if (!tensor_fits(in_name, &in, what, err))
        return FALSE;
    GError *e = NULL;
    if (!vknn_model_infer_shapes(m, &in, &e)) {
        g_set_error(err, e->domain, e->code, "%s: %s", what, e->message);
        g_error_free(e);
        return FALSE;
    }
    const VknnValue *v = largest_tensor(m);
    return tensor_fits(v->name, &v->shape, what, err);
}

gboolean cli_open_net(const char *path, int w, int h, const char *grad_to, CliNet *n, GError **err)
{
    if (!(n->model = cli_load_model(path, err)) || !cli_check_size(n->model, path, w, h, err))
        return FALSE;
    if (!(n->ctx = cli_open_context(err)) || !(n->net = vknn_net_new(n->ctx, n->model, err)))
        return FALSE;
    vknn_net_set_profiling(n->net, cli_shared.profile);
    set_precision(n->net);
    if (grad_to && !vknn_net_request_grad(n->net, grad_to, err))
        return FALSE;
    VknnShape shape = vknn_model_default_input_shape(n->model, 0, h, w);
    return vknn_net_prepare(n->net, &shape, err);
}

void cli_net_clear(CliNet *n)
{
    vknn_net_free(n->net);
    vknn_context_free(n->ctx);
    vknn_model_free(n->model);
    *n = (CliNet){0};
}
