/* Temporal stabilisation of a style network's output (see temporal.h). */
#include <stdint.h>
#include "temporal_blend.comp.spv.h"
#include "temporal_gradient.comp.spv.h"
#include "temporal_grey.comp.spv.h"
#include "temporal_lk.comp.spv.h"
#include "apps/frame.h"
#include "apps/temporal.h"

typedef struct {
    int32_t size[2], src_size[2];
} GreyPush;

typedef struct {
    int32_t size[2];
} GradientPush;

typedef struct {
    int32_t size[2], in_size[2];
    int32_t mode;
    float lambda;
} LkPush;

typedef struct {
    int32_t out_size[2], flow_size[2];
    float max_grey_error, max_flow_gradient;
} BlendPush;

enum { LK_START_ZERO, LK_START_UPSAMPLE, LK_CONTINUE };

static const VknnShader grey_shader = VKNN_SHADER(temporal_grey, 1, 1, GreyPush);
static const VknnShader gradient_shader = VKNN_SHADER(temporal_gradient, 1, 1, GradientPush);
static const VknnShader lk_shader = VKNN_SHADER(temporal_lk, 3, 1, LkPush);
static const VknnShader blend_shader = VKNN_SHADER(temporal_blend, 7, 2, BlendPush);

struct VknnTemporal {
    VknnContext *ctx;
    int in_w, in_h, out_w, out_h, levels, finest; /* the flow's finest level */
    int lw[VKNN_FLOW_MAX_LEVELS], lh[VKNN_FLOW_MAX_LEVELS];

    VknnBuffer *memory; /* every tensor below */
    /* Grey levels (scratch), and (grey, gx, gy) of the current and the
     * previous frame: each pyramid contiguous, so that one copy moves the
     * current into the history. */
    VknnTensor grey[VKNN_FLOW_MAX_LEVELS], cur[VKNN_FLOW_MAX_LEVELS], prev[VKNN_FLOW_MAX_LEVELS];
    VkDeviceSize pyramid_offset[2], pyramid_bytes; /* cur, prev */
    VknnTensor flow[2][2];                         /* [backward, forward][ping, pong] */
    int flow_result[2];                            /* which of the pair holds the result */
    VknnTensor prev_out, stable, mask;

    VknnPipeline *grey_p[2], *gradient_p, *lk_p, *blend_p; /* grey_p[from_rgb] */
    VknnBuffer *state; /* host-visible: the blend weight of the frame */
    VknnTensor state_texel;
    gboolean has_history;
};

int vknn_flow_levels(int w, int h)
{
    int levels = 1;
    while (levels < VKNN_FLOW_MAX_LEVELS && MIN(w, h) >> levels >= VKNN_FLOW_MIN_SIDE)
        levels++;
    return levels;
}

int vknn_flow_finest_level(int w, int h)
{
    const int levels = vknn_flow_levels(w, h);
    int l = 0;
    while (l + 1 < levels && (int64_t)w * h > VKNN_FLOW_MAX_PIXELS) {
        w = (w + 1) / 2;
        h = (h + 1) / 2;
        l++;
    }
    return l;
}

VknnTemporal *vknn_temporal_new(VknnContext *ctx)
{
    VknnTemporal *t = g_new0(VknnTemporal, 1);
    t->ctx = ctx;
    return t;
}

/* Every tensor that lives in t->memory, for the current layout; at most
 * 3 per level and 7 more. */
#define MAX_MEMORY_TENSORS (3 * VKNN_FLOW_MAX_LEVELS + 7)
static int memory_tensors(VknnTemporal *t, VknnTensor **out)
{
    int n = 0;
    for (int l = 0; l < t->levels; l++) {
        out[n++] = &t->grey[l];
        out[n++] = &t->cur[l];
        out[n++] = &t->prev[l];
    }
    VknnTensor *rest[] = {&t->flow[0][0], &t->flow[0][1], &t->flow[1][0], &t->flow[1][1],
                          &t->prev_out,   &t->stable,     &t->mask};
    for (guint i = 0; i < G_N_ELEMENTS(rest); i++)
        out[n++] = rest[i];
    return n;
}

