/* Style transfer on video frames: frame -> network input, network,
 * network output -> frame, in one submission per frame. */
#include <stdint.h>
#include "style_post_bytes.comp.spv.h"
#include "style_post_image.comp.spv.h"
#include "style_post_image_bytes.comp.spv.h"
#include "style_pre_bytes.comp.spv.h"
#include "style_pre_image.comp.spv.h"
#include "apps/frame.h"
#include "apps/temporal.h"
#include "exec/exec.h"
#include "graph/schema.h"

#include <vknn/style.h>

#include <string.h>

typedef struct {
    int32_t frame[2], net[2], content[2];
    int32_t stride;
} PrePush;

typedef struct {
    int32_t frame[2], out_size[2];
    float content_in_out[2];
    int32_t in_stride, out_stride;
    float strength;
    int32_t preserve_colors;
} PostPush;

static const VknnShader pre_bytes_shader = VKNN_SHADER(style_pre_bytes, 1, 1, PrePush);
static const VknnShader pre_image_shader = VKNN_IMAGE_SHADER(style_pre_image, 0, 1, 1, 0, PrePush);
static const VknnShader post_bytes_shader = VKNN_SHADER(style_post_bytes, 2, 1, PostPush);
static const VknnShader post_image_shader =
    VKNN_IMAGE_SHADER(style_post_image, 1, 0, 1, 1, PostPush);
static const VknnShader post_image_bytes_shader =
    VKNN_IMAGE_SHADER(style_post_image_bytes, 1, 1, 1, 0, PostPush);

/* The smallest network input: TransformerNet's 9x9 reflection padding and
 * two stride-2 stages need more than a few pixels. Smaller frames are
 * edge-extended. */
#define MIN_NET_SIZE 16

struct VknnStyler {
    VknnContext *ctx;
    VknnModel *model;
    VknnNet *net;
    const char *input_name, *output_name;

    int width, height;        /* frame */
    int net_w, net_h;         /* network input */
    int content_w, content_h; /* frame content inside the network input */
    VknnStyleParams params;
    gboolean prepared;

    /* Memory path: one command buffer for pre + network + post. */
    VknnFrameBuffer in_frame, out_frame, image_out; /* image_out: BGRA image path */
    VknnCmd *bytes_cmd;
    VknnPixelFormat bytes_format;
    /* Image path: the network alone; pre and post are recorded per frame. */
    VknnCmd *net_cmd;

    double last_ms;

    /* Temporal stabilisation (params.temporal): its state, and the tensor
     * the post step reads (the network output, or the stabilised one). The
     * flow reads the network input after the run: once stabilisation was
     * asked for, the plan keeps it (input_kept). */
    VknnTemporal *temporal;
    gboolean input_kept;
    const VknnTensor *styled;

    /* Multi-style: per blended constant, the data of each style. */
    GPtrArray *style_params; /* StyleParam* */
    int n_styles;
};

/* An instance-norm scale or shift of a multi-style network. */
typedef struct {
    VknnValue *value; /* the initializer the network reads: receives the blend */
    int64_t numel;
    float **styles; /* n_styles arrays: the data of NAME@0 (style 0), NAME@1, ... */
} StyleParam;

/* Drops recorded commands (after a change of size, parameters or format). */
static void invalidate_commands(VknnStyler *s)
{
    vknn_cmd_free(&s->bytes_cmd);
    vknn_cmd_free(&s->net_cmd);
}

static gboolean is_image_shape(const VknnShape *sh)
{
    return sh->rank == 4 && sh->dims[0] == 1 && sh->dims[1] == 3;
}

/* Style s's copy of value `name`, or NULL. */
static VknnValue *style_copy(const VknnModel *m, const char *name, int s)
{
    g_autofree char *copy = g_strdup_printf("%s@%d", name, s);
    const int v = vknn_model_find_value(m, copy);
    return v >= 0 && vknn_model_value(m, v)->kind == VKNN_VALUE_CONSTANT ? vknn_model_value(m, v)
                                                                         : NULL;
}

