/* Vulkan instance and device selection, or adoption of a host's handles. */
#include "runtime/fault.h"

#include <stdio.h>
#include <string.h>

const char *vknn_device_type_str(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "CPU";
    default:
        return "other";
    }
}

const char *vknn_uuid_str(const uint8_t *u, char *buf)
{
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
    return buf;
}

/* Lower is preferred: discrete GPUs first, CPU implementations (lavapipe) last. */
static int type_rank(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return 3;
    default:
        return 4;
    }
}

static int compute_queue_family(VkPhysicalDevice pd)
{
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
    g_autofree VkQueueFamilyProperties *q = g_new0(VkQueueFamilyProperties, n);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q);
    /* A compute queue without graphics runs beside a display pipeline; take
     * any compute queue otherwise. */
    int any = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT))
            continue;
        if (!(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
            return (int)i;
        if (any < 0)
            any = (int)i;
    }
    return any;
}

static gboolean uuid_matches(const char *sel, const uint8_t *uuid)
{
    char hex[33];
    int k = 0;
    for (const char *p = sel; *p && k < 32; p++) {
        if (*p == '-')
            continue;
        if (!g_ascii_isxdigit(*p))
            return FALSE;
        hex[k++] = g_ascii_tolower(*p);
    }
    hex[k] = 0;
    if (k != 32)
        return FALSE;
    char want[33];
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", uuid[i]);
    return strcmp(hex, want) == 0;
}

static gboolean is_index(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return FALSE;
    return TRUE;
}

/* Picks a device index among infos per the selector rules; -1 if none. */
static int select_device(GArray *infos, const char *sel)
{
    int best = -1;
    for (guint i = 0; i < infos->len; i++) {
        VknnDeviceInfo *d = &g_array_index(infos, VknnDeviceInfo, i);
        if (!d->has_compute)
            continue;
        if (sel && *sel) {
            gboolean ok;
            if (is_index(sel))
                ok = (int)g_ascii_strtoll(sel, NULL, 10) == d->index;
            else if (uuid_matches(sel, d->uuid))
                ok = TRUE;
            else {
                g_autofree char *a = g_ascii_strdown(d->name, -1);
                g_autofree char *b = g_ascii_strdown(sel, -1);
                ok = strstr(a, b) != NULL;
            }
            if (ok)
                return (int)i;
            continue;
        }
        if (best < 0 ||
            type_rank(d->type) < type_rank(g_array_index(infos, VknnDeviceInfo, best).type))
            best = (int)i;
    }
    return best;
}

static const char *effective_selector(const char *sel)
{
    if (sel && *sel)
        return sel;
    const char *env = g_getenv("VKNN_DEVICE");
    return env && *env ? env : NULL;
}

static gboolean create_instance(gboolean validation, VkInstance *out, GError **err)
{
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vknn",
        .pEngineName = "vknn",
        .apiVersion = VK_API_VERSION_1_1,
    };
    const char *layer = "VK_LAYER_KHRONOS_validation";
    gboolean have_layer = FALSE;
    if (validation) {
        uint32_t n = 0;
        vkEnumerateInstanceLayerProperties(&n, NULL);
        g_autofree VkLayerProperties *props = g_new0(VkLayerProperties, n ? n : 1);
        vkEnumerateInstanceLayerProperties(&n, props);
        for (uint32_t i = 0; i < n; i++)
            have_layer |= strcmp(props[i].layerName, layer) == 0;
        if (!have_layer)
            vknn_log(VKNN_LOG_WARNING, "validation requested but %s is not installed", layer);
    }
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledLayerCount = have_layer ? 1 : 0,
        .ppEnabledLayerNames = have_layer ? &layer : NULL,
    };
    const VkResult res = vkCreateInstance(&ci, NULL, out);
    if (res != VK_SUCCESS)
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NO_DEVICE,
                    "cannot create a Vulkan instance (%s): is a Vulkan driver installed "
                    "(mesa-vulkan-drivers)?",
                    vknn_result_str(res));
    return res == VK_SUCCESS;
}

