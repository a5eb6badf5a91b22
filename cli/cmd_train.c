/* vknn train: the options of a training run; cli/train.c trains. */
#include "cmd.h"
#include "train.h"

#include <math.h>
#include <string.h>

static char *opt_size;
static char *opt_style;
static char *opt_loss_net;
static int opt_channels = 16;
static int opt_style_size = 256;
/* Negative: the library's default (VKNN_TRAIN_PARAMS_DEFAULT). */
static double opt_style_weight = -1, opt_content_weight = -1, opt_tv_weight = -1;
static double opt_stability_weight = 0, opt_stability_noise = -1;
static char *opt_style_layers;
static char *opt_content_layer;

static const GOptionEntry entries[] = {
    {"style", 0, 0, G_OPTION_ARG_FILENAME, &opt_style,
     "The style image; several, comma-separated: one multi-style network", "IMG[,IMG]"},
    {"loss-net", 0, 0, G_OPTION_ARG_FILENAME, &opt_loss_net,
     "Loss network (default builtin:vgg19_relu3_1, the normalised VGG-19)", "ONNX"},
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size, "Crop size (128)", "S"},
    {"channels", 0, 0, G_OPTION_ARG_INT, &opt_channels,
     "Base channels of the network (16; 32 is the original)", "C"},
    {"style-size", 0, 0, G_OPTION_ARG_INT, &opt_style_size, "Shorter side of the style image (256)",
     "S"},
    {"style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_style_weight, "Style loss weight (1e4)", "W"},
    {"content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_content_weight, "Content loss weight (1)",
     "W"},
    {"tv-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_tv_weight, "Total-variation weight (1e-6)", "W"},
    {"stability-weight", 0, 0, G_OPTION_ARG_DOUBLE, &opt_stability_weight,
     "Weight of the noise-resilience loss, for video without flicker (0: off; e.g. 1e4)", "W"},
    {"stability-noise", 0, 0, G_OPTION_ARG_DOUBLE, &opt_stability_noise,
     "Its input noise, standard deviation in levels of 0..255 (8)", "SIGMA"},
    {"style-layers", 0, 0, G_OPTION_ARG_STRING, &opt_style_layers,
     "Loss-net tensors for style (relu1_1,relu2_1,relu3_1)", "A,B"},
    {"content-layer", 0, 0, G_OPTION_ARG_STRING, &opt_content_layer,
     "Loss-net tensor for content (relu2_1)", "NAME"},
    {NULL},
};

/* --size S, or SxS as the other commands write sizes. */
static gboolean parse_crop_size(int *size, int *size_h, GError **err)
{
    if (!opt_size)
        return TRUE;
    if (strchr(opt_size, 'x'))
        return cli_parse_size(opt_size, size, size_h, err);
    g_autofree char *square = g_strdup_printf("%sx%s", opt_size, opt_size);
    return cli_parse_size(square, size, size_h, err);
}

/* The training parameters: the library's defaults where no option is given. */
static VknnTrainParams train_params(int size)
{
    VknnTrainParams p = cli_train_run_params(&cli_shared.train);
    p.channels = opt_channels;
    p.size = size;
    if (opt_style_weight >= 0)
        p.style_weight = (float)opt_style_weight;
    if (opt_content_weight >= 0)
        p.content_weight = (float)opt_content_weight;
    if (opt_tv_weight >= 0)
        p.tv_weight = (float)opt_tv_weight;
    p.stability_weight = (float)opt_stability_weight;
    if (opt_stability_noise >= 0)
        p.stability_noise = (float)opt_stability_noise;
    if (opt_style_layers)
        p.style_layers = opt_style_layers;
    if (opt_content_layer)
        p.content_layer = opt_content_layer;
    return p;
}

static int train(int size)
{
    const CliTrainOptions o = {
        .params = train_params(size),
        .run = &cli_shared.train,
        .style = opt_style,
        .style_size = opt_style_size,
        .profile = cli_shared.profile,
    };
    GError *err = NULL;
    g_autoptr(VknnModel) loss_net =
        vknn_model_load(opt_loss_net ? opt_loss_net : "builtin:vgg19_relu3_1", &err);
    g_autoptr(VknnContext) ctx = loss_net ? cli_open_context(&err) : NULL;
    if (!ctx || !cli_train(ctx, loss_net, &o, &err))
        return cli_fail(err);
    return 0;
}

int cli_cmd_train(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, CLI_OPT_PROFILE | CLI_OPT_CONTEXT | CLI_OPT_TRAIN_RUN,
                           &argc, &argv))
        return CLI_EXIT_USAGE;
    if (argc != 1 || !opt_style || !cli_shared.train.content || !cli_shared.train.out)
        return cli_usage_error(cmd, "usage: vknn train --style IMG --content DIR "
                                    "--out STYLE.onnx [--steps N] [--size S] [--channels C]");
    int size = 128, size_h = 128;
    GError *err = NULL;
    if (!parse_crop_size(&size, &size_h, &err))
        return cli_fail(err);
    if (size != size_h)
        return cli_usage_error(cmd, "training crops are square: --size S");
    if (size < 16 || opt_style_size < 16)
        return cli_usage_error(cmd, "--size and --style-size must be at least 16");
    if (!(opt_stability_weight >= 0 && opt_stability_weight < INFINITY) ||
        (opt_stability_noise != -1 && !(opt_stability_noise >= 0 && opt_stability_noise <= 255)))
        return cli_usage_error(cmd, "--stability-weight must be finite and >= 0, "
                                    "--stability-noise in 0..255");
    return train(size);
}
