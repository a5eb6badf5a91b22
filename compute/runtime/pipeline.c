/* Compute pipelines, cached per (shader, workgroup size, spec constants). */
#include "runtime/runtime.h"

#include <string.h>

typedef struct {
    const VknnShader *shader;
    uint32_t local[3];
    int n_spec;
    int32_t spec[VKNN_MAX_SPEC];
} PipelineKey;

typedef struct {
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkShaderModule module;
} ShaderLayout;

static guint key_hash(gconstpointer p)
{
    const PipelineKey *k = p;
    guint h = g_direct_hash(k->shader);
    const guint32 *w = k->local;
    for (int i = 0; i < 3; i++)
        h = h * 31 + w[i];
    for (int i = 0; i < k->n_spec; i++)
        h = h * 31 + (guint)k->spec[i];
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const PipelineKey *x = a, *y = b;
    return x->shader == y->shader && x->n_spec == y->n_spec &&
           memcmp(x->local, y->local, sizeof x->local) == 0 &&
           memcmp(x->spec, y->spec, sizeof(int32_t) * x->n_spec) == 0;
}

VkDescriptorType vknn_binding_type(const VknnShader *sh, int i)
{
    if (i < sh->n_texel)
        return VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
    i -= sh->n_texel;
    if (i < sh->n_storage)
        return VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    i -= sh->n_storage;
    return i < sh->n_sampled ? VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE : VK_DESCRIPTOR_TYPE_STORAGE_IMAGE;
}

static ShaderLayout *shader_layout(VknnContext *ctx, const VknnShader *sh, GError **err)
{
    if (!ctx->layouts)
        ctx->layouts = g_hash_table_new(g_direct_hash, g_direct_equal);
    ShaderLayout *sl = g_hash_table_lookup(ctx->layouts, sh);
    if (sl)
        return sl;
    sl = g_new0(ShaderLayout, 1);
    const int n = sh->n_texel + sh->n_storage + sh->n_sampled + sh->n_image;
    VkDescriptorSetLayoutBinding b[16];
    g_assert(n <= 16);
    for (int i = 0; i < n; i++)
        b[i] = (VkDescriptorSetLayoutBinding){
            .binding = (uint32_t)i,
            .descriptorType = vknn_binding_type(sh, i),
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    VkDescriptorSetLayoutCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = (uint32_t)n,
        .pBindings = b,
    };
    VKNN_CHECK(vkCreateDescriptorSetLayout(ctx->device, &dci, NULL, &sl->set_layout),
               "vkCreateDescriptorSetLayout");
    VkPushConstantRange pcr = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .size = sh->push_size,
    };
    VkPipelineLayoutCreateInfo lci = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &sl->set_layout,
        .pushConstantRangeCount = sh->push_size ? 1 : 0,
        .pPushConstantRanges = &pcr,
    };
    VKNN_CHECK(vkCreatePipelineLayout(ctx->device, &lci, NULL, &sl->layout),
               "vkCreatePipelineLayout");
    VkShaderModuleCreateInfo mci = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = sh->code_size,
        .pCode = sh->code,
    };
    VKNN_CHECK(vkCreateShaderModule(ctx->device, &mci, NULL, &sl->module), "vkCreateShaderModule");
    g_hash_table_insert(ctx->layouts, (gpointer)sh, sl);
    return sl;
fail:
    if (sl->layout)
        vkDestroyPipelineLayout(ctx->device, sl->layout, NULL);
    if (sl->set_layout)
        vkDestroyDescriptorSetLayout(ctx->device, sl->set_layout, NULL);
    g_free(sl);
    return NULL;
}

VknnPipeline *vknn_pipeline_get(VknnContext *ctx, const VknnShader *sh, const uint32_t local[3],
                                const int32_t *spec, int n_spec, GError **err)
{
    g_assert(n_spec <= VKNN_MAX_SPEC);
    if (!ctx->pipelines)
        ctx->pipelines = g_hash_table_new_full(key_hash, key_equal, g_free, NULL);
    PipelineKey key = {.shader = sh, .n_spec = n_spec};
    memcpy(key.local, local, sizeof key.local);
    if (n_spec)
        memcpy(key.spec, spec, sizeof(int32_t) * n_spec);
    VknnPipeline *p = g_hash_table_lookup(ctx->pipelines, &key);
    if (p)
        return p;

    ShaderLayout *sl = shader_layout(ctx, sh, err);
    if (!sl)
        return NULL;
    VkSpecializationMapEntry entries[3 + VKNN_MAX_SPEC];
    uint32_t data[3 + VKNN_MAX_SPEC];
    for (int i = 0; i < 3 + n_spec; i++) {
        entries[i] = (VkSpecializationMapEntry){
            .constantID = (uint32_t)i, .offset = (uint32_t)(i * 4), .size = 4};
        data[i] = i < 3 ? local[i] : (uint32_t)spec[i - 3];
    }
    VkSpecializationInfo si = {
        .mapEntryCount = (uint32_t)(3 + n_spec),
        .pMapEntries = entries,
        .dataSize = (size_t)(3 + n_spec) * 4,
        .pData = data,
    };
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage =
            {
                .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = sl->module,
                .pName = "main",
                .pSpecializationInfo = &si,
            },
        .layout = sl->layout,
    };
    p = g_new0(VknnPipeline, 1);
    p->shader = sh;
    p->set_layout = sl->set_layout;
    p->layout = sl->layout;
    memcpy(p->local, local, sizeof p->local);
    VkResult res = vkCreateComputePipelines(ctx->device, ctx->vk_cache, 1, &ci, NULL, &p->pipeline);
    if (res != VK_SUCCESS) {
        g_autofree char *what = g_strdup_printf("creating the %s pipeline", sh->name);
        vknn_set_vk_error(err, res, what);
        g_free(p);
        return NULL;
    }
    g_hash_table_insert(ctx->pipelines, g_memdup2(&key, sizeof key), p);
    return p;
}

void vknn_pipeline_cache_clear(VknnContext *ctx)
{
    GHashTableIter it;
    gpointer k, v;
    if (ctx->pipelines) {
        g_hash_table_iter_init(&it, ctx->pipelines);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            vkDestroyPipeline(ctx->device, ((VknnPipeline *)v)->pipeline, NULL);
            g_free(v);
        }
        g_clear_pointer(&ctx->pipelines, g_hash_table_unref);
    }
    if (ctx->layouts) {
        g_hash_table_iter_init(&it, ctx->layouts);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            ShaderLayout *sl = v;
            vkDestroyShaderModule(ctx->device, sl->module, NULL);
            vkDestroyPipelineLayout(ctx->device, sl->layout, NULL);
            vkDestroyDescriptorSetLayout(ctx->device, sl->set_layout, NULL);
            g_free(sl);
        }
        g_clear_pointer(&ctx->layouts, g_hash_table_unref);
    }
}