static GArray *enumerate(VkInstance inst, GError **err)
{
    uint32_t n = 0;
    VkResult res = vkEnumeratePhysicalDevices(inst, &n, NULL);
    if (res != VK_SUCCESS) {
        vknn_set_vk_error(err, res, "vkEnumeratePhysicalDevices");
        return NULL;
    }
    g_autofree VkPhysicalDevice *pds = g_new0(VkPhysicalDevice, n ? n : 1);
    vkEnumeratePhysicalDevices(inst, &n, pds);
    GArray *infos = g_array_new(FALSE, TRUE, sizeof(VknnDeviceInfo));
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceIDProperties id = {.sType =
                                               VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
        VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &id};
        vkGetPhysicalDeviceProperties2(pds[i], &p2);
        VkPhysicalDeviceMemoryProperties mp;
        vkGetPhysicalDeviceMemoryProperties(pds[i], &mp);
        VknnDeviceInfo d = {.index = (int)i,
                            .type = p2.properties.deviceType,
                            .api_version = p2.properties.apiVersion};
        g_strlcpy(d.name, p2.properties.deviceName, sizeof d.name);
        memcpy(d.uuid, id.deviceUUID, VK_UUID_SIZE);
        for (uint32_t h = 0; h < mp.memoryHeapCount; h++)
            if (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
                d.device_local_bytes += mp.memoryHeaps[h].size;
        d.has_compute =
            compute_queue_family(pds[i]) >= 0 && p2.properties.apiVersion >= VK_API_VERSION_1_1;
        g_array_append_val(infos, d);
    }
    return infos;
}

static char *describe_devices(GArray *infos)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < infos->len; i++) {
        VknnDeviceInfo *d = &g_array_index(infos, VknnDeviceInfo, i);
        g_string_append_printf(s, "%s%d: %s (%s)", i ? ", " : "", d->index, d->name,
                               vknn_device_type_str(d->type));
    }
    if (!infos->len)
        g_string_append(s, "none (install mesa-vulkan-drivers for the lavapipe CPU driver)");
    return g_string_free(s, FALSE);
}

GArray *vknn_list_devices(const char *selector, GError **err)
{
    VkInstance inst;
    if (!create_instance(FALSE, &inst, err))
        return NULL;
    GArray *infos = enumerate(inst, err);
    if (infos) {
        int sel = select_device(infos, effective_selector(selector));
        if (sel >= 0)
            g_array_index(infos, VknnDeviceInfo, sel).selected = TRUE;
    }
    vkDestroyInstance(inst, NULL);
    return infos;
}

/* Subgroup operations are core Vulkan 1.1 properties, not features: they
 * need nothing enabled, so a device adopted from GStreamer has them too.
 * VKNN_SHUFFLE_WEIGHTS=0 turns the shuffle kernels off (A/B runs). */
static gboolean shuffles_in_workgroups_of_8(VkPhysicalDevice physical)
{
    VkPhysicalDeviceSubgroupProperties sg = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &sg};
    vkGetPhysicalDeviceProperties2(physical, &p2);
    return sg.subgroupSize == 8 && (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
           (sg.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) &&
           g_strcmp0(g_getenv("VKNN_SHUFFLE_WEIGHTS"), "0") != 0;
}

/* See VknnContext.gpu_tuning. */
static gboolean tune_for_gpu(const VkPhysicalDeviceProperties *props)
{
    const char *forced = g_getenv("VKNN_TUNING");
    if (forced && (g_str_equal(forced, "cpu") || g_str_equal(forced, "gpu")))
        return g_str_equal(forced, "gpu");
    if (forced)
        vknn_log(VKNN_LOG_WARNING, "VKNN_TUNING=%s ignored (cpu or gpu)", forced);
    return props->deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
}

