/* The style networks built into libvknn ("builtin:NAME", models/) load and
 * stylise a photo: the output differs clearly from the input, is not flat,
 * and stays in the 0..255 range the contract promises (before clamping,
 * apart from a few overshooting pixels). Needs nothing from ../shared: the
 * photo is the golden chelsea crop when present, else a synthetic scene.
 * Also multi-style networks (NAME@s instance-norm parameters): the styler's
 * blends equal single-style networks built with the blended parameters, and
 * vknn_style_extract()'s single styles equal those built with theirs. And the
 * VGG-19 encoder (builtin:vgg19_relu3_1) against the reference ops and, with
 * ../shared, PyTorch's golden tensors.
 *
 *   test_builtin
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define W 128
#define H 96

/* A scene with edges, gradients and flat areas, when no photo is around. */
static void synthetic_photo(float *rgb)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const gboolean disc = (x - 80) * (x - 80) + (y - 40) * (y - 40) < 400;
            rgb[(0 * H + y) * W + x] = disc ? 230 : 2.0f * x;
            rgb[(1 * H + y) * W + x] = disc ? 200 : 2.5f * y;
            rgb[(2 * H + y) * W + x] = (x / 16 + y / 16) % 2 ? 60 : 180;
        }
}

static float *photo(void)
{
    const char *root = g_getenv("VKNN_SHARED");
    g_autofree char *path = g_build_filename(root ? root : VKNN_TEST_SHARED_DIR, "golden",
                                             "style_in_1x3x96x128.f32", NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS))
        return test_read_f32(path, 3 * W * H);
    float *rgb = g_new(float, 3 * W * H);
    synthetic_photo(rgb);
    return rgb;
}

/* A built-in multi-style network: its styles really differ on the photo. */
static void check_builtin_styles(VknnContext *ctx, VknnModel *m, const char *path,
                                 const float *photo)
{
    const int n = vknn_style_count(m);
    g_autofree guint8 *in = g_new(guint8, 4 * W * H);
    for (int i = 0; i < W * H; i++) {
        for (int c = 0; c < 3; c++)
            in[4 * i + c] = (guint8)CLAMP(photo[c * W * H + i], 0, 255);
        in[4 * i + 3] = 255;
    }
    GError *err = NULL;
    g_autoptr(VknnStyler) st = vknn_styler_new(ctx, m, &err);
    g_autofree guint8 *first = g_new(guint8, 4 * W * H);
    g_autofree guint8 *other = g_new(guint8, 4 * W * H);
    for (int s = 0; s < n && st; s++) {
        VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
        p.n_styles = n;
        p.style_weights[s] = 1.0f;
        if (!vknn_styler_prepare(st, W, H, &p, &err) ||
            !vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, in, 4 * W, s ? other : first, 4 * W,
                                       &err))
            break;
        if (s == 0)
            continue;
        double d = 0;
        for (int i = 0; i < 4 * W * H; i++)
            d += abs(first[i] - other[i]);
        d /= 4 * W * H;
        test_check(d > 5, "%s: style %d differs from style 0 by %.1f levels on average (> 5)", path,
                   s, d);
    }
    test_check(!err, "%s: %d styles run%s%s", path, n, err ? ": " : "", err ? err->message : "");
    g_clear_error(&err);
}

