/* Graph executor: plans device memory by liveness, records the whole network
 * into one reusable command buffer, runs it on inputs. */
#include "exec/net-private.h"

#include <string.h>

static void owned_free(VknnContext *ctx, OwnedTensor *o)
{
    vknn_tensor_release_view(ctx, &o->tensor);
    vknn_buffer_free(ctx, &o->buffer);
    g_free(o);
}

static void plan_free(VknnContext *ctx, Plan *p)
{
    if (!p)
        return;
    vknn_backward_free(ctx, p->backward);
    vknn_cmd_free(&p->cmd);
    vknn_step_clock_clear(ctx, &p->clock);
    if (p->run_clock)
        vkDestroyQueryPool(ctx->device, p->run_clock, NULL);
    if (p->tensors)
        for (guint v = 0; v < p->n_values; v++)
            vknn_tensor_release_view(ctx, &p->tensors[v]);
    for (guint i = 0; p->scratch && i < p->scratch->len; i++)
        owned_free(ctx, g_ptr_array_index(p->scratch, i));
    for (guint i = 0; p->staging && i < p->staging->len; i++) {
        VknnBuffer *b = g_ptr_array_index(p->staging, i);
        vknn_buffer_free(ctx, &b);
    }
    if (p->scratch)
        g_ptr_array_unref(p->scratch);
    if (p->node_scratch)
        g_hash_table_unref(p->node_scratch);
    if (p->staging)
        g_ptr_array_unref(p->staging);
    vknn_buffer_free(ctx, &p->arena);
    if (p->steps)
        g_array_unref(p->steps);
    g_free(p->tensors);
    g_free(p->materialised);
    g_free(p->root);
    g_free(p);
}

VknnNet *vknn_net_new(VknnContext *ctx, VknnModel *model, GError **err)
{
    g_return_val_if_fail(ctx && model, NULL);
    VknnNet *net = g_new0(VknnNet, 1);
    net->ctx = ctx;
    net->model = model;
    net->n_values = model->values->len;
    net->kept = g_new0(gboolean, net->n_values);
    net->grad_wanted = g_new0(gboolean, net->n_values);
    net->packed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return net;
}

void vknn_net_free(VknnNet *net)
{
    if (!net)
        return;
    /* Every submission waits for its fence before returning: nothing of ours
     * is in flight, and the device may be shared, so no vkDeviceWaitIdle. */
    plan_free(net->ctx, net->plan);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, net->packed);
    while (g_hash_table_iter_next(&it, &k, &v))
        owned_free(net->ctx, v);
    g_hash_table_unref(net->packed);
    g_free(net->kept);
    g_free(net->grad_wanted);
    if (net->grad_outputs)
        g_array_unref(net->grad_outputs);
    g_free(net->shapes);
    g_free(net);
}

void vknn_net_invalidate_plan(VknnNet *net)
{
    plan_free(net->ctx, net->plan);
    net->plan = NULL;
    g_clear_pointer(&net->shapes, g_free);
}

void vknn_net_reload_constants(VknnNet *net)
{
    vknn_net_invalidate_plan(net);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, net->packed);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        owned_free(net->ctx, v);
        g_hash_table_iter_remove(&it);
    }
    net->weight_bytes = 0;
}

gboolean vknn_net_keep(VknnNet *net, const char *name, GError **err)
{
    vknn_net_follow_model(net);
    const int v = vknn_model_find_value(net->model, name);
    if (v < 0 || vknn_model_value(net->model, v)->kind == VKNN_VALUE_CONSTANT) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "no tensor named '%s' in the model (vknn info lists them)", name);
        return FALSE;
    }
    if (!net->kept[v]) {
        net->kept[v] = TRUE;
        vknn_net_invalidate_plan(net);
    }
    return TRUE;
}

/* ---- storage lent to the kernels (VknnRecordStore) --------------------- */

static OwnedTensor *upload_tensor(VknnContext *ctx, VknnTensor *shape_of, float *data, GError **err)
{
    OwnedTensor *o = g_new0(OwnedTensor, 1);
    o->tensor = *shape_of;
    o->buffer = vknn_buffer_new(ctx, o->tensor.bytes, VKNN_MEM_DEVICE, err);
    if (!o->buffer)
        goto fail;
    o->tensor.buffer = o->buffer;
    o->tensor.offset = 0;
    if ((data && !vknn_upload(ctx, o->buffer, 0, data, o->tensor.bytes, err)) ||
        !vknn_tensor_make_view(ctx, &o->tensor, err))
        goto fail;
    return o;
fail:
    owned_free(ctx, o);
    return NULL;
}

