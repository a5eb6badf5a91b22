/* vknn/visualize.h on lavapipe: filter grids against the weights mapped by
 * the documented normalisation (computed here independently), class
 * visualisation raising its class's probability by a stated factor,
 * adversarial examples flipping the top-1 within their L-infinity budget,
 * DeepDream raising its layer's activations, and the errors a caller meets.
 *
 *   test_visualize filters|class_tiny|attack_tiny|dream_tiny|errors
 *                  (tiny models built here: always run)
 *   test_visualize class_squeezenet|fgsm_squeezenet   (skip, 77, without ../shared)
 */
#include "model_build.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

#define SQUEEZENET "models/classify/squeezenet1_1.onnx"
#define CHELSEA "golden/sq_chelsea_input_1x3x224x224.f32"
#define SIDE 224

static const VknnFrameInputParams imagenet = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
/* The tiny models take (pixel - 0.5) / 0.05: their random weights give logits of a
 * narrow range, which a wider input range widens. */
static const VknnFrameInputParams tiny_input = {
    .width = 32, .height = 32, .mean = {0.5f, 0.5f, 0.5f}, .std = {0.05f, 0.05f, 0.05f}};

/* A small classifier for optimisation tests, [1, 3, 32, 32] in: a 3x3
 * convolution to 16 features and a Relu ("feat"), a 1x1 convolution to 5
 * class maps, global average pooling, flatten to logits. Without a Relu
 * after the class maps (unlike tm_classifier) every class has a gradient,
 * and 16 features give the logits room to separate. */
static VknnModel *small_classifier(guint32 seed)
{
    TestModel b = tm_new(0, seed);
    tm_input(&b, "x", SHAPE(1, 3, 32, 32));
    tm_weight(&b, "w1", SHAPE(16, 3, 3, 3), -0.5f, 0.5f);
    tm_weight(&b, "b1", SHAPE(16), -0.1f, 0.1f);
    tm_node(&b, "Conv", NAMES("x", "w1", "b1"), "c1");
    tm_attr_ints(&b, "pads", INTS(1, 1, 1, 1));
    tm_node(&b, "Relu", NAMES("c1"), "feat");
    tm_weight(&b, "w2", SHAPE(5, 16, 1, 1), -0.5f, 0.5f);
    tm_node(&b, "Conv", NAMES("feat", "w2"), "maps");
    tm_node(&b, "GlobalAveragePool", NAMES("maps"), "pooled");
    tm_node(&b, "Flatten", NAMES("pooled"), "logits");
    tm_output(&b, "logits");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    if (!m)
        test_fatal("small classifier: not built");
    return m;
}

/* A visualizer, or the end of the test program. */
static VknnVisualizer *open_visualizer(VknnContext *ctx, VknnModel *m,
                                       const VknnFrameInputParams *fp, const char *layer)
{
    GError *err = NULL;
    VknnVisualizer *vis = vknn_visualizer_new(ctx, m, fp, layer, &err);
    if (!vis)
        test_fatal("visualizer: %s", err->message);
    return vis;
}

/* ---- filters -------------------------------------------------------------------- */

/* A conv 3->5 3x2 kernels, named "first"; with colour, a 1x1 conv 3->3
 * ("colour") and a reflection Pad before it, as in the normalised VGG. */
static VknnModel *filter_model(gboolean colour)
{
    TestModel b = tm_new(0, 5);
    tm_input(&b, "x", SHAPE(1, 3, 8, 8));
    const char *in = "x";
    if (colour) {
        tm_weight(&b, "wc", SHAPE(3, 3, 1, 1), -1.0f, 1.0f);
        tm_named_node(&b, "colour", "Conv", NAMES("x", "wc"), "c0");
        tm_const_int(&b, "pads", SHAPE(8), I64(0, 0, 1, 1, 0, 0, 1, 1));
        tm_node(&b, "Pad", NAMES("c0", "pads"), "padded");
        tm_attr_str(&b, "mode", "reflect");
        in = "padded";
    }
    tm_weight(&b, "w", SHAPE(5, 3, 3, 2), -0.7f, 0.4f);
    tm_named_node(&b, "first", "Conv", NAMES(in, "w"), "y");
    tm_output(&b, "y");
    VknnModel *m = tm_take(&b);
    tm_clear(&b);
    return m;
}

