/* Training a style network on the device (vknn/train.h), small enough for
 * CI: a TransformerNet of 8 base channels on 64x64 crops of a photo, with
 * the normalised VGG-19 encoder as loss network and a stylised image as
 * the style. Without ../shared (a fresh clone): a small VGG-shaped loss
 * network of random weights built here (its relu1_1, relu2_1 and relu3_1
 * the loss layers), a synthetic photo and a synthetic pattern as the style;
 * random convolutional features are enough for the perceptual losses to
 * fall.
 *
 * The decoder case trains a decoder of the loss network's relu3_1 instead
 * (universal style transfer).
 *
 *   test_train loss_drops | resume | export | multi_style | stability | init | decoder
 */
#include "model_build.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define SIZE 64
#define PHOTO_W 128
#define PHOTO_H 96
#define STABILITY_STEPS 20

typedef struct {
    VknnContext *ctx;
    VknnModel *loss_net;
    float *photo;     /* 3 x 96 x 128, 0..255 */
    float *style;     /* 3 x 96 x 128, 0..255 */
    gboolean decoder; /* train decoders of loss_net's relu3_1 instead */
} Fixture;

/* A synthetic photo (3 x 96 x 128, 0..255): smooth colour ramps, a bright
 * disc and a dark bar, so that crops differ; or the style (`style`):
 * saturated diagonal stripes of two colours with a finer checker on top. */
static float *synthetic_image(gboolean style)
{
    float *img = g_new(float, 3 * PHOTO_W * PHOTO_H);
    for (int y = 0; y < PHOTO_H; y++)
        for (int x = 0; x < PHOTO_W; x++) {
            float rgb[3];
            if (style) {
                const gboolean stripe = ((x + y) / 6) % 2, check = ((x / 3) + (y / 3)) % 2;
                rgb[0] = stripe ? 230.0f : 30.0f;
                rgb[1] = check ? 200.0f : 60.0f;
                rgb[2] = stripe ? 40.0f : 210.0f;
            } else {
                const float dx = x - 80.0f, dy = y - 40.0f;
                const gboolean disc = dx * dx + dy * dy < 20.0f * 20.0f;
                const gboolean bar = x > 20 && x < 36 && y > 30;
                rgb[0] = 60.0f + 150.0f * x / PHOTO_W;
                rgb[1] = 50.0f + 160.0f * y / PHOTO_H;
                rgb[2] = 120.0f + 60.0f * sinf(x * 0.1f);
                for (int c = 0; c < 3; c++)
                    rgb[c] = disc ? 245.0f - 20.0f * c : bar ? 15.0f + 5.0f * c : rgb[c];
            }
            for (int c = 0; c < 3; c++)
                img[(c * PHOTO_H + y) * PHOTO_W + x] = rgb[c];
        }
    return img;
}

static void fixture_open(Fixture *f)
{
    g_autofree char *vgg = test_shared_path("models/vgg/vgg19_normalised_relu3_1.onnx");
    g_autofree char *photo = vgg ? test_shared_path("golden/style_in_1x3x96x128.f32") : NULL;
    g_autofree char *style = photo ? test_shared_path("golden/candy_out_1x3x96x128.f32") : NULL;
    if (!style) {
        printf("without ../shared: a random VGG-shaped loss network, synthetic photo and style\n");
        f->ctx = test_context();
        if (!(f->loss_net = tm_small_vgg(FALSE)))
            test_fatal("random loss network: not built");
        f->photo = synthetic_image(FALSE);
        f->style = synthetic_image(TRUE);
        return;
    }
    GError *err = NULL;
    f->ctx = test_context();
    f->loss_net = vknn_model_load(vgg, &err);
    g_assert_no_error(err);
    f->photo = test_read_f32(photo, 3 * PHOTO_W * PHOTO_H);
    f->style = test_read_f32(style, 3 * PHOTO_W * PHOTO_H);
    for (int i = 0; i < 3 * PHOTO_W * PHOTO_H; i++)
        f->style[i] = CLAMP(f->style[i], 0.0f, 255.0f);
}

static void fixture_close(Fixture *f)
{
    vknn_model_free(f->loss_net);
    vknn_context_free(f->ctx);
    g_free(f->photo);
    g_free(f->style);
}

/* Content image of step i: one of a few 64x64 crops of the photo, chosen
 * from the step number alone so resumed runs see the same sequence. */