/* The key of a node's packed or scratch tensor in the net's tables. */
static char *node_key(const VknnNode *node, const char *key)
{
    return g_strdup_printf("%p/%s", (void *)node, key);
}

static VknnTensor *net_packed(VknnRecord *r, const char *key, VknnPackFunc pack, void *user,
                              GError **err)
{
    VknnNet *net = r->owner;
    g_autofree char *full = node_key(r->step->node, key);
    OwnedTensor *o = g_hash_table_lookup(net->packed, full);
    if (o)
        return &o->tensor;
    VknnTensor t = {0};
    g_autofree float *data = pack(r, &t, user);
    o = upload_tensor(r->ctx, &t, data, err);
    if (!o)
        return NULL;
    net->weight_bytes += o->tensor.bytes;
    g_hash_table_insert(net->packed, g_steal_pointer(&full), o);
    return &o->tensor;
}

VknnTensor *vknn_net_scratch(VknnRecord *r, const VknnShape *shape, GError **err)
{
    VknnTensor t = {0};
    vknn_tensor_set_shape(&t, shape);
    OwnedTensor *o = upload_tensor(r->ctx, &t, NULL, err);
    if (!o)
        return NULL;
    g_ptr_array_add(((VknnNet *)r->owner)->plan->scratch, o);
    return &o->tensor;
}

static VknnTensor *net_node_scratch(VknnRecord *r, const VknnNode *node, const char *key,
                                    const VknnShape *shape, GError **err)
{
    Plan *p = ((VknnNet *)r->owner)->plan;
    g_autofree char *full = node_key(node, key);
    VknnTensor *t = g_hash_table_lookup(p->node_scratch, full);
    if (t)
        return t;
    t = vknn_net_scratch(r, shape, err);
    if (t)
        g_hash_table_insert(p->node_scratch, g_steal_pointer(&full), t);
    return t;
}

static gboolean workspace_is_half(int slot)
{
    return slot == VKNN_WORKSPACE_A_F16 || slot == VKNN_WORKSPACE_B_F16;
}

static VknnTensor *net_workspace(VknnRecord *r, int slot, int64_t texels, GError **err)
{
    g_assert(slot >= 0 && slot < VKNN_WORKSPACE_SLOTS);
    Plan *p = ((VknnNet *)r->owner)->plan;
    const gboolean half = workspace_is_half(slot);
    VknnTensor *t = p->workspace[slot];
    if (t && (int64_t)(t->bytes / (half ? 8 : 16)) >= texels)
        return t;
    /* Grown: the old buffer stays alive (already recorded steps bind it). An
     * fp16 workspace holds 2 texels in the room of one fp32 texel. */
    t = vknn_net_scratch(r, &(VknnShape){2, {half ? (texels + 1) / 2 : texels, 4}}, err);
    if (t && half) {
        vknn_tensor_release_view(r->ctx, t);
        t->view_format = VK_FORMAT_R16G16B16A16_SFLOAT;
        if (!vknn_tensor_make_view(r->ctx, t, err))
            return NULL;
    }
    p->workspace[slot] = t;
    return t;
}

static const VknnRecordStore net_store = {
    .packed = net_packed,
    .scratch = vknn_net_scratch,
    .node_scratch = net_node_scratch,
    .workspace = net_workspace,
};

VknnRecord vknn_net_recording(VknnNet *net, VknnCmd *cmd, const VknnStep *st)
{
    return (VknnRecord){.store = &net_store,
                        .owner = net,
                        .ctx = net->ctx,
                        .cmd = cmd,
                        .model = net->model,
                        .step = st,
                        .precision = net->precision};
}

/* ---- planning ------------------------------------------------------------ */

typedef struct {
    VkDeviceSize offset, size;
} Block;

/* Best-fit allocator over a growing arena, with coalescing frees. */
typedef struct {
    GArray *free; /* Block, sorted by offset */
    VkDeviceSize end, align;
} Arena;

