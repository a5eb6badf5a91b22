/* Backward pass of the graph executor: vector-Jacobian products of the
 * planned steps, in reverse order, reading the activations of the last
 * forward run (the plan keeps them all while gradients are requested).
 *
 * Gradients flow only along paths from a requested value to the grad
 * output. A value read by several steps receives one contribution per read,
 * each written to its own tensor and summed once the last one is recorded,
 * so no kernel has to accumulate in place. */
#include "exec/net-private.h"

#include <string.h>

struct VknnBackward {
    guint n_values;
    GArray *outputs;      /* int: the values seeded by vknn_net_backward */
    gboolean *needs;      /* per value: its gradient is computed */
    gboolean *has_tensor; /* per value: grads[v] is allocated */
    VknnTensor *grads;    /* per value */
    int *contributions;   /* per value: gradient contributions from its readers */
    int *slice_of;        /* per value: grads[v] is a slice of grads[slice_of[v]], or -1 */
    VknnBuffer *arena;
    uint64_t arena_bytes; /* the gradients' storage, known before it is allocated */
    GPtrArray *seeds;     /* VknnBuffer*: staging of each output's seed */
    StepClock clock;      /* profiling */
    VknnCmd *cmd;         /* seed uploads + backward, recorded at the first vknn_net_backward */
};

gboolean vknn_net_wants_grads(const VknnNet *net)
{
    for (guint v = 0; v < net->n_values; v++)
        if (net->grad_wanted[v])
            return TRUE;
    return FALSE;
}

void vknn_backward_free(VknnContext *ctx, VknnBackward *b)
{
    if (!b)
        return;
    vknn_cmd_free(&b->cmd);
    vknn_step_clock_clear(ctx, &b->clock);
    for (guint v = 0; b->grads && v < b->n_values; v++)
        vknn_tensor_release_view(ctx, &b->grads[v]);
    for (guint i = 0; b->seeds && i < b->seeds->len; i++) {
        VknnBuffer *seed = g_ptr_array_index(b->seeds, i);
        vknn_buffer_free(ctx, &seed);
    }
    if (b->seeds)
        g_ptr_array_unref(b->seeds);
    if (b->outputs)
        g_array_unref(b->outputs);
    g_free(b->needs);
    g_free(b->contributions);
    g_free(b->slice_of);
    g_free(b->has_tensor);
    g_free(b->grads);
    vknn_buffer_free(ctx, &b->arena);
    g_free(b);
}

/* ---- public API ------------------------------------------------------------ */

/* Whether constant v is a trainable parameter the device differentiates
 * with respect to: a Conv's weight or bias, an InstanceNormalization's scale
 * or bias. */
static gboolean is_trainable(const VknnModel *m, int v)
{
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *n = vknn_model_node(m, i);
        if ((vknn_node_op(n) == VKNN_OP_Conv || vknn_node_op(n) == VKNN_OP_InstanceNormalization) &&
            ((n->n_inputs > 1 && n->inputs[1] == v) || (n->n_inputs > 2 && n->inputs[2] == v)))
            return TRUE;
    }
    return FALSE;
}

gboolean vknn_net_request_grad(VknnNet *net, const char *name, GError **err)
{
    vknn_net_follow_model(net);
    const int v = vknn_model_find_value(net->model, name);
    if (v < 0) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "no tensor named '%s' in the model (vknn info lists them)", name);
        return FALSE;
    }
    if (vknn_model_value(net->model, v)->kind == VKNN_VALUE_CONSTANT &&
        !is_trainable(net->model, v)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "'%s' is a constant that is not a Conv weight or bias or an "
                    "InstanceNormalization scale or bias: no gradient",
                    name);
        return FALSE;
    }
    if (!net->grad_wanted[v]) {
        net->grad_wanted[v] = TRUE;
        vknn_net_invalidate_plan(net);
    }
    return TRUE;
}

gboolean vknn_net_set_grad_outputs(VknnNet *net, const char *const *names, int n, GError **err)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));
    for (int i = 0; i < n; i++) {
        const int v = vknn_model_find_value(net->model, names[i]);
        if (v < 0 || vknn_model_value(net->model, v)->kind == VKNN_VALUE_CONSTANT) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                        "no tensor named '%s' in the model (vknn info lists them)", names[i]);
            return FALSE;
        }
        g_array_append_val(ids, v);
    }
    if (net->grad_outputs)
        g_array_unref(net->grad_outputs);
    net->grad_outputs = g_steal_pointer(&ids);
    vknn_net_invalidate_plan(net);
    return TRUE;
}

