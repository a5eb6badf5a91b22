/* Device selection (index, name, UUID, VKNN_DEVICE, no match) and adoption
 * of a host application's Vulkan handles, as GStreamer elements will do. */
#include "model_build.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static gboolean opens(const char *selector, char *name, gsize len)
{
    VknnContextOptions o = {.device = selector};
    GError *err = NULL;
    VknnContext *ctx = vknn_context_new(&o, &err);
    if (ctx)
        g_strlcpy(name, vknn_context_device_name(ctx), len);
    else
        g_strlcpy(name, err->message, len);
    g_clear_error(&err);
    vknn_context_free(ctx);
    return ctx != NULL;
}

static void test_selection(void)
{
    GError *err = NULL;
    g_autoptr(GArray) devs = vknn_list_devices(NULL, &err);
    g_assert_no_error(err);
    test_check(devs->len > 0, "at least one Vulkan device");
    if (!devs->len)
        return;
    const VknnDeviceInfo *d = &g_array_index(devs, VknnDeviceInfo, 0);
    char name[256], uuid[40], index[16];
    snprintf(index, sizeof index, "%d", d->index);
    test_check(opens(index, name, sizeof name) && g_str_equal(name, d->name), "select by index %s",
               index);
    g_autofree char *sub = g_ascii_strup(d->name, 4); /* case-insensitive substring */
    test_check(opens(sub, name, sizeof name) && g_str_equal(name, d->name), "select by name '%s'",
               sub);
    vknn_uuid_str(d->uuid, uuid);
    test_check(opens(uuid, name, sizeof name) && g_str_equal(name, d->name), "select by UUID %s",
               uuid);
    test_check(!opens("no-such-gpu", name, sizeof name) && strstr(name, d->name),
               "no match is an error listing the devices (%s)", name);
    test_check(!opens("99", name, sizeof name), "index out of range is an error");

    g_setenv("VKNN_DEVICE", "no-such-gpu", TRUE);
    test_check(!opens(NULL, name, sizeof name), "VKNN_DEVICE is honoured");
    g_unsetenv("VKNN_DEVICE");

    g_autoptr(GArray) marked = vknn_list_devices(NULL, &err);
    int selected = 0;
    for (guint i = 0; i < marked->len; i++)
        selected += g_array_index(marked, VknnDeviceInfo, i).selected;
    test_check(selected == 1, "exactly one device is marked as chosen");
}

/* The host creates instance and device itself, as GstVulkanDevice does with
 * no optional features, and lends them to vknn. */
static void test_adoption(void)
{
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkInstance inst;
    g_assert(vkCreateInstance(&ici, NULL, &inst) == VK_SUCCESS);
    uint32_t n = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(inst, &n, &pd);
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties qp[16];
    nq = MIN(nq, 16);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qp);
    uint32_t family = 0;
    while (family < nq && !(qp[family].queueFlags & VK_QUEUE_COMPUTE_BIT))
        family++;
    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice dev;
    g_assert(vkCreateDevice(pd, &dci, NULL, &dev) == VK_SUCCESS);
    VkQueue queue;
    vkGetDeviceQueue(dev, family, 0, &queue);

    GError *err = NULL;
    VknnContext *ctx = vknn_context_new_from_handles(inst, pd, dev, queue, family, &err);
    g_assert_no_error(err);

    /* A small model: conv 3x3 + relu, checked against the reference. */
    TestModel b = tm_new(0, 3);
    tm_input(&b, "x", SHAPE(1, 3, 9, 11));
    tm_weight(&b, "w", SHAPE(6, 3, 3, 3), -1, 1);
    tm_named_node(&b, "c", "Conv", NAMES("x", "w"), "y");
    tm_named_node(&b, "r", "Relu", NAMES("y"), "z");
    tm_output(&b, "z");
    float x[3 * 9 * 11], got[6 * 7 * 9];
    tm_random(&b, x, G_N_ELEMENTS(x), -1, 1);
    g_autoptr(VknnModel) m = tm_take(&b);
    g_assert(m);
    VknnRefTensor in = {{4, {1, 3, 9, 11}}, x};
    GHashTable *ref = vknn_ref_run(m, &in, &err);
    g_assert_no_error(err);
    VknnNet *net = vknn_net_new(ctx, m, &err);
    vknn_net_set_profiling(net, TRUE);
    gboolean ok = vknn_net_prepare(net, &in.shape, &err);
    test_check(vknn_net_last_device_ms(net) == -1, "no device time before the first run");
    const gint64 t0 = g_get_monotonic_time();
    ok = ok && vknn_net_run(net, (const float *const[]){x}, &err);
    const double wall_ms = (g_get_monotonic_time() - t0) / 1e3;
    ok = ok && vknn_net_read(net, "z", got, &err);
    g_assert_no_error(err);
    const VknnRefTensor *want = g_hash_table_lookup(ref, "z");
    test_check(ok && test_max_abs_diff(got, want->data, G_N_ELEMENTS(got)) < 1e-5,
               "a net runs on an adopted device");
    g_autoptr(GArray) times = vknn_net_profile(net, &err);
    g_assert_no_error(err);
    test_check(times->len == 1 && g_str_equal(g_array_index(times, VknnStepTime, 0).op, "Conv") &&
                   g_array_index(times, VknnStepTime, 0).ms > 0,
               "profiling times the one step (Conv with fused Relu): %.3f ms",
               times->len ? g_array_index(times, VknnStepTime, 0).ms : -1.0);
    const double device_ms = vknn_net_last_device_ms(net);
    test_check(device_ms > 0 && device_ms < wall_ms,
               "the run's device time is positive and within its wall time: %.3f of %.3f ms",
               device_ms, wall_ms);
    vknn_net_free(net);
    g_hash_table_unref(ref);
    vknn_context_free(ctx);

    /* The handles still belong to the host and are still valid. */
    test_check(vkDeviceWaitIdle(dev) == VK_SUCCESS, "the adopted device outlives the context");
    vkDestroyDevice(dev, NULL);
    vkDestroyInstance(inst, NULL);
}