static void check_style(VknnContext *ctx, const char *name, const float *in)
{
    g_autofree char *path = g_strconcat("builtin:", name, NULL);
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &err);
    g_autoptr(VknnNet) net = m ? vknn_net_new(ctx, m, &err) : NULL;
    const VknnShape shape = {4, {1, 3, H, W}};
    const float *inputs[] = {in};
    g_autofree float *out = g_new(float, 3 * W * H);
    if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, inputs, &err) ||
        !vknn_net_read(net, "output", out, &err)) {
        test_check(FALSE, "%s: %s", path, err->message);
        g_error_free(err);
        return;
    }
    double diff = 0, mean = 0, var = 0;
    int outside = 0;
    for (int i = 0; i < 3 * W * H; i++) {
        const float v = CLAMP(out[i], 0.0f, 255.0f);
        diff += fabsf(v - in[i]);
        mean += v;
        outside += out[i] < -32 || out[i] > 287;
    }
    mean /= 3 * W * H;
    for (int i = 0; i < 3 * W * H; i++) {
        const double d = CLAMP(out[i], 0.0f, 255.0f) - mean;
        var += d * d;
    }
    diff /= 3 * W * H;
    const double sd = sqrt(var / (3 * W * H));
    test_check(diff > 20, "%s: differs from the photo by %.1f levels on average (> 20)", path,
               diff);
    test_check(sd > 15, "%s: not flat, standard deviation %.1f levels (> 15)", path, sd);
    test_check(outside < 3 * W * H / 100,
               "%s: %d values (%.2f%%) beyond -32..287 before clamping (< 1%%)", path, outside,
               100.0 * outside / (3 * W * H));
    g_clear_pointer(&net, vknn_net_free); /* the styler below needs the model alone */
    if (vknn_style_count(m) > 1)
        check_builtin_styles(ctx, m, path, in);
}

/* A small TransformerNet whose instance norms get a second style's
 * parameters (NAME@1) when `styles` is 2; with `blend` the style-0
 * parameters become (1 - blend) * style 0 + blend * style 1 instead. */
static VknnModel *multi_style_net(int styles, float blend)
{
    GError *err = NULL;
    VknnModel *m = vknn_transformer_net_new(4, 3, &err);
    g_assert_no_error(err);
    /* An untrained network's output is near 0: spread it over 0..255. */
    VknnValue *w = vknn_model_value(m, vknn_model_find_value(m, "deconv3.weight"));
    VknnValue *b = vknn_model_value(m, vknn_model_find_value(m, "deconv3.bias"));
    for (int64_t j = 0; j < vknn_shape_numel(&w->shape); j++)
        w->data[j] *= 200.0f;
    for (int64_t j = 0; j < vknn_shape_numel(&b->shape); j++)
        b->data[j] = 128.0f;
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        if (!g_str_equal(n->op_type, "InstanceNormalization"))
            continue;
        for (int k = 1; k < 3; k++) {
            VknnValue *v = vknn_model_value(m, n->inputs[k]);
            const int64_t numel = vknn_shape_numel(&v->shape);
            g_autofree float *other = g_new(float, numel);
            test_fill_random(other, numel, (guint32)(i * 7 + k), k == 1 ? 0.2f : -1.0f,
                             k == 1 ? 2.0f : 1.0f);
            for (int64_t j = 0; j < numel; j++)
                v->data[j] = (1 - blend) * v->data[j] + blend * other[j];
            if (styles == 2) {
                g_autofree char *name = g_strdup_printf("%s@1", v->name);
                vknn_model_add_constant(m, name, &v->shape, other);
            }
        }
    }
    return m;
}

static guint8 *stylize(VknnContext *ctx, VknnModel *m, const VknnStyleParams *p, const guint8 *in,
                       int w, int h)
{
    GError *err = NULL;
    g_autoptr(VknnStyler) s = vknn_styler_new(ctx, m, &err);
    guint8 *out = g_new(guint8, 4 * w * h);
    if (!s || !vknn_styler_prepare(s, w, h, p, &err) ||
        !vknn_styler_process_bytes(s, VKNN_PIXEL_RGBA, in, 4 * w, out, 4 * w, &err))
        g_error("stylize: %s", err->message);
    return out;
}

static int max_diff(const guint8 *a, const guint8 *b, int n)
{
    int d = 0;
    for (int i = 0; i < n; i++)
        d = MAX(d, abs(a[i] - b[i]));
    return d;
}