static void release(VknnTemporal *t)
{
    VknnTensor *all[MAX_MEMORY_TENSORS];
    const int n = memory_tensors(t, all);
    for (int i = 0; i < n; i++)
        vknn_tensor_release_view(t->ctx, all[i]);
    vknn_tensor_release_view(t->ctx, &t->state_texel);
    vknn_buffer_free(t->ctx, &t->memory);
    vknn_buffer_free(t->ctx, &t->state);
    t->in_w = t->in_h = t->out_w = t->out_h = 0;
}

void vknn_temporal_free(VknnTemporal *t)
{
    if (!t)
        return;
    release(t);
    g_free(t);
}

/* Places a w x h vec4 tensor at *offset in the shared memory (laid out
 * first, bound once the buffer exists). */
static void place(VknnTemporal *t, VknnTensor *x, int w, int h, VkDeviceSize *offset)
{
    const VknnShape shape = {4, {1, 4, h, w}};
    *x = (VknnTensor){0};
    x->bytes = vknn_tensor_set_shape(x, &shape);
    x->offset = *offset;
    *offset += (x->bytes + t->ctx->align - 1) / t->ctx->align * t->ctx->align;
}

static void layout(VknnTemporal *t, VkDeviceSize *total)
{
    VkDeviceSize off = 0;
    for (int l = 0; l < t->levels; l++)
        place(t, &t->grey[l], t->lw[l], t->lh[l], &off);
    for (int p = 0; p < 2; p++) {
        t->pyramid_offset[p] = off;
        for (int l = 0; l < t->levels; l++)
            place(t, p ? &t->prev[l] : &t->cur[l], t->lw[l], t->lh[l], &off);
        t->pyramid_bytes = off - t->pyramid_offset[p];
    }
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < 2; k++)
            place(t, &t->flow[d][k], t->lw[t->finest], t->lh[t->finest], &off);
    place(t, &t->prev_out, t->out_w, t->out_h, &off);
    place(t, &t->stable, t->out_w, t->out_h, &off);
    place(t, &t->mask, t->out_w, t->out_h, &off);
    *total = off;
}

/* Whether every tensor of the layout is within the device's buffer limits:
 * checked before the memory is allocated. */
static gboolean tensors_fit(VknnTemporal *t, GError **err)
{
    VknnTensor *all[MAX_MEMORY_TENSORS];
    const int n = memory_tensors(t, all);
    for (int i = 0; i < n; i++)
        if (!vknn_tensor_fits(t->ctx, all[i], err))
            return FALSE;
    return TRUE;
}

static gboolean bind_views(VknnTemporal *t, GError **err)
{
    VknnTensor *all[MAX_MEMORY_TENSORS];
    const int n = memory_tensors(t, all);
    for (int i = 0; i < n; i++) {
        all[i]->buffer = t->memory;
        if (!vknn_tensor_make_view(t->ctx, all[i], err))
            return FALSE;
    }
    t->state_texel = (VknnTensor){.buffer = t->state, .bytes = 16};
    return vknn_tensor_make_view(t->ctx, &t->state_texel, err);
}

/* The first frame reads the history it has not written yet (its blend
 * weight of 0 discards the result): zeros, so that the flow computed from
 * it is defined (uninitialised memory steered texel addresses, which
 * valgrind reported inside lavapipe's shaders). */
static gboolean zero_memory(VknnTemporal *t, VkDeviceSize bytes, GError **err)
{
    VknnCmd *cmd = vknn_cmd_new(t->ctx, err);
    if (!cmd)
        return FALSE;
    vknn_cmd_fill_zero(cmd, t->memory, 0, bytes);
    const gboolean ok = vknn_cmd_end(cmd, err) && vknn_cmd_submit_wait(cmd, err);
    vknn_cmd_free(&cmd);
    return ok;
}