/* A conv net whose input size is symbolic, planned at h x w on a fresh
 * context: returns the error (NULL when it planned), and whether the
 * refusal allocated no device buffer. */
static GError *plan_at(int64_t h, int64_t w, gboolean *allocated_nothing)
{
    TestModel b = tm_new(0, 5);
    tm_input(&b, "x", SHAPE(1, 3, -1, -1));
    tm_weight(&b, "w", SHAPE(16, 3, 3, 3), -1, 1);
    tm_named_node(&b, "c", "Conv", NAMES("x", "w"), "y");
    tm_output(&b, "y");
    g_autoptr(VknnModel) m = tm_take(&b);
    g_autoptr(VknnContext) ctx = test_context();
    GError *err = NULL;
    VknnNet *net = vknn_net_new(ctx, m, &err);
    const int before = vknn_live_buffers();
    vknn_net_prepare(net, &(VknnShape){4, {1, 3, h, w}}, &err);
    *allocated_nothing = vknn_live_buffers() == before;
    vknn_net_free(net);
    return err;
}

/* A plan the device cannot hold is refused before anything is allocated
 * for it, naming the size, the estimate and the budget (issue 19). */
static void test_memory_limits(void)
{
    gboolean nothing = FALSE;
    GError *err = plan_at(6000, 6000, &nothing);
    printf("  %s\n", err ? err->message : "(planned)");
    test_check(g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) && nothing &&
                   strstr(err->message, "x6000x6000"),
               "a 6000x6000 input (a 2.2 GiB activation): DEVICE_LIMIT naming the tensor, nothing "
               "allocated");
    g_clear_error(&err);

    g_setenv("VKNN_MAX_MEMORY", "1M", TRUE);
    err = plan_at(256, 256, &nothing);
    printf("  %s\n", err ? err->message : "(planned)");
    test_check(g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) && nothing &&
                   strstr(err->message, "1x3x256x256") && strstr(err->message, "budget is 1.0 MiB"),
               "VKNN_MAX_MEMORY=1M, a plan over it: DEVICE_LIMIT naming size and budget, nothing "
               "allocated");
    g_clear_error(&err);
    err = plan_at(64, 64, &nothing);
    test_check(err == NULL, "VKNN_MAX_MEMORY=1M, a 0.25 MiB plan: planned%s%s", err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    g_unsetenv("VKNN_MAX_MEMORY");
}

/* Plans the tiny classifier's gradient saliency at 128x128 under a budget
 * of `budget` bytes: the error (NULL when it planned), and whether the
 * refusal allocated no device buffer. */