static VkDeviceSize arena_alloc(Arena *a, VkDeviceSize size)
{
    size = (size + a->align - 1) / a->align * a->align;
    int best = -1;
    for (guint i = 0; i < a->free->len; i++) {
        const Block *b = &g_array_index(a->free, Block, i);
        if (b->size >= size && (best < 0 || b->size < g_array_index(a->free, Block, best).size))
            best = (int)i;
    }
    if (best < 0) {
        /* Grow; a free block at the very end is extended rather than wasted. */
        if (a->free->len) {
            Block *last = &g_array_index(a->free, Block, a->free->len - 1);
            if (last->offset + last->size == a->end) {
                const VkDeviceSize off = last->offset;
                a->end = off + size;
                g_array_remove_index(a->free, a->free->len - 1);
                return off;
            }
        }
        const VkDeviceSize off = a->end;
        a->end += size;
        return off;
    }
    Block *b = &g_array_index(a->free, Block, best);
    const VkDeviceSize off = b->offset;
    b->offset += size;
    b->size -= size;
    if (b->size == 0)
        g_array_remove_index(a->free, best);
    return off;
}

static void arena_release(Arena *a, VkDeviceSize offset, VkDeviceSize size)
{
    size = (size + a->align - 1) / a->align * a->align;
    guint i = 0;
    while (i < a->free->len && g_array_index(a->free, Block, i).offset < offset)
        i++;
    Block nb = {offset, size};
    g_array_insert_val(a->free, i, nb);
    if (i + 1 < a->free->len) {
        Block *cur = &g_array_index(a->free, Block, i), *next = cur + 1;
        if (cur->offset + cur->size == next->offset) {
            cur->size += next->size;
            g_array_remove_index(a->free, i + 1);
        }
    }
    if (i > 0) {
        Block *prev = &g_array_index(a->free, Block, i - 1), *cur = prev + 1;
        if (prev->offset + prev->size == cur->offset) {
            prev->size += cur->size;
            g_array_remove_index(a->free, i);
        }
    }
}

static gboolean same_layout(const VknnTensor *a, const VknnTensor *b)
{
    return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w;
}

/* Moves value v, and every value sharing its storage, into storage root at
 * byte offset `at`. */
static void reroot(Plan *p, VkDeviceSize *sub, int v, int root, VkDeviceSize at)
{
    for (guint u = 0; u < p->n_values; u++)
        if (p->root[u] == v) {
            p->root[u] = root;
            sub[u] += at;
        }
}

/* Whether a channel concat's input k can be written in place at byte
 * offset `at` of the output: made by a kernel of its own (not a graph input,
 * constant, view or other elided concat), read once by this concat, its
 * slice contiguous and aligned, and channel lanes not shared with the next
 * input. */
static gboolean slice_fits(const VknnNet *net, const Plan *p, const int *producer,
                           const VknnStep *st, int k, VkDeviceSize at)
{
    const int v = st->in[k];
    if (v < 0 || producer[v] < 0 || p->root[v] != v || at % net->ctx->align)
        return FALSE;
    for (int j = 0; j < k; j++)
        if (st->in[j] == v)
            return FALSE;
    return k == st->n_in - 1 || p->tensors[v].c % 4 == 0;
}

/* A channel Concat of batch-1 tensors costs a copy of every input
 * (SqueezeNet: 16% of its forward time on lavapipe). Channel-packed slices
 * [c4][h][w] of such a tensor are contiguous, so each input's producer can
 * write straight into its slice instead, and the step is elided. */
static void elide_concats(VknnNet *net, Plan *p, VkDeviceSize *sub)
{
    const VknnModel *m = net->model;
    int *producer = g_new(int, p->n_values);
    for (guint v = 0; v < p->n_values; v++)
        producer[v] = -1;
    for (guint s = 0; s < p->steps->len; s++) {
        VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        const int y = st->out[0];
        gboolean fits = st->kernel->stacks_channels && y >= 0 && p->tensors[y].n == 1 &&
                        st->kernel->stacks_channels(m, st->node);
        VkDeviceSize at = 0;
        for (int k = 0; fits && k < st->n_in; k++) {
            fits = slice_fits(net, p, producer, st, k, at);
            at += p->tensors[st->in[k]].bytes;
        }
        if (fits) {
            at = 0;
            for (int k = 0; k < st->n_in; k++) {
                const int v = st->in[k];
                const VkDeviceSize bytes = p->tensors[v].bytes;
                reroot(p, sub, v, y, at);
                at += bytes;
            }
            st->elided = TRUE;
        } else if (!st->node->schema->is_view) {
            for (int k = 0; k < st->n_out; k++)
                if (st->out[k] >= 0)
                    producer[st->out[k]] = (int)s;
        }
    }
    g_free(producer);
}

