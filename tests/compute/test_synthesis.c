/* vknn/synthesis.h on lavapipe: the shared losses' gradients (Gram/style,
 * content, total variation, alpha-norm; apps/losses.h, apps/optim.h)
 * against central finite differences; the whole objective's gradient
 * (device backward through a small network, several layers seeded at once)
 * against finite differences of the objective and against the CPU
 * reference backward (vknn_ref_backward); texture synthesis and
 * feature inversion lowering their losses 10x or more in a fixed number of
 * steps; style transfer lowering its style loss; the errors a caller meets.
 *
 * Cases (models built here: always run):
 *   loss_grads objective_grad objective_ref texture_tiny invert_tiny gatys_tiny errors
 * and texture_vgg (the VGG encoder of ../shared; skips, 77, without).
 */
#include "apps/losses.h"
#include "apps/optim.h"
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

#define SIDE 32
#define VGG "models/vgg/vgg19_normalised_relu3_1.onnx"

/* Pixels go to the tiny network as they are (mean 0, std 1). */
static const VknnFrameInputParams unit_input = {
    .width = SIDE, .height = SIDE, .mean = {0, 0, 0}, .std = {1, 1, 1}};

/* A texture (stripes of two colours with a finer checker) or a photo-like
 * image (colour ramps, a bright disc, a dark bar), 3 x h x w pixels 0..1. */
static float *synthetic_image(gboolean texture, int w, int h)
{
    float *img = g_new(float, 3 * w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float rgb[3];
            if (texture) {
                const gboolean stripe = ((x + y) / 4) % 2, check = ((x / 2) + (y / 2)) % 2;
                rgb[0] = stripe ? 0.9f : 0.1f;
                rgb[1] = check ? 0.8f : 0.25f;
                rgb[2] = stripe ? 0.15f : 0.8f;
            } else {
                const float dx = x - 0.6f * w, dy = y - 0.4f * h;
                const gboolean disc = dx * dx + dy * dy < 0.04f * w * h;
                const gboolean bar = x > w / 6 && x < w / 4 && y > h / 3;
                rgb[0] = 0.25f + 0.6f * x / w;
                rgb[1] = 0.2f + 0.6f * y / h;
                rgb[2] = 0.5f + 0.25f * sinf(x * 0.4f);
                for (int c = 0; c < 3; c++)
                    rgb[c] = disc ? 0.95f - 0.08f * c : bar ? 0.06f + 0.02f * c : rgb[c];
            }
            for (int c = 0; c < 3; c++)
                img[(c * h + y) * w + x] = rgb[c];
        }
    return img;
}

/* ---- the host losses against finite differences ------------------------------------ */

typedef double (*LossFunc)(float *x, float *grad, void *user);

/* Max relative error of grad against central differences over the first n
 * values of x (each perturbed by eps in float, the loss in double). */
static double fd_error(LossFunc f, float *x, int n, float eps, void *user)
{
    g_autofree float *g = g_new0(float, n), *scratch = g_new0(float, n);
    f(x, g, user);
    double worst = 0, scale = test_max_abs(g, n) + 1e-12;
    for (int i = 0; i < n; i++) {
        const float keep = x[i];
        x[i] = keep + eps;
        const double up = f(x, scratch, user);
        x[i] = keep - eps;
        const double down = f(x, scratch, user);
        x[i] = keep;
        const double num = (up - down) / (2.0 * eps);
        worst = fmax(worst, fabs(num - g[i]) / scale);
    }
    return worst;
}

typedef struct {
    VknnFeatures f;
    double *gram_target;
    float *target;
} LossCase;

static double style_case(float *x, float *grad, void *user)
{
    LossCase *c = user;
    c->f.data = x;
    return vknn_style_loss(&c->f, c->gram_target, 3.0f, grad);
}

static double content_case(float *x, float *grad, void *user)
{
    LossCase *c = user;
    c->f.data = x;
    return vknn_content_loss(&c->f, c->target, 2.0f, grad);
}

static double tv_case(float *x, float *grad, void *user)
{
    (void)user;
    return vknn_tv_loss(x, 3, 5, 7, 0.7f, grad);
}

static double alpha_case(float *x, float *grad, void *user)
{
    (void)user;
    return vknn_alpha_norm_loss(x, 3, 35, 6.0f, 0.5f, grad);
}

