/* libFuzzer target for libvknn's entry points that take sizes from the
 * caller: frame sizes, strides, pixel formats, map and tensor dimensions.
 *
 * Every frame entry point of style.h, overlay.h and explain.h that touches
 * pixels (vknn_styler_*, vknn_overlay_*, vknn_explainer_run_*) needs a
 * Vulkan device, so this target fuzzes what they are built on and what runs
 * without one:
 *
 *   mode 0  shapes      vknn_model_infer_shapes() of a small valid model at
 *                       fuzzed input shapes (any int64 dims, ranks 0-4), and
 *                       vknn_model_default_input_shape() at fuzzed h, w: the
 *                       path of vknn_net_prepare(), vknn_styler_prepare() and
 *                       `vknn info/bench --size WxH`. The model is a built-in
 *                       style network or the ONNX file at the input's tail.
 *   mode 1  frame input vknn_frame_input_region() (frames up to 16384) and
 *                       vknn_frame_input_host() (a frame of fuzzed size,
 *                       stride and pixel format, fuzzed mean/std).
 *   mode 2  grid        vknn_activation_grid() of a fuzzed [c, h, w] tensor.
 *   mode 3  scores      vknn_top_k() and vknn_map_quantile() of fuzzed values.
 *   mode 4  names       vknn_colormap_*, vknn_explain_method_*, vknn_shape_str().
 *
 * Findings: crashes, AddressSanitizer and UndefinedBehaviorSanitizer
 * reports (-fno-sanitize-recover), leaks, GLib warnings or criticals (a
 * g_return_if_fail hit means the target broke a documented precondition, or
 * the library did), a failure without a GError message, and the invariants
 * checked below (fuzz_check): what inference accepts stays within its
 * documented limits, a region lies inside its frame, a quantile is one of
 * the values. No Vulkan device is touched. Input layout: fuzz/frame_seeds.py
 * writes seeds in it; docs/fuzzing.md.
 */
#include <vknn/vknn.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet_log(VknnLogLevel level, const char *msg, void *user_data)
{
    (void)level, (void)msg, (void)user_data;
}

static void glib_log(const char *domain, GLogLevelFlags level, const char *msg, gpointer data)
{
    g_log_default_handler(domain, level, msg, data);
    if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        abort();
}

/* An invariant the library documents does not hold: abort so libFuzzer
 * saves the input. */
#define fuzz_check(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_frame: invariant failed: " __VA_ARGS__);                       \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* ---- reading the input ----------------------------------------------------- */

/* Consumes the input from the front; past its end every read is 0. */
typedef struct {
    const uint8_t *p;
    size_t n;
} Reader;