static void content_crop(const Fixture *f, int step, float *out)
{
    const int x0 = (step * 23) % (PHOTO_W - SIZE), y0 = (step * 11) % (PHOTO_H - SIZE);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < SIZE; y++)
            memcpy(out + (c * SIZE + y) * SIZE, f->photo + (c * PHOTO_H + y0 + y) * PHOTO_W + x0,
                   sizeof(float) * SIZE);
}

static VknnTrainParams params(void)
{
    VknnTrainParams p = VKNN_TRAIN_PARAMS_DEFAULT;
    p.channels = 8;
    p.size = SIZE;
    p.lr = 1e-2f;
    return p;
}

static VknnTrainer *trainer_with(Fixture *f, const VknnTrainParams *p)
{
    GError *err = NULL;
    VknnTrainer *t =
        f->decoder ? vknn_decoder_trainer_new(f->ctx, f->loss_net, "relu3_1", p, &err)
                   : vknn_trainer_new(f->ctx, f->loss_net, f->style, PHOTO_W, PHOTO_H, p, &err);
    g_assert_no_error(err);
    return t;
}

static VknnTrainer *trainer(Fixture *f)
{
    const VknnTrainParams p = params();
    return trainer_with(f, &p);
}

static gboolean train(VknnTrainer *t, const Fixture *f, int steps, VknnTrainLosses *last)
{
    float crop[3 * SIZE * SIZE];
    GError *err = NULL;
    for (int i = 0; i < steps; i++) {
        content_crop(f, vknn_trainer_steps_done(t), crop);
        if (!vknn_trainer_step(t, crop, last, &err)) {
            test_check(FALSE, "step %d: %s", vknn_trainer_steps_done(t), err->message);
            g_error_free(err);
            return FALSE;
        }
        printf("step %3d: content %.4g style %.4g tv %.4g stability %.4g pixel %.4g total %.4g\n",
               last->step, last->content, last->style, last->tv, last->stability, last->pixel,
               last->total);
    }
    return TRUE;
}

static int loss_drops(void)
{
    Fixture f = {0};
    fixture_open(&f);
    VknnTrainer *t = trainer(&f);
    VknnTrainLosses first, last;
    if (train(t, &f, 1, &first) && train(t, &f, 39, &last))
        test_check(last.total < first.total / 2,
                   "total loss %.4g -> %.4g after 40 steps (/%.1f, want >= 2)", first.total,
                   last.total, first.total / last.total);
    vknn_trainer_free(t);
    fixture_close(&f);
    return 0;
}

/* All parameters of the trainer's network, concatenated. */
static GByteArray *weights(VknnTrainer *t)
{
    VknnModel *m = vknn_trainer_model(t);
    GByteArray *w = g_byte_array_new();
    for (guint v = 0; v < m->values->len; v++) {
        const VknnValue *val = vknn_model_value(m, v);
        if (val->kind == VKNN_VALUE_CONSTANT && val->data)
            g_byte_array_append(w, (const guint8 *)val->data,
                                sizeof(float) * vknn_shape_numel(&val->shape));
    }
    return w;
}

/* Whether training with p resumed from a checkpoint continues exactly:
 * same weights after 3 + 3 steps as after 6 uninterrupted ones. */
static gboolean resumes_exactly(Fixture *f, const VknnTrainParams *p, const char *ckpt)
{
    GError *err = NULL;
    VknnTrainLosses l;
    VknnTrainer *a = trainer_with(f, p), *b = trainer_with(f, p);
    gboolean ok = train(a, f, 3, &l) && vknn_trainer_save_checkpoint(a, ckpt, &err) &&
                  train(a, f, 3, &l) && vknn_trainer_load_checkpoint(b, ckpt, &err) &&
                  train(b, f, 3, &l);
    if (err)
        test_check(FALSE, "checkpoint: %s", err->message);
    g_clear_error(&err);
    g_autoptr(GByteArray) wa = weights(a);
    g_autoptr(GByteArray) wb = weights(b);
    ok =
        test_check(ok && vknn_trainer_steps_done(b) == 6 && wa->len == wb->len &&
                       memcmp(wa->data, wb->data, wa->len) == 0,
                   "resumed at step 3: the weights after step 6 are identical (%u bytes)", wa->len);
    vknn_trainer_free(a);
    vknn_trainer_free(b);
    return ok;
}