static void check_multi_style(VknnContext *ctx, const float *photo)
{
    g_autofree guint8 *in = g_new(guint8, 4 * W * H);
    for (int i = 0; i < W * H; i++) {
        for (int c = 0; c < 3; c++)
            in[4 * i + c] = (guint8)CLAMP(photo[c * W * H + i], 0, 255);
        in[4 * i + 3] = 255;
    }
    g_autoptr(VknnModel) multi = multi_style_net(2, 0);
    test_check(vknn_style_count(multi) == 2, "multi-style network: %d styles",
               vknn_style_count(multi));
    const float blends[] = {0.0f, 1.0f, 0.3f};
    for (gsize i = 0; i < G_N_ELEMENTS(blends); i++) {
        VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
        p.n_styles = 2;
        p.style_weights[0] = 1 - blends[i];
        p.style_weights[1] = blends[i];
        g_autoptr(VknnModel) single = multi_style_net(1, blends[i]);
        const VknnStyleParams plain = VKNN_STYLE_PARAMS_DEFAULT;
        g_autofree guint8 *got = stylize(ctx, multi, &p, in, W, H);
        g_autofree guint8 *want = stylize(ctx, single, &plain, in, W, H);
        const int d = max_diff(got, want, 4 * W * H);
        test_check(d <= 1,
                   "weights (%.1f, %.1f) = one network with blended parameters (max "
                   "diff %d)",
                   p.style_weights[0], p.style_weights[1], d);
    }
    g_autoptr(VknnModel) s0 = multi_style_net(1, 0), s1 = multi_style_net(1, 1);
    const VknnStyleParams plain = VKNN_STYLE_PARAMS_DEFAULT;
    g_autofree guint8 *a = stylize(ctx, s0, &plain, in, W, H);
    g_autofree guint8 *b = stylize(ctx, s1, &plain, in, W, H);
    test_check(max_diff(a, b, 4 * W * H) > 20, "the two styles differ (max diff %d)",
               max_diff(a, b, 4 * W * H));
    /* vknn_style_extract: each style alone, as the network built with its parameters. */
    for (int k = 0; k < 2; k++) {
        GError *xerr = NULL;
        g_autoptr(VknnModel) one = vknn_style_extract(multi, k, &xerr);
        test_check(one && vknn_style_count(one) == 1 && one->values->len < multi->values->len,
                   "style %d extracted: %d style, %u of %u values%s%s", k,
                   one ? vknn_style_count(one) : 0, one ? one->values->len : 0, multi->values->len,
                   xerr ? ": " : "", xerr ? xerr->message : "");
        g_clear_error(&xerr);
        if (!one)
            continue;
        g_autofree guint8 *alone = stylize(ctx, one, &plain, in, W, H);
        test_check(max_diff(alone, k ? b : a, 4 * W * H) == 0,
                   "style %d extracted = the network with its parameters (max diff %d)", k,
                   max_diff(alone, k ? b : a, 4 * W * H));
    }
    GError *xerr = NULL;
    g_autoptr(VknnModel) none = vknn_style_extract(multi, 2, &xerr);
    test_check(!none && xerr, "style 2 of 2 is refused: %s", xerr ? xerr->message : "");
    g_clear_error(&xerr);
    VknnStyleParams three = VKNN_STYLE_PARAMS_DEFAULT;
    three.n_styles = 3;
    GError *err = NULL;
    g_autoptr(VknnStyler) st = vknn_styler_new(ctx, multi, &err);
    test_check(!vknn_styler_prepare(st, W, H, &three, &err) && err,
               "3 weights for 2 styles are refused: %s", err ? err->message : "");
    g_clear_error(&err);
}

/* Largest |a - b| over the largest |b|: agreement relative to the tensor's scale. */
static double rel_diff(const float *a, const float *b, int64_t n)
{
    return test_max_abs_diff(a, b, n) / fmax(test_max_abs(b, n), 1e-12);
}

/* The golden VGG tensors of ../shared (PyTorch) through the built-in encoder. */
static void check_encoder_golden(VknnContext *ctx, VknnModel *m)
{
    g_autofree char *in_path = test_shared_path("golden/vgg_in_1x3x96x128.f32");
    g_autofree char *r3_path =
        in_path ? test_shared_path("golden/vgg_relu3_1_1x256x24x32.f32") : NULL;
    g_autofree char *r2_path =
        in_path ? test_shared_path("golden/vgg_relu2_1_1x128x48x64.f32") : NULL;
    if (!r3_path || !r2_path)
        return;
    g_autofree float *x = test_read_f32(in_path, 3 * 96 * 128);
    g_autofree float *r3 = test_read_f32(r3_path, 256 * 24 * 32);
    g_autofree float *r2 = test_read_f32(r2_path, 128 * 48 * 64);
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    const VknnShape shape = {4, {1, 3, 96, 128}};
    const float *inputs[] = {x};
    g_autofree float *got3 = g_new(float, 256 * 24 * 32);
    g_autofree float *got2 = g_new(float, 128 * 48 * 64);
    if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, inputs, &err) ||
        !vknn_net_read(net, "relu3_1", got3, &err) || !vknn_net_read(net, "relu2_1", got2, &err)) {
        test_check(FALSE, "builtin:vgg19_relu3_1 on the golden input: %s", err->message);
        g_error_free(err);
        return;
    }
    const double d3 = rel_diff(got3, r3, 256 * 24 * 32), d2 = rel_diff(got2, r2, 128 * 48 * 64);
    test_check(d3 <= 1e-4 && d2 <= 1e-4,
               "builtin:vgg19_relu3_1 vs PyTorch: relu3_1 %.2g, relu2_1 %.2g relative (<= 1e-4)",
               d3, d2);
}