/* The weight of filter f, channel c, tap t in input colours, worked out
 * from the model's tensors as the header states it. */
static float want_weight(const VknnModel *m, gboolean colour, int f, int c, int t)
{
    const float *w = vknn_model_value(m, vknn_model_find_value(m, "w"))->data;
    if (!colour)
        return w[(f * 3 + c) * 6 + t];
    const float *a = vknn_model_value(m, vknn_model_find_value(m, "wc"))->data;
    double s = 0;
    for (int j = 0; j < 3; j++)
        s += (double)w[(f * 3 + j) * 6 + t] * a[j * 3 + c];
    return (float)s;
}

/* Every pixel of the grid against the normalised weight it must show (or
 * white in the gaps). */
static gboolean check_grid(const VknnModel *m, const VknnFilterGrid *g, gboolean colour,
                           gboolean global, int zoom, int gap)
{
    float lo[6], hi[6]; /* per filter; [5]: the whole layer */
    for (int f = 0; f < 6; f++) {
        lo[f] = INFINITY;
        hi[f] = -INFINITY;
    }
    for (int f = 0; f < 5; f++)
        for (int i = 0; i < 18; i++) {
            const float v = want_weight(m, colour, f, i / 6, i % 6);
            lo[f] = fminf(lo[f], v), hi[f] = fmaxf(hi[f], v);
            lo[5] = fminf(lo[5], v), hi[5] = fmaxf(hi[5], v);
        }
    double worst = 0;
    int white_bad = 0;
    const int tw = 2 * zoom + gap, th = 3 * zoom + gap; /* kw 2, kh 3 */
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < g->height; y++)
            for (int x = 0; x < g->width; x++) {
                const float got = g->rgb[((gsize)c * g->height + y) * g->width + x];
                const int col = (x - gap) / tw, row = (y - gap) / th;
                const int tx = (x - gap) % tw, ty = (y - gap) % th, f = row * 3 + col;
                if (x < gap || y < gap || tx >= 2 * zoom || ty >= 3 * zoom || f >= 5) {
                    white_bad += got != 1.0f;
                    continue;
                }
                const int r = global ? 5 : f;
                const float want =
                    (want_weight(m, colour, f, c, ty / zoom * 2 + tx / zoom) - lo[r]) /
                    (hi[r] - lo[r]);
                worst = fmax(worst, fabs(got - want));
            }
    return test_check(g->width == 3 * tw + gap && g->height == 2 * th + gap && worst < 1e-5 &&
                          white_bad == 0 && g->folded == colour,
                      "filter grid (%s, %s scale, zoom %d, gap %d): %dx%d, max |pixel - "
                      "normalised weight| %.2g, %d gap pixels not white",
                      colour ? "1x1 colour conv folded" : "plain", global ? "global" : "per-filter",
                      zoom, gap, g->width, g->height, worst, white_bad);
}

static int filters(void)
{
    for (int colour = 0; colour < 2; colour++) {
        g_autoptr(VknnModel) m = filter_model(colour);
        for (int global = 0; global < 2; global++) {
            const VknnFilterGridParams p = {.global = global, .zoom = 3, .gap = 1};
            VknnFilterGrid g;
            GError *err = NULL;
            if (!vknn_filter_grid(m, &p, &g, &err)) {
                test_fail("filter grid: %s", err->message);
                g_error_free(err);
                continue;
            }
            check_grid(m, &g, colour, global, 3, 1);
            test_check(g_str_equal(g.layer, "first"), "the default layer is 'first' (%s)", g.layer);
            vknn_filter_grid_clear(&g);
        }
    }
    g_autoptr(VknnModel) m = filter_model(FALSE);
    VknnFilterGrid g;
    GError *err = NULL;
    const VknnFilterGridParams named = {.layer = "nope", .zoom = 1};
    const gboolean ok = vknn_filter_grid(m, &named, &g, &err);
    test_check(!ok && g_error_matches(err, VKNN_ERROR, VKNN_ERROR_NOT_FOUND) &&
                   strstr(err->message, "'nope'"),
               "an unknown layer is NOT_FOUND and named: %s", err ? err->message : "no error");
    g_clear_error(&err);
    return 0;
}

/* ---- class visualisation ---------------------------------------------------------- */

static void quiet(const VknnVisProgress *p, void *user)
{
    int *calls = user;
    (*calls)++;
    (void)p;
}