gboolean vknn_net_set_grad_output(VknnNet *net, const char *name, GError **err)
{
    return vknn_net_set_grad_outputs(net, &name, 1, err);
}

void vknn_net_set_grad_mode(VknnNet *net, VknnGradMode mode)
{
    if (net->grad_mode != mode)
        vknn_net_invalidate_plan(net);
    net->grad_mode = mode;
}

/* ---- planning ---------------------------------------------------------------- */

static gboolean input_is_host(const VknnStep *st, int k)
{
    return (st->node->schema->host_inputs >> k) & 1;
}

/* Marks needs[v]: v depends on a requested value and the grad output
 * depends on v. */
static void find_paths(const VknnNet *net, const Plan *p, VknnBackward *b)
{
    const guint nv = net->model->values->len, ns = p->steps->len;
    g_autofree gboolean *dep = g_memdup2(net->grad_wanted, sizeof(gboolean) * nv);
    g_autofree gboolean *feeds = g_new0(gboolean, nv);
    for (guint s = 0; s < ns; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        gboolean any = FALSE;
        for (int k = 0; k < st->n_in; k++)
            any |= st->in[k] >= 0 && !input_is_host(st, k) && dep[st->in[k]];
        for (int k = 0; any && k < st->n_out; k++)
            if (st->out[k] >= 0)
                dep[st->out[k]] = TRUE;
    }
    for (guint i = 0; i < b->outputs->len; i++)
        feeds[g_array_index(b->outputs, int, i)] = TRUE;
    for (guint s = ns; s-- > 0;) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        gboolean any = FALSE;
        for (int k = 0; k < st->n_out; k++)
            any |= st->out[k] >= 0 && feeds[st->out[k]];
        for (int k = 0; any && k < st->n_in; k++)
            if (st->in[k] >= 0 && !input_is_host(st, k))
                feeds[st->in[k]] = TRUE;
    }
    for (guint v = 0; v < nv; v++)
        b->needs[v] = dep[v] && feeds[v];
}

/* Whether step st takes part: a gradient reaches an output and is needed
 * for an input. */
static gboolean step_active(const VknnBackward *b, const VknnStep *st)
{
    gboolean out = FALSE, in = FALSE;
    for (int k = 0; k < st->n_out; k++)
        out |= st->out[k] >= 0 && b->needs[st->out[k]];
    for (int k = 0; k < st->n_in; k++)
        in |= st->in[k] >= 0 && !input_is_host(st, k) && b->needs[st->in[k]];
    return out && in;
}

/* Gradient tensors: activations in their own shape, constants as
 * [1, dims[0], rest, 1] (see VknnGradRecord). */
static void grad_shape(const VknnValue *val, VknnShape *s)
{
    *s = val->shape;
    if (val->kind != VKNN_VALUE_CONSTANT || s->rank == 0)
        return;
    const int64_t numel = vknn_shape_numel(s);
    *s = (VknnShape){4, {1, s->dims[0], s->dims[0] ? numel / s->dims[0] : 0, 1}};
}

/* The forward pass writes the inputs of an elided Concat in place, as
 * slices of its output; the gradient of each such input is then the same
 * slice of the output's gradient, so the Concat's backward has nothing to
 * copy (SqueezeNet's fire modules: 8 copies). Only where the Concat is the
 * sole reader of every input that needs a gradient. */
static void find_grad_slices(const Plan *p, VknnBackward *b)
{
    for (guint s = 0; s < p->steps->len; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        const int y = st->out[0];
        if (!st->elided || !b->needs[y])
            continue;
        gboolean all = TRUE;
        for (int k = 0; k < st->n_in; k++) {
            const int v = st->in[k];
            if (v >= 0 && b->needs[v])
                all = all && b->contributions[v] == 1 && p->root[v] == p->root[y];
        }
        for (int k = 0; all && k < st->n_in; k++)
            if (st->in[k] >= 0 && b->needs[st->in[k]])
                b->slice_of[st->in[k]] = y;
    }
}

/* Whether every input gradient of step st is a slice of its output's. */
static gboolean grads_are_slices(const VknnBackward *b, const VknnStep *st)
{
    gboolean any = FALSE;
    for (int k = 0; k < st->n_in; k++) {
        const int v = st->in[k];
        if (v >= 0 && b->needs[v]) {
            if (b->slice_of[v] != st->out[0])
                return FALSE;
            any = TRUE;
        }
    }
    return any;
}

