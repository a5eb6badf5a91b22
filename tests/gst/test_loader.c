/* GstVknnLoader (gst-plugins/gstvknnloader.h) without a device or a
 * pipeline: a fake build that can be held at a gate, fails for paths
 * starting with "missing" and takes a while for paths starting with "slow".
 *
 *   test_loader CASE   (supersede, failure, retarget, flushing, cancel, free, fallback)
 */
#include "gsttest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>

#include "gstvknnloader.h"

/* How long a check waits for the loader thread before calling it a hang. */
#define WAIT_US (10 * G_USEC_PER_SEC)

typedef struct {
    GstVknnLoader *loader;
    GstObject *target; /* a stand-in for the element's GstVulkanQueue */

    GMutex lock;
    GCond cond;
    gboolean gate_closed; /* builds wait while closed... */
    gint passes;          /* ...unless let through one by one */
    gint building;        /* builds started and not yet returned */
    gint builds;          /* builds started */
    gint live;            /* results built and not yet freed */
    GstObject *built_on;  /* the last build's target (identity only) */
    gint width, height;   /* the last build's size */
    /* The last report. */
    gint reports;
    GstVknnLoadResult result;
    gboolean fatal;
    gchar *message;
} Fixture;

typedef struct {
    Fixture *fx;
    gchar *path;
    guint generation;
} Result;

static gpointer fake_build(const GstVknnLoadRequest *req, GstVknnLoadResult *result, GError **err,
                           gpointer user_data)
{
    Fixture *fx = user_data;

    g_mutex_lock(&fx->lock);
    fx->builds++;
    fx->building++;
    fx->built_on = req->target;
    fx->width = req->width;
    fx->height = req->height;
    g_cond_broadcast(&fx->cond);
    while (fx->gate_closed && fx->passes == 0)
        g_cond_wait(&fx->cond, &fx->lock);
    if (fx->gate_closed)
        fx->passes--;
    g_mutex_unlock(&fx->lock);

    if (g_str_has_prefix(req->path, "slow"))
        g_usleep(200 * 1000);
    Result *r = NULL;
    if (g_str_has_prefix(req->path, "missing")) {
        *result = GST_VKNN_LOAD_MODEL_FAILED;
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such model: %s", req->path);
    } else {
        r = g_new0(Result, 1);
        *r = (Result){fx, g_strdup(req->path), req->generation};
    }

    g_mutex_lock(&fx->lock);
    fx->building--;
    fx->live += r != NULL;
    g_cond_broadcast(&fx->cond);
    g_mutex_unlock(&fx->lock);
    return r;
}

static void fake_report(const GstVknnLoadRequest *req, GstVknnLoadResult result, const GError *err,
                        gboolean fatal, gpointer user_data)
{
    Fixture *fx = user_data;

    g_mutex_lock(&fx->lock);
    fx->reports++;
    fx->result = result;
    fx->fatal = fatal;
    g_free(fx->message);
    fx->message = g_strdup(err->message);
    g_mutex_unlock(&fx->lock);
}

static void result_free(Result *r)
{
    if (!r)
        return;
    g_mutex_lock(&r->fx->lock);
    r->fx->live--;
    g_mutex_unlock(&r->fx->lock);
    g_free(r->path);
    g_free(r);
}

static GstObject *target_new(const char *name)
{
    return gst_object_ref_sink(gst_bin_new(name));
}

static GstVknnLoader *fixture_init(Fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    g_mutex_init(&fx->lock);
    g_cond_init(&fx->cond);
    fx->target = target_new("target");
    fx->loader = gst_vknn_loader_new(fake_build, fake_report, (GDestroyNotify)result_free, fx);
    return fx->loader;
}

/* Frees the loader (unless the case did) and checks that every result was
 * freed: the case frees those it took. */
static void fixture_clear(Fixture *fx)
{
    gst_vknn_loader_free(fx->loader);
    test_check(fx->live == 0, "every result freed (%d live)", fx->live);
    gst_object_unref(fx->target);
    g_free(fx->message);
    g_mutex_clear(&fx->lock);
    g_cond_clear(&fx->cond);
}

static gint fixture_get(Fixture *fx, const gint *field)
{
    g_mutex_lock(&fx->lock);
    const gint v = *field;
    g_mutex_unlock(&fx->lock);
    return v;
}

static void fixture_set_gate(Fixture *fx, gboolean closed)
{
    g_mutex_lock(&fx->lock);
    fx->gate_closed = closed;
    g_cond_broadcast(&fx->cond);
    g_mutex_unlock(&fx->lock);
}

/* Sets the fixture's target and path: the load starts. */
static void fixture_load(Fixture *fx, const char *path)
{
    gst_vknn_loader_set_target(fx->loader, fx->target);
    gst_vknn_loader_set_path(fx->loader, path);
}

/* Lets one build through the closed gate. */
static void fixture_pass_one(Fixture *fx)
{
    g_mutex_lock(&fx->lock);
    fx->passes++;
    g_cond_broadcast(&fx->cond);
    g_mutex_unlock(&fx->lock);
}

