/* vknn stylize: a style model (RGB 0..255 in and out, docs/model-contract.md)
 * on one image, written in the format its extension names; or, with
 * --style-image, any image as the style through an encoder, a feature
 * transform (WCT or AdaIN, vknn/wct.h) and a decoder. */
#include "cmd.h"
#include "image.h"
#include "style_images.h"

#include <stdio.h>
#include <string.h>

static char *opt_size;
static char *opt_save_input;
static char *opt_save_output;
static gboolean opt_network_size;
static char *opt_style_image;
static char *opt_encoder;
static char *opt_decoder;
static char *opt_layer;
static char *opt_transform;
static double opt_alpha = 1.0;
static int opt_style_size = 256;
static char *opt_save_network;
static gboolean opt_palette = TRUE;
static char *opt_style_weights;
static gboolean opt_preserve_colors;

static const GOptionEntry entries[] = {
    {"size", 's', 0, G_OPTION_ARG_STRING, &opt_size,
     "Resize the image to this size first (default: its own)", "WxH"},
    {"save-input", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_input,
     "Also write the network input as raw float32 NCHW", "FILE.f32"},
    {"save-output", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_output,
     "Also write the unclamped network output as raw float32 NCHW", "FILE.f32"},
    {"network-size", 0, 0, G_OPTION_ARG_NONE, &opt_network_size,
     "Write the network's output at its own size (the input's rounded up by the stride-2 "
     "layers) instead of cropping it to the input's size",
     NULL},
    {"preserve-colors", 0, 0, G_OPTION_ARG_NONE, &opt_preserve_colors,
     "Keep the input's colours: the stylised luminance with the input's chroma (as "
     "vkstyletransfer preserve-colors=true)",
     NULL},
    {"style-image", 0, 0, G_OPTION_ARG_FILENAME, &opt_style_image,
     "Any image as the style: encoder, feature transform, decoder (no MODEL argument); "
     "several, comma-separated, to interpolate between them",
     "IMG[,IMG]"},
    {"style-weights", 0, 0, G_OPTION_ARG_STRING, &opt_style_weights,
     "With several style images: their weights, comma-separated (default: equal)", "W[,W]"},
    {"decoder", 0, 0, G_OPTION_ARG_FILENAME, &opt_decoder,
     "With --style-image: the decoder from the layer's features to RGB 0..1 (default "
     "builtin:decoder_relu3_1)",
     "ONNX"},
    {"encoder", 0, 0, G_OPTION_ARG_FILENAME, &opt_encoder,
     "With --style-image: the encoder (default builtin:vgg19_relu3_1)", "ONNX"},
    {"layer", 0, 0, G_OPTION_ARG_STRING, &opt_layer,
     "With --style-image: the encoder's tensor to transform (default relu3_1)", "NAME"},
    {"transform", 0, 0, G_OPTION_ARG_STRING, &opt_transform,
     "With --style-image: wct (whitening-colouring, default) or adain", "T"},
    {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &opt_alpha,
     "With --style-image: 0 the content's reconstruction .. 1 the style's statistics (1)", "A"},
    {"style-size", 0, 0, G_OPTION_ARG_INT, &opt_style_size,
     "With --style-image: its shorter side in pixels (256)", "N"},
    {"no-palette", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &opt_palette,
     "With --style-image: keep the decoder's colours instead of giving the image the style "
     "image's colour statistics (the palette step)",
     NULL},
    {"save-network", 0, 0, G_OPTION_ARG_FILENAME, &opt_save_network,
     "With --style-image: also write the style's network as ONNX (encoder, AdaIN, decoder, "
     "palette; "
     "RGB 0..255 in and out): a style model like any other, for vkstyletransfer model=, vknn "
     "bench, other runtimes",
     "FILE.onnx"},
    {NULL},
};

/* Raw little-endian float32, the format of ../shared/golden and peers.py. */
static gboolean save_f32(const char *path, const float *data, gsize count, GError **err)
{
    return g_file_set_contents(path, (const char *)data, (gssize)(count * sizeof(float)), err);
}