int vknn_style_count(const VknnModel *m)
{
    int n = 1;
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *node = vknn_model_node(m, i);
        if (vknn_node_op(node) != VKNN_OP_InstanceNormalization || node->n_inputs < 2)
            continue;
        const char *scale = vknn_model_value(m, node->inputs[1])->name;
        while (n < VKNN_MAX_STYLES && style_copy(m, scale, n))
            n++;
        return n;
    }
    return n;
}

/* Copies style `style`'s instance-norm parameters over the plain ones. */
static gboolean select_style(VknnModel *m, int style, GError **err)
{
    for (guint i = 0; i < m->nodes->len; i++) {
        const VknnNode *node = vknn_model_node(m, i);
        if (vknn_node_op(node) != VKNN_OP_InstanceNormalization)
            continue;
        for (int k = 1; k < node->n_inputs && k < 3; k++) {
            VknnValue *v = vknn_model_value(m, node->inputs[k]);
            const VknnValue *c = style_copy(m, v->name, style);
            if (!c && style == 0)
                continue; /* style 0 is the plain parameters themselves */
            if (!c || !vknn_shape_equal(&c->shape, &v->shape)) {
                g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                            "multi-style network: '%s@%d' is missing or has the wrong size",
                            v->name, style);
                return FALSE;
            }
            memcpy(v->data, c->data, sizeof(float) * vknn_shape_numel(&v->shape));
        }
    }
    return TRUE;
}

VknnModel *vknn_style_extract(const VknnModel *model, int style, GError **err)
{
    const int n = vknn_style_count(model);
    if (style < 0 || style >= n) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED, "style %d: the network has %d style%s",
                    style, n, n == 1 ? "" : "s");
        return NULL;
    }
    /* A copy through ONNX: the caller's model stays as it is. */
    gsize len = 0;
    g_autofree guint8 *bytes = vknn_model_save_to_memory(model, &len, err);
    VknnModel *one = bytes ? vknn_model_load_from_memory(bytes, len, err) : NULL;
    if (one && !select_style(one, style, err))
        g_clear_pointer(&one, vknn_model_free);
    if (one)
        vknn_model_drop_unused_constants(one);
    return one;
}

static void style_param_free(StyleParam *p)
{
    g_free(p->styles);
    g_free(p);
}

/* Collects every instance-norm scale and shift with its per-style data;
 * a network whose styles are incomplete is an error. */
static gboolean find_style_params(VknnStyler *s, GError **err)
{
    s->n_styles = vknn_style_count(s->model);
    s->style_params = g_ptr_array_new_with_free_func((GDestroyNotify)style_param_free);
    for (guint i = 0; s->n_styles > 1 && i < s->model->nodes->len; i++) {
        const VknnNode *node = vknn_model_node(s->model, i);
        if (vknn_node_op(node) != VKNN_OP_InstanceNormalization)
            continue;
        for (int k = 1; k < node->n_inputs && k < 3; k++) {
            VknnValue *v = vknn_model_value(s->model, node->inputs[k]);
            StyleParam *p = g_new0(StyleParam, 1);
            p->value = v;
            p->numel = vknn_shape_numel(&v->shape);
            p->styles = g_new0(float *, s->n_styles);
            g_ptr_array_add(s->style_params, p);
            /* NAME receives blends: style 0 itself is kept as NAME@0, so
             * that every styler of this model blends from the original. */
            if (!style_copy(s->model, v->name, 0)) {
                g_autofree char *keep = g_strdup_printf("%s@0", v->name);
                vknn_model_add_constant(s->model, keep, &v->shape, v->data);
            }
            for (int st = 0; st < s->n_styles; st++) {
                const VknnValue *c = style_copy(s->model, v->name, st);
                if (!c || vknn_shape_numel(&c->shape) != p->numel) {
                    g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE,
                                "multi-style network: '%s@%d' is missing or has the wrong size",
                                v->name, st);
                    return FALSE;
                }
                p->styles[st] = c->data;
            }
        }
    }
    return TRUE;
}