static GError *plan_saliency(uint64_t budget, gboolean *allocated_nothing)
{
    g_autoptr(VknnModel) m = tm_classifier(10, 7);
    g_autoptr(VknnContext) ctx = test_context();
    GError *err = NULL;
    VknnExplainParams params = VKNN_EXPLAIN_PARAMS_DEFAULT;
    params.method = VKNN_EXPLAIN_GRADIENT;
    g_autoptr(VknnExplainer) ex = vknn_explainer_new(ctx, m, &params, &err);
    g_assert_no_error(err);
    vknn_context_set_memory_budget(ctx, budget);
    const int before = vknn_live_buffers();
    vknn_explainer_prepare(ex, 128, 128, &err);
    *allocated_nothing = vknn_live_buffers() == before;
    return err;
}

/* The gradients of a backward plan count in the budget, before anything
 * is allocated (issue 19): they were allocated after the check. */
static void test_backward_budget(void)
{
    gboolean nothing = FALSE;
    GError *err = plan_saliency(G_GUINT64_CONSTANT(1) << 30, &nothing);
    test_check(err == NULL, "gradient saliency at 128x128 with 1 GiB: planned%s%s", err ? ": " : "",
               err ? err->message : "");
    g_clear_error(&err);
    /* Above the forward pass alone (activations and weights: 0.6 MiB),
     * below it with its gradients. */
    err = plan_saliency(900 * 1024, &nothing);
    printf("  %s\n", err ? err->message : "(planned)");
    test_check(g_error_matches(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT) && nothing && err &&
                   strstr(err->message, "gradients") && strstr(err->message, "budget is 0.9 MiB"),
               "a 0.9 MiB budget, gradients over it: DEVICE_LIMIT naming the gradients and the "
               "budget, nothing allocated");
    g_clear_error(&err);
}

/* Two nets on one model at different input sizes, and the reference
 * executor on it too: each inference rewrites the model's shapes, so a net
 * prepared again at its old size must notice and plan again (its shapes
 * and results stay its own). A decoder trainer whose preview ran its
 * encoder at another size crashed on the stale shapes. */
static void test_shared_model(void)
{
    g_autoptr(VknnContext) ctx = test_context();
    g_autoptr(VknnModel) m = tm_classifier(4, 9);
    GError *err = NULL;
    g_autoptr(VknnNet) a = vknn_net_new(ctx, m, &err);
    g_autoptr(VknnNet) b = vknn_net_new(ctx, m, &err);
    g_assert_no_error(err);
    static float x[3 * 32 * 32], y[3 * 40 * 48];
    test_fill_random(x, G_N_ELEMENTS(x), 3, -1, 1);
    test_fill_random(y, G_N_ELEMENTS(y), 4, -1, 1);
    const VknnShape sa = {4, {1, 3, 32, 32}}, sb = {4, {1, 3, 40, 48}};
    const float *ia[] = {x}, *ib[] = {y};
    float got[4];
    gboolean ok = vknn_net_keep(a, "feat", &err) && vknn_net_prepare(a, &sa, &err) &&
                  vknn_net_run(a, ia, &err) && vknn_net_prepare(b, &sb, &err) &&
                  vknn_net_run(b, ib, &err);
    const VknnRefTensor in_b = {sb, y};
    GHashTable *ref_b = ok ? vknn_ref_run(m, &in_b, &err) : NULL;
    ok = ok && ref_b && vknn_net_prepare(a, &sa, &err) && vknn_net_run(a, ia, &err) &&
         vknn_net_read(a, "scores", got, &err);
    const VknnShape *feat = ok ? vknn_net_shape(a, "feat") : NULL;
    test_check(ok && feat && feat->dims[2] == 16 && feat->dims[3] == 16,
               "net A prepared again at 32x32 after B and the reference ran at 48x40: its "
               "'feat' is 16x16%s%s",
               err ? ": " : "", err ? err->message : "");
    g_clear_error(&err);
    const VknnRefTensor in_a = {sa, x};
    g_autoptr(GHashTable) ref_a = vknn_ref_run(m, &in_a, &err);
    g_assert_no_error(err);
    const VknnRefTensor *want = g_hash_table_lookup(ref_a, "scores");
    const double d = test_max_abs_diff(got, want->data, 4);
    test_check(d <= 1e-4, "and its scores match the reference (max diff %.2g)", d);
    if (ref_b)
        g_hash_table_unref(ref_b);
}

int main(void)
{
    test_selection();
    test_adoption();
    test_memory_limits();
    test_backward_budget();
    test_shared_model();
    return test_summary(0);
}