/* The value's shape is [1,3,H,W], as a style model's input and output are. */
static gboolean is_image(const VknnModel *m, GArray *ids, const char *path, const char *what,
                         GError **err)
{
    const VknnShape *s = &vknn_model_value(m, g_array_index(ids, int, 0))->shape;
    if (s->rank == 4 && s->dims[1] == 3)
        return TRUE;
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                "%s is not a style model: its %s is not [1,3,H,W]", path, what);
    return FALSE;
}

/* Runs the prepared network on img; *out gets the output, its shape *os. */
static gboolean stylize(const char *path, const CliImage *img, CliNet *n, float **out,
                        const VknnShape **os, GError **err)
{
    const float *inputs[] = {img->data};
    if (!vknn_net_run(n->net, inputs, err) ||
        !is_image(n->model, n->model->outputs, path, "output", err))
        return FALSE;
    const VknnValue *ov = vknn_model_value(n->model, g_array_index(n->model->outputs, int, 0));
    *os = &ov->shape;
    *out = g_new(float, vknn_shape_numel(*os));
    return vknn_net_read(n->net, ov->name, *out, err);
}

/* The output as written: a style network's output maps pixel for pixel to
 * its input, larger by the stride-2 layers' rounding on the right and the
 * bottom (99x75 -> 100x76, docs/model-contract.md). As vkstyletransfer
 * does, the input's region is kept: *w x *h becomes the input's size, and
 * the planes are cropped into *out (data itself when nothing is cropped).
 * An output smaller than the input (not a style model of the contract) is
 * written as it is. */
static const float *crop_to_input(const float *data, const CliImage *img, int *w, int *h,
                                  float **out)
{
    const int ow = *w, oh = *h;
    if (opt_network_size || ow < img->width || oh < img->height ||
        (ow == img->width && oh == img->height))
        return data;
    *w = img->width;
    *h = img->height;
    *out = g_new(float, (gsize)3 * *w * *h);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < *h; y++)
            memcpy(*out + ((gsize)c * *h + y) * *w, data + ((gsize)c * oh + y) * ow,
                   (gsize)*w * sizeof(float));
    return *out;
}

/* EXIF orientation may have turned the image: prepares the net again at
 * the size it was decoded at (weights stay; only the plan is redone). */
static gboolean fit_net(CliNet *n, const char *model, const CliImage *img, int w, int h,
                        GError **err)
{
    if (img->width == w && img->height == h)
        return TRUE;
    const VknnShape s = vknn_model_default_input_shape(n->model, 0, img->height, img->width);
    return cli_check_size(n->model, model, img->width, img->height, err) &&
           vknn_net_prepare(n->net, &s, err);
}

/* The net is prepared before the image is decoded, at --size or the size
 * the image's header gives, so that a size the network or the device cannot
 * take costs no pixels (a 20000x20000 PNG took 6 GB and 30-100 s to decode
 * before the network refused it). */
static gboolean open_for(const char *model, const char *image, int size_w, int size_h,
                         CliImage *img, CliNet *n, GError **err)
{
    int w, h;
    if (!cli_image_probe(image, &w, &h, err))
        return FALSE;
    if (size_w) {
        w = size_w;
        h = size_h;
    }
    if (!cli_open_net(model, w, h, NULL, n, err) ||
        !is_image(n->model, n->model->inputs, model, "input", err))
        return FALSE;
    return cli_image_load(image, size_w, size_h, img, err) && fit_net(n, model, img, w, h, err);
}

/* Planes of 0..255 into 0..1 and back, the encoder's and decoder's range. */
static void scale_planes(float *x, gsize n, float k)
{
    for (gsize i = 0; i < n; i++)
        x[i] *= k;
}