/* Blends the styles' instance-norm parameters by params' weights. */
static gboolean blend_styles(VknnStyler *s, const VknnStyleParams *params, GError **err)
{
    if (params->n_styles < 0 || params->n_styles > s->n_styles) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "%d style weights, but the network has %d style%s", params->n_styles,
                    s->n_styles, s->n_styles == 1 ? "" : "s");
        return FALSE;
    }
    if (s->n_styles == 1)
        return TRUE;
    float w[VKNN_MAX_STYLES] = {0};
    memcpy(w, params->style_weights, sizeof(float) * params->n_styles);
    if (params->n_styles == 0)
        w[0] = 1.0f;
    for (guint i = 0; i < s->style_params->len; i++) {
        const StyleParam *p = g_ptr_array_index(s->style_params, i);
        for (int64_t k = 0; k < p->numel; k++) {
            float v = 0;
            for (int st = 0; st < s->n_styles; st++)
                v += w[st] * p->styles[st][k];
            p->value->data[k] = v;
        }
    }
    vknn_net_reload_constants(s->net);
    return TRUE;
}

static gboolean same_style_weights(const VknnStyleParams *a, const VknnStyleParams *b)
{
    return a->n_styles == b->n_styles &&
           memcmp(a->style_weights, b->style_weights, sizeof(float) * a->n_styles) == 0;
}

VknnStyler *vknn_styler_new(VknnContext *ctx, VknnModel *model, GError **err)
{
    if (model->inputs->len != 1 || model->outputs->len < 1) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "not a style model: it has %u inputs and %u outputs (expected 1 and 1)",
                    model->inputs->len, model->outputs->len);
        return NULL;
    }
    const VknnValue *in = vknn_model_value(model, g_array_index(model->inputs, int, 0));
    const VknnValue *out = vknn_model_value(model, g_array_index(model->outputs, int, 0));
    if (in->declared.rank != 4 || in->declared.dims[1] != 3) { /* batch may be symbolic */
        char s[64];
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                    "not a style model: input '%s' is %s, expected [1,3,H,W] RGB", in->name,
                    vknn_shape_str(&in->declared, s, sizeof s));
        return NULL;
    }
    VknnStyler *s = g_new0(VknnStyler, 1);
    s->ctx = ctx;
    s->model = model;
    s->input_name = in->name;
    s->output_name = out->name;
    s->params = (VknnStyleParams)VKNN_STYLE_PARAMS_DEFAULT;
    s->net = vknn_net_new(ctx, model, err);
    if (!s->net || !find_style_params(s, err)) {
        vknn_styler_free(s);
        return NULL;
    }
    return s;
}

void vknn_styler_free(VknnStyler *s)
{
    if (!s)
        return;
    /* Frames are processed synchronously: nothing is in flight here. */
    invalidate_commands(s);
    vknn_temporal_free(s->temporal);
    vknn_frame_buffer_clear(s->ctx, &s->in_frame);
    vknn_frame_buffer_clear(s->ctx, &s->out_frame);
    vknn_frame_buffer_clear(s->ctx, &s->image_out);
    vknn_net_free(s->net);
    if (s->style_params)
        g_ptr_array_unref(s->style_params);
    g_free(s);
}

static int round_up4(int v)
{
    return (v + 3) / 4 * 4;
}

static gboolean check_params(const VknnStyleParams *p, int width, int height, GError **err)
{
    if (width < 1 || height < 1 || width > 16384 || height > 16384) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_SHAPE, "invalid frame size %dx%d", width, height);
        return FALSE;
    }
    if (!(p->scale > 0.0f && p->scale <= 1.0f) || !(p->strength >= 0.0f && p->strength <= 1.0f) ||
        !(p->temporal_strength >= 0.0f && p->temporal_strength <= 1.0f) ||
        (p->temporal != VKNN_TEMPORAL_OFF && p->temporal != VKNN_TEMPORAL_FLOW)) {
        g_set_error(err, VKNN_ERROR, VKNN_ERROR_FAILED,
                    "invalid style parameters: scale %g (0..1], strength %g [0..1], temporal %d "
                    "(off or flow), temporal strength %g [0..1]",
                    p->scale, p->strength, p->temporal, p->temporal_strength);
        return FALSE;
    }
    return TRUE;
}

/* Makes or drops the temporal state; a new plan or style starts a new
 * history (the previous output is another network's). */
