/* vknn train-decoder: the options of a decoder's training run (universal
 * style transfer, vknn/wct.h); cli/train.c trains. */
#include "cmd.h"
#include "train.h"

static char *opt_encoder;
static char *opt_layer;
static int opt_size = 128;
static int opt_width = 64;
static double opt_color_jitter = 0;
static double opt_pixel_weight = 1, opt_feature_weight = 1e-2, opt_tv_weight = 0;

static const GOptionEntry entries[] = {
    {"encoder", 0, 0, G_OPTION_ARG_FILENAME, &opt_encoder,
     "The encoder, RGB 0..1 in (default builtin:vgg19_relu3_1)", "ONNX"},
    {"layer", 0, 0, G_OPTION_ARG_STRING, &opt_layer,
     "The encoder's tensor the decoder inverts (relu3_1; a quarter of the input's size)", "NAME"},
    {"size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Crop size, a multiple of 4 (128)", "S"},
    {"width", 0, 0, G_OPTION_ARG_INT, &opt_width,
     "Channels of the decoder's last layers (64, the original; 2x that before)", "W"},
    {"color-jitter", 0, 0, G_OPTION_ARG_DOUBLE, &opt_color_jitter,
     "Turn each crop's hues by up to J x 180 degrees and scale its saturation by 2^(+-J), "
     "for colours the content lacks (0)",
     "J"},
    {"pixel-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_pixel_weight,
     "Weight of the pixel loss, mean squared error in 0..1 (1)", "W"},
    {"feature-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_feature_weight,
     "Weight of the feature loss at the layer (1e-2)", "W"},
    {"tv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tv_weight, "Total-variation weight (0)", "W"},
    {NULL},
};

static int train_decoder(void)
{
    CliTrainOptions o = {
        .params = cli_train_run_params(&cli_shared.train),
        .run = &cli_shared.train,
        .decoder_layer = opt_layer ? opt_layer : "relu3_1",
        .color_jitter = opt_color_jitter,
        .profile = cli_shared.profile,
    };
    o.params.channels = opt_width;
    o.params.size = opt_size;
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
    if (!cli_parse_options(cmd, entries, CLI_OPT_PROFILE | CLI_OPT_CONTEXT | CLI_OPT_TRAIN_RUN,
                           &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 1 || !cli_shared.train.content || !cli_shared.train.out)
        return cli_usage_error(cmd, "usage: vknn train-decoder --content DIR|VIDEO --out "
                                    "DECODER.onnx [--layer relu3_1] [--steps N] [--size S]");
    if (opt_size < 16 || opt_size % 4 || opt_width < 1 || opt_width > 256)
        return cli_usage_error(cmd, "--size must be a multiple of 4 of at least 16, --width "
                                    "1..256");
    if (!(opt_color_jitter >= 0 && opt_color_jitter <= 1))
        return cli_usage_error(cmd, "--color-jitter must be in 0..1");
    if (!(opt_pixel_weight >= 0) || !(opt_feature_weight >= 0) || !(opt_tv_weight >= 0))
        return cli_usage_error(cmd, "the loss weights must be >= 0");
    return train_decoder();
}