/* Fetched at prepare, so that recording cannot fail. */
static gboolean get_pipelines(VknnTemporal *t, GError **err)
{
    const int32_t from_level[] = {FALSE}, from_rgb[] = {TRUE};
    return (t->grey_p[0] = vknn_frame_pipeline(t->ctx, &grey_shader, from_level, 1, err)) &&
           (t->grey_p[1] = vknn_frame_pipeline(t->ctx, &grey_shader, from_rgb, 1, err)) &&
           (t->gradient_p = vknn_frame_pipeline(t->ctx, &gradient_shader, NULL, 0, err)) &&
           (t->lk_p = vknn_frame_pipeline(t->ctx, &lk_shader, NULL, 0, err)) &&
           (t->blend_p = vknn_frame_pipeline(t->ctx, &blend_shader, NULL, 0, err));
}

gboolean vknn_temporal_prepare(VknnTemporal *t, int in_w, int in_h, int out_w, int out_h,
                               GError **err)
{
    if (t->memory && in_w == t->in_w && in_h == t->in_h && out_w == t->out_w && out_h == t->out_h)
        return TRUE;
    release(t);
    t->has_history = FALSE;
    t->in_w = in_w, t->in_h = in_h, t->out_w = out_w, t->out_h = out_h;
    t->levels = vknn_flow_levels(in_w, in_h);
    t->finest = vknn_flow_finest_level(in_w, in_h);
    for (int l = 0; l < t->levels; l++) {
        t->lw[l] = l ? (t->lw[l - 1] + 1) / 2 : in_w;
        t->lh[l] = l ? (t->lh[l - 1] + 1) / 2 : in_h;
    }
    VkDeviceSize total;
    layout(t, &total);
    if (!tensors_fit(t, err)) {
        release(t);
        return FALSE;
    }
    t->memory = vknn_buffer_new(t->ctx, total, VKNN_MEM_DEVICE, err);
    t->state = t->memory ? vknn_buffer_new(t->ctx, 16, VKNN_MEM_UPLOAD, err) : NULL;
    if (!t->state || !bind_views(t, err) || !zero_memory(t, total, err) || !get_pipelines(t, err)) {
        release(t);
        return FALSE;
    }
    vknn_temporal_begin_frame(t, 0.0f);
    return TRUE;
}

/* ---- recording ---------------------------------------------------------------- */

/* The grey pyramid of the network input, with gradients, into t->cur. */
static void record_pyramid(VknnTemporal *t, VknnCmd *cmd, const VknnTensor *input)
{
    for (int l = 0; l < t->levels; l++) {
        const GreyPush gp = {{t->lw[l], t->lh[l]},
                             {l ? t->lw[l - 1] : t->in_w, l ? t->lh[l - 1] : t->in_h}};
        const VknnTensor *gb[] = {l ? &t->grey[l - 1] : input, &t->grey[l]};
        vknn_frame_dispatch(cmd, t->grey_p[l == 0], gb, NULL, &gp, t->lw[l], t->lh[l]);
        if (l < t->finest)
            continue; /* only a step to the coarser levels: no gradients needed */
        const GradientPush dp = {{t->lw[l], t->lh[l]}};
        const VknnTensor *db[] = {&t->grey[l], &t->cur[l]};
        vknn_frame_dispatch(cmd, t->gradient_p, db, NULL, &dp, t->lw[l], t->lh[l]);
    }
}

/* Coarse-to-fine flow from `tmpl` to `target` into the pair `flow`;
 * returns which of the two holds the result. */
static int record_flow(VknnTemporal *t, VknnCmd *cmd, const VknnTensor *tmpl,
                       const VknnTensor *target, VknnTensor *flow)
{
    int result = 0, steps = 0;
    for (int l = t->levels - 1; l >= t->finest; l--)
        for (int i = 0; i < VKNN_FLOW_ITERATIONS; i++, steps++) {
            const int mode = steps == 0 ? LK_START_ZERO : i == 0 ? LK_START_UPSAMPLE : LK_CONTINUE;
            const int coarser = i == 0 && l + 1 < t->levels;
            const LkPush push = {{t->lw[l], t->lh[l]},
                                 {t->lw[l + coarser], t->lh[l + coarser]},
                                 mode,
                                 VKNN_FLOW_LAMBDA};
            const VknnTensor *bind[] = {&tmpl[l], &target[l], &flow[result], &flow[!result]};
            vknn_frame_dispatch(cmd, t->lk_p, bind, NULL, &push, t->lw[l], t->lh[l]);
            result = !result;
        }
    return result;
}