static gboolean prepare_temporal(VknnStyler *s, const VknnStyleParams *params, int net_w, int net_h,
                                 gboolean new_net, GError **err)
{
    if (params->temporal == VKNN_TEMPORAL_OFF) {
        g_clear_pointer(&s->temporal, vknn_temporal_free);
        return TRUE;
    }
    if (!s->temporal)
        s->temporal = vknn_temporal_new(s->ctx);
    else if (new_net)
        vknn_temporal_reset(s->temporal);
    const VknnTensor *out = vknn_net_tensor(s->net, s->output_name);
    return vknn_temporal_prepare(s->temporal, net_w, net_h, out->w, out->h, err);
}

gboolean vknn_styler_prepare(VknnStyler *s, int width, int height, const VknnStyleParams *params,
                             GError **err)
{
    const VknnStyleParams def = VKNN_STYLE_PARAMS_DEFAULT;
    if (!params)
        params = &def;
    if (!check_params(params, width, height, err))
        return FALSE;
    const int content_w = MAX(1, (int)(width * params->scale + 0.5f));
    const int content_h = MAX(1, (int)(height * params->scale + 0.5f));
    const int net_w = MAX(MIN_NET_SIZE, round_up4(content_w));
    const int net_h = MAX(MIN_NET_SIZE, round_up4(content_h));
    const gboolean restyle = !s->prepared || !same_style_weights(params, &s->params);
    const gboolean resized = !s->prepared || width != s->width || height != s->height;
    const gboolean keep_input = params->temporal != VKNN_TEMPORAL_OFF && !s->input_kept;
    const gboolean replan = !s->prepared || net_w != s->net_w || net_h != s->net_h ||
                            (restyle && s->n_styles > 1) ||
                            params->precision != s->params.precision || keep_input;
    if (!resized && !replan && memcmp(params, &s->params, sizeof *params) == 0)
        return TRUE;

    invalidate_commands(s);
    s->prepared = FALSE;
    if (restyle && !blend_styles(s, params, err))
        return FALSE;
    if (keep_input && !(s->input_kept = vknn_net_keep(s->net, s->input_name, err)))
        return FALSE;
    if (replan) {
        const VknnShape shape = {4, {1, 3, net_h, net_w}};
        vknn_net_set_precision(s->net, params->precision);
        if (!vknn_net_prepare(s->net, &shape, err))
            return FALSE;
        const VknnShape *out = vknn_net_shape(s->net, s->output_name);
        if (!is_image_shape(out)) {
            char str[64];
            g_set_error(err, VKNN_ERROR, VKNN_ERROR_UNSUPPORTED,
                        "not a style model: output '%s' is %s, expected [1,3,H,W] RGB",
                        s->output_name, vknn_shape_str(out, str, sizeof str));
            return FALSE;
        }
    }
    if (!prepare_temporal(s, params, net_w, net_h, replan || restyle, err))
        return FALSE;
    if (resized) {
        vknn_frame_buffer_clear(s->ctx, &s->in_frame);
        vknn_frame_buffer_clear(s->ctx, &s->out_frame);
        vknn_frame_buffer_clear(s->ctx, &s->image_out);
    }
    s->width = width;
    s->height = height;
    s->net_w = net_w;
    s->net_h = net_h;
    s->content_w = content_w;
    s->content_h = content_h;
    s->params = *params;
    s->prepared = TRUE;
    return TRUE;
}

void vknn_styler_inference_size(const VknnStyler *s, int *width, int *height)
{
    *width = s->net_w;
    *height = s->net_h;
}

double vknn_styler_last_frame_ms(const VknnStyler *s)
{
    return s->last_ms;
}

gboolean vknn_styler_supports_output_format(const VknnStyler *s, VkFormat format)
{
    return vknn_frame_output_format_supported(format);
}

/* ---- shared recording ---------------------------------------------------- */

static PrePush pre_push(const VknnStyler *s, int stride)
{
    return (PrePush){
        .frame = {s->width, s->height},
        .net = {s->net_w, s->net_h},
        .content = {s->content_w, s->content_h},
        .stride = stride,
    };
}

static PostPush post_push(const VknnStyler *s, const VknnTensor *out, int stride)
{
    /* The frame content occupies content/net of the input; a network that
     * resizes scales that region by out/net. */
    return (PostPush){
        .frame = {s->width, s->height},
        .out_size = {out->w, out->h},
        .content_in_out = {(float)s->content_w * out->w / s->net_w,
                           (float)s->content_h * out->h / s->net_h},
        .in_stride = stride,
        .out_stride = stride,
        .strength = s->params.strength,
        .preserve_colors = s->params.preserve_colors,
    };
}

