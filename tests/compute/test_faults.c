/* Fault injection (compute/runtime/fault.h): every Vulkan memory
 * allocation, queue submission and fence wait of a whole style run and a
 * whole saliency run is made to fail in turn, and each failure must come
 * back as a clean GError: no crash, no GLib critical, no device buffer left
 * behind, and the next run on the same context, without the fault, gives
 * the same frame as before. A device loss must leave the context failing
 * fast, while a new context runs again.
 *
 *   test_faults CASE   (style, saliency, lost; quick: first and last calls, for valgrind)
 *   test_faults write-classifier PATH   (the tiny classifier, as ONNX)
 *
 * Needs nothing from ../shared: the style network is built in, the
 * classifier is a tiny one built here.
 */
#include "model_build.h"
#include "runtime/fault.h"
#include "testutil.h"

#include <string.h>

#define W 64
#define H 48

typedef struct Job Job;
/* One whole run: creates what it needs on ctx, processes, frees it all.
 * Writes its result (a frame or a map) into out. */
typedef gboolean (*RunFunc)(VknnContext *ctx, const Job *job, guint8 *out, GError **err);

struct Job {
    const char *name;
    RunFunc run;
    VknnModel *model;
    guint8 *frame; /* W x H RGBA */
    gsize out_bytes;
    VknnExplainMethod method; /* saliency runs */
};

static const char *const kind_names[VKNN_FAULT_KINDS] = {"alloc", "submit", "wait"};

static guint8 *synthetic_frame(void)
{
    guint8 *px = g_new(guint8, 4 * W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            guint8 *p = px + 4 * (y * W + x);
            const gboolean disc = (x - 40) * (x - 40) + (y - 20) * (y - 20) < 150;
            p[0] = disc ? 230 : (guint8)(4 * x);
            p[1] = disc ? 200 : (guint8)(5 * y);
            p[2] = (x / 8 + y / 8) % 2 ? 60 : 180;
            p[3] = 255;
        }
    return px;
}

/* ---- the runs -------------------------------------------------------------- */

/* Two frames: the first plans and records, the second reuses both. */
static gboolean run_style(VknnContext *ctx, const Job *j, guint8 *out, GError **err)
{
    g_autoptr(VknnStyler) st = vknn_styler_new(ctx, j->model, err);
    if (!st)
        return FALSE;
    VknnStyleParams p = VKNN_STYLE_PARAMS_DEFAULT;
    if (!vknn_styler_prepare(st, W, H, &p, err))
        return FALSE;
    for (int i = 0; i < 2; i++)
        if (!vknn_styler_process_bytes(st, VKNN_PIXEL_RGBA, j->frame, 4 * W, out, 4 * W, err))
            return FALSE;
    return TRUE;
}

/* A map of a frame converted on the device, as vksaliency makes it, by
 * the job's method (they differ in their passes and buffers). */
static gboolean run_saliency(VknnContext *ctx, const Job *j, guint8 *out, GError **err)
{
    VknnExplainParams p = VKNN_EXPLAIN_PARAMS_DEFAULT;
    p.method = j->method;
    p.smooth_samples = 2;
    p.occlusion_patch = p.occlusion_stride = 16;
    p.occlusion_batch = 2;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(ctx, j->model, &p, err);
    if (!ex)
        return FALSE;
    VknnFrameInputParams fp = VKNN_FRAME_INPUT_PARAMS_IMAGENET;
    fp.width = fp.height = 32;
    VknnExplanation e = {0};
    gboolean ok =
        vknn_explainer_run_bytes(ex, &fp, VKNN_PIXEL_RGBA, j->frame, W, H, 4 * W, &e, err);
    if (ok)
        memcpy(out, e.map, MIN(j->out_bytes, sizeof(float) * e.map_w * e.map_h));
    vknn_explanation_clear(&e);
    return ok;
}

/* ---- the sweep ------------------------------------------------------------- */

/* The run fails with a VKNN_ERROR and leaves no device buffer. */
static gboolean check_failed_cleanly(gboolean ok, GError *err, const char *what)
{
    if (ok)
        return test_fail("%s: the run succeeded although the fault was injected", what);
    if (!err || err->domain != VKNN_ERROR)
        return test_fail("%s: failed without a vknn GError", what);
    if (vknn_live_buffers() != 0)
        return test_fail("%s: %d device buffers left: %s", what, vknn_live_buffers(), err->message);
    return TRUE;
}

