/* vknn GStreamer plugin — GstVknnLoader, background model loading.
 *
 * Everything below is under lock except the callbacks: a build takes
 * seconds and a report posts bus messages, neither may block set_path()
 * (an application thread) or take() (the streaming thread).
 */
#include "gstvknnloader.h"

struct _GstVknnLoader {
    GstVknnLoaderBuildFunc build;
    GstVknnLoaderReportFunc report;
    GDestroyNotify free_result;
    gpointer user_data;
    GThreadPool *pool;

    GMutex lock;
    GCond cond;           /* broadcast when a load ends or flushing changes */
    gchar *path;          /* what to load */
    gchar *fallback;      /* the last path that loaded: what a failure goes back to */
    GstObject *target;    /* where to load; NULL: nowhere yet */
    gint width, height;   /* the frame size to build for */
    guint request;        /* generation of the latest request */
    guint n_loading;      /* loads queued or running */
    gpointer ready;       /* built, not yet taken */
    gboolean have_result; /* the consumer runs a result it took */
    gboolean failed;      /* the latest load failed with nothing running (reported) */
    gboolean flushing;    /* take() does not wait */
};

/* Called with lock held. */
static void gst_vknn_loader_request_locked(GstVknnLoader *l)
{
    if (!l->path || !l->target)
        return;
    l->request++;
    l->n_loading++;
    g_thread_pool_push(l->pool, GUINT_TO_POINTER(l->request), NULL);
}

/* The request of generation, or FALSE when a newer one superseded it (or
 * there is nothing to load): then it is skipped unbuilt. */
static gboolean gst_vknn_loader_get_request(GstVknnLoader *l, guint generation,
                                            GstVknnLoadRequest *req)
{
    g_mutex_lock(&l->lock);
    const gboolean current = generation == l->request && l->path && l->target;
    if (current) {
        *req = (GstVknnLoadRequest){
            .path = g_strdup(l->path),
            .target = gst_object_ref(l->target),
            .width = l->width,
            .height = l->height,
            .generation = generation,
        };
    }
    g_mutex_unlock(&l->lock);
    return current;
}

/* With nothing running, a failed path goes back to the last one that
 * loaded, if another, and queues its load: a bad model set while a restart
 * was still loading the good one must not leave the element with nothing to
 * run (found by bench/soak.sh: every later restart failed on the bad file).
 * Called with lock held; whether it went back. */
static gboolean gst_vknn_loader_fall_back_locked(GstVknnLoader *l, const gchar *failed)
{
    if (!l->fallback || !l->target || !g_strcmp0(l->fallback, failed) || g_strcmp0(l->path, failed))
        return FALSE;
    g_free(l->path);
    l->path = g_strdup(l->fallback);
    gst_vknn_loader_request_locked(l);
    return TRUE;
}

/* Reports a failure of the latest request before handing over, so that a
 * consumer waiting for this load sees the error (on the bus) first. Returns
 * whether it was fatal: nothing runs or waits to be taken, and there is no
 * earlier model to go back to. */
static gboolean gst_vknn_loader_report(GstVknnLoader *l, const GstVknnLoadRequest *req,
                                       GstVknnLoadResult result, const GError *err)
{
    g_mutex_lock(&l->lock);
    const gboolean current = req->generation == l->request;
    const gboolean running = l->have_result || l->ready != NULL ||
                             (current && gst_vknn_loader_fall_back_locked(l, req->path));
    g_mutex_unlock(&l->lock);
    if (!current)
        return FALSE;
    l->report(req, result, err, !running, l->user_data);
    return !running;
}

/* Makes built the result to take if its request is still the latest; frees
 * what it replaces or what was superseded while loading. */
static void gst_vknn_loader_hand_over(GstVknnLoader *l, const GstVknnLoadRequest *req,
                                      gpointer built, gboolean fatal)
{
    gpointer old = built;

    g_mutex_lock(&l->lock);
    if (built && req->generation == l->request) {
        old = l->ready;
        l->ready = built;
        l->failed = FALSE;
        g_free(l->fallback);
        l->fallback = g_strdup(req->path);
    }
    if (fatal)
        l->failed = TRUE;
    g_cond_broadcast(&l->cond); /* take() need not wait for the free below */
    g_mutex_unlock(&l->lock);

    /* Outside the lock: freeing an engine takes a while. */
    if (old)
        l->free_result(old);
}

static void gst_vknn_load_request_clear(GstVknnLoadRequest *req)
{
    g_free((gchar *)req->path);
    gst_clear_object(&req->target);
}

/* The pool's function: one request at a time, the latest wins. A load
 * counts as done only once nothing of it is left (its result handed over or
 * freed, its target unreferenced), so that cancel() returns with none of it
 * still touching the device. */
static void gst_vknn_loader_run(gpointer data, gpointer user_data)
{
    GstVknnLoader *l = user_data;
    GstVknnLoadRequest req = {.generation = GPOINTER_TO_UINT(data)};
    GstVknnLoadResult result = GST_VKNN_LOAD_OK;
    gpointer built = NULL;
    GError *err = NULL;
    gboolean fatal = FALSE;

    if (gst_vknn_loader_get_request(l, req.generation, &req))
        built = l->build(&req, &result, &err, l->user_data);
    if (err)
        fatal = gst_vknn_loader_report(l, &req, result, err);
    gst_vknn_loader_hand_over(l, &req, built, fatal);
    g_clear_error(&err);
    gst_vknn_load_request_clear(&req);

    g_mutex_lock(&l->lock);
    l->n_loading--;
    g_cond_broadcast(&l->cond);
    g_mutex_unlock(&l->lock);
}