/* After the network: the stabilisation, when on; s->styled is what the
 * post step reads. */
static void record_temporal(VknnStyler *s, VknnCmd *cmd)
{
    const VknnTensor *out = vknn_net_tensor(s->net, s->output_name);
    s->styled = s->temporal ? vknn_temporal_record(s->temporal, cmd,
                                                   vknn_net_tensor(s->net, s->input_name), out)
                            : out;
}

/* Runs the recorded commands of one frame, with the stabilisation's blend
 * weight set before and its history advanced after (reset on failure: the
 * history may be half written). */
static gboolean submit_frame(VknnStyler *s, VknnCmd *const *cmds, int n, GError **err)
{
    if (s->temporal)
        vknn_temporal_begin_frame(s->temporal, s->params.temporal_strength);
    const gboolean ok = vknn_cmd_submit_wait_many(cmds, n, err);
    if (s->temporal && ok)
        vknn_temporal_end_frame(s->temporal);
    else if (s->temporal)
        vknn_temporal_reset(s->temporal);
    return ok;
}

void vknn_styler_reset_history(VknnStyler *s)
{
    if (s->temporal)
        vknn_temporal_reset(s->temporal);
}

/* ---- frames in memory ------------------------------------------------------ */

static gboolean record_bytes(VknnStyler *s, VknnPixelFormat fmt, GError **err)
{
    const int32_t pre_spec[] = {vknn_pixel_swaps_rb(fmt)};
    const int32_t post_spec[] = {vknn_pixel_swaps_rb(fmt), !vknn_pixel_has_alpha(fmt)};
    VknnPipeline *pre = vknn_frame_pipeline(s->ctx, &pre_bytes_shader, pre_spec, 1, err);
    VknnPipeline *post =
        pre ? vknn_frame_pipeline(s->ctx, &post_bytes_shader, post_spec, 2, err) : NULL;
    VknnTensor *in = vknn_net_tensor(s->net, s->input_name);
    VknnTensor *out = vknn_net_tensor(s->net, s->output_name);
    if (!post || !(s->bytes_cmd = vknn_cmd_new(s->ctx, err)))
        return FALSE;
    const PrePush pp = pre_push(s, s->width);
    const VknnTensor *pre_bind[] = {&s->in_frame.texels, in};
    vknn_frame_dispatch(s->bytes_cmd, pre, pre_bind, NULL, &pp, s->net_w, s->net_h);
    if (!vknn_net_record(s->net, s->bytes_cmd, err))
        return FALSE;
    record_temporal(s, s->bytes_cmd);
    const PostPush qp = post_push(s, out, s->width);
    const VknnTensor *post_bind[] = {s->styled, &s->in_frame.texels, &s->out_frame.texels};
    vknn_frame_dispatch(s->bytes_cmd, post, post_bind, NULL, &qp, s->width, s->height);
    s->bytes_format = fmt;
    return vknn_cmd_end(s->bytes_cmd, err);
}

gboolean vknn_styler_process_bytes(VknnStyler *s, VknnPixelFormat fmt, const guint8 *in,
                                   int in_stride, guint8 *out, int out_stride, GError **err)
{
    g_return_val_if_fail(s->prepared, FALSE);
    const gint64 t0 = g_get_monotonic_time();
    if (!vknn_frame_buffer_ensure(s->ctx, &s->in_frame, s->width, s->height, VKNN_MEM_UPLOAD,
                                  err) ||
        !vknn_frame_buffer_ensure(s->ctx, &s->out_frame, s->width, s->height, VKNN_MEM_READBACK,
                                  err))
        return FALSE;
    if (s->bytes_cmd && s->bytes_format != fmt)
        vknn_cmd_free(&s->bytes_cmd);
    if (!s->bytes_cmd && !record_bytes(s, fmt, err)) {
        vknn_cmd_free(&s->bytes_cmd);
        return FALSE;
    }
    vknn_frame_buffer_write(&s->in_frame, in, in_stride);
    if (!submit_frame(s, &s->bytes_cmd, 1, err))
        return FALSE;
    vknn_frame_buffer_read(s->ctx, &s->out_frame, out, out_stride);
    s->last_ms = (g_get_monotonic_time() - t0) / 1e3;
    return TRUE;
}