/* Elementwise steps whose input dies there write over it (an instance
 * norm at the full resolution of a style network: one 32-channel frame
 * less at the peak). Graph inputs are never overwritten: callers may run
 * again without uploading them. */
static void share_in_place(VknnNet *net, Plan *p, int *last_use, VkDeviceSize *sub)
{
    for (guint s = 0; s < p->steps->len; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        const int x = st->in[0], y = st->out[0];
        if (!st->kernel->in_place || st->elided || x < 0 || y < 0 || p->root[y] != y)
            continue;
        const int r = p->root[x];
        if (last_use[r] != (int)s || sub[x] || p->tensors[r].bytes != p->tensors[y].bytes ||
            !same_layout(&p->tensors[x], &p->tensors[y]) ||
            vknn_model_value(net->model, r)->kind == VKNN_VALUE_INPUT)
            continue;
        reroot(p, sub, y, r, 0);
        last_use[r] = MAX(last_use[y], (int)s);
    }
}

/* Decides which values get storage, which alias another (views, slices of
 * a concat, in-place results), and how long each storage lives; then
 * places storage in one arena. */
static void assign_memory(VknnNet *net, Plan *p)
{
    const VknnModel *m = net->model;
    const guint nv = m->values->len, ns = p->steps->len;
    int *last_use = g_new(int, nv);
    VkDeviceSize *sub = g_new0(VkDeviceSize, nv); /* offset within the root's storage */
    gboolean *placed = g_new0(gboolean, nv);
    for (guint v = 0; v < nv; v++) {
        p->root[v] = (int)v;
        last_use[v] = -1;
        const VknnValue *val = vknn_model_value(m, v);
        vknn_tensor_set_shape(&p->tensors[v], &val->shape);
        p->materialised[v] = val->kind == VKNN_VALUE_INPUT;
    }
    for (guint s = 0; s < ns; s++) {
        VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        for (int k = 0; k < st->n_out; k++)
            if (st->out[k] >= 0)
                p->materialised[st->out[k]] = TRUE;
        const int in0 = st->in[0];
        if (st->node->schema->is_view && in0 >= 0 && p->materialised[in0] &&
            same_layout(&p->tensors[in0], &p->tensors[st->out[0]]))
            p->root[st->out[0]] = p->root[in0];
    }
    for (guint v = 0; v < nv; v++)
        if (p->materialised[v] && p->root[v] == (int)v)
            p->naive_bytes += p->tensors[v].bytes; /* every non-view value in a buffer of its own */
    elide_concats(net, p, sub);
    for (guint s = 0; s < ns; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        for (int k = 0; k < st->n_in; k++)
            if (st->in[k] >= 0)
                last_use[p->root[st->in[k]]] = (int)s;
    }
    /* The backward pass reads the forward activations after the run. */
    const gboolean retain_all = vknn_net_wants_grads(net);
    for (guint v = 0; v < nv; v++)
        if (vknn_model_value(m, v)->is_output || net->kept[v] || retain_all)
            last_use[p->root[v]] = G_MAXINT;
    share_in_place(net, p, last_use, sub);

    Arena a = {.free = g_array_new(FALSE, FALSE, sizeof(Block)), .align = net->ctx->align};
    for (guint i = 0; i < m->inputs->len; i++) {
        const int v = g_array_index(m->inputs, int, i);
        p->tensors[v].offset = arena_alloc(&a, p->tensors[v].bytes);
        placed[v] = TRUE;
    }
    for (guint s = 0; s < ns; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        for (int k = 0; k < st->n_out; k++) {
            /* Storage is placed when the first value in it is produced. */
            const int v = st->out[k] >= 0 ? p->root[st->out[k]] : -1;
            if (v >= 0 && !placed[v]) {
                p->tensors[v].offset = arena_alloc(&a, p->tensors[v].bytes);
                placed[v] = TRUE;
                if (last_use[v] < 0)
                    last_use[v] = (int)s; /* never read: free right away */
            }
        }
        for (guint v = 0; v < nv; v++)
            if (p->materialised[v] && p->root[v] == (int)v && last_use[v] == (int)s)
                arena_release(&a, p->tensors[v].offset, p->tensors[v].bytes);
    }
    for (guint v = 0; v < nv; v++)
        if (p->materialised[v])
            p->tensors[v].offset = p->tensors[p->root[v]].offset + sub[v];
    p->arena_bytes = a.end;
    g_array_unref(a.free);
    g_free(last_use);
    g_free(sub);
    g_free(placed);
}