/* The largest device-local heap, or VKNN_MAX_MEMORY bytes when smaller (a
 * number with an optional K, M or G suffix: a budget below the device's). */
static uint64_t memory_budget(const VkPhysicalDeviceMemoryProperties *mp)
{
    uint64_t heap = 0;
    for (uint32_t h = 0; h < mp->memoryHeapCount; h++)
        if (mp->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            heap = MAX(heap, mp->memoryHeaps[h].size);
    const char *text = g_getenv("VKNN_MAX_MEMORY");
    if (!text || !*text)
        return heap;
    gchar *end = NULL;
    uint64_t budget = g_ascii_strtoull(text, &end, 10);
    const char *units = "KMG";
    const char *unit = *end ? strchr(units, g_ascii_toupper(*end)) : NULL;
    if (unit)
        budget <<= 10 * (unit - units + 1);
    if (budget == 0 || (*end && (!unit || end[1]))) {
        vknn_log(VKNN_LOG_WARNING, "VKNN_MAX_MEMORY=%s ignored (bytes, or a number with K, M or G)",
                 text);
        return heap;
    }
    return heap ? MIN(heap, budget) : budget;
}

void vknn_context_set_memory_budget(VknnContext *ctx, uint64_t bytes)
{
    /* A budget above the heap would only move the failure to allocation. */
    ctx->memory_budget = bytes && (!ctx->default_budget || bytes < ctx->default_budget)
                             ? bytes
                             : ctx->default_budget;
}

uint64_t vknn_context_memory_budget(const VknnContext *ctx)
{
    return ctx->memory_budget;
}

/* Creates what every context needs on top of the device handles. */
static gboolean context_init_common(VknnContext *ctx, GError **err)
{
    vkGetPhysicalDeviceProperties(ctx->physical, &ctx->props);
    ctx->shuffle_weights = shuffles_in_workgroups_of_8(ctx->physical);
    ctx->gpu_tuning = tune_for_gpu(&ctx->props);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->mem_props);
    /* Tests emulate a device with smaller buffers (VKNN_ERROR_DEVICE_LIMIT). */
    const char *max_bytes = g_getenv("VKNN_MAX_BUFFER_BYTES");
    if (max_bytes && g_ascii_strtoull(max_bytes, NULL, 10) > 0)
        ctx->props.limits.maxStorageBufferRange = (uint32_t)MIN(
            ctx->props.limits.maxStorageBufferRange, g_ascii_strtoull(max_bytes, NULL, 10));
    ctx->memory_budget = ctx->default_budget = memory_budget(&ctx->mem_props);
    const char *fault = g_getenv("VKNN_FAULT");
    if (fault && *fault)
        vknn_fault_parse(ctx, fault);
    const VkPhysicalDeviceLimits *l = &ctx->props.limits;
    ctx->align = MAX(MAX(l->minTexelBufferOffsetAlignment, l->minStorageBufferOffsetAlignment), 16);

    VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = ctx->queue_family,
    };
    VKNN_CHECK(vkCreateCommandPool(ctx->device, &pci, NULL, &ctx->cmd_pool), "vkCreateCommandPool");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VKNN_CHECK(vkCreateFence(ctx->device, &fci, NULL, &ctx->fence), "vkCreateFence");
    VkPipelineCacheCreateInfo cci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    VKNN_CHECK(vkCreatePipelineCache(ctx->device, &cci, NULL, &ctx->vk_cache),
               "vkCreatePipelineCache");
    vknn_log(VKNN_LOG_INFO, "using %s (%s), kernels shaped for a %s%s", ctx->props.deviceName,
             vknn_device_type_str(ctx->props.deviceType), ctx->gpu_tuning ? "GPU" : "CPU",
             ctx->shuffle_weights ? ", weights shared by subgroup shuffles" : "");
    return TRUE;
fail:
    return FALSE;
}