static int resume(void)
{
    Fixture f = {0};
    fixture_open(&f);
    g_autofree char *dir = g_dir_make_tmp("vknn-train-XXXXXX", NULL);
    g_autofree char *ckpt = g_build_filename(dir, "t.ckpt", NULL);
    const VknnTrainParams p = params();
    resumes_exactly(&f, &p, ckpt);
    GError *err = NULL;
    VknnTrainer *b = trainer(&f);
    g_autofree char *readme = g_build_filename(dir, "README.md", NULL);
    g_assert(g_file_set_contents(readme, "# not a checkpoint\n\nBut a text file.\n", -1, NULL));
    test_check(!vknn_trainer_load_checkpoint(b, readme, &err) && err,
               "a file that is not a checkpoint is refused: %s", err ? err->message : "");
    g_unlink(readme);
    g_clear_error(&err);
    g_unlink(ckpt);
    g_rmdir(dir);
    vknn_trainer_free(b);
    fixture_close(&f);
    return 0;
}

/* A standard normal sample (Box-Muller). */
static float gaussian(GRand *r)
{
    return (float)(sqrt(-2 * log(1 - g_rand_double(r))) * cos(2 * G_PI * g_rand_double(r)));
}

/* A trainer started from a saved network (vknn_trainer_init_weights) holds
 * exactly its weights; a network of another width is refused, naming the
 * tensor and both shapes. */
static int init(void)
{
    Fixture f = {0};
    fixture_open(&f);
    VknnTrainer *a = trainer(&f), *b = trainer(&f);
    VknnTrainLosses l;
    GError *err = NULL;
    if (train(a, &f, 3, &l)) {
        VknnModel *trained = vknn_trainer_model(a);
        g_autoptr(GByteArray) before = weights(b);
        g_autoptr(GByteArray) want = weights(a);
        test_check(before->len == want->len && memcmp(before->data, want->data, want->len),
                   "a fresh trainer's weights differ from the trained ones");
        test_check(vknn_trainer_init_weights(b, trained, &err), "init from the trained network");
        g_autoptr(GByteArray) got = weights(b);
        test_check(got->len == want->len && !memcmp(got->data, want->data, want->len),
                   "the trainer now holds exactly its weights (%u bytes)", want->len);
        g_clear_error(&err);
        VknnTrainParams wide = params();
        wide.channels = 16;
        VknnTrainer *c = trainer_with(&f, &wide);
        const gboolean refused = !vknn_trainer_init_weights(c, trained, &err);
        test_check(refused && err && strstr(err->message, "is 8x3x9x9") &&
                       strstr(err->message, "16x3x9x9"),
                   "an 8-channel network into a 16-channel trainer is refused: %s",
                   err ? err->message : "");
        g_clear_error(&err);
        vknn_trainer_free(c);
    }
    vknn_trainer_free(a);
    vknn_trainer_free(b);
    fixture_close(&f);
    return 0;
}

/* Mean absolute change (levels) of the network's output when Gaussian
 * noise of sigma 8 levels is added to its input, over three crops of the
 * photo; the noise is the test's own (not the trainer's). */
static double output_change_under_noise(VknnContext *ctx, VknnModel *m, const Fixture *f)
{
    const int n = 3 * SIZE * SIZE;
    float clean[3 * SIZE * SIZE], noisy[3 * SIZE * SIZE], a[3 * SIZE * SIZE], b[3 * SIZE * SIZE];
    const VknnShape shape = {4, {1, 3, SIZE, SIZE}};
    GError *err = NULL;
    g_autoptr(VknnNet) net = vknn_net_new(ctx, m, &err);
    g_autoptr(GRand) r = g_rand_new_with_seed(4242);
    double change = 0;
    for (int k = 0; k < 3; k++) {
        content_crop(f, 1000 + 7 * k, clean);
        for (int i = 0; i < n; i++)
            noisy[i] = CLAMP(clean[i] + 8 * gaussian(r), 0.0f, 255.0f);
        const float *in_a[] = {clean}, *in_b[] = {noisy};
        if (!net || !vknn_net_prepare(net, &shape, &err) || !vknn_net_run(net, in_a, &err) ||
            !vknn_net_read(net, "output", a, &err) || !vknn_net_run(net, in_b, &err) ||
            !vknn_net_read(net, "output", b, &err)) {
            test_check(FALSE, "run: %s", err ? err->message : "");
            g_clear_error(&err);
            return INFINITY;
        }
        for (int i = 0; i < n; i++)
            change += fabsf(CLAMP(a[i], 0.0f, 255.0f) - CLAMP(b[i], 0.0f, 255.0f));
    }
    return change / (3.0 * n);
}