/* What step s's record() gets; FALSE when it has nothing to compute. */
static gboolean step_record(VknnNet *net, VknnCmd *cmd, guint s, VknnRecord *r)
{
    const Plan *p = net->plan;
    const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
    if (st->elided || (st->node->schema->is_view && p->root[st->out[0]] != st->out[0]))
        return FALSE; /* aliased */
    *r = vknn_net_recording(net, cmd, st);
    for (int k = 0; k < st->n_in; k++) {
        const int v = st->in[k];
        const gboolean host = (st->node->schema->host_inputs >> k) & 1;
        r->in[k] = v >= 0 && !host && p->materialised[v] ? &p->tensors[v] : NULL;
    }
    for (int k = 0; k < st->n_out; k++)
        r->out[k] = st->out[k] >= 0 ? &p->tensors[st->out[k]] : NULL;
    return TRUE;
}

/* Allocates the shared workspace once, at planning (so that a size the
 * device cannot hold fails in prepare), at the largest size any step needs. */
static gboolean size_workspace(VknnNet *net, GError **err)
{
    int64_t texels[VKNN_WORKSPACE_SLOTS] = {0};
    VknnRecord r;
    for (guint s = 0; s < net->plan->steps->len; s++)
        if (step_record(net, NULL, s, &r) && r.step->kernel->workspace)
            r.step->kernel->workspace(&r, texels);
    VknnRecord owner = vknn_net_recording(net, NULL, NULL);
    for (int i = 0; i < VKNN_WORKSPACE_SLOTS; i++)
        if (texels[i] && !net_workspace(&owner, i, texels[i], err))
            return FALSE;
    return TRUE;
}

gboolean vknn_net_record(VknnNet *net, VknnCmd *cmd, GError **err)
{
    Plan *p = net->plan;
    const int before = vknn_cmd_dispatch_count(cmd);
    for (guint s = 0; s < p->steps->len; s++) {
        VknnRecord r;
        if (!step_record(net, cmd, s, &r))
            continue;
        if (cmd == p->cmd)
            vknn_step_clock_mark(&p->clock, cmd, s);
        if (!r.step->kernel->record(&r, err))
            return FALSE;
    }
    if (cmd == p->cmd)
        vknn_step_clock_mark(&p->clock, cmd, G_MAXUINT);
    p->dispatches = vknn_cmd_dispatch_count(cmd) - before;
    return TRUE;
}

void vknn_net_note_run(VknnNet *net)
{
    if (net->plan)
        net->plan->ran = TRUE;
}

void vknn_net_set_precision(VknnNet *net, VknnPrecision precision)
{
    if (net->precision != precision)
        vknn_net_invalidate_plan(net);
    net->precision = precision;
}

VknnPrecision vknn_net_get_precision(const VknnNet *net)
{
    return net->precision;
}

void vknn_net_set_profiling(VknnNet *net, gboolean enable)
{
    if (net->profiling != enable)
        vknn_net_invalidate_plan(net);
    net->profiling = enable;
}

/* A pool of `count` timestamps, made on the first call (a failed recording
 * leaves it for the next attempt) and reset in cmd. */
static gboolean reset_timestamps(VknnContext *ctx, VknnCmd *cmd, uint32_t count, VkQueryPool *pool,
                                 GError **err)
{
    VkQueryPoolCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = count,
    };
    if (!*pool)
        VKNN_CHECK(vkCreateQueryPool(ctx->device, &ci, NULL, pool), "vkCreateQueryPool");
    vknn_cmd_reset_queries(cmd, *pool, count);
    return TRUE;
fail:
    return FALSE;
}

/* Milliseconds between two timestamps. */
static double ticks_ms(const VknnContext *ctx, uint64_t from, uint64_t to)
{
    return (double)(to - from) * ctx->props.limits.timestampPeriod / 1e6;
}