/* The class with the lowest probability on the mean image: the hardest to
 * raise. */
static int least_likely(VknnVisualizer *vis, int w, int h, const VknnFrameInputParams *fp)
{
    const int n = vknn_visualizer_classes(vis);
    g_autofree float *x = g_new(float, 3 * w * h), *logits = g_new(float, n);
    for (int i = 0; i < 3 * w * h; i++)
        x[i] = fp->mean[i / (w * h)];
    GError *err = NULL;
    if (!vknn_visualizer_classify(vis, x, w, h, logits, &err))
        test_fatal("classify: %s", err->message);
    int c = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] < logits[c])
            c = i;
    return c;
}

static gboolean class_raises(VknnVisualizer *vis, const VknnClassVisParams *p, int w, int h,
                             float factor, const char *what)
{
    g_autofree float *x = g_new(float, 3 * w * h);
    VknnVisResult r;
    GError *err = NULL;
    int calls = 0;
    if (!vknn_class_visualize(vis, p, w, h, x, quiet, &calls, &r, &err)) {
        test_fail("%s: %s", what, err->message);
        g_error_free(err);
        return FALSE;
    }
    float lo = 1, hi = 0;
    for (int i = 0; i < 3 * w * h; i++)
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    return test_check(
        r.final_prob >= factor * r.start_prob && r.final_prob >= 0.9f &&
            r.final_score > r.start_score && calls == p->iterations + 1 && lo >= 0 && hi <= 1,
        "%s: class %d p %.4g -> %.4g (x%.1f, wanted >= x%.0f and >= 0.9), logit %.3f -> %.3f, "
        "%d progress calls, pixels in %.3f..%.3f, %.2f it/s",
        what, p->target_class, r.start_prob, r.final_prob, r.final_prob / r.start_prob, factor,
        r.start_score, r.final_score, calls, lo, hi, p->iterations / r.seconds);
}

static int class_tiny(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = small_classifier(23);
    g_autoptr(VknnVisualizer) vis = open_visualizer(ctx, m, &tiny_input, NULL);
    VknnClassVisParams p = VKNN_CLASS_VIS_PARAMS_DEFAULT;
    p.target_class = least_likely(vis, 32, 32, &tiny_input);
    p.iterations = 30;
    p.jitter = 2;
    p.step = 0.02f;
    class_raises(vis, &p, 32, 32, 3.0f, "tiny classifier, sgd from zero");
    p.optimizer = VKNN_VIS_ADAM;
    p.init_noise = 0.1f;
    p.tv_weight = 1e-3f;
    class_raises(vis, &p, 32, 32, 3.0f, "tiny classifier, adam + tv from noise");
    return 0;
}

static VknnModel *load_squeezenet(void)
{
    g_autofree char *path = test_shared_path(SQUEEZENET);
    if (!path)
        return NULL;
    GError *err = NULL;
    VknnModel *m = vknn_model_load(path, &err);
    if (!m)
        test_fatal("%s: %s", path, err->message);
    return m;
}

/* SqueezeNet at 112x112 (dynamic input): 25 steps towards a class. */
static int class_squeezenet(void)
{
    g_autoptr(VknnModel) m = load_squeezenet();
    if (!m)
        return TEST_SKIP;
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnVisualizer) vis = open_visualizer(ctx, m, &imagenet, NULL);
    VknnClassVisParams p = VKNN_CLASS_VIS_PARAMS_DEFAULT;
    p.target_class = 130; /* flamingo */
    p.iterations = 25;
    p.jitter = 8;
    class_raises(vis, &p, 112, 112, 100.0f, "SqueezeNet 112x112, flamingo");
    return 0;
}

/* ---- adversarial examples ---------------------------------------------------------- */

/* Checks an attack's result: within the budget, on 8-bit levels, and
 * flipped (want_flip) or at least lowering the clean class's probability. */