/* Waits until the nth build runs (held at the gate when it is closed). */
static gboolean fixture_wait_building(Fixture *fx, gint nth)
{
    const gint64 deadline = g_get_monotonic_time() + WAIT_US;
    gboolean ok = TRUE;

    g_mutex_lock(&fx->lock);
    while ((fx->builds < nth || fx->building == 0) && ok)
        ok = g_cond_wait_until(&fx->cond, &fx->lock, deadline);
    g_mutex_unlock(&fx->lock);
    return ok;
}

/* ---- cases --------------------------------------------------------------- */

/* A newer request supersedes older ones: the running load's result is
 * dropped, queued ones are skipped, and nothing loads before a target. */
static void case_supersede(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstVknnLoaderStatus status;

    gst_vknn_loader_set_path(l, "a");
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!r && status == GST_VKNN_LOADER_NONE && fixture_get(&fx, &fx.builds) == 0,
               "no load without a target, and take does not wait for none");

    gst_vknn_loader_set_size(l, 64, 48);
    fixture_set_gate(&fx, TRUE);
    gst_vknn_loader_set_target(l, fx.target);
    test_check(fixture_wait_building(&fx, 1), "a target starts the load of the path");
    gst_vknn_loader_set_path(l, "b");
    gst_vknn_loader_set_path(l, "c");
    fixture_pass_one(&fx);
    test_check(fixture_wait_building(&fx, 2), "the next build starts");
    test_check(!gst_vknn_loader_take(l, FALSE, &status) && fixture_get(&fx, &fx.live) == 0,
               "the superseded result was freed, never handed over");
    test_check(fixture_get(&fx, &fx.builds) == 2, "the queued stale request was skipped");
    fixture_set_gate(&fx, FALSE);
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && !strcmp(r->path, "c") && r->generation == 3,
               "take waits for the newest request (%s, generation %u)", r ? r->path : "none",
               r ? r->generation : 0);
    test_check(fx.built_on == fx.target && fx.width == 64 && fx.height == 48,
               "the build got the target and the size");
    test_check(!gst_vknn_loader_take(l, TRUE, &status) && status == GST_VKNN_LOADER_NONE,
               "a result is taken once");
    g_autofree gchar *path = gst_vknn_loader_dup_path(l);
    test_check(!g_strcmp0(path, "c"), "dup_path is the last path set");

    gst_vknn_loader_reload(l);
    Result *again = gst_vknn_loader_take(l, TRUE, &status);
    test_check(again && !strcmp(again->path, "c") && again->generation == 4,
               "reload builds the same path under a new generation");
    result_free(r);
    result_free(again);
    fixture_clear(&fx);
}

/* A failed load reports its error: fatal while nothing runs, not fatal
 * once the consumer runs a result. */
static void case_failure(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstVknnLoaderStatus status;

    fixture_load(&fx, "missing.onnx");
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!r && status == GST_VKNN_LOADER_FAILED, "a failed first load: take says FAILED");
    test_check(fx.reports == 1 && fx.fatal && fx.result == GST_VKNN_LOAD_MODEL_FAILED &&
                   !g_strcmp0(fx.message, "no such model: missing.onnx"),
               "reported once, fatal, with the build's result and error (%s)", fx.message);

    gst_vknn_loader_set_path(l, "good.onnx");
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && !strcmp(r->path, "good.onnx"), "a later good load is taken");

    gst_vknn_loader_set_path(l, "missing-too.onnx");
    Result *none = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!none && status == GST_VKNN_LOADER_NONE, "a failure while running is no FAILED");
    test_check(fx.reports == 2 && !fx.fatal &&
                   !g_strcmp0(fx.message, "no such model: missing-too.onnx"),
               "and it is reported as not fatal");

    result_free(r);
    fixture_clear(&fx);
}

/* Found by bench/soak.sh: a restart (a new target) was still loading the
 * good model when a bad one was set; with nothing running the failure was
 * fatal and every later restart failed on the bad path. Now the path goes
 * back to the last one that loaded, whose load is queued at once. */
static void case_fallback(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstVknnLoaderStatus status;

    fixture_load(&fx, "good.onnx");
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r != NULL, "good.onnx loads");
    result_free(r);
    g_autoptr(GstObject) other = target_new("restarted");
    /* A restart (nothing runs) reloads good.onnx; missing.onnx is set before
     * that load ends (the gate holds it), so it is superseded. */
    fixture_set_gate(&fx, TRUE);
    gst_vknn_loader_set_target(l, other);
    gst_vknn_loader_set_path(l, "missing.onnx");
    fixture_set_gate(&fx, FALSE);
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && !strcmp(r->path, "good.onnx"),
               "missing.onnx with nothing running: good.onnx is loaded again and taken (%s)",
               r ? r->path : "nothing");
    test_check(fx.reports == 1 && !fx.fatal &&
                   !g_strcmp0(fx.message, "no such model: missing.onnx"),
               "the failure is reported, not fatal");
    g_autofree gchar *path = gst_vknn_loader_dup_path(l);
    test_check(!g_strcmp0(path, "good.onnx"), "the path is good.onnx again (%s)", path);
    result_free(r);

    fixture_set_gate(&fx, TRUE);
    gst_vknn_loader_set_target(l, fx.target);
    gst_vknn_loader_set_path(l, "missing-too.onnx");
    gst_vknn_loader_set_path(l, "missing.onnx");
    fixture_set_gate(&fx, FALSE);
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && !strcmp(r->path, "good.onnx"), "a second failure goes back again");
    result_free(r);
    fixture_clear(&fx);
}

