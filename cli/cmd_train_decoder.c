/* vknn train-decoder: the options of a decoder's training run (universal
 * style transfer, vknn/wct.h); cli/train.c trains. */
#include "cmd.h"
#include "train.h"

static char *opt_content;
static char *opt_encoder;
static char *opt_layer;
static char *opt_out;
static char *opt_resume;
static char *opt_checkpoint;
static int opt_steps = 2000;
static int opt_size = 128;
static int opt_batch = 1;
static int opt_width = 64;
static double opt_lr = 1e-3;
static double opt_pixel_weight = 1, opt_feature_weight = 1e-2, opt_tv_weight = 0;
static int opt_seed = 1;
static int opt_checkpoint_every = 100;
static int opt_preview_every = 100;

static const GOptionEntry entries[] = {
    {"content", 0, 0, G_OPTION_ARG_FILENAME, &opt_content,
     "Folder of content images, or a video file", "DIR"},
    {"encoder", 0, 0, G_OPTION_ARG_FILENAME, &opt_encoder,
     "The encoder, RGB 0..1 in (default builtin:vgg19_relu3_1)", "ONNX"},
    {"layer", 0, 0, G_OPTION_ARG_STRING, &opt_layer,
     "The encoder's tensor the decoder inverts (relu3_1; a quarter of the input's size)", "NAME"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "The trained decoder", "DECODER.onnx"},
    {"steps", 0, 0, G_OPTION_ARG_INT, &opt_steps, "Total steps (2000)", "N"},
    {"size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Crop size, a multiple of 4 (128)", "S"},
    {"batch", 0, 0, G_OPTION_ARG_INT, &opt_batch, "Images per step (1)", "B"},
    {"width", 0, 0, G_OPTION_ARG_INT, &opt_width,
     "Channels of the decoder's last layers (64, the original; 2x that before)", "W"},
    {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &opt_lr, "Adam learning rate (1e-3)", "LR"},
    {"pixel-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_pixel_weight,
     "Weight of the pixel loss, mean squared error in 0..1 (1)", "W"},
    {"feature-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_feature_weight,
     "Weight of the feature loss at the layer (1e-2)", "W"},
    {"tv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tv_weight, "Total-variation weight (0)", "W"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &opt_seed, "Initialisation and data order (1)", "N"},
    {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &opt_checkpoint, "Checkpoint file (OUT.ckpt)",
     "FILE"},
    {"checkpoint-every", 0, 0, G_OPTION_ARG_INT, &opt_checkpoint_every,
     "Steps between checkpoints and plots (100)", "N"},
    {"preview-every", 0, 0, G_OPTION_ARG_INT, &opt_preview_every,
     "Steps between previews, OUT.preview.png (100)", "N"},
    {"resume", 0, 0, G_OPTION_ARG_FILENAME, &opt_resume, "Continue from a checkpoint", "FILE"},
    {NULL},
};

static int train_decoder(void)
{
    g_autofree char *checkpoint =
        opt_checkpoint ? g_strdup(opt_checkpoint) : g_strconcat(opt_out, ".ckpt", NULL);
    CliTrainOptions o = {
        .params = (VknnTrainParams)VKNN_TRAIN_PARAMS_DEFAULT,
        .decoder_layer = opt_layer ? opt_layer : "relu3_1",
        .content = opt_content,
        .out = opt_out,
        .checkpoint = checkpoint,
        .resume = opt_resume,
        .steps = opt_steps,
        .checkpoint_every = opt_checkpoint_every,
        .preview_every = opt_preview_every,
        .profile = cli_shared.profile,
    };
    o.params.channels = opt_width;
    o.params.size = opt_size;
    o.params.batch = opt_batch;
    o.params.lr = (float)opt_lr;
    o.params.seed = (guint32)opt_seed;
    o.params.pixel_weight = (float)opt_pixel_weight;
    o.params.content_weight = (float)opt_feature_weight;
    o.params.tv_weight = (float)opt_tv_weight;
    GError *err = NULL;
    g_autoptr(VknnModel) encoder =
        vknn_model_load(opt_encoder ? opt_encoder : "builtin:vgg19_relu3_1", &err);
    g_autoptr(VknnContext) ctx = encoder ? cli_open_context(&err) : NULL;
    if (!ctx || !cli_train(ctx, encoder, &o, &err))
        return cli_fail(err);
    return 0;
}

int cli_cmd_train_decoder(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, CLI_OPT_PROFILE | CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 1 || !opt_content || !opt_out)
        return cli_usage_error(cmd, "usage: vknn train-decoder --content DIR|VIDEO --out "
                                    "DECODER.onnx [--layer relu3_1] [--steps N] [--size S]");
    if (opt_steps < 1 || opt_batch < 1 || opt_batch > 64 || opt_size < 16 || opt_size % 4 ||
        opt_width < 1 || opt_width > 256 || !(opt_lr > 0))
        return cli_usage_error(cmd, "--steps, --batch (<= 64) and --lr must be positive, --size "
                                    "a multiple of 4 of at least 16, --width 1..256");
    if (!(opt_pixel_weight >= 0) || !(opt_feature_weight >= 0) || !(opt_tv_weight >= 0))
        return cli_usage_error(cmd, "the loss weights must be >= 0");
    return train_decoder();
}