static gboolean parse_transform(VknnFeatureTransform *t, GError **err)
{
    if (!opt_transform || !strcmp(opt_transform, "wct"))
        *t = VKNN_TRANSFORM_WCT;
    else if (!strcmp(opt_transform, "adain"))
        *t = VKNN_TRANSFORM_ADAIN;
    else {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--transform must be wct or adain, not '%s'", opt_transform);
        return FALSE;
    }
    if (!(opt_alpha >= 0 && opt_alpha <= 1) || opt_style_size < 16) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--style-image needs --alpha in 0..1 and --style-size >= 16");
        return FALSE;
    }
    return TRUE;
}

/* Keeps the content's colours (planes of n values, 0..255): the styled
 * image's luminance with the content's chroma, BT.601 YCbCr, clamped, as
 * vkstyletransfer's preserve-colors (shaders/common/frame.glsl). */
static void preserve_colours(float *styled, const float *content, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        const float r = CLAMP(styled[i], 0, 255), g = CLAMP(styled[n + i], 0, 255),
                    b = CLAMP(styled[2 * n + i], 0, 255);
        const float y = 0.299f * r + 0.587f * g + 0.114f * b;
        const float *c = content + i;
        const float cb = -0.168736f * c[0] - 0.331264f * c[n] + 0.5f * c[2 * n];
        const float cr = 0.5f * c[0] - 0.418688f * c[n] - 0.081312f * c[2 * n];
        styled[i] = CLAMP(y + 1.402f * cr, 0, 255);
        styled[n + i] = CLAMP(y - 0.344136f * cb - 0.714136f * cr, 0, 255);
        styled[2 * n + i] = CLAMP(y + 1.772f * cb, 0, 255);
    }
}

/* --style-weights into u: one number >= 0 per style image. */
static gboolean set_style_weights(VknnUniversalStyler *u, GError **err)
{
    g_auto(GStrv) items = g_strsplit(opt_style_weights, ",", -1);
    const int n = (int)g_strv_length(items);
    g_autofree double *w = g_new0(double, n + 1);
    for (int k = 0; k < n; k++) {
        char *end = NULL;
        w[k] = g_ascii_strtod(items[k], &end);
        if (end == items[k] || *end) {
            g_set_error(err, CLI_USAGE_ERROR, 0, "--style-weights: '%s' is not a number", items[k]);
            return FALSE;
        }
    }
    GError *refused = NULL;
    if (vknn_universal_styler_set_weights(u, w, n, &refused))
        return TRUE;
    g_set_error(err, CLI_USAGE_ERROR, 0, "--style-weights: %s", refused->message);
    g_error_free(refused);
    return FALSE;
}

/* The style set in u as one network (AdaIN), written as ONNX. */
static gboolean save_network(VknnUniversalStyler *u, const char *path, GError **err)
{
    g_autoptr(VknnModel) m = vknn_universal_styler_style_model(u, (float)opt_alpha, err);
    return m && vknn_model_save(m, path, err);
}