VknnContext *vknn_context_new(const VknnContextOptions *opts, GError **err)
{
    VknnContextOptions def = {0};
    if (!opts)
        opts = &def;
    VknnContext *ctx = g_new0(VknnContext, 1);
    ctx->owns_handles = TRUE;
    const char *sel = effective_selector(opts->device);
    gboolean validate = opts->validation || g_strcmp0(g_getenv("VKNN_VALIDATE"), "1") == 0;
    g_autoptr(GArray) infos = NULL;
    g_autofree VkPhysicalDevice *pds = NULL;

    if (!create_instance(validate, &ctx->instance, err))
        goto fail;
    infos = enumerate(ctx->instance, err);
    if (!infos)
        goto fail;
    int idx = select_device(infos, sel);
    if (idx < 0) {
        g_autofree char *list = describe_devices(infos);
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_NO_DEVICE,
                    "no Vulkan device matches %s%s%s; seen: %s", sel ? "\"" : "",
                    sel ? sel : "the requirements (Vulkan 1.1, compute queue)", sel ? "\"" : "",
                    list);
        goto fail;
    }
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
    pds = g_new0(VkPhysicalDevice, n);
    vkEnumeratePhysicalDevices(ctx->instance, &n, pds);
    ctx->physical = pds[g_array_index(infos, VknnDeviceInfo, idx).index];
    ctx->queue_family = (uint32_t)compute_queue_family(ctx->physical);

    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    /* No optional features or extensions: the same code path must work on a
     * device adopted from GStreamer 1.22, which enables none. */
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
    };
    VKNN_CHECK(vkCreateDevice(ctx->physical, &dci, NULL, &ctx->device), "vkCreateDevice");
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    if (!context_init_common(ctx, err))
        goto fail;
    return ctx;
fail:
    vknn_context_free(ctx);
    return NULL;
}

VknnContext *vknn_context_new_from_handles(VkInstance instance, VkPhysicalDevice physical,
                                           VkDevice device, VkQueue queue, uint32_t queue_family,
                                           GError **err)
{
    g_return_val_if_fail(physical && device && queue, NULL);
    VknnContext *ctx = g_new0(VknnContext, 1);
    ctx->instance = instance;
    ctx->physical = physical;
    ctx->device = device;
    ctx->queue = queue;
    ctx->queue_family = queue_family;
    if (!context_init_common(ctx, err)) {
        vknn_context_free(ctx);
        return NULL;
    }
    return ctx;
}

void vknn_context_free(VknnContext *ctx)
{
    if (!ctx)
        return;
    if (ctx->device) {
        /* Only an owned device may be idled: an adopted one is shared with
         * other threads, and our own submissions are always waited for. */
        if (ctx->owns_handles)
            vkDeviceWaitIdle(ctx->device);
        vknn_pipeline_cache_clear(ctx);
        if (ctx->vk_cache)
            vkDestroyPipelineCache(ctx->device, ctx->vk_cache, NULL);
        if (ctx->fence)
            vkDestroyFence(ctx->device, ctx->fence, NULL);
        if (ctx->cmd_pool)
            vkDestroyCommandPool(ctx->device, ctx->cmd_pool, NULL);
    }
    if (ctx->owns_handles) {
        if (ctx->device)
            vkDestroyDevice(ctx->device, NULL);
        if (ctx->instance)
            vkDestroyInstance(ctx->instance, NULL);
    }
    g_free(ctx);
}

void vknn_context_set_queue_lock(VknnContext *ctx, VknnQueueLockFunc fn, void *user_data)
{
    ctx->queue_lock = fn;
    ctx->queue_lock_data = user_data;
}

const char *vknn_context_device_name(const VknnContext *ctx)
{
    return ctx->props.deviceName;
}

VkPhysicalDeviceType vknn_context_device_type(const VknnContext *ctx)
{
    return ctx->props.deviceType;
}

VkDevice vknn_context_vk_device(const VknnContext *ctx)
{
    return ctx->device;
}