static gboolean attack(VknnVisualizer *vis, const VknnAdversarialParams *p, int w, int h,
                       const float *x, gboolean want_flip, const char *what)
{
    g_autofree float *adv = g_new(float, 3 * w * h);
    VknnAdversarialResult r;
    GError *err = NULL;
    int calls = 0;
    if (!vknn_adversarial(vis, p, w, h, x, adv, quiet, &calls, &r, &err)) {
        test_fail("%s: %s", what, err->message);
        g_error_free(err);
        return FALSE;
    }
    /* The result's own claims, checked again from adv. */
    const int n = vknn_visualizer_classes(vis);
    g_autofree float *logits = g_new(float, n);
    if (!vknn_visualizer_classify(vis, adv, w, h, logits, &err))
        test_fatal("classify: %s", err->message);
    int top = 0;
    float linf = 0, off_grid = 0;
    for (int i = 1; i < n; i++)
        top = logits[i] > logits[top] ? i : top;
    for (int i = 0; i < 3 * w * h; i++) {
        linf = fmaxf(linf, fabsf(adv[i] - x[i]));
        off_grid = fmaxf(off_grid, fabsf(adv[i] * 255 - roundf(adv[i] * 255)));
    }
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += exp(logits[i] - logits[top]);
    const double p_clean = exp(logits[r.clean_class] - logits[top]) / sum;
    const gboolean flipped = p->target_class >= 0 ? top == p->target_class : top != r.clean_class;
    const gboolean goal = want_flip ? flipped && r.success : p_clean < r.clean_prob;
    return test_check(goal && top == r.adv_class && linf <= p->epsilon + 1e-6f &&
                          fabsf(linf - r.linf) < 1e-7f && (!p->quantize || off_grid < 1e-3f),
                      "%s: top-1 %d (p %.3f) -> %d (target %d, -1: any other), clean class p "
                      "%.3f, L-inf %.3f/255 <= "
                      "%.3f/255, %d steps, 8-bit grid error %.1g",
                      what, r.clean_class, r.clean_prob, top, p->target_class, p_clean, linf * 255,
                      p->epsilon * 255, r.iterations, off_grid);
}

/* A random 8-bit image, in pixels. */
static void random_pixels(float *x, int n, guint32 seed)
{
    test_fill_random(x, n, seed, 0.0f, 1.0f);
    for (int i = 0; i < n; i++)
        x[i] = roundf(x[i] * 255) / 255;
}

static int attack_tiny(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = small_classifier(23);
    g_autoptr(VknnVisualizer) vis = open_visualizer(ctx, m, &tiny_input, NULL);
    /* Mid-grey with noise of +-4 levels: random weights over a random
     * image average out to a wide margin, which a deep net's texture
     * detectors do not have; near the grey the classes are close. */
    float x[3 * 32 * 32];
    random_pixels(x, 3 * 32 * 32, 3);
    for (int i = 0; i < 3 * 32 * 32; i++)
        x[i] = (128 + roundf(8 * x[i]) - 4) / 255;
    /* One sign step is a first-order move: a small one must lower the
     * clean class's probability. Larger ones switch so many of this small
     * net's Relus that FGSM does not flip it (a deep net's do: see
     * fgsm_squeezenet); the iterative attacks do. */
    VknnAdversarialParams p = VKNN_ADVERSARIAL_PARAMS_DEFAULT;
    p.epsilon = 1.0f / 255;
    attack(vis, &p, 32, 32, x, FALSE, "tiny classifier, FGSM eps 1/255 lowers the clean class");
    p.method = VKNN_ATTACK_ITERATIVE;
    p.epsilon = 8.0f / 255;
    p.step = 1.0f / 255;
    p.iterations = 20;
    attack(vis, &p, 32, 32, x, TRUE, "tiny classifier, iterative eps 8/255 flips the top-1");
    p.target_class = least_likely(vis, 32, 32, &tiny_input);
    attack(vis, &p, 32, 32, x, TRUE, "tiny classifier, iterative eps 8/255 to the target");
    return 0;
}

/* The golden SqueezeNet crop of chelsea back in pixels, on 8-bit levels. */
static float *chelsea_pixels(void)
{
    g_autofree char *path = test_shared_path(CHELSEA);
    if (!path)
        return NULL;
    float *x = test_read_f32(path, 3 * SIDE * SIDE);
    for (int i = 0; i < 3 * SIDE * SIDE; i++) {
        const int c = i / (SIDE * SIDE);
        x[i] = roundf((x[i] * imagenet.std[c] + imagenet.mean[c]) * 255) / 255;
    }
    return x;
}