/* Places the gradient tensors in one arena (offsets and its size only:
 * the budget check comes before any allocation). */
static void layout_grads(VknnNet *net, const Plan *p, VknnBackward *b)
{
    const VknnModel *m = net->model;
    const guint nv = m->values->len;
    VkDeviceSize end = 0;
    for (guint v = 0; v < nv; v++) {
        b->has_tensor[v] = b->needs[v] || net->grad_wanted[v];
        if (!b->has_tensor[v])
            continue;
        VknnShape s;
        grad_shape(vknn_model_value(m, v), &s);
        vknn_tensor_set_shape(&b->grads[v], &s);
        if (b->slice_of[v] >= 0)
            continue;
        b->grads[v].offset = end;
        end += (b->grads[v].bytes + net->ctx->align - 1) / net->ctx->align * net->ctx->align;
    }
    for (guint v = 0; v < nv; v++) {
        const int y = b->slice_of[v];
        if (y >= 0) /* where the forward pass put v within y */
            b->grads[v].offset = b->grads[y].offset + (p->tensors[v].offset - p->tensors[y].offset);
    }
    b->arena_bytes = MAX(end, 16);
}

uint64_t vknn_backward_bytes(const Plan *p)
{
    return p->backward ? p->backward->arena_bytes : 0;
}

gboolean vknn_backward_fits(const VknnContext *ctx, const Plan *p, GError **err)
{
    const VknnBackward *b = p->backward;
    for (guint v = 0; b && v < b->n_values; v++)
        if (b->has_tensor[v] && !vknn_tensor_fits(ctx, &b->grads[v], err))
            return FALSE;
    return TRUE;
}

gboolean vknn_backward_allocate(VknnNet *net, Plan *p, GError **err)
{
    VknnBackward *b = p->backward;
    b->arena = vknn_buffer_new(net->ctx, b->arena_bytes, VKNN_MEM_DEVICE, err);
    if (!b->arena)
        return FALSE;
    for (guint v = 0; v < b->n_values; v++) {
        if (!b->has_tensor[v])
            continue;
        b->grads[v].buffer = b->arena;
        if (!vknn_tensor_make_view(net->ctx, &b->grads[v], err))
            return FALSE;
    }
    return TRUE;
}

gboolean vknn_backward_plan(VknnNet *net, Plan *p, GError **err)
{
    const VknnModel *m = net->model;
    const guint nv = m->values->len;
    VknnBackward *b = g_new0(VknnBackward, 1);
    p->backward = b;
    b->n_values = nv;
    b->needs = g_new0(gboolean, nv);
    b->has_tensor = g_new0(gboolean, nv);
    b->grads = g_new0(VknnTensor, nv);
    b->contributions = g_new0(int, nv);
    b->slice_of = g_new(int, nv);
    for (guint v = 0; v < nv; v++)
        b->slice_of[v] = -1;
    b->seeds = g_ptr_array_new();
    if (net->grad_outputs) {
        b->outputs = g_array_ref(net->grad_outputs);
    } else {
        b->outputs = g_array_new(FALSE, FALSE, sizeof(int));
        g_array_append_val(b->outputs, g_array_index(m->outputs, int, 0));
    }
    for (guint i = 0; i < b->outputs->len; i++) {
        const int o = g_array_index(b->outputs, int, i);
        if (!p->materialised[o]) {
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "grad output '%s' is not computed",
                        vknn_model_value(m, o)->name);
            return FALSE;
        }
    }
    find_paths(net, p, b);
    /* A seed is one more contribution to its output's gradient (an output
     * may also feed another output, as VGG's relu1_1 feeds relu2_1). */
    for (guint i = 0; i < b->outputs->len; i++) {
        const int o = g_array_index(b->outputs, int, i);
        b->contributions[o] += b->needs[o];
    }
    for (guint s = 0; s < p->steps->len; s++) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        if (!step_active(b, st))
            continue;
        if (!st->kernel->backward && !st->node->schema->is_view)
            return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, st->node,
                                   "no backward pass on the device");
        for (int k = 0; k < st->n_in; k++)
            if (st->in[k] >= 0 && !input_is_host(st, k) && b->needs[st->in[k]])
                b->contributions[st->in[k]]++;
    }
    find_grad_slices(p, b);
    layout_grads(net, p, b);
    return TRUE;
}

/* ---- recording ---------------------------------------------------------------- */