gboolean vknn_step_clock_start(VknnNet *net, StepClock *c, guint n, VknnCmd *cmd, GError **err)
{
    if (!net->profiling || !net->ctx->props.limits.timestampComputeAndGraphics)
        return TRUE; /* vknn_net_profile() reports it */
    if (!reset_timestamps(net->ctx, cmd, n + 1, &c->pool, err))
        return FALSE;
    if (c->steps)
        g_array_set_size(c->steps, 0);
    else
        c->steps = g_array_new(FALSE, FALSE, sizeof(guint));
    c->capacity = n + 1;
    return TRUE;
}

void vknn_step_clock_mark(StepClock *c, VknnCmd *cmd, guint step)
{
    if (!c->pool || c->steps->len >= c->capacity)
        return;
    vknn_cmd_timestamp(cmd, c->pool, c->steps->len);
    g_array_append_val(c->steps, step);
}

GArray *vknn_step_clock_read(VknnNet *net, const StepClock *c, GError **err)
{
    if (!net->profiling || !c->pool || c->steps->len < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    !net->profiling ? "profiling is off (vknn_net_set_profiling before prepare)"
                    : !c->pool      ? "no run to profile yet, or the device has no timestamps"
                                    : "nothing was timed");
        return NULL;
    }
    const guint n = c->steps->len - 1;
    g_autofree uint64_t *ticks = g_new(uint64_t, n + 1);
    VKNN_CHECK(vkGetQueryPoolResults(net->ctx->device, c->pool, 0, n + 1,
                                     sizeof(uint64_t) * (n + 1), ticks, sizeof(uint64_t),
                                     VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
               "vkGetQueryPoolResults");
    GArray *times = g_array_sized_new(FALSE, FALSE, sizeof(VknnStepTime), n);
    for (guint i = 0; i < n; i++) {
        const VknnStep *st =
            &g_array_index(net->plan->steps, VknnStep, g_array_index(c->steps, guint, i));
        VknnStepTime t = {st->node->name, st->node->op_type,
                          ticks_ms(net->ctx, ticks[i], ticks[i + 1])};
        g_array_append_val(times, t);
    }
    return times;
fail:
    return NULL;
}

void vknn_step_clock_clear(VknnContext *ctx, StepClock *c)
{
    if (c->pool)
        vkDestroyQueryPool(ctx->device, c->pool, NULL);
    if (c->steps)
        g_array_unref(c->steps);
    memset(c, 0, sizeof *c);
}

GArray *vknn_net_profile(VknnNet *net, GError **err)
{
    if (!net->plan || !net->plan->cmd) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no run to profile yet");
        return NULL;
    }
    return vknn_step_clock_read(net, &net->plan->clock, err);
}

/* Timestamps around the network of a run (vknn_net_last_device_ms), on
 * devices that have them: nothing is added between steps. */
static gboolean start_run_clock(VknnNet *net, Plan *p, GError **err)
{
    if (!net->ctx->props.limits.timestampComputeAndGraphics)
        return TRUE;
    if (!reset_timestamps(net->ctx, p->cmd, 2, &p->run_clock, err))
        return FALSE;
    vknn_cmd_timestamp(p->cmd, p->run_clock, 0);
    return TRUE;
}

/* The command buffer of vknn_net_run: input uploads, then the network. */
static gboolean record_run(VknnNet *net, Plan *p, GError **err)
{
    const VknnModel *m = net->model;
    p->cmd = vknn_cmd_new(net->ctx, err);
    if (!p->cmd)
        return FALSE;
    for (guint i = 0; i < m->inputs->len; i++) {
        const VknnTensor *t = &p->tensors[g_array_index(m->inputs, int, i)];
        VknnBuffer *staging = vknn_buffer_new(net->ctx, t->bytes, VKNN_MEM_UPLOAD, err);
        if (!staging)
            return FALSE;
        g_ptr_array_add(p->staging, staging);
        vknn_cmd_copy(p->cmd, staging, 0, t->buffer, t->offset, t->bytes);
    }
    if (!vknn_step_clock_start(net, &p->clock, p->steps->len, p->cmd, err) ||
        !start_run_clock(net, p, err) || !vknn_net_record(net, p->cmd, err))
        return FALSE;
    if (p->run_clock)
        vknn_cmd_timestamp(p->cmd, p->run_clock, 1);
    return vknn_cmd_end(p->cmd, err);
}