/* A new target forgets the result the consumer runs, and loads build on
 * the new target. */
static void case_retarget(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstObject *t2 = target_new("t2");
    GstVknnLoaderStatus status;

    fixture_load(&fx, "a");
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && fx.built_on == fx.target, "loaded on the first target");

    gst_vknn_loader_set_path(l, "missing");
    gst_vknn_loader_take(l, TRUE, &status);
    test_check(fx.reports == 1 && !fx.fatal, "failure with a result running: not fatal");
    gst_vknn_loader_set_target(l, t2);
    Result *again = gst_vknn_loader_take(l, TRUE, &status);
    test_check(again && !strcmp(again->path, "a") && fx.reports == 2 && !fx.fatal &&
                   fx.built_on == t2,
               "a new target reloads there; with nothing running the failure goes back to the "
               "path that loaded (fatal only without one: case failure)");
    result_free(again);
    GstObject *now = gst_vknn_loader_ref_target(l);
    test_check(now == t2, "ref_target is the new target");

    gst_clear_object(&now);
    result_free(r);
    gst_object_unref(t2);
    fixture_clear(&fx);
}

static gpointer flush_later(gpointer data)
{
    g_usleep(100 * 1000);
    gst_vknn_loader_set_flushing(data, TRUE);
    return NULL;
}

/* Flushing wakes a consumer waiting for a load that does not end. */
static void case_flushing(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstVknnLoaderStatus status;

    fixture_set_gate(&fx, TRUE);
    fixture_load(&fx, "a");
    test_check(fixture_wait_building(&fx, 1), "the load runs");
    GThread *flusher = g_thread_new("flush", flush_later, l);
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!r && status == GST_VKNN_LOADER_FLUSHING, "flushing woke the waiting take");
    g_thread_join(flusher);

    gst_vknn_loader_set_flushing(l, FALSE);
    fixture_set_gate(&fx, FALSE);
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(r && !strcmp(r->path, "a"), "after flushing the load is taken");

    result_free(r);
    fixture_clear(&fx);
}

/* Cancel waits for the running load, drops its result and unsets the
 * target: nothing loads until the next one. */
static void case_cancel(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);
    GstVknnLoaderStatus status;

    fixture_load(&fx, "slow-a");
    gst_vknn_loader_set_path(l, "slow-b");
    test_check(fixture_wait_building(&fx, 1), "the load runs");
    gst_vknn_loader_cancel(l);
    test_check(fx.building == 0 && fx.live == 0 && fx.reports == 0,
               "cancel waited for the load and freed its result (%d live)", fx.live);
    Result *r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!r && status == GST_VKNN_LOADER_FLUSHING, "after cancel take is flushing");
    GstObject *now = gst_vknn_loader_ref_target(l);
    test_check(!now, "cancel unset the target");

    const gint builds = fx.builds;
    gst_vknn_loader_set_path(l, "c");
    gst_vknn_loader_set_flushing(l, FALSE);
    r = gst_vknn_loader_take(l, TRUE, &status);
    test_check(!r && fixture_get(&fx, &fx.builds) == builds, "no load without a target");
    fixture_clear(&fx);
}

/* Freeing the loader while it loads neither hangs nor leaks, nor reports
 * the stale load. */
static void case_free(void)
{
    Fixture fx;
    GstVknnLoader *l = fixture_init(&fx);

    fixture_load(&fx, "slow-a");
    gst_vknn_loader_set_path(l, "missing");
    gst_vknn_loader_set_path(l, "slow-b");
    test_check(fixture_wait_building(&fx, 1), "the load runs");
    const gint64 start = g_get_monotonic_time();
    gst_vknn_loader_free(l);
    fx.loader = NULL;
    test_check(g_get_monotonic_time() - start < WAIT_US, "free returned");
    test_check(fx.building == 0 && fx.live == 0, "the running load ended and its result was freed");
    test_check(fx.reports == 0, "stale loads report nothing");
    test_check(fx.builds == 1, "queued loads were skipped (%d builds)", fx.builds);
    fixture_clear(&fx);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = {
        {"supersede", case_supersede}, {"failure", case_failure}, {"retarget", case_retarget},
        {"flushing", case_flushing},   {"cancel", case_cancel},   {"free", case_free},
        {"fallback", case_fallback},
    };
    setvbuf(stdout, NULL, _IONBF, 0);
    gst_init(&argc, &argv);
    alarm(120); /* a hang in the loader fails the test rather than stalling the suite */
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name))
            continue;
        printf("%s:\n", cases[i].name);
        cases[i].run();
    }
    gst_deinit();
    return test_summary(0);
}