typedef struct {
    VknnNet *net;
    VknnBackward *b;
    VknnCmd *cmd;
    GPtrArray **pending; /* per value: contributions recorded so far (VknnTensor*) */
} Recording;

static VknnRecord step_record(const Recording *rec, const VknnStep *st)
{
    const Plan *p = rec->net->plan;
    VknnRecord r = vknn_net_recording(rec->net, rec->cmd, st);
    for (int k = 0; k < st->n_in; k++) {
        const int v = st->in[k];
        r.in[k] = v >= 0 && !input_is_host(st, k) && p->materialised[v] ? &p->tensors[v] : NULL;
    }
    for (int k = 0; k < st->n_out; k++)
        r.out[k] = st->out[k] >= 0 ? &p->tensors[st->out[k]] : NULL;
    return r;
}

/* Where the next contribution to v's gradient goes. */
static VknnTensor *contribution_target(Recording *rec, VknnRecord *r, int v, GError **err)
{
    if (rec->b->contributions[v] == 1)
        return &rec->b->grads[v];
    VknnTensor *t = vknn_net_scratch(r, &rec->b->grads[v].shape, err);
    if (t)
        g_ptr_array_add(rec->pending[v], t);
    return t;
}

/* Sums v's contributions into its gradient once all are recorded. */
static gboolean finish_contributions(Recording *rec, VknnRecord *r, int v, GError **err)
{
    GPtrArray *parts = rec->pending[v];
    const int n = rec->b->contributions[v];
    if (n == 1 || (int)parts->len != n)
        return TRUE;
    const VknnTensor *acc = g_ptr_array_index(parts, 0);
    for (int i = 1; i < n; i++) {
        VknnTensor *out =
            i == n - 1 ? &rec->b->grads[v] : vknn_net_scratch(r, &rec->b->grads[v].shape, err);
        if (!out || !vknn_grad_add(r, acc, g_ptr_array_index(parts, i), out, err))
            return FALSE;
        acc = out;
    }
    return TRUE;
}

static gboolean same_layout(const VknnTensor *a, const VknnTensor *b)
{
    return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w;
}

/* A view's input gradient is its output gradient in the input's shape. */
static gboolean view_backward(VknnGradRecord *g, GError **err)
{
    VknnTensor *gx = g->gx[0];
    const VknnTensor *gy = g->gy[0];
    if (same_layout(gx, gy)) {
        vknn_cmd_copy(g->fwd.cmd, gy->buffer, gy->offset, gx->buffer, gx->offset, gx->bytes);
        return TRUE;
    }
    VknnRecord r = g->fwd;
    r.in[0] = (VknnTensor *)gy;
    r.out[0] = gx;
    return r.step->kernel->record(&r, err);
}

static gboolean record_step(Recording *rec, const VknnStep *st, GError **err)
{
    if (st->elided && grads_are_slices(rec->b, st))
        return TRUE; /* the inputs' gradients already are the output's slices */
    VknnGradRecord g = {.fwd = step_record(rec, st), .mode = rec->net->grad_mode};
    for (int k = 0; k < st->n_out; k++)
        if (st->out[k] >= 0 && rec->b->needs[st->out[k]])
            g.gy[k] = &rec->b->grads[st->out[k]];
    if (st->act.act != VKNN_ACT_NONE) {
        VknnTensor *pre = vknn_net_scratch(&g.fwd, &g.gy[0]->shape, err);
        if (!pre ||
            !vknn_activation_backward(&g.fwd, &st->act, g.mode, g.fwd.out[0], g.gy[0], pre, err))
            return FALSE;
        g.gy[0] = pre;
    }
    for (int k = 0; k < st->n_in; k++) {
        const int v = st->in[k];
        if (v < 0 || input_is_host(st, k) || !rec->b->needs[v])
            continue;
        if (!(g.gx[k] = contribution_target(rec, &g.fwd, v, err)))
            return FALSE;
    }
    if (!(st->node->schema->is_view ? view_backward(&g, err) : st->kernel->backward(&g, err)))
        return FALSE;
    for (int k = 0; k < st->n_in; k++)
        if (g.gx[k] && !finish_contributions(rec, &g.fwd, st->in[k], err))
            return FALSE;
    return TRUE;
}

/* Copies each seed from its staging buffer into its output's gradient (or
 * a contribution of it). */