const VknnTensor *vknn_temporal_record(VknnTemporal *t, VknnCmd *cmd, const VknnTensor *input,
                                       const VknnTensor *output)
{
    record_pyramid(t, cmd, input);
    t->flow_result[0] = record_flow(t, cmd, t->cur, t->prev, t->flow[0]);
    t->flow_result[1] = record_flow(t, cmd, t->prev, t->cur, t->flow[1]);
    const int f = t->finest;
    const BlendPush bp = {{t->out_w, t->out_h},
                          {t->lw[f], t->lh[f]},
                          VKNN_TEMPORAL_MAX_GREY_ERROR,
                          VKNN_TEMPORAL_MAX_FLOW_GRADIENT};
    const VknnTensor *bind[] = {output,
                                &t->prev_out,
                                &t->flow[0][t->flow_result[0]],
                                &t->flow[1][t->flow_result[1]],
                                &t->cur[f],
                                &t->prev[f],
                                &t->state_texel,
                                &t->stable,
                                &t->mask};
    vknn_frame_dispatch(cmd, t->blend_p, bind, NULL, &bp, t->out_w, t->out_h);
    /* This frame becomes the next one's history. */
    vknn_cmd_copy(cmd, t->memory, t->stable.offset, t->memory, t->prev_out.offset, t->stable.bytes);
    vknn_cmd_copy(cmd, t->memory, t->pyramid_offset[0], t->memory, t->pyramid_offset[1],
                  t->pyramid_bytes);
    return &t->stable;
}

void vknn_temporal_begin_frame(VknnTemporal *t, float strength)
{
    float *state = t->state->mapped;
    state[0] = t->has_history ? CLAMP(strength, 0.0f, 1.0f) : 0.0f;
}

void vknn_temporal_end_frame(VknnTemporal *t)
{
    t->has_history = TRUE;
}

void vknn_temporal_reset(VknnTemporal *t)
{
    t->has_history = FALSE;
}

/* ---- read back ------------------------------------------------------------------- */

static gboolean read_lanes(VknnTemporal *t, const VknnTensor *x, int lanes, float *dst,
                           GError **err)
{
    const int64_t n = (int64_t)x->w * x->h;
    g_autofree float *texels = g_new(float, n * 4);
    if (!vknn_download(t->ctx, t->memory, x->offset, texels, n * 16, err))
        return FALSE;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < lanes; k++)
            dst[i * lanes + k] = texels[i * 4 + k];
    return TRUE;
}

void vknn_temporal_flow_size(const VknnTemporal *t, int *w, int *h)
{
    *w = t->lw[t->finest];
    *h = t->lh[t->finest];
}

gboolean vknn_temporal_read(VknnTemporal *t, float *backward, float *forward, float *mask,
                            GError **err)
{
    return (!backward || read_lanes(t, &t->flow[0][t->flow_result[0]], 2, backward, err)) &&
           (!forward || read_lanes(t, &t->flow[1][t->flow_result[1]], 2, forward, err)) &&
           (!mask || read_lanes(t, &t->mask, 1, mask, err));
}

/* ---- feeding a dream forward -------------------------------------------------------- */

gboolean vknn_temporal_read_stable(VknnTemporal *t, float *nchw, GError **err)
{
    const gsize hw = (gsize)t->out_w * t->out_h;
    g_autofree float *rgb = g_new(float, 3 * hw);
    if (!read_lanes(t, &t->stable, 3, rgb, err))
        return FALSE;
    for (gsize i = 0; i < hw; i++)
        for (int c = 0; c < 3; c++)
            nchw[c * hw + i] = rgb[i * 3 + c];
    return TRUE;
}

gboolean vknn_temporal_set_history_output(VknnTemporal *t, const float *nchw, GError **err)
{
    const gsize hw = (gsize)t->out_w * t->out_h;
    g_autofree float *texels = g_new0(float, 4 * hw);
    for (gsize i = 0; i < hw; i++)
        for (int c = 0; c < 3; c++)
            texels[i * 4 + c] = nchw[c * hw + i];
    return vknn_upload(t->ctx, t->memory, t->prev_out.offset, texels, 16 * hw, err);
}
