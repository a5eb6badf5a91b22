/* libvknn's runtime tier: context, buffers, tensors, pipelines, command
 * recording. Not installed. The bottom tier: it calls nothing above it
 * (docs/architecture.md); the kernels, the executor and the frame code all
 * build on it. */
#pragma once

#include <vknn/context.h>
#include <vknn/frame.h>
#include <vknn/shape.h>

#define VKNN_CHECK(call, what)                                                                     \
    do {                                                                                           \
        VkResult vknn_res_ = (call);                                                               \
        if (vknn_res_ != VK_SUCCESS) {                                                             \
            vknn_set_vk_error(err, vknn_res_, what);                                               \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

#define VKNN_DIV_UP(a, b) (((a) + (b)-1) / (b))

/* ---- context ------------------------------------------------------------ */

/* The Vulkan calls fault injection can fail (runtime/fault.h). */
typedef enum {
    VKNN_FAULT_ALLOC,  /* vkAllocateMemory */
    VKNN_FAULT_SUBMIT, /* vkQueueSubmit */
    VKNN_FAULT_WAIT,   /* vkWaitForFences */
    VKNN_FAULT_KINDS,
} VknnFaultKind;

typedef struct {
    VknnFaultKind kind;
    int64_t at;      /* the call of `kind` that fails (1-based); 0: none */
    VkResult result; /* what it returns */
    int64_t counts[VKNN_FAULT_KINDS];
} VknnFault;

struct VknnContext {
    VkInstance instance;
    VkPhysicalDevice physical;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    gboolean owns_handles;
    VknnQueueLockFunc queue_lock;
    void *queue_lock_data;

    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties mem_props;
    VkDeviceSize align; /* offset alignment valid for texel and storage bindings */
    /* Workgroups of 8 invocations are one subgroup that can shuffle in
     * compute shaders (lavapipe: one AVX2 vector): register-tiled kernels
     * then fetch each weight once per workgroup (shaders/common/mac_tile.glsl). */
    gboolean shuffle_weights;
    /* Kernel shapes (workgroup sizes, register tiles, Winograd choice and
     * workspace) for a CPU device such as lavapipe, where a workgroup of 8
     * is one SIMD batch and every lane's registers are precious, or for a
     * GPU, which needs wide workgroups and many invocations in flight. From
     * the device type; VKNN_TUNING=cpu|gpu overrides it (A/B runs on a GPU,
     * and CI runs the GPU shapes on lavapipe for correctness). */
    gboolean gpu_tuning;

    /* Device memory a net may plan for (bytes): the largest device-local
     * heap, or less under VKNN_MAX_MEMORY or vknn_context_set_memory_budget.
     * Checked before allocating. default_budget: without the latter. */
    uint64_t memory_budget;
    uint64_t default_budget;

    VknnFault fault; /* runtime/fault.h */
    /* VK_ERROR_DEVICE_LOST was seen: nothing more is sent to the device. */
    gboolean lost;

    VkCommandPool cmd_pool;
    VkFence fence;
    VkPipelineCache vk_cache;
    GHashTable *pipelines; /* VknnPipelineKey* -> VknnPipeline* */
    GHashTable *layouts;   /* shader -> VknnLayout* */
};

/* ---- buffers --------------------------------------------------------------- */

typedef struct {
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDeviceSize size;
    void *mapped; /* host-visible buffers stay mapped */
} VknnBuffer;

typedef enum {
    VKNN_MEM_DEVICE,   /* device-local, bound to shaders */
    VKNN_MEM_UPLOAD,   /* host-visible, coherent: staging for uploads */
    VKNN_MEM_READBACK, /* host-visible, cached when possible: staging for downloads */
} VknnMemKind;

VknnBuffer *vknn_buffer_new(VknnContext *ctx, VkDeviceSize size, VknnMemKind kind, GError **err);
void vknn_buffer_free(VknnContext *ctx, VknnBuffer **buf);
/* Makes device writes visible to the host for non-coherent readback memory. */
void vknn_buffer_invalidate(VknnContext *ctx, VknnBuffer *buf);

/* ---- tensors ---------------------------------------------------------------- */

/* A float32 tensor in device memory, stored channel-packed: the logical shape
 * is padded on the right to 4D (n, c, h, w) — which keeps row-major element
 * order — and stored as [n][ceil(c/4)][h][w] vec4, channel c in lane c % 4.
 * Padding lanes hold zeros. Read through an RGBA32F uniform texel buffer
 * view, written through a storage buffer binding. */
typedef struct {
    VknnShape shape;
    int32_t n, c, h, w, c4;
    VknnBuffer *buffer;
    VkDeviceSize offset;
    VkDeviceSize bytes;
    VkBufferView view;
    VkFormat view_format; /* 0: RGBA32F; R32_UINT for packed 8-bit pixels; RGBA16F */
} VknnTensor;

/* Fills the physical dims of t from shape; returns the byte size. */
VkDeviceSize vknn_tensor_set_shape(VknnTensor *t, const VknnShape *shape);
static inline int64_t vknn_tensor_texels(const VknnTensor *t)
{
    return (int64_t)t->n * t->c4 * t->h * t->w;
}
/* The padded dims (c, h, w, ceil(c/4)) that shaders use to locate elements
 * (vknn.glsl's locate()). */
static inline void vknn_tensor_dims(const VknnTensor *t, int32_t d[4])
{
    d[0] = t->c;
    d[1] = t->h;
    d[2] = t->w;
    d[3] = t->c4;
}
/* FALSE with VKNN_ERROR_DEVICE_LIMIT when t is larger than the device lets
 * one buffer binding or texel view be: checked before anything is allocated
 * for it. */
gboolean vknn_tensor_fits(const VknnContext *ctx, const VknnTensor *t, GError **err);
/* Creates the texel view of t (buffer and offset set). */
gboolean vknn_tensor_make_view(VknnContext *ctx, VknnTensor *t, GError **err);
void vknn_tensor_release_view(VknnContext *ctx, VknnTensor *t);

/* Host conversion between NCHW floats and the channel-packed layout. */
void vknn_pack_c4(const VknnTensor *t, const float *nchw, float *packed);
void vknn_unpack_c4(const VknnTensor *t, const float *packed, float *nchw);

/* ---- pipelines ---------------------------------------------------------- */

/* A compute shader and its interface, bindings in this order: n_texel
 * read-only uniform texel buffers (tensors), n_storage storage buffers
 * (written), n_sampled sampled images (read with texelFetch), n_image
 * storage images (written). Spec constants 0-2 are the workgroup size,
 * 3.. op parameters. */
typedef struct {
    const char *name;
    const uint32_t *code;
    size_t code_size;
    int n_texel;
    int n_storage;
    uint32_t push_size;
    int n_sampled;
    int n_image;
} VknnShader;

#define VKNN_SHADER(stem, texels, storages, push_struct)                                           \
    VKNN_IMAGE_SHADER(stem, texels, storages, 0, 0, push_struct)
#define VKNN_IMAGE_SHADER(stem, texels, storages, sampled, images, push_struct)                    \
    {                                                                                              \
        .name = #stem, .code = vknn_##stem##_comp_spv,                                             \
        .code_size = sizeof(vknn_##stem##_comp_spv), .n_texel = (texels), .n_storage = (storages), \
        .push_size = sizeof(push_struct), .n_sampled = (sampled), .n_image = (images),             \
    }

/* Descriptor type of binding i of shader sh. */
VkDescriptorType vknn_binding_type(const VknnShader *sh, int i);

#define VKNN_MAX_SPEC 16

typedef struct {
    const VknnShader *shader;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipeline;
    uint32_t local[3];
} VknnPipeline;

/* Returns the pipeline for shader at workgroup size local and spec constants
 * spec[0..n_spec-1] (ids 3..), creating and caching it on first use.
 * Owned by the context. */
VknnPipeline *vknn_pipeline_get(VknnContext *ctx, const VknnShader *shader, const uint32_t local[3],
                                const int32_t *spec, int n_spec, GError **err);
void vknn_pipeline_cache_clear(VknnContext *ctx);

/* ---- command recording ---------------------------------------------------- */

typedef struct VknnCmd VknnCmd;

/* Starts recording a reusable command buffer. */
VknnCmd *vknn_cmd_new(VknnContext *ctx, GError **err);
/* Records a dispatch. bindings: n_texel tensors read, then n_storage written,
 * in the shader's order. Inserts the barriers needed against earlier work in
 * this command buffer. Failures are sticky and reported by vknn_cmd_end(). */
void vknn_cmd_dispatch(VknnCmd *cmd, const VknnPipeline *p, const VknnTensor *const *bindings,
                       const void *push, uint32_t gx, uint32_t gy, uint32_t gz);
/* Same, with the shader's sampled and storage images after the buffers. The
 * images must already be in SHADER_READ_ONLY_OPTIMAL (sampled) and GENERAL
 * (storage) layouts (vknn_cmd_image_barrier). */
void vknn_cmd_dispatch_images(VknnCmd *cmd, const VknnPipeline *p,
                              const VknnTensor *const *bindings, const VknnImage *const *images,
                              const void *push, uint32_t gx, uint32_t gy, uint32_t gz);
/* Transitions img to layout for the given consumer stage/access, waiting for
 * its previous users (img->stages/access), and updates img. */
void vknn_cmd_image_barrier(VknnCmd *cmd, VknnImage *img, VkImageLayout layout,
                            VkPipelineStageFlags stage, VkAccessFlags access);
/* Copies tightly packed pixels from a buffer into an image in
 * TRANSFER_DST_OPTIMAL layout. */
void vknn_cmd_copy_to_image(VknnCmd *cmd, VknnBuffer *src, VkDeviceSize src_off, VknnImage *dst,
                            uint32_t width, uint32_t height);
/* Profiling: resets queries [0, count) of pool; writes timestamp `query`
 * after everything recorded before it has finished (full barrier). */
void vknn_cmd_reset_queries(VknnCmd *cmd, VkQueryPool pool, uint32_t count);
void vknn_cmd_timestamp(VknnCmd *cmd, VkQueryPool pool, uint32_t query);
/* Makes everything earlier in submission order (other command buffers too)
 * visible to what follows. */
void vknn_cmd_barrier_all(VknnCmd *cmd);
/* Dispatch over `count` invocations of a 1D kernel, split in x/y so each
 * dimension stays within device limits (shaders use vknn_linear_id()). */
void vknn_cmd_dispatch_linear(VknnCmd *cmd, const VknnPipeline *p,
                              const VknnTensor *const *bindings, const void *push, int64_t count);
void vknn_cmd_copy(VknnCmd *cmd, VknnBuffer *src, VkDeviceSize src_off, VknnBuffer *dst,
                   VkDeviceSize dst_off, VkDeviceSize size);
/* Zeroes a range (offset and size multiples of 4). */
void vknn_cmd_fill_zero(VknnCmd *cmd, VknnBuffer *dst, VkDeviceSize off, VkDeviceSize size);
gboolean vknn_cmd_end(VknnCmd *cmd, GError **err);
/* Submits and waits for completion. May be called again for reuse. */
gboolean vknn_cmd_submit_wait(VknnCmd *cmd, GError **err);
/* Submits several ended command buffers in one submission, in order. */
gboolean vknn_cmd_submit_wait_many(VknnCmd *const *cmds, int n, GError **err);
int vknn_cmd_dispatch_count(const VknnCmd *cmd);
void vknn_cmd_free(VknnCmd **cmd);

/* One-shot helpers: copy host data into a device buffer range / back. */
gboolean vknn_upload(VknnContext *ctx, VknnBuffer *dst, VkDeviceSize off, const void *data,
                     VkDeviceSize size, GError **err);
gboolean vknn_download(VknnContext *ctx, VknnBuffer *src, VkDeviceSize off, void *data,
                       VkDeviceSize size, GError **err);