GstVknnLoader *gst_vknn_loader_new(GstVknnLoaderBuildFunc build, GstVknnLoaderReportFunc report,
                                   GDestroyNotify free_result, gpointer user_data)
{
    GstVknnLoader *l = g_new0(GstVknnLoader, 1);

    l->build = build;
    l->report = report;
    l->free_result = free_result;
    l->user_data = user_data;
    g_mutex_init(&l->lock);
    g_cond_init(&l->cond);
    /* Shared (non-exclusive) pool threads, one task at a time. */
    l->pool = g_thread_pool_new(gst_vknn_loader_run, l, 1, FALSE, NULL);
    return l;
}

void gst_vknn_loader_free(GstVknnLoader *l)
{
    if (!l)
        return;
    g_mutex_lock(&l->lock);
    l->request++; /* queued loads become stale: nothing more is reported */
    g_mutex_unlock(&l->lock);
    /* Runs the stale queued tasks (they skip) and waits for the running one. */
    g_thread_pool_free(l->pool, FALSE, TRUE);
    if (l->ready)
        l->free_result(l->ready);
    gst_clear_object(&l->target);
    g_free(l->path);
    g_free(l->fallback);
    g_mutex_clear(&l->lock);
    g_cond_clear(&l->cond);
    g_free(l);
}

void gst_vknn_loader_set_path(GstVknnLoader *l, const gchar *path)
{
    g_mutex_lock(&l->lock);
    g_free(l->path);
    l->path = g_strdup(path);
    gst_vknn_loader_request_locked(l);
    g_mutex_unlock(&l->lock);
}

gchar *gst_vknn_loader_dup_path(GstVknnLoader *l)
{
    g_mutex_lock(&l->lock);
    gchar *path = g_strdup(l->path);
    g_mutex_unlock(&l->lock);
    return path;
}

void gst_vknn_loader_restore_path(GstVknnLoader *l, const gchar *refused, const gchar *path)
{
    g_mutex_lock(&l->lock);
    if (!g_strcmp0(l->path, refused)) {
        g_free(l->path);
        l->path = g_strdup(path);
    }
    g_mutex_unlock(&l->lock);
}

void gst_vknn_loader_reload(GstVknnLoader *l)
{
    g_mutex_lock(&l->lock);
    gst_vknn_loader_request_locked(l);
    g_mutex_unlock(&l->lock);
}

void gst_vknn_loader_set_size(GstVknnLoader *l, gint width, gint height)
{
    g_mutex_lock(&l->lock);
    l->width = width;
    l->height = height;
    g_mutex_unlock(&l->lock);
}

/* A new target or none: what was loaded for the old one is useless. Forgets
 * that the consumer runs a result and returns the one waiting to be taken,
 * for the caller to free outside the lock. Called with lock held. */
static gpointer gst_vknn_loader_forget_locked(GstVknnLoader *l)
{
    gpointer ready = l->ready;

    l->ready = NULL;
    l->have_result = FALSE;
    l->failed = FALSE;
    return ready;
}

void gst_vknn_loader_set_target(GstVknnLoader *l, GstObject *target)
{
    g_mutex_lock(&l->lock);
    gst_object_replace(&l->target, target);
    gpointer old = gst_vknn_loader_forget_locked(l);
    gst_vknn_loader_request_locked(l);
    g_mutex_unlock(&l->lock);

    if (old)
        l->free_result(old);
}

GstObject *gst_vknn_loader_ref_target(GstVknnLoader *l)
{
    g_mutex_lock(&l->lock);
    GstObject *target = l->target ? gst_object_ref(l->target) : NULL;
    g_mutex_unlock(&l->lock);
    return target;
}

gpointer gst_vknn_loader_take(GstVknnLoader *l, gboolean wait, GstVknnLoaderStatus *status)
{
    g_mutex_lock(&l->lock);
    while (wait && !l->ready && l->n_loading > 0 && !l->flushing)
        g_cond_wait(&l->cond, &l->lock);
    gpointer fresh = l->ready;
    l->ready = NULL;
    if (fresh)
        l->have_result = TRUE;
    *status = l->flushing ? GST_VKNN_LOADER_FLUSHING
              : l->failed ? GST_VKNN_LOADER_FAILED
                          : GST_VKNN_LOADER_NONE;
    g_mutex_unlock(&l->lock);
    return fresh;
}

void gst_vknn_loader_set_flushing(GstVknnLoader *l, gboolean flushing)
{
    g_mutex_lock(&l->lock);
    l->flushing = flushing;
    g_cond_broadcast(&l->cond);
    g_mutex_unlock(&l->lock);
}

void gst_vknn_loader_cancel(GstVknnLoader *l)
{
    g_mutex_lock(&l->lock);
    l->request++; /* queued loads become stale */
    l->flushing = TRUE;
    while (l->n_loading > 0)
        g_cond_wait(&l->cond, &l->lock);
    gpointer old = gst_vknn_loader_forget_locked(l);
    gst_clear_object(&l->target);
    g_mutex_unlock(&l->lock);

    if (old)
        l->free_result(old);
}