/* vknn stylize --style-image STYLE IN OUT: universal style transfer. */
static int stylize_with_image(const CliCommand *cmd, const char *in, const char *out_path)
{
    GError *err = NULL;
    VknnFeatureTransform transform;
    int w = 0, h = 0;
    if (!parse_transform(&transform, &err) || (opt_size && !cli_parse_size(opt_size, &w, &h, &err)))
        return cli_usage_error(cmd, err->message);
    g_auto(CliImage) img = {0};
    g_autoptr(VknnModel) enc = NULL, dec = NULL;
    g_autoptr(VknnContext) ctx = NULL;
    g_autoptr(VknnUniversalStyler) u = NULL;
    if (!cli_image_check_output(out_path, &err) || !cli_image_load(in, w, h, &img, &err) ||
        !(enc = vknn_model_load(opt_encoder ? opt_encoder : "builtin:vgg19_relu3_1", &err)) ||
        !(dec = vknn_model_load(opt_decoder ? opt_decoder : "builtin:decoder_relu3_1", &err)) ||
        !(ctx = cli_open_context(&err)) ||
        !(u = vknn_universal_styler_new(ctx, enc, dec, opt_layer ? opt_layer : "relu3_1", &err)))
        return cli_fail(err);
    vknn_universal_styler_set_palette(u, opt_palette);
    const gsize n = (gsize)3 * img.width * img.height;
    scale_planes(img.data, n, 1 / 255.0f);
    g_autofree float *result = g_new(float, n);
    const gint64 t0 = g_get_monotonic_time();
    if (!cli_style_images_set(u, opt_style_image, opt_style_size, &err) ||
        (opt_style_weights && !set_style_weights(u, &err)) ||
        (opt_save_network && !save_network(u, opt_save_network, &err)) ||
        !vknn_universal_styler_run(u, transform, (float)opt_alpha, img.data, img.width, img.height,
                                   result, &err))
        return cli_fail(err);
    const double secs = (g_get_monotonic_time() - t0) / 1e6;
    scale_planes(result, n, 255.0f);
    if (opt_preserve_colors) {
        scale_planes(img.data, n, 255.0f);
        preserve_colours(result, img.data, n / 3);
    }
    if (!cli_image_save(out_path, result, img.width, img.height, &err))
        return cli_fail(err);
    printf("%s in the style of %s (%s, alpha %g%s): %dx%d -> %s in %.2f s on %s\n", in,
           opt_style_image, transform == VKNN_TRANSFORM_WCT ? "wct" : "adain", opt_alpha,
           opt_palette ? "" : ", no palette", img.width, img.height, out_path, secs,
           vknn_context_device_name(ctx));
    return 0;
}

int cli_cmd_stylize(const CliCommand *cmd, int argc, char **argv)
{
    if (!cli_parse_options(cmd, entries, CLI_OPT_PRECISION | CLI_OPT_CONTEXT, &argc, &argv))
        return CLI_EXIT_USAGE;
    if (opt_preserve_colors && opt_network_size)
        return cli_usage_error(cmd, "--preserve-colors needs the input's size: not with "
                                    "--network-size");
    if (opt_style_image && argc == 3)
        return stylize_with_image(cmd, argv[1], argv[2]);
    if (argc != 4 || opt_style_image)
        return cli_usage_error(
            cmd, "usage: vknn stylize MODEL.onnx IN.{png,jpg} OUT.{png,jpg} [--size WxH] "
                 "[--network-size], or vknn stylize --style-image IMG IN OUT");
    GError *err = NULL;
    int w = 0, h = 0;
    g_auto(CliImage) img = {0};
    g_auto(CliNet) n = {0};
    g_autofree float *result = NULL, *cropped = NULL;
    const VknnShape *os = NULL;
    if ((opt_size && !cli_parse_size(opt_size, &w, &h, &err)) ||
        !cli_image_check_output(argv[3], &err) ||
        !open_for(argv[1], argv[2], w, h, &img, &n, &err) ||
        (opt_save_input &&
         !save_f32(opt_save_input, img.data, (gsize)3 * img.width * img.height, &err)) ||
        !stylize(argv[1], &img, &n, &result, &os, &err) ||
        (opt_save_output && !save_f32(opt_save_output, result, vknn_shape_numel(os), &err)))
        return cli_fail(err);
    int out_w = (int)os->dims[3], out_h = (int)os->dims[2];
    const float *written = crop_to_input(result, &img, &out_w, &out_h, &cropped);
    if (opt_preserve_colors) {
        if (out_w != img.width || out_h != img.height) {
            fprintf(stderr,
                    "vknn: error: --preserve-colors: the network's output is %dx%d, not "
                    "the input's %dx%d\n",
                    out_w, out_h, img.width, img.height);
            return CLI_EXIT_FAILURE;
        }
        preserve_colours(written == result ? result : cropped, img.data,
                         (gsize)img.width * img.height);
    }
    if (!cli_image_save(argv[3], written, out_w, out_h, &err))
        return cli_fail(err);
    printf("%s: %dx%d -> %s %dx%d on %s\n", argv[2], img.width, img.height, argv[3], out_w, out_h,
           vknn_context_device_name(n.ctx));
    return 0;
}