/* Runs once per call of `kind` the clean run made, failing that call with
 * `result`; then again without the fault, which must give `want`. One
 * check per kind, naming the first call that went wrong. */
static gboolean quick; /* sweeps fail only the first and last call (valgrind) */

static void sweep(VknnContext *ctx, const Job *j, VknnFaultKind kind, int64_t n_calls,
                  const guint8 *want)
{
    const int64_t step = quick ? MAX(n_calls - 1, 1) : 1;
    g_autofree guint8 *out = g_malloc0(j->out_bytes);
    g_autofree char *first_message = NULL;
    gboolean all_ok = TRUE;
    for (int64_t n = 1; n <= n_calls && all_ok; n += step) {
        g_autofree char *what =
            g_strdup_printf("%s, %s call %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT, j->name,
                            kind_names[kind], n, n_calls);
        GError *err = NULL;
        vknn_fault_set(ctx, kind, n, VK_ERROR_OUT_OF_DEVICE_MEMORY);
        gboolean ok = j->run(ctx, j, out, &err);
        all_ok = check_failed_cleanly(ok, err, what);
        if (err && !first_message)
            first_message = g_strdup(err->message);
        g_clear_error(&err);
        vknn_fault_set(ctx, kind, 0, VK_SUCCESS);
        memset(out, 0, j->out_bytes);
        if (all_ok && !j->run(ctx, j, out, &err))
            all_ok = test_fail("%s: the run after it failed: %s", what, err->message);
        else if (all_ok && memcmp(out, want, j->out_bytes) != 0)
            all_ok = test_fail("%s: the run after it gave another result", what);
        g_clear_error(&err);
    }
    if (all_ok)
        test_check(TRUE, "%s: each of %" G_GINT64_FORMAT " %s calls failed cleanly (\"%s\")",
                   j->name, n_calls, kind_names[kind], first_message ? first_message : "");
}

/* The clean run's calls, counted on a context that already ran it once
 * (pipelines compiled), and its result. */
static void count_calls(VknnContext *ctx, const Job *j, int64_t counts[VKNN_FAULT_KINDS],
                        guint8 *want)
{
    GError *err = NULL;
    if (!j->run(ctx, j, want, &err))
        test_fatal("%s: the run without a fault failed: %s", j->name, err->message);
    vknn_fault_set(ctx, VKNN_FAULT_ALLOC, 0, VK_SUCCESS);
    if (!j->run(ctx, j, want, &err))
        test_fatal("%s: the second run without a fault failed: %s", j->name, err->message);
    vknn_fault_counts(ctx, counts);
    printf("%s: a run makes %" G_GINT64_FORMAT " allocations, %" G_GINT64_FORMAT
           " submissions, %" G_GINT64_FORMAT " waits\n",
           j->name, counts[0], counts[1], counts[2]);
}

static void sweep_job(const Job *j)
{
    g_autoptr(VknnContext) ctx = test_context();
    int64_t counts[VKNN_FAULT_KINDS];
    g_autofree guint8 *want = g_malloc0(j->out_bytes);
    count_calls(ctx, j, counts, want);
    for (int k = 0; k < VKNN_FAULT_KINDS; k++) {
        test_check(counts[k] > 0, "%s makes %s calls", j->name, kind_names[k]);
        sweep(ctx, j, (VknnFaultKind)k, counts[k], want);
    }
}

/* ---- device loss ------------------------------------------------------------ */

/* A device lost at the n-th call of kind: that run fails with
 * VKNN_ERROR_DEVICE_LOST, so does the next one on the context without
 * touching the device, and a new context runs again. */