double vknn_net_last_device_ms(VknnNet *net)
{
    const Plan *p = net->plan;
    uint64_t ticks[2];
    if (!p || !p->ran || !p->run_clock ||
        vkGetQueryPoolResults(net->ctx->device, p->run_clock, 0, 2, sizeof ticks, ticks,
                              sizeof ticks[0], VK_QUERY_RESULT_64_BIT) != VK_SUCCESS)
        return -1;
    return ticks_ms(net->ctx, ticks[0], ticks[1]);
}

VknnTensor *vknn_net_tensor(VknnNet *net, const char *name)
{
    const int v = vknn_model_find_value(net->model, name);
    if (v < 0 || !net->plan || !net->plan->materialised[v])
        return NULL;
    return &net->plan->tensors[v];
}

/* Bytes of the model's constants: the weights the plan will pack (an
 * estimate: packing pads channels to multiples of 4). */
static uint64_t constant_bytes(const VknnModel *m)
{
    uint64_t bytes = 0;
    for (guint v = 0; v < m->values->len; v++) {
        const VknnValue *value = vknn_model_value(m, v);
        if (value->kind == VKNN_VALUE_CONSTANT)
            bytes += 4 * (uint64_t)vknn_shape_numel(&value->shape);
    }
    return bytes;
}

/* Refuses a plan the device cannot hold before anything is allocated for
 * it: a tensor beyond the buffer limits, or activations, gradients and
 * weights beyond the memory budget (a 20000x20000 input would otherwise
 * reserve gigabytes before failing). */
static gboolean plan_fits(VknnNet *net, const Plan *p, GError **err)
{
    for (guint v = 0; v < p->n_values; v++)
        if (p->materialised[v] && !vknn_tensor_fits(net->ctx, &p->tensors[v], err))
            return FALSE;
    if (!vknn_backward_fits(net->ctx, p, err))
        return FALSE;
    const uint64_t weights = constant_bytes(net->model), grads = vknn_backward_bytes(p);
    const uint64_t need = p->arena_bytes + grads + weights;
    const uint64_t budget = net->ctx->memory_budget;
    if (!budget || need <= budget)
        return TRUE;
    const VknnModel *m = net->model;
    char s[64] = "?";
    if (m->inputs->len)
        vknn_shape_str(&vknn_model_value(m, g_array_index(m->inputs, int, 0))->shape, s, sizeof s);
    g_set_error(err, VKNN_ERROR, VKNN_ERROR_DEVICE_LIMIT,
                "the network at input %s needs about %.1f MiB of device memory (activations "
                "%.1f MiB, gradients %.1f MiB, weights %.1f MiB); the budget is %.1f MiB (the "
                "device's largest heap, or less by VKNN_MAX_MEMORY or max-memory): use a "
                "smaller size",
                s, need / 1048576.0, p->arena_bytes / 1048576.0, grads / 1048576.0,
                weights / 1048576.0, budget / 1048576.0);
    return FALSE;
}

static gboolean build_plan(VknnNet *net, Plan *p, GError **err)
{
    const VknnModel *m = net->model;
    const guint nv = m->values->len;
    gboolean *pinned = g_new0(gboolean, nv);
    for (guint v = 0; v < nv; v++)
        pinned[v] = net->kept[v] || net->grad_wanted[v] || vknn_model_value(m, v)->is_output;
    p->steps = vknn_lower(m, pinned, vknn_net_wants_grads(net));
    g_free(pinned);
    assign_memory(net, p);
    /* The backward plan is laid out first so that its gradients count in
     * the budget. */
    if ((vknn_net_wants_grads(net) && !vknn_backward_plan(net, p, err)) || !plan_fits(net, p, err))
        return FALSE;

    p->arena = vknn_buffer_new(net->ctx, MAX(p->arena_bytes, 16), VKNN_MEM_DEVICE, err);
    if (!p->arena)
        return FALSE;
    for (guint v = 0; v < nv; v++) {
        if (!p->materialised[v])
            continue;
        p->tensors[v].buffer = p->arena;
        if (!vknn_tensor_make_view(net->ctx, &p->tensors[v], err))
            return FALSE;
    }
    return size_workspace(net, err) && (!p->backward || vknn_backward_allocate(net, p, err));
}