/* builtin:vgg19_relu3_1 on the device at an odd size: its three outputs have
 * the documented shapes and match the plain-C reference ops; on the golden
 * input (when ../shared is there), relu3_1 and relu2_1 match PyTorch's. */
static void check_encoder(VknnContext *ctx)
{
    enum { EW = 37, EH = 29 };
    const char *path = "builtin:vgg19_relu3_1";
    GError *err = NULL;
    g_autoptr(VknnModel) m = vknn_model_load(path, &err);
    g_autoptr(VknnNet) net = m ? vknn_net_new(ctx, m, &err) : NULL;
    const VknnShape shape = {4, {1, 3, EH, EW}};
    static float x[3 * EW * EH];
    test_fill_random(x, G_N_ELEMENTS(x), 11, 0, 1);
    const float *inputs[] = {x};
    if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, inputs, &err)) {
        test_check(FALSE, "%s runs: %s", path, err->message);
        g_error_free(err);
        return;
    }
    const VknnRefTensor in = {shape, x};
    g_autoptr(GHashTable) ref = vknn_ref_run(m, &in, &err);
    g_assert_no_error(err);
    const struct {
        const char *name;
        int c, h, w;
    } outs[] = {{"relu1_1", 64, EH, EW}, {"relu2_1", 128, 15, 19}, {"relu3_1", 256, 8, 10}};
    for (size_t i = 0; i < G_N_ELEMENTS(outs); i++) {
        const VknnRefTensor *want = g_hash_table_lookup(ref, outs[i].name);
        const int64_t n = (int64_t)outs[i].c * outs[i].h * outs[i].w;
        const VknnShape s = {4, {1, outs[i].c, outs[i].h, outs[i].w}};
        test_check(want && vknn_shape_equal(&want->shape, &s), "%s: %s is 1x%dx%dx%d", path,
                   outs[i].name, outs[i].c, outs[i].h, outs[i].w);
        g_autofree float *got = g_new(float, n);
        if (!want || !vknn_net_read(net, outs[i].name, got, &err)) {
            g_clear_error(&err);
            continue;
        }
        const double d = rel_diff(got, want->data, n);
        test_check(d <= 1e-4, "%s: %s on the device vs the reference ops, %.2g relative", path,
                   outs[i].name, d);
    }
    check_encoder_golden(ctx, m);
}

int main(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autofree float *in = photo();
    g_auto(GStrv) names = test_builtin_styles();
    test_check(g_strv_length(names) >= 2, "%u built-in styles", g_strv_length(names));
    int multi = 0;
    for (char **n = names; *n; n++) {
        check_style(ctx, *n, in);
        g_autofree char *path = g_strconcat("builtin:", *n, NULL);
        g_autoptr(VknnModel) m = vknn_model_load(path, NULL);
        multi += m && vknn_style_count(m) > 1;
    }
    test_check(multi >= 1, "%d built-in multi-style network(s)", multi);
    GError *err = NULL;
    VknnModel *none = vknn_model_load("builtin:no-such-style", &err);
    test_check(!none && err && strstr(err->message, "built in:"),
               "an unknown built-in name lists the others: %s", err ? err->message : "");
    g_clear_error(&err);
    check_multi_style(ctx, in);
    check_encoder(ctx);
    return test_summary(0);
}