/* The Gram matrix itself against a plain triple loop. */
static void check_gram(const VknnFeatures *f)
{
    g_autofree double *g = g_new(double, f->c * f->c);
    vknn_gram(f, 1, g);
    double worst = 0;
    const float *x = f->data + f->c * f->hw;
    for (int i = 0; i < f->c; i++)
        for (int j = 0; j < f->c; j++) {
            double s = 0;
            for (int k = 0; k < f->hw; k++)
                s += (double)x[i * f->hw + k] * x[j * f->hw + k];
            worst = fmax(worst, fabs(g[i * f->c + j] - s / (f->c * f->hw)));
        }
    test_check(worst < 1e-6, "Gram of image 2 of 2 = F F^T / (c hw): max error %.2g", worst);
}

static int loss_grads(void)
{
    LossCase c = {.f = {.batch = 2, .c = 4, .hw = 35}};
    const int n = 2 * 4 * 35;
    g_autofree float *x = g_new(float, n), *t = g_new(float, n), *img = g_new(float, 105);
    test_fill_random(x, n, 3, 0.0f, 1.0f);
    test_fill_random(t, n, 4, 0.0f, 1.0f);
    c.f.data = x;
    check_gram(&c.f);
    /* The target: the Gram of another feature map. */
    VknnFeatures other = {.batch = 1, .c = 4, .hw = 35, .data = t};
    double gram_target[16];
    vknn_gram(&other, 0, gram_target);
    c.gram_target = gram_target;
    c.target = t;
    double e = fd_error(style_case, x, n, 1e-2f, &c);
    test_check(e < 2e-3, "style (Gram) loss gradient vs finite differences: max rel. error %.2g",
               e);
    e = fd_error(content_case, x, n, 1e-2f, &c);
    test_check(e < 2e-3, "content loss gradient vs finite differences: max rel. error %.2g", e);
    test_fill_random(img, 105, 5, -0.6f, 0.6f);
    e = fd_error(tv_case, img, 105, 1e-2f, NULL);
    test_check(e < 2e-3, "total variation gradient vs finite differences: max rel. error %.2g", e);
    e = fd_error(alpha_case, img, 105, 1e-3f, NULL);
    test_check(e < 2e-3, "alpha-norm (alpha 6) gradient vs finite differences: max rel. error %.2g",
               e);
    /* Values: the alpha-norm of one pixel (0.6, 0.8, 0) is |x|^6 = 1. */
    float one[3] = {0.6f, 0.8f, 0.0f}, g1[3] = {0};
    const double a = vknn_alpha_norm_loss(one, 3, 1, 6.0f, 1.0f, g1);
    test_check(fabs(a - 1.0) < 1e-6 && fabsf(g1[0] - 3.6f) < 1e-5f,
               "alpha-norm of (0.6, 0.8, 0) = 1 (%.6g), d/dx_r = 6 * 0.6 (%.6g)", a, g1[0]);
    return 0;
}

/* ---- the objective on the device ----------------------------------------------------- */

typedef struct {
    VknnContext *ctx;
    VknnModel *model;
} Fixture;

static void fixture_open(Fixture *f)
{
    f->ctx = test_context();
    f->model = tm_small_vgg(TRUE);
    if (!f->model)
        test_fatal("small VGG: not built");
}

static void fixture_close(Fixture *f)
{
    vknn_model_free(f->model);
    vknn_context_free(f->ctx);
}

static VknnSynthesizer *open_synth(Fixture *f, const VknnSynthParams *p,
                                   const VknnFrameInputParams *in)
{
    GError *err = NULL;
    VknnSynthesizer *s = vknn_synthesizer_new(f->ctx, f->model, in, p, &err);
    if (!s)
        test_fatal("synthesizer: %s", err->message);
    return s;
}

static double total_loss(VknnSynthesizer *s, const float *x, int w, int h)
{
    VknnSynthLosses l;
    GError *err = NULL;
    if (!vknn_synthesizer_loss(s, x, w, h, &l, NULL, &err))
        test_fatal("loss: %s", err->message);
    return l.total;
}

/* Every term at once (the content layer also a style layer, the input std
 * not 1), its gradient against central differences of the objective along
 * random directions: g . d vs (L(x + eps d) - L(x - eps d)) / (2 eps). */