/* Values added to the model after the net was made (a styler keeps a
 * multi-style network's style 0 as extra constants) are neither kept nor
 * differentiated. */
void vknn_net_follow_model(VknnNet *net)
{
    const guint n = net->model->values->len;
    if (n <= net->n_values)
        return;
    vknn_net_invalidate_plan(net);
    net->kept = g_renew(gboolean, net->kept, n);
    net->grad_wanted = g_renew(gboolean, net->grad_wanted, n);
    for (guint v = net->n_values; v < n; v++)
        net->kept[v] = net->grad_wanted[v] = FALSE;
    net->n_values = n;
}

gboolean vknn_net_prepare(VknnNet *net, const VknnShape *shapes, GError **err)
{
    vknn_net_follow_model(net);
    const guint n_in = net->model->inputs->len;
    /* The model's shapes are this net's unless they were inferred since for
     * another input (two nets on one model, the reference executor). */
    gboolean same = net->shapes != NULL && net->shape_generation == net->model->shape_generation;
    for (guint i = 0; same && i < n_in; i++)
        same = vknn_shape_equal(&net->shapes[i], &shapes[i]);
    if (same)
        return TRUE;
    vknn_net_invalidate_plan(net);
    if (!vknn_model_infer_shapes(net->model, shapes, err))
        return FALSE;
    net->shape_generation = net->model->shape_generation;
    const guint nv = net->model->values->len;
    Plan *p = g_new0(Plan, 1);
    p->tensors = g_new0(VknnTensor, nv);
    p->n_values = nv;
    p->materialised = g_new0(gboolean, nv);
    p->root = g_new0(int, nv);
    p->scratch = g_ptr_array_new();
    p->node_scratch = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    p->staging = g_ptr_array_new();
    net->plan = p;
    if (!build_plan(net, p, err)) {
        vknn_net_invalidate_plan(net);
        return FALSE;
    }
    net->shapes = g_memdup2(shapes, sizeof(VknnShape) * n_in);
    return TRUE;
}

gboolean vknn_net_run(VknnNet *net, const float *const *inputs, GError **err)
{
    Plan *p = net->plan;
    if (!p) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "vknn_net_run: call vknn_net_prepare first");
        return FALSE;
    }
    if (!p->cmd && !record_run(net, p, err)) {
        vknn_cmd_free(&p->cmd);
        return FALSE;
    }
    for (guint i = 0; i < net->model->inputs->len; i++) {
        const VknnTensor *t = &p->tensors[g_array_index(net->model->inputs, int, i)];
        vknn_pack_c4(t, inputs[i], ((VknnBuffer *)g_ptr_array_index(p->staging, i))->mapped);
    }
    p->ran = vknn_cmd_submit_wait(p->cmd, err);
    return p->ran;
}

const VknnShape *vknn_net_shape(VknnNet *net, const char *name)
{
    const int v = vknn_model_find_value(net->model, name);
    return v >= 0 && net->plan ? &vknn_model_value(net->model, v)->shape : NULL;
}

gboolean vknn_net_read(VknnNet *net, const char *name, float *out, GError **err)
{
    const int v = vknn_model_find_value(net->model, name);
    if (v < 0 || !net->plan) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no tensor '%s' in the prepared net", name);
        return FALSE;
    }
    if (!vknn_model_value(net->model, v)->is_output && !net->kept[v]) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "tensor '%s' was not kept: call vknn_net_keep() before vknn_net_prepare()",
                    name);
        return FALSE;
    }
    const VknnTensor *t = &net->plan->tensors[v];
    g_autofree float *packed = g_malloc(t->bytes);
    if (!vknn_download(net->ctx, t->buffer, t->offset, packed, t->bytes, err))
        return FALSE;
    vknn_unpack_c4(t, packed, out);
    return TRUE;
}

void vknn_net_memory(const VknnNet *net, VknnNetMemory *out)
{
    memset(out, 0, sizeof *out);
    out->weight_bytes = net->weight_bytes;
    const Plan *p = net->plan;
    if (!p)
        return;
    out->activation_bytes = p->arena_bytes;
    out->naive_activation_bytes = p->naive_bytes;
    for (guint i = 0; i < p->scratch->len; i++)
        out->activation_bytes += ((OwnedTensor *)g_ptr_array_index(p->scratch, i))->tensor.bytes;
    out->dispatches = p->dispatches;
}