static gboolean record_seeds(Recording *rec, GError **err)
{
    VknnBackward *b = rec->b;
    VknnRecord r = vknn_net_recording(rec->net, rec->cmd, NULL);
    for (guint i = 0; i < b->outputs->len; i++) {
        const int o = g_array_index(b->outputs, int, i);
        const VknnTensor *g = &b->grads[o];
        VknnBuffer *staging = NULL;
        if (b->has_tensor[o])
            staging = vknn_buffer_new(rec->net->ctx, g->bytes, VKNN_MEM_UPLOAD, err);
        g_ptr_array_add(b->seeds, staging);
        if (!b->needs[o])
            continue; /* nothing requested depends on it */
        VknnTensor *t = staging ? contribution_target(rec, &r, o, err) : NULL;
        if (!t)
            return FALSE;
        vknn_cmd_copy(rec->cmd, staging, 0, t->buffer, t->offset, t->bytes);
        if (!finish_contributions(rec, &r, o, err))
            return FALSE;
    }
    return TRUE;
}

/* The seed uploads and the backward pass, recorded once per plan. */
static gboolean record_backward(VknnNet *net, VknnBackward *b, GError **err)
{
    const Plan *p = net->plan;
    const guint nv = net->model->values->len;
    b->cmd = vknn_cmd_new(net->ctx, err);
    if (!b->cmd)
        return FALSE;
    /* Requested gradients that no path reaches are zero. */
    for (guint v = 0; v < nv; v++)
        if (b->has_tensor[v] && !b->needs[v])
            vknn_cmd_fill_zero(b->cmd, b->arena, b->grads[v].offset, b->grads[v].bytes);
    if (!vknn_step_clock_start(net, &b->clock, p->steps->len, b->cmd, err))
        return FALSE;
    Recording rec = {net, b, b->cmd, g_new0(GPtrArray *, nv)};
    for (guint v = 0; v < nv; v++)
        rec.pending[v] = g_ptr_array_new();
    gboolean ok = record_seeds(&rec, err);
    for (guint s = p->steps->len; ok && s-- > 0;) {
        const VknnStep *st = &g_array_index(p->steps, VknnStep, s);
        if (!step_active(b, st))
            continue;
        vknn_step_clock_mark(&b->clock, b->cmd, s);
        ok = record_step(&rec, st, err);
    }
    vknn_step_clock_mark(&b->clock, b->cmd, G_MAXUINT);
    for (guint v = 0; v < nv; v++)
        g_ptr_array_unref(rec.pending[v]);
    g_free(rec.pending);
    return ok && vknn_cmd_end(b->cmd, err);
}

gboolean vknn_net_backward_multi(VknnNet *net, const float *const *seeds, GError **err)
{
    Plan *p = net->plan;
    VknnBackward *b = p ? p->backward : NULL;
    if (!b || !p->ran) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    !b ? "no gradient requested (vknn_net_request_grad before prepare)"
                       : "vknn_net_backward: call vknn_net_run first");
        return FALSE;
    }
    if (!b->cmd && !record_backward(net, b, err)) {
        vknn_cmd_free(&b->cmd);
        return FALSE;
    }
    for (guint i = 0; i < b->outputs->len; i++) {
        VknnBuffer *staging = g_ptr_array_index(b->seeds, i);
        if (staging)
            vknn_pack_c4(&b->grads[g_array_index(b->outputs, int, i)], seeds[i], staging->mapped);
    }
    return vknn_cmd_submit_wait(b->cmd, err);
}

GArray *vknn_net_profile_backward(VknnNet *net, GError **err)
{
    const VknnBackward *b = net->plan ? net->plan->backward : NULL;
    if (!b || !b->cmd) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "no backward pass to profile yet");
        return NULL;
    }
    return vknn_step_clock_read(net, &b->clock, err);
}

gboolean vknn_net_backward(VknnNet *net, const float *seed, GError **err)
{
    return vknn_net_backward_multi(net, &seed, err);
}

gboolean vknn_net_read_grad(VknnNet *net, const char *name, float *out, GError **err)
{
    const int v = vknn_model_find_value(net->model, name);
    const VknnBackward *b = net->plan ? net->plan->backward : NULL;
    if (v < 0 || !b || !net->grad_wanted[v]) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "no gradient of '%s': call vknn_net_request_grad() before vknn_net_prepare()",
                    name);
        return FALSE;
    }
    const VknnTensor *t = &b->grads[v];
    g_autofree float *packed = g_malloc(t->bytes);
    if (!vknn_download(net->ctx, t->buffer, t->offset, packed, t->bytes, err))
        return FALSE;
    vknn_unpack_c4(t, packed, out);
    return TRUE;
}