/* Issue 14: the stability (noise-resilience) loss. At equal steps from the
 * same start, a network trained with it changes its output less under input
 * noise than one trained without; and it resumes exactly (its noise comes
 * from the seed and the step). */
static int stability(void)
{
    Fixture f = {0};
    fixture_open(&f);
    const char *w = g_getenv("VKNN_TEST_STABILITY_WEIGHT");
    VknnTrainParams plain = params(), stable = params();
    stable.stability_weight = w ? (float)g_ascii_strtod(w, NULL) : 1e4f;
    double change[2];
    VknnTrainLosses l;
    for (int k = 0; k < 2; k++) {
        VknnTrainer *t = trainer_with(&f, k ? &stable : &plain);
        change[k] = train(t, &f, STABILITY_STEPS, &l)
                        ? output_change_under_noise(f.ctx, vknn_trainer_model(t), &f)
                        : INFINITY;
        printf("stability weight %g: output change under noise %.3f levels\n",
               k ? stable.stability_weight : 0.0, change[k]);
        vknn_trainer_free(t);
    }
    test_check(change[1] < 0.7 * change[0],
               "%d steps with stability weight %g: output change under noise %.3f -> %.3f "
               "levels (x%.2f, want < 0.7)",
               STABILITY_STEPS, stable.stability_weight, change[0], change[1],
               change[1] / change[0]);
    g_autofree char *dir = g_dir_make_tmp("vknn-train-XXXXXX", NULL);
    g_autofree char *ckpt = g_build_filename(dir, "s.ckpt", NULL);
    resumes_exactly(&f, &stable, ckpt);
    g_unlink(ckpt);
    g_rmdir(dir);
    fixture_close(&f);
    return 0;
}

/* The trained network saved as ONNX and loaded again gives the trainer's
 * own output, at any size, within 0..255-ish and not the input. */
static int export(void)
{
    Fixture f = {0};
    fixture_open(&f);
    VknnTrainer *t = trainer(&f);
    VknnTrainLosses l;
    GError *err = NULL;
    gsize len = 0;
    g_autofree guint8 *onnx = NULL;
    g_autoptr(VknnModel) reloaded = NULL;
    if (train(t, &f, 5, &l) &&
        (onnx = vknn_model_save_to_memory(vknn_trainer_model(t), &len, &err)))
        reloaded = vknn_model_load_from_memory(onnx, len, &err);
    if (!reloaded) {
        test_check(FALSE, "save and reload: %s", err ? err->message : "");
        g_clear_error(&err);
    }
    const VknnShape shape = {4, {1, 3, PHOTO_H, PHOTO_W}};
    const float *in[] = {f.photo};
    const int64_t n = 3 * PHOTO_W * PHOTO_H;
    g_autofree float *want = g_new(float, n);
    g_autofree float *got = g_new(float, n);
    g_autoptr(VknnNet) a = vknn_net_new(f.ctx, vknn_trainer_model(t), &err);
    g_autoptr(VknnNet) b = reloaded ? vknn_net_new(f.ctx, reloaded, &err) : NULL;
    if (b && vknn_net_prepare(a, &shape, &err) && vknn_net_run(a, in, &err) &&
        vknn_net_read(a, "output", want, &err) && vknn_net_prepare(b, &shape, &err) &&
        vknn_net_run(b, in, &err) && vknn_net_read(b, "output", got, &err)) {
        test_check(test_max_abs_diff(got, want, n) == 0,
                   "exported network = trained network at %dx%d (it was trained at %dx%d)", PHOTO_W,
                   PHOTO_H, SIZE, SIZE);
        test_check(test_max_abs_diff(got, f.photo, n) > 10, "the output is not the input");
    } else {
        test_check(FALSE, "run: %s", err ? err->message : "");
    }
    g_clear_error(&err);
    g_clear_pointer(&a, vknn_net_free);
    g_clear_pointer(&b, vknn_net_free);
    vknn_trainer_free(t);
    fixture_close(&f);
    return 0;
}

/* Two styles in one network (conditional instance norm): trained in turn,
 * resumable exactly, saved with NAME@1 parameters that a styler blends,
 * and each style really is different. */