static uint64_t take(Reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        uint64_t b = 0;
        if (r->n) {
            b = *r->p++;
            r->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

static float take_float(Reader *r)
{
    const uint32_t u = (uint32_t)take(r, 4);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A dimension, biased towards the interesting: one tag byte, then
 *   tag % 4 == 0: (tag >> 2) - 8, small and possibly 0 or negative;
 *   tag % 4 == 1: 2 more bytes, 0..65535;
 *   tag % 4 == 2: 8 more bytes, any int64;
 *   tag % 4 == 3: 2^(tag >> 2 & 63) + small, around the powers of two. */
static int64_t take_dim(Reader *r)
{
    const unsigned tag = (unsigned)take(r, 1);
    switch (tag % 4) {
    case 0:
        return (int64_t)(tag >> 2) - 8;
    case 1:
        return (int64_t)take(r, 2);
    case 2:
        return (int64_t)take(r, 8);
    default: {
        const unsigned e = (tag >> 2) & 63;
        const uint64_t off = (uint64_t)(int64_t)(int8_t)take(r, 1);
        return (int64_t)(((uint64_t)1 << e) + off); /* wraps around 2^63: any sign */
    }
    }
}

/* A frame-sized int in [1, max]. */
static int take_size(Reader *r, int max)
{
    return 1 + (int)(take(r, 4) % (uint64_t)max);
}

/* ---- mode 0: shape inference at fuzzed input shapes ----------------------- */

/* The limits vknn_model_infer_shapes() documents for what it accepts
 * (graph/model.c: dims <= 2^30, at most 2^32 elements). */
#define MAX_DIM ((int64_t)1 << 30)
#define MAX_NUMEL ((int64_t)1 << 32)

static VknnModel *builtins[2];

static void check_accepted(const VknnModel *m)
{
    for (guint i = 0; i < m->values->len; i++) {
        const VknnValue *v = vknn_model_value(m, (int)i);
        if (v->kind == VKNN_VALUE_CONSTANT)
            continue;
        char s[128];
        vknn_shape_str(&v->shape, s, sizeof s);
        int64_t numel = 1;
        for (int d = 0; d < v->shape.rank; d++) {
            fuzz_check(v->shape.dims[d] >= 1 && v->shape.dims[d] <= MAX_DIM,
                       "value '%s' accepted with shape %s", v->name, s);
            numel *= v->shape.dims[d];
            fuzz_check(numel <= MAX_NUMEL, "value '%s' accepted with shape %s", v->name, s);
        }
        fuzz_check(vknn_shape_numel(&v->shape) == numel, "numel of %s", s);
    }
    VknnModelStats st;
    vknn_model_stats(m, &st);
}

static void infer_checked(VknnModel *m, const VknnShape *shapes)
{
    GError *err = NULL;
    if (vknn_model_infer_shapes(m, shapes, &err)) {
        fuzz_check(!err, "success with an error set");
        check_accepted(m);
    } else {
        fuzz_check(err && err->message && *err->message, "failure without a message");
        g_error_free(err);
    }
}

/* Layout: selector (0: the ONNX file after the shapes, 1, 2: a built-in),
 * int16 h, int16 w for vknn_model_default_input_shape(), a count byte and
 * that many (rank override byte, dims) records, one per input in order,
 * then the ONNX file. */
static void fuzz_shapes(Reader *r)
{
    const unsigned sel = (unsigned)take(r, 1) % 3;
    const int64_t h = (int16_t)take(r, 2), w = (int16_t)take(r, 2);
    const unsigned n_explicit = (unsigned)take(r, 1) % 5;
    VknnShape given[4];
    for (unsigned k = 0; k < n_explicit; k++) {
        given[k].rank = (int)(take(r, 1) % (VKNN_MAX_RANK + 1));
        for (int d = 0; d < VKNN_MAX_RANK; d++)
            given[k].dims[d] = take_dim(r);
    }
    VknnModel *m = NULL, *owned = NULL;
    if (sel == 0) {
        GError *err = NULL;
        owned = m = vknn_model_load_from_memory(r->p, r->n, &err);
        if (!m) {
            fuzz_check(err && err->message && *err->message, "load failure without a message");
            g_error_free(err);
            return;
        }
    } else {
        m = builtins[sel - 1];
    }
    const guint n_in = m->inputs->len;
    VknnShape *shapes = g_new0(VknnShape, MAX(n_in, 1));
    /* The default shape at fuzzed h, w: h, w <= 0 must fail cleanly. */
    for (guint i = 0; i < n_in; i++)
        shapes[i] = vknn_model_default_input_shape(m, (int)i, h, w);
    infer_checked(m, shapes);
    /* Explicit shapes: each record's rank (0: keep the declared rank) and
     * dims replace the default of one input. */
    if (n_explicit) {
        for (guint i = 0; i < n_in && i < n_explicit; i++) {
            const int rank = given[i].rank ? given[i].rank : shapes[i].rank;
            shapes[i] = given[i];
            shapes[i].rank = rank;
        }
        infer_checked(m, shapes);
    }
    g_free(shapes);
    vknn_model_free(owned);
}

/* ---- mode 1: frames as network input ---------------------------------------- */

static void check_region(const VknnFrameInputParams *p, int fw, int fh)
{
    VknnRect r;
    vknn_frame_input_region(p, fw, fh, &r);
    fuzz_check(r.width >= 1 && r.height >= 1 && r.x >= 0 && r.y >= 0 &&
                   (int64_t)r.x + r.width <= fw && (int64_t)r.y + r.height <= fh,
               "region %d,%d %dx%d of a %dx%d frame (input %dx%d, mode %d)", r.x, r.y, r.width,
               r.height, fw, fh, p->width, p->height, p->mode);
    if (p->mode == VKNN_RESIZE_STRETCH)
        fuzz_check(r.x == 0 && r.y == 0 && r.width == fw && r.height == fh, "stretch region");
}

/* Layout: resize mode byte; for the region alone, input w, h (any positive
 * int) and frame w, h (up to 16384), 4 bytes each, stored minus one; for
 * the host conversion, input w, h and frame w, h (up to 64, 4 bytes each,
 * minus one), stride padding (1 byte), pixel format (1 byte), mean and std
 * (3 floats each), then the pixels. */
static void fuzz_frame_input(Reader *r)
{
    VknnFrameInputParams p = {0};
    p.mode = take(r, 1) & 1 ? VKNN_RESIZE_CROP : VKNN_RESIZE_STRETCH;
    p.width = take_size(r, INT32_MAX);
    p.height = take_size(r, INT32_MAX);
    /* The region at any positive input size, and frame sizes up to 16384,
     * the limit its callers check (frame_input.c, style.c). It documents
     * none, but beyond 2^30 its int product 2 * frame_h overflows. */
    const int rw = take_size(r, 16384), rh = take_size(r, 16384);
    check_region(&p, rw, rh);

    /* The host conversion at sizes that keep one run short (about 0.1 ms:
     * the fuzzer's speed is what finds things). */
    p.width = take_size(r, 64);
    p.height = take_size(r, 64);
    const int fw = take_size(r, 64), fh = take_size(r, 64);
    const int stride = fw * 4 + (int)take(r, 1);
    const VknnPixelFormat fmt = (VknnPixelFormat)(take(r, 1) % 4);
    for (int c = 0; c < 3; c++)
        p.mean[c] = take_float(r);
    for (int c = 0; c < 3; c++)
        p.std[c] = take_float(r);
    check_region(&p, fw, fh);
    /* Exactly the bytes the frame spans, so ASan sees a read past it. */
    const size_t bytes = (size_t)stride * (fh - 1) + (size_t)fw * 4;
    guint8 *frame = g_malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        frame[i] = (guint8)take(r, 1);
    float *out = g_new(float, (gsize)3 * p.width * p.height);
    vknn_frame_input_host(&p, fmt, frame, fw, fh, stride, out);
    g_free(out);
    g_free(frame);
}

/* ---- mode 2: activation grid ------------------------------------------------- */

/* Layout: c, h, w (1 byte each, + 1 modulo 64, 32, 32), n (4 bytes, any
 * int), then the activations as floats. */
static void fuzz_grid(Reader *r)
{
    const int c = 1 + (int)(take(r, 1) % 64), h = 1 + (int)(take(r, 1) % 32),
              w = 1 + (int)(take(r, 1) % 32);
    const int n = (int)(int32_t)take(r, 4);
    const gsize count = (gsize)c * h * w;
    float *act = g_new(float, count);
    for (gsize i = 0; i < count; i++)
        act[i] = r->n ? take_float(r) : (float)(i % 7);
    int gw = -1, gh = -1;
    float *grid = vknn_activation_grid(act, c, h, w, n, &gw, &gh);
    const int shown = CLAMP(n, 1, c), cols = (int)ceil(sqrt(shown));
    fuzz_check(gw == cols * (w + 1) - 1 && gh == (shown + cols - 1) / cols * (h + 1) - 1,
               "grid %dx%d for %d of %dx%dx%d", gw, gh, n, c, h, w);
    /* Each tile is scaled to 0..1, whatever the values (NaN and inf too). */
    for (gsize i = 0; i < (gsize)gw * gh; i++)
        fuzz_check(grid[i] >= 0.0f && grid[i] <= 1.0f, "grid value %g", grid[i]);
    g_free(grid);
    g_free(act);
}

/* ---- mode 3: class scores, quantiles ------------------------------------------ */

/* Layout: n (2 bytes, 0..1023), k (1 byte, 0..32 and at most n), q
 * (float), then the values as floats. vknn_top_k() takes O(k^2 n). */
static void fuzz_scores(Reader *r)
{
    const int n = (int)(take(r, 2) % 1024);
    const int k_byte = (int)(take(r, 1) % 33), k = MIN(k_byte, n); /* k <= n, as documented */
    const float q = take_float(r);
    float *v = g_new(float, MAX(n, 1));
    for (int i = 0; i < n; i++)
        v[i] = take_float(r);
    VknnClassScore *top = g_new(VknnClassScore, MAX(k, 1));
    vknn_top_k(v, n, k, top);
    for (int j = 0; j < k; j++) {
        fuzz_check(top[j].id >= 0 && top[j].id < n, "top %d id %d of %d", j, top[j].id, n);
        fuzz_check(top[j].prob >= 0.0f && top[j].prob <= 1.0f, "top %d probability %g", j,
                   top[j].prob);
        fuzz_check(j == 0 || top[j].prob <= top[j - 1].prob, "top %d more probable than %d", j,
                   j - 1);
        for (int t = 0; t < j; t++)
            fuzz_check(top[t].id != top[j].id, "class %d twice in the top %d", top[j].id, k);
    }
    const float x = vknn_map_quantile(v, n, q);
    if (n == 0) {
        fuzz_check(x == 0.0f, "quantile of nothing %g", x);
    } else {
        gboolean found = FALSE;
        for (int i = 0; i < n && !found; i++)
            found = memcmp(&v[i], &x, sizeof x) == 0 || (isnan(v[i]) && isnan(x));
        fuzz_check(found, "quantile %g of %d values is none of them", x, n);
    }
    g_free(top);
    g_free(v);
}

/* ---- mode 4: names and shape strings ------------------------------------------ */

/* Layout: colormap id (4 bytes), value (float), shape rank and dims,
 * string length (1 byte), then the bytes of a name. */
static void fuzz_names(Reader *r)
{
    const int cm = (int)(int32_t)take(r, 4);
    const float v = take_float(r);
    guint8 rgb[3];
    vknn_colormap_rgb((VknnColormap)cm, v, rgb);
    fuzz_check(vknn_colormap_to_string((VknnColormap)cm) != NULL, "colormap name");
    fuzz_check(vknn_explain_method_to_string((VknnExplainMethod)cm) != NULL, "method name");

    VknnShape s = {.rank = (int)(take(r, 1) % (VKNN_MAX_RANK + 1))};
    for (int d = 0; d < VKNN_MAX_RANK; d++)
        s.dims[d] = take_dim(r);
    const gsize len = 1 + take(r, 1) % 96;
    char *buf = g_malloc(len); /* exactly len, so ASan sees a write past it */
    vknn_shape_str(&s, buf, len);
    fuzz_check(strnlen(buf, len) < len, "shape string not terminated within %zu bytes", len);
    g_free(buf);

    char *name = g_strndup((const char *)r->p, r->n);
    VknnColormap c;
    if (vknn_colormap_from_string(name, &c))
        fuzz_check(g_ascii_strcasecmp(vknn_colormap_to_string(c), name) == 0, "colormap %s", name);
    VknnExplainMethod em;
    if (vknn_explain_method_from_string(name, &em))
        fuzz_check(g_ascii_strcasecmp(vknn_explain_method_to_string(em), name) == 0, "method %s",
                   name);
    g_free(name);
}

/* ---- entry points ---------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    g_log_set_default_handler(glib_log, NULL);
    vknn_set_log_func(quiet_log, NULL);
    static const char *const names[] = {"builtin:starry_night", "builtin:wave"};
    for (int i = 0; i < 2; i++) {
        GError *err = NULL;
        builtins[i] = vknn_model_load(names[i], &err);
        if (!builtins[i]) {
            fprintf(stderr, "fuzz_frame: %s: %s\n", names[i], err->message);
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Reader r = {data, size};
    switch (take(&r, 1) % 5) {
    case 0:
        fuzz_shapes(&r);
        break;
    case 1:
        fuzz_frame_input(&r);
        break;
    case 2:
        fuzz_grid(&r);
        break;
    case 3:
        fuzz_scores(&r);
        break;
    default:
        fuzz_names(&r);
        break;
    }
    return 0;
}