static gboolean check_lost(const Job *j, VknnFaultKind kind, int64_t n, const guint8 *want)
{
    g_autofree char *what = g_strdup_printf("%s, device lost at %s call %" G_GINT64_FORMAT, j->name,
                                            kind_names[kind], n);
    g_autofree guint8 *out = g_malloc0(j->out_bytes);
    GError *err = NULL;
    VknnContext *ctx = test_context();
    vknn_fault_set(ctx, kind, n, VK_ERROR_DEVICE_LOST);
    gboolean ran = j->run(ctx, j, out, &err);
    gboolean ok = check_failed_cleanly(ran, err, what);
    ok = ok && test_check(g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LOST),
                          "%s: VKNN_ERROR_DEVICE_LOST (%s)", what, err->message);
    g_clear_error(&err);
    int64_t before[VKNN_FAULT_KINDS], after[VKNN_FAULT_KINDS];
    vknn_fault_counts(ctx, before);
    ran = ok && j->run(ctx, j, out, &err);
    ok = ok && check_failed_cleanly(ran, err, what);
    vknn_fault_counts(ctx, after);
    ok = ok && test_check(g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LOST) &&
                              memcmp(before, after, sizeof before) == 0,
                          "%s: the next run fails at once (%s)", what, err ? err->message : "");
    g_clear_error(&err);
    vknn_context_free(ctx);
    ctx = test_context();
    ok = ok && test_check(j->run(ctx, j, out, &err) && memcmp(out, want, j->out_bytes) == 0,
                          "%s: a new context runs again", what);
    g_clear_error(&err);
    vknn_context_free(ctx);
    return ok;
}

/* Device loss where a device reports it (submissions and waits): the first
 * and last of each. */
static void lost_job(const Job *j)
{
    int64_t counts[VKNN_FAULT_KINDS];
    g_autofree guint8 *want = g_malloc0(j->out_bytes);
    {
        g_autoptr(VknnContext) ctx = test_context();
        count_calls(ctx, j, counts, want);
    }
    for (int k = VKNN_FAULT_SUBMIT; k <= VKNN_FAULT_WAIT; k++) {
        check_lost(j, (VknnFaultKind)k, 1, want);
        if (counts[k] > 1)
            check_lost(j, (VknnFaultKind)k, counts[k], want);
    }
}

/* ---- main --------------------------------------------------------------------- */

static Job style_job(guint8 *frame)
{
    GError *err = NULL;
    VknnModel *m = vknn_model_load("builtin:wave", &err);
    if (!m)
        test_fatal("builtin:wave: %s", err->message);
    return (Job){"style", run_style, m, frame, 4 * W * H};
}

static Job saliency_job(guint8 *frame, VknnExplainMethod method)
{
    return (Job){vknn_explain_method_to_string(method),
                 run_saliency,
                 tm_tiny_classifier(),
                 frame,
                 sizeof(float) * 32 * 32,
                 method};
}

int main(int argc, char **argv)
{
    /* A GLib critical or warning anywhere is a failure, not a line on stderr. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    const char *which = argc > 1 ? argv[1] : "style";
    g_autofree guint8 *frame = synthetic_frame();
    if (g_str_equal(which, "write-classifier") && argc > 2) {
        /* For the CLI's and the elements' fault tests. */
        g_autoptr(VknnModel) m = tm_tiny_classifier();
        GError *err = NULL;
        if (!vknn_model_save(m, argv[2], &err))
            test_fatal("%s", err->message);
        return 0;
    }
    if (g_str_equal(which, "style") || g_str_equal(which, "lost")) {
        Job j = style_job(frame);
        (g_str_equal(which, "lost") ? lost_job : sweep_job)(&j);
        vknn_model_free(j.model);
    }
    if (g_str_equal(which, "lost")) {
        Job j = saliency_job(frame, VKNN_EXPLAIN_GRADCAM);
        lost_job(&j);
        vknn_model_free(j.model);
    } else if (g_str_equal(which, "saliency")) {
        for (int m = VKNN_EXPLAIN_GRADIENT; m <= VKNN_EXPLAIN_ACTIVATIONS; m++) {
            Job j = saliency_job(frame, (VknnExplainMethod)m);
            sweep_job(&j);
            vknn_model_free(j.model);
        }
    } else if (g_str_equal(which, "quick")) {
        /* Under valgrind: leaks and invalid accesses on the error paths. */
        quick = TRUE;
        Job j = saliency_job(frame, VKNN_EXPLAIN_GRADCAM);
        sweep_job(&j);
        g_autofree guint8 *want = g_malloc0(j.out_bytes);
        {
            g_autoptr(VknnContext) ctx = test_context();
            int64_t counts[VKNN_FAULT_KINDS];
            count_calls(ctx, &j, counts, want);
        }
        check_lost(&j, VKNN_FAULT_WAIT, 1, want);
        vknn_model_free(j.model);
    } else if (!g_str_equal(which, "style")) {
        test_fatal("unknown case %s (style, saliency, lost)", which);
    }
    test_check(vknn_live_buffers() == 0, "every device buffer was released (%d left)",
               vknn_live_buffers());
    return test_summary(0);
}