static int multi_style(void)
{
    Fixture f = {0};
    fixture_open(&f);
    /* The second style: another golden output, or without ../shared the
     * synthetic style with its colour channels rotated. */
    g_autofree char *second = test_shared_path("golden/matta_engstrom_out_1x3x96x128.f32");
    g_autofree float *style2 = NULL;
    const int plane = PHOTO_W * PHOTO_H;
    if (second) {
        style2 = test_read_f32(second, 3 * plane);
    } else {
        style2 = g_new(float, 3 * plane);
        for (int c = 0; c < 3; c++)
            memcpy(style2 + c * plane, f.style + ((c + 1) % 3) * plane, sizeof(float) * plane);
    }
    for (int i = 0; i < 3 * plane; i++)
        style2[i] = CLAMP(style2[i], 0.0f, 255.0f);
    const float *styles[] = {f.style, style2};
    const int w[] = {PHOTO_W, PHOTO_W}, h[] = {PHOTO_H, PHOTO_H};
    const VknnTrainParams p = params();
    GError *err = NULL;
    VknnTrainer *a = vknn_trainer_new_multi(f.ctx, f.loss_net, 2, styles, w, h, &p, &err);
    VknnTrainer *b = vknn_trainer_new_multi(f.ctx, f.loss_net, 2, styles, w, h, &p, &err);
    g_assert_no_error(err);
    g_autofree char *dir = g_dir_make_tmp("vknn-train-XXXXXX", NULL);
    g_autofree char *ckpt = g_build_filename(dir, "m.ckpt", NULL);
    VknnTrainLosses l;
    gboolean ok = train(a, &f, 3, &l) && vknn_trainer_save_checkpoint(a, ckpt, &err) &&
                  train(a, &f, 3, &l) && vknn_trainer_load_checkpoint(b, ckpt, &err) &&
                  train(b, &f, 3, &l);
    test_check(ok && l.style_index == 1, "6 steps alternate the styles (last: style %d)",
               l.style_index);
    g_autoptr(GByteArray) wa = weights(a);
    g_autoptr(GByteArray) wb = weights(b);
    test_check(wa->len == wb->len && memcmp(wa->data, wb->data, wa->len) == 0,
               "resumed at step 3: identical weights of both styles after step 6");
    VknnModel *m = vknn_trainer_model(a);
    gsize len = 0;
    g_autofree guint8 *onnx = vknn_model_save_to_memory(m, &len, &err);
    g_autoptr(VknnModel) reloaded = onnx ? vknn_model_load_from_memory(onnx, len, &err) : NULL;
    test_check(reloaded && vknn_style_count(reloaded) == 2,
               "saved as ONNX and loaded again, the network has %d styles",
               reloaded ? vknn_style_count(reloaded) : 0);
    /* Style 0 and style 1 outputs through the styler differ. */
    g_autofree guint8 *in = g_new(guint8, 4 * PHOTO_W * PHOTO_H);
    for (int i = 0; i < PHOTO_W * PHOTO_H; i++) {
        for (int c = 0; c < 3; c++)
            in[4 * i + c] = (guint8)f.photo[c * PHOTO_W * PHOTO_H + i];
        in[4 * i + 3] = 255;
    }
    guint8 *out[2] = {g_new(guint8, 4 * PHOTO_W * PHOTO_H), g_new(guint8, 4 * PHOTO_W * PHOTO_H)};
    g_autoptr(VknnStyler) st = vknn_styler_new(f.ctx, m, &err);
    for (int s = 0; s < 2 && st; s++) {
        VknnStyleParams sp = VKNN_STYLE_PARAMS_DEFAULT;
        sp.n_styles = 2;
        sp.style_weights[s] = 1.0f;
        if (!vknn_styler_prepare(st, PHOTO_W, PHOTO_H, &sp, &err) ||
            !vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, in, 4 * PHOTO_W, out[s], 4 * PHOTO_W,
                                       &err))
            break;
    }
    int diff = 0;
    for (int i = 0; i < 4 * PHOTO_W * PHOTO_H; i++)
        diff = MAX(diff, abs(out[0][i] - out[1][i]));
    test_check(!err && diff > 0, "style 0 and style 1 give different frames (max diff %d)", diff);
    g_clear_error(&err);
    g_free(out[0]);
    g_free(out[1]);
    g_clear_pointer(&st, vknn_styler_free);
    g_unlink(ckpt);
    g_rmdir(dir);
    vknn_trainer_free(a);
    vknn_trainer_free(b);
    fixture_close(&f);
    return 0;
}

/* Mean squared error in 0..1 of the decoder's reconstruction of the photo
 * (encoder, then the trained decoder, run as saved). */