static int fgsm_squeezenet(void)
{
    g_autoptr(VknnModel) m = load_squeezenet();
    g_autofree float *x = m ? chelsea_pixels() : NULL;
    if (!x)
        return TEST_SKIP;
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnVisualizer) vis = open_visualizer(ctx, m, &imagenet, NULL);
    VknnAdversarialParams p = VKNN_ADVERSARIAL_PARAMS_DEFAULT; /* FGSM, 2/255 */
    attack(vis, &p, SIDE, SIDE, x, TRUE, "SqueezeNet chelsea, FGSM eps 2/255 flips the top-1");
    return 0;
}

/* ---- DeepDream -------------------------------------------------------------------------- */

static int dream_tiny(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = tm_classifier(4, 7); /* any size; "feat" is 8 x H/2 x W/2 */
    GError *err = NULL;
    g_autoptr(VknnVisualizer) vis = open_visualizer(ctx, m, &tiny_input, "feat");
    float x[3 * 40 * 36];
    random_pixels(x, 3 * 40 * 36, 9);
    VknnDreamParams p = VKNN_DREAM_PARAMS_DEFAULT;
    p.octaves = 3;
    p.iterations = 5;
    p.jitter = 4;
    VknnVisResult r;
    int calls = 0;
    if (!vknn_dream(vis, &p, 36, 40, x, quiet, &calls, &r, &err)) {
        test_fail("dream: %s", err->message);
        return 0;
    }
    test_check(r.final_score >= 1.3f * r.start_score && calls == 15,
               "DeepDream on 'feat' (3 octaves of 5 steps, 36x40): mean square %.4g -> %.4g "
               "(wanted x1.3), %d progress calls",
               r.start_score, r.final_score, calls);
    return 0;
}

/* ---- errors ------------------------------------------------------------------------------ */

static void expect_error(gboolean ok, GError *err, int code, const char *needle, const char *what)
{
    test_check(!ok && err && err->domain == VKNN_ERROR && (code < 0 || err->code == code) &&
                   strstr(err->message, needle),
               "%s: %s", what, err ? err->message : "no error");
    g_clear_error(&err);
}

static int errors(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = small_classifier(23);
    GError *err = NULL;
    VknnVisualizer *vis = vknn_visualizer_new(ctx, m, &tiny_input, "no_such_layer", &err);
    expect_error(vis != NULL, err, VKNN_ERROR_NOT_FOUND, "'no_such_layer'", "missing layer");
    err = NULL;
    g_autoptr(VknnModel) conv = filter_model(FALSE);
    vis = vknn_visualizer_new(ctx, conv, &tiny_input, NULL, &err);
    expect_error(vis != NULL, err, VKNN_ERROR_SHAPE, "not a classifier", "a conv net");
    err = NULL;
    g_autoptr(VknnVisualizer) v = vknn_visualizer_new(ctx, m, &tiny_input, NULL, &err);
    if (!v)
        test_fatal("visualizer: %s", err->message);
    float x[3 * 32 * 32] = {0}, adv[3 * 32 * 32];
    VknnClassVisParams p = VKNN_CLASS_VIS_PARAMS_DEFAULT;
    p.target_class = 5;
    VknnVisResult r;
    gboolean ok = vknn_class_visualize(v, &p, 32, 32, x, NULL, NULL, &r, &err);
    expect_error(ok, err, VKNN_ERROR_NOT_FOUND, "classes 0..4", "class 5 of 5");
    err = NULL;
    VknnAdversarialParams a = VKNN_ADVERSARIAL_PARAMS_DEFAULT;
    a.target_class = 7;
    VknnAdversarialResult ar;
    ok = vknn_adversarial(v, &a, 32, 32, x, adv, NULL, NULL, &ar, &err);
    expect_error(ok, err, VKNN_ERROR_NOT_FOUND, "class 7", "target 7 of 5");
    err = NULL;
    VknnDreamParams d = VKNN_DREAM_PARAMS_DEFAULT;
    ok = vknn_dream(v, &d, 32, 32, x, NULL, NULL, &r, &err);
    expect_error(ok, err, -1, "needs a layer", "dream without a layer");
    return 0;
}

int main(int argc, char **argv)
{
    static const TestCase cases[] = {
        {"filters", filters},
        {"class_tiny", class_tiny},
        {"attack_tiny", attack_tiny},
        {"dream_tiny", dream_tiny},
        {"errors", errors},
        {"class_squeezenet", class_squeezenet},
        {"fgsm_squeezenet", fgsm_squeezenet},
    };
    return test_run_case(argc, argv, cases, G_N_ELEMENTS(cases));
}