/* ---- frames in Vulkan images ------------------------------------------------ */

/* Pre: the input image to the network input tensor. */
static gboolean record_pre_image(VknnStyler *s, VknnCmd *cmd, VknnImage *in, GError **err)
{
    VknnPipeline *p = vknn_frame_pipeline(s->ctx, &pre_image_shader, NULL, 0, err);
    if (!p)
        return FALSE;
    vknn_frame_sample_image(cmd, in);
    const PrePush pp = pre_push(s, 0);
    const VknnTensor *bind[] = {vknn_net_tensor(s->net, s->input_name)};
    const VknnImage *images[] = {in};
    vknn_frame_dispatch(cmd, p, bind, images, &pp, s->net_w, s->net_h);
    return vknn_cmd_end(cmd, err);
}

/* Post: network output (+ input image) to the output image, directly as a
 * storage image for RGBA8, through a buffer copy for BGRA8. */
static gboolean record_post_image(VknnStyler *s, VknnCmd *cmd, VknnImage *in, VknnImage *out,
                                  GError **err)
{
    const VknnTensor *net_out = vknn_net_tensor(s->net, s->output_name);
    const PostPush qp = post_push(s, net_out, s->width);
    const int32_t spec[] = {TRUE}; /* the buffer holds the image's B, G, R, A bytes */
    gboolean direct;
    vknn_cmd_barrier_all(cmd); /* the network ran in another command buffer */
    if (!vknn_frame_write_image_begin(s->ctx, cmd, out, s->width, s->height, &s->image_out, &direct,
                                      err))
        return FALSE;
    VknnPipeline *p = direct ? vknn_frame_pipeline(s->ctx, &post_image_shader, NULL, 0, err)
                             : vknn_frame_pipeline(s->ctx, &post_image_bytes_shader, spec, 1, err);
    if (!p)
        return FALSE;
    const VknnImage *images[] = {in, out};
    const VknnTensor *bind[] = {s->styled, &s->image_out.texels};
    vknn_frame_dispatch(cmd, p, bind, images, &qp, s->width, s->height);
    vknn_frame_write_image_end(cmd, out, &s->image_out);
    return vknn_cmd_end(cmd, err);
}

/* The network alone, reused by every frame of the image path. */
static gboolean record_net(VknnStyler *s, GError **err)
{
    s->net_cmd = vknn_cmd_new(s->ctx, err);
    if (!s->net_cmd)
        return FALSE;
    vknn_cmd_barrier_all(s->net_cmd); /* its input was written by the pre command buffer */
    if (!vknn_net_record(s->net, s->net_cmd, err))
        return FALSE;
    record_temporal(s, s->net_cmd);
    return vknn_cmd_end(s->net_cmd, err);
}

gboolean vknn_styler_process_images(VknnStyler *s, VknnImage *in, VknnImage *out, GError **err)
{
    g_return_val_if_fail(s->prepared, FALSE);
    if (!vknn_frame_check_image_format(in->format, "input", err) ||
        !vknn_frame_check_image_format(out->format, "output", err))
        return FALSE;
    const gint64 t0 = g_get_monotonic_time();
    if (!s->net_cmd && !record_net(s, err)) {
        vknn_cmd_free(&s->net_cmd);
        return FALSE;
    }
    VknnCmd *pre = vknn_cmd_new(s->ctx, err);
    VknnCmd *post = pre ? vknn_cmd_new(s->ctx, err) : NULL;
    gboolean ok =
        post && record_pre_image(s, pre, in, err) && record_post_image(s, post, in, out, err);
    if (ok) {
        VknnCmd *cmds[] = {pre, s->net_cmd, post};
        ok = submit_frame(s, cmds, 3, err);
    }
    vknn_cmd_free(&pre);
    vknn_cmd_free(&post);
    s->last_ms = (g_get_monotonic_time() - t0) / 1e3;
    return ok;
}