static double reconstruction_mse(const Fixture *f, VknnModel *decoder)
{
    GError *err = NULL;
    g_autofree float *unit = g_new(float, 3 * PHOTO_W * PHOTO_H);
    for (int i = 0; i < 3 * PHOTO_W * PHOTO_H; i++)
        unit[i] = f->photo[i] / 255.0f;
    const VknnRefTensor in = {{4, {1, 3, PHOTO_H, PHOTO_W}}, unit};
    g_autoptr(GHashTable) enc = vknn_ref_run(f->loss_net, &in, &err);
    g_assert_no_error(err);
    const VknnRefTensor *feat = g_hash_table_lookup(enc, "relu3_1");
    g_autoptr(GHashTable) dec = vknn_ref_run(decoder, feat, &err);
    g_assert_no_error(err);
    const VknnRefTensor *y = g_hash_table_lookup(dec, "output");
    double se = 0;
    for (int c = 0; c < 3; c++)
        for (int r = 0; r < PHOTO_H; r++)
            for (int x = 0; x < PHOTO_W; x++) {
                const double d = y->data[((gsize)c * y->shape.dims[2] + r) * y->shape.dims[3] + x] -
                                 unit[((gsize)c * PHOTO_H + r) * PHOTO_W + x];
                se += d * d;
            }
    return se / (3.0 * PHOTO_W * PHOTO_H);
}

/* Decoders (vknn_decoder_trainer_new): the loss falls, the whole photo's
 * reconstruction (by the reference executor) improves, a resumed run
 * continues exactly, and sizes or layers the decoder cannot invert are
 * refused. */
static int decoder(void)
{
    Fixture f = {.decoder = TRUE};
    fixture_open(&f);
    f.decoder = TRUE;
    VknnTrainParams p = params();
    p.lr = 3e-3f;
    p.content_weight = 1e-2f; /* vknn train-decoder's default */
    VknnTrainer *t = trainer_with(&f, &p);
    const double mse0 = reconstruction_mse(&f, vknn_trainer_model(t));
    VknnTrainLosses first, last;
    if (train(t, &f, 1, &first) && train(t, &f, 59, &last)) {
        const double mse = reconstruction_mse(&f, vknn_trainer_model(t));
        test_check(last.total < first.total / 3,
                   "decoder: total loss %.4g -> %.4g after 60 steps (/%.1f, want >= 3)",
                   first.total, last.total, first.total / last.total);
        test_check(mse < mse0 / 3,
                   "decoder: the photo's reconstruction error %.4g -> %.4g (PSNR %.1f -> %.1f dB)",
                   mse0, mse, -10 * log10(mse0), -10 * log10(mse));
    }
    vknn_trainer_free(t);
    g_autofree char *dir = g_dir_make_tmp("vknn-train-XXXXXX", NULL);
    g_autofree char *ckpt = g_build_filename(dir, "d.ckpt", NULL);
    resumes_exactly(&f, &p, ckpt);
    g_unlink(ckpt);
    g_rmdir(dir);
    GError *err = NULL;
    VknnTrainParams odd = p;
    odd.size = 62;
    VknnTrainer *rounded = vknn_decoder_trainer_new(f.ctx, f.loss_net, "relu3_1", &odd, &err);
    test_check(!rounded && err, "a size that is not a multiple of 4 is refused: %s",
               err ? err->message : "");
    g_clear_error(&err);
    VknnTrainer *half = vknn_decoder_trainer_new(f.ctx, f.loss_net, "relu2_1", &p, &err);
    test_check(!half && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_SHAPE),
               "relu2_1 (half the size, the decoder upsamples 4x) is refused: %s",
               err ? err->message : "");
    g_clear_error(&err);
    VknnTrainer *none = vknn_decoder_trainer_new(f.ctx, f.loss_net, "relu9_9", &p, &err);
    test_check(!none && err, "an unknown layer is refused: %s", err ? err->message : "");
    g_clear_error(&err);
    fixture_close(&f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    int rc;
    if (!strcmp(which, "loss_drops"))
        rc = loss_drops();
    else if (!strcmp(which, "resume"))
        rc = resume();
    else if (!strcmp(which, "export"))
        rc = export();
    else if (!strcmp(which, "multi_style"))
        rc = multi_style();
    else if (!strcmp(which, "stability"))
        rc = stability();
    else if (!strcmp(which, "init"))
        rc = init();
    else if (!strcmp(which, "decoder"))
        rc = decoder();
    else {
        fprintf(stderr,
                "usage: test_train loss_drops|resume|export|multi_style|stability|init|decoder\n");
        return 2;
    }
    return test_summary(rc);
}