static int objective_grad(void)
{
    Fixture f;
    fixture_open(&f);
    const int w = 20, h = 16;
    const gsize n = 3 * w * h;
    VknnFrameInputParams in = {.mean = {0.4f, 0.5f, 0.6f}, .std = {0.5f, 0.25f, 0.4f}};
    const VknnSynthParams p = {.content_layer = "relu2_1",
                               .style_layers = "relu1_1,relu2_1,relu3_1",
                               .content_weight = 1.0f,
                               .style_weight = 2.0f,
                               .tv_weight = 0.3f,
                               .alpha_weight = 0.5f,
                               .alpha = 6.0f};
    VknnSynthesizer *s = open_synth(&f, &p, &in);
    g_autofree float *content = synthetic_image(FALSE, w, h);
    g_autofree float *style = synthetic_image(TRUE, 24, 24);
    g_autofree float *x = g_new(float, n), *g = g_new(float, n), *d = g_new(float, n);
    g_autofree float *xp = g_new(float, n);
    GError *err = NULL;
    if (!vknn_synthesizer_set_content(s, content, w, h, &err) ||
        !vknn_synthesizer_set_style(s, style, 24, 24, &err))
        test_fatal("targets: %s", err->message);
    test_fill_random(x, n, 9, 0.1f, 0.9f);
    VknnSynthLosses l;
    if (!vknn_synthesizer_loss(s, x, w, h, &l, g, &err))
        test_fatal("loss: %s", err->message);
    test_check(l.content > 0 && l.style > 0 && l.tv > 0 && l.alpha > 0 &&
                   fabs(l.total - (l.content + l.style + l.tv + l.alpha)) < 1e-9,
               "every term present: content %.4g, style %.4g, tv %.4g, alpha %.4g", l.content,
               l.style, l.tv, l.alpha);
    for (int k = 0; k < 3; k++) {
        test_fill_random(d, n, 20 + k, -1.0f, 1.0f);
        double gd = 0;
        for (gsize i = 0; i < n; i++)
            gd += (double)g[i] * d[i];
        const float eps = 2e-3f;
        for (gsize i = 0; i < n; i++)
            xp[i] = x[i] + eps * d[i];
        const double up = total_loss(s, xp, w, h);
        for (gsize i = 0; i < n; i++)
            xp[i] = x[i] - eps * d[i];
        const double fd = (up - total_loss(s, xp, w, h)) / (2 * eps);
        /* Relative to the larger of |fd| and 1 (the loss is ~8): Relu and
         * max-pool kinks within eps make small derivatives noisy. */
        const double rel = fabs(fd - gd) / fmax(fabs(fd), 1.0);
        test_check(rel < 0.02, "direction %d: g . d = %.5g, finite differences %.5g (rel. %.2g)", k,
                   gd, fd, rel);
    }
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

/* Features of `layer` from a reference run's table (batch 1). */
static VknnFeatures ref_features(GHashTable *values, const char *layer)
{
    const VknnRefTensor *t = g_hash_table_lookup(values, layer);
    if (!t)
        test_fatal("reference run: no '%s'", layer);
    return (VknnFeatures){.batch = 1,
                          .c = (int)t->shape.dims[1],
                          .hw = (int)(t->shape.dims[2] * t->shape.dims[3]),
                          .data = t->data};
}

static GHashTable *ref_run(VknnModel *m, const float *x, int w, int h)
{
    GError *err = NULL;
    const VknnRefTensor in = {.shape = {4, {1, 3, h, w}}, .data = (float *)x};
    GHashTable *values = vknn_ref_run(m, &in, &err);
    if (!values)
        test_fatal("reference run: %s", err->message);
    return values;
}

/* d loss / d x through the CPU reference backward: the objective of the
 * header (relative content loss at relu2_1, relative Gram losses at relu1_1
 * and relu3_1, weights 1 and 2) seeded at each layer, the input gradients
 * summed (the backward pass is linear in its seed). */
static double ref_objective(VknnModel *m, const float *x, const float *content, const float *style,
                            int w, int h, float *grad)
{
    g_autoptr(GHashTable) cv = ref_run(m, content, w, h), sv = ref_run(m, style, 24, 24);
    g_autoptr(GHashTable) xv = ref_run(m, x, w, h);
    const char *layers[] = {"relu2_1", "relu1_1", "relu3_1"};
    const VknnRefTensor in = {.shape = {4, {1, 3, h, w}}, .data = (float *)x};
    double loss = 0;
    memset(grad, 0, sizeof(float) * 3 * w * h);
    for (int i = 0; i < 3; i++) {
        VknnFeatures f = ref_features(xv, layers[i]), t = ref_features(i ? sv : cv, layers[i]);
        const gsize n = (gsize)f.c * f.hw;
        g_autofree float *seed = g_new0(float, n);
        if (i == 0) {
            double e = 0;
            for (gsize k = 0; k < n; k++)
                e += (double)t.data[k] * t.data[k];
            loss += vknn_content_loss(&f, t.data, (float)(n / e), seed);
        } else {
            g_autofree double *target = g_new(double, f.c *f.c);
            vknn_gram(&t, 0, target);
            double e = 0;
            for (int k = 0; k < f.c * f.c; k++)
                e += target[k] * target[k];
            loss += vknn_style_loss(&f, target, (float)(2.0 / 2 * f.c * f.c / e), seed);
        }
        GError *err = NULL;
        const VknnRefTensor *layer_t = g_hash_table_lookup(xv, layers[i]);
        const VknnRefTensor seed_t = {.shape = layer_t->shape, .data = seed};
        g_autoptr(GHashTable) grads =
            vknn_ref_backward(m, xv, &in, layers[i], &seed_t, FALSE, &err);
        if (!grads)
            test_fatal("reference backward: %s", err->message);
        const VknnRefTensor *gx = g_hash_table_lookup(grads, "x");
        for (int k = 0; k < 3 * w * h; k++)
            grad[k] += gx->data[k];
    }
    return loss;
}

/* The device gradient of the objective against the CPU reference. */
static int objective_ref(void)
{
    Fixture f;
    fixture_open(&f);
    const int w = 20, h = 16;
    const gsize n = 3 * w * h;
    const VknnSynthParams p = {.content_layer = "relu2_1",
                               .style_layers = "relu1_1,relu3_1",
                               .content_weight = 1.0f,
                               .style_weight = 2.0f,
                               .alpha = 6.0f};
    VknnSynthesizer *s = open_synth(&f, &p, &unit_input);
    g_autofree float *content = synthetic_image(FALSE, w, h);
    g_autofree float *style = synthetic_image(TRUE, 24, 24);
    g_autofree float *x = g_new(float, n), *g = g_new(float, n), *want = g_new(float, n);
    GError *err = NULL;
    VknnSynthLosses l;
    test_fill_random(x, n, 9, 0.1f, 0.9f);
    if (!vknn_synthesizer_set_content(s, content, w, h, &err) ||
        !vknn_synthesizer_set_style(s, style, 24, 24, &err) ||
        !vknn_synthesizer_loss(s, x, w, h, &l, g, &err))
        test_fatal("synthesizer: %s", err->message);
    const double ref_loss = ref_objective(f.model, x, content, style, w, h, want);
    const double diff = test_max_abs_diff(g, want, n), scale = test_max_abs(want, n);
    test_check(fabs(l.total - ref_loss) < 1e-4 * ref_loss,
               "loss on the device %.6g, with the CPU reference %.6g", l.total, ref_loss);
    test_check(diff < 1e-3 * scale,
               "d loss / d image vs the CPU reference backward (3 layers seeded): max |diff| %.2g "
               "of max |g| %.2g",
               diff, scale);
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

/* Runs `iterations` Adam steps from x; returns the result. */
static VknnSynthResult optimize(VknnSynthesizer *s, int iterations, float lr, int w, int h,
                                float *x)
{
    VknnSynthResult r;
    GError *err = NULL;
    if (!vknn_synthesizer_optimize(s, iterations, lr, w, h, x, NULL, NULL, &r, &err))
        test_fatal("optimize: %s", err->message);
    return r;
}

static gboolean in_range(const float *x, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!(x[i] >= 0.0f && x[i] <= 1.0f))
            return FALSE;
    return TRUE;
}

static int texture_tiny(void)
{
    Fixture f;
    fixture_open(&f);
    const VknnSynthParams p = VKNN_SYNTH_TEXTURE_DEFAULT;
    VknnSynthesizer *s = open_synth(&f, &p, &unit_input);
    g_autofree float *style = synthetic_image(TRUE, 40, 40), *x = g_new(float, 3 * SIDE * SIDE);
    GError *err = NULL;
    if (!vknn_synthesizer_set_style(s, style, 40, 40, &err))
        test_fatal("style: %s", err->message);
    vknn_synth_noise_image(x, SIDE, SIDE, 0.2f, 1);
    const VknnSynthResult r = optimize(s, 100, 0.05f, SIDE, SIDE, x);
    test_check(r.final.total * 10 <= r.start.total,
               "texture synthesis from noise, 100 steps at 32x32: Gram loss %.4g -> %.4g (x%.1f "
               "lower, >= 10 wanted)",
               r.start.total, r.final.total, r.start.total / r.final.total);
    test_check(in_range(x, 3 * SIDE * SIDE), "pixels within 0..1");
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

static int invert_tiny(void)
{
    Fixture f;
    fixture_open(&f);
    VknnSynthParams p = VKNN_SYNTH_INVERSION_DEFAULT;
    p.content_layer = "relu2_1";
    VknnSynthesizer *s = open_synth(&f, &p, &unit_input);
    g_autofree float *photo = synthetic_image(FALSE, SIDE, SIDE);
    g_autofree float *x = g_new(float, 3 * SIDE * SIDE);
    GError *err = NULL;
    if (!vknn_synthesizer_set_content(s, photo, SIDE, SIDE, &err))
        test_fatal("content: %s", err->message);
    vknn_synth_noise_image(x, SIDE, SIDE, 0.1f, 1);
    const VknnSynthResult r = optimize(s, 100, 0.02f, SIDE, SIDE, x);
    test_check(r.final.total * 10 <= r.start.total,
               "feature inversion at relu2_1, 100 steps at 32x32: loss %.4g -> %.4g (x%.1f lower, "
               ">= 10 wanted; feature term %.4g -> %.4g)",
               r.start.total, r.final.total, r.start.total / r.final.total, r.start.content,
               r.final.content);
    /* The inversion is closer to the photo than the start was. */
    g_autofree float *start = g_new(float, 3 * SIDE * SIDE);
    vknn_synth_noise_image(start, SIDE, SIDE, 0.1f, 1);
    const double before = test_max_abs_diff(start, photo, 3 * SIDE * SIDE);
    double mse0 = 0, mse1 = 0;
    for (int i = 0; i < 3 * SIDE * SIDE; i++) {
        mse0 += (start[i] - photo[i]) * (start[i] - photo[i]);
        mse1 += (x[i] - photo[i]) * (x[i] - photo[i]);
    }
    test_check(
        mse1 * 4 < mse0,
        "the reconstruction nears the photo: pixel MSE %.4g -> %.4g (max diff at start %.2g)",
        mse0 / (3 * SIDE * SIDE), mse1 / (3 * SIDE * SIDE), before);
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

static int gatys_tiny(void)
{
    Fixture f;
    fixture_open(&f);
    VknnSynthParams p = VKNN_SYNTH_STYLE_TRANSFER_DEFAULT;
    p.content_layer = "relu2_1";
    VknnSynthesizer *s = open_synth(&f, &p, &unit_input);
    g_autofree float *photo = synthetic_image(FALSE, SIDE, SIDE);
    g_autofree float *style = synthetic_image(TRUE, 40, 40);
    GError *err = NULL;
    if (!vknn_synthesizer_set_content(s, photo, SIDE, SIDE, &err) ||
        !vknn_synthesizer_set_style(s, style, 40, 40, &err))
        test_fatal("targets: %s", err->message);
    g_autofree float *x = g_memdup2(photo, sizeof(float) * 3 * SIDE * SIDE);
    const VknnSynthResult r = optimize(s, 60, 0.02f, SIDE, SIDE, x);
    test_check(r.start.content < 1e-9 && r.final.style * 3 <= r.start.style,
               "style transfer from the content image, 60 steps: style loss %.4g -> %.4g (x%.1f "
               "lower, >= 3 wanted), content %.2g -> %.4g, total %.4g -> %.4g",
               r.start.style, r.final.style, r.start.style / r.final.style, r.start.content,
               r.final.content, r.start.total, r.final.total);
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

static gboolean expect_error(VknnSynthesizer *s, GError *err, int code, const char *needle,
                             const char *what)
{
    const gboolean ok =
        !s && g_error_matches(err, VKNN_ERROR, code) && (!needle || strstr(err->message, needle));
    test_check(ok, "%s: %s", what, err ? err->message : "no error");
    vknn_synthesizer_free(s);
    g_clear_error(&err);
    return ok;
}

static int errors(void)
{
    Fixture f;
    fixture_open(&f);
    GError *err = NULL;
    VknnSynthParams p = VKNN_SYNTH_TEXTURE_DEFAULT;
    p.style_layers = "relu1_1,nope";
    VknnSynthesizer *s = vknn_synthesizer_new(f.ctx, f.model, &unit_input, &p, &err);
    expect_error(s, err, VKNN_ERROR_NOT_FOUND, "'nope'", "an unknown style layer, named");
    err = NULL;
    p = (VknnSynthParams)VKNN_SYNTH_INVERSION_DEFAULT;
    s = vknn_synthesizer_new(f.ctx, f.model, &unit_input, &p, &err);
    expect_error(s, err, VKNN_ERROR_FAILED, NULL, "no layer at all");
    err = NULL;
    p.content_layer = "relu1_1";
    p.tv_weight = -1;
    s = vknn_synthesizer_new(f.ctx, f.model, &unit_input, &p, &err);
    expect_error(s, err, VKNN_ERROR_FAILED, NULL, "a negative weight");
    p.tv_weight = 0;
    s = open_synth(&f, &p, &unit_input);
    g_autofree float *img = synthetic_image(FALSE, SIDE, SIDE);
    VknnSynthLosses l;
    err = NULL;
    gboolean ok = vknn_synthesizer_loss(s, img, SIDE, SIDE, &l, NULL, &err);
    test_check(!ok && err, "no content target yet: %s", err ? err->message : "no error");
    g_clear_error(&err);
    ok = vknn_synthesizer_set_content(s, img, SIDE, SIDE, &err) &&
         vknn_synthesizer_loss(s, img, 16, 16, &l, NULL, &err);
    test_check(!ok && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_SHAPE),
               "an image of another size than the content: %s", err ? err->message : "no error");
    g_clear_error(&err);
    ok = vknn_synthesizer_set_style(s, img, SIDE, SIDE, &err);
    test_check(!ok && err, "a style without style layers: %s", err ? err->message : "no error");
    g_clear_error(&err);
    ok = vknn_synthesizer_loss(s, img, SIDE, SIDE, &l, NULL, &err);
    test_check(ok && l.content < 1e-12 && l.alpha > 0,
               "the content image itself: feature loss 0 (%.2g), alpha-norm %.3g", l.content,
               l.alpha);
    g_clear_error(&err);
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

/* The normalised VGG-19 encoder: texture synthesis at 64x64 from the
 * golden chelsea crop (ImageNet-normalised 224x224, turned back to pixels)
 * lowers the Gram loss 10x. */
static int texture_vgg(void)
{
    g_autofree char *vgg = test_shared_path(VGG);
    g_autofree char *photo =
        vgg ? test_shared_path("golden/sq_chelsea_input_1x3x224x224.f32") : NULL;
    if (!photo)
        return TEST_SKIP;
    GError *err = NULL;
    Fixture f = {.ctx = test_context(), .model = vknn_model_load(vgg, &err)};
    if (!f.model)
        test_fatal("VGG: %s", err->message);
    g_autofree float *in = test_read_f32(photo, 3 * 224 * 224);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    const int side = 64;
    g_autofree float *crop = g_new(float, 3 * side * side), *x = g_new(float, 3 * side * side);
    for (int c = 0; c < 3; c++) /* the cat's fur, around the image centre */
        for (int y = 0; y < side; y++)
            for (int i = 0; i < side; i++)
                crop[(c * side + y) * side + i] =
                    in[(c * 224 + 80 + y) * 224 + 80 + i] * std[c] + mean[c];
    const VknnSynthParams p = VKNN_SYNTH_TEXTURE_DEFAULT;
    const VknnFrameInputParams unit = {.mean = {0, 0, 0}, .std = {1, 1, 1}};
    VknnSynthesizer *s = open_synth(&f, &p, &unit);
    if (!vknn_synthesizer_set_style(s, crop, side, side, &err))
        test_fatal("style: %s", err->message);
    vknn_synth_noise_image(x, side, side, 0.2f, 1);
    const VknnSynthResult r = optimize(s, 60, 0.05f, side, side, x);
    test_check(r.final.total * 10 <= r.start.total,
               "VGG texture synthesis, 60 steps at 64x64: Gram loss %.4g -> %.4g (x%.1f lower, "
               ">= 10 wanted), %.2f it/s",
               r.start.total, r.final.total, r.start.total / r.final.total, 60 / r.seconds);
    vknn_synthesizer_free(s);
    fixture_close(&f);
    return 0;
}

int main(int argc, char **argv)
{
    static const TestCase cases[] = {
        {"loss_grads", loss_grads},
        {"objective_grad", objective_grad},
        {"objective_ref", objective_ref},
        {"texture_tiny", texture_tiny},
        {"invert_tiny", invert_tiny},
        {"gatys_tiny", gatys_tiny},
        {"errors", errors},
        {"texture_vgg", texture_vgg},
    };
    return test_run_case(argc, argv, cases, G_N_ELEMENTS(cases));
}
