/* Resize (opset 10+) and Upsample: nearest and (bi)linear on H and W. */
#include <stdint.h>
#include "resize.comp.spv.h"
#include "resize_grad.comp.spv.h"
#include "resize.h"

#include <math.h>
#include <string.h>

typedef struct {
    int32_t count, ih, iw, oh, ow;
    float scale_h, scale_w;
} ResizePush;

static const VknnShader resize_shader = VKNN_SHADER(resize, 1, 1, ResizePush);

enum {
    CTM_HALF_PIXEL,
    CTM_ASYMMETRIC,
    CTM_ALIGN_CORNERS,
    CTM_PYTORCH_HALF_PIXEL,
    CTM_TF_HALF_PIXEL
};
enum { NEAREST_ROUND_FLOOR, NEAREST_ROUND_CEIL, NEAREST_FLOOR, NEAREST_CEIL };

typedef struct {
    gboolean linear;
    int ctm, nearest;
    float scales[4];
    int64_t out[4];
} ResizeParams;

static int lookup(const char *s, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (g_str_equal(s, names[i]))
            return i;
    return -1;
}

static gboolean read_mode(const VknnModel *m, const VknnNode *n, ResizeParams *p, GError **err)
{
    const char *mode = vknn_node_attr_string(n, "mode", "nearest");
    if (g_str_equal(mode, "linear") || g_str_equal(mode, "bilinear"))
        p->linear = TRUE;
    else if (!g_str_equal(mode, "nearest"))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "mode '%s' is not supported", mode);
    /* Upsample and Resize-10 sample at x_out / scale and floor for nearest. */
    const gboolean legacy = g_str_equal(n->op_type, "Upsample") || m->opset < 11;
    p->ctm = legacy ? CTM_ASYMMETRIC : CTM_HALF_PIXEL;
    p->nearest = legacy ? NEAREST_FLOOR : NEAREST_ROUND_FLOOR;
    if (legacy)
        return TRUE;
    static const char *const ctms[] = {"half_pixel", "asymmetric", "align_corners",
                                       "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    const char *c = vknn_node_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = vknn_node_attr_string(n, "nearest_mode", "round_prefer_floor");
    p->ctm = lookup(c, ctms, G_N_ELEMENTS(ctms));
    p->nearest = lookup(nm, nearests, G_N_ELEMENTS(nearests));
    if (p->ctm < 0)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "coordinate_transformation_mode '%s' is not supported", c);
    if (p->nearest < 0)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n, "nearest_mode '%s' is not supported",
                               nm);
    return TRUE;
}

/* Scales (or sizes) from the attribute or the right input for the op/opset. */
static gboolean resize_params(const VknnModel *m, const VknnNode *n, ResizeParams *p, GError **err)
{
    memset(p, 0, sizeof *p);
    if (!vknn_check_inputs(n, 1, 4, err) || !read_mode(m, n, p, err))
        return FALSE;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    const int rank = x->rank;
    int count = -1;
    gboolean sizes = FALSE;
    int64_t sz[4];
    if (g_str_equal(n->op_type, "Upsample") && m->opset < 9) {
        const VknnAttr *a = vknn_node_attr(n, "scales");
        if (a && a->type == VKNN_ATTR_FLOATS && a->n == rank)
            memcpy(p->scales, a->floats, sizeof(float) * rank), count = rank;
    } else {
        const int scales_input = g_str_equal(n->op_type, "Upsample") || m->opset < 11 ? 1 : 2;
        for (int i = scales_input; i < n->n_inputs; i++)
            if (n->inputs[i] >= 0 && !vknn_check_constant(m, n, i, err))
                return FALSE;
        count = vknn_const_floats(m, n, scales_input, p->scales, 4);
        if (count <= 0 && n->n_inputs > 3 && (count = vknn_const_ints(m, n, 3, sz, 4)) > 0)
            sizes = TRUE;
    }
    if (count != rank)
        return vknn_node_error(err, VKNN_ERROR_PARSE, n, "needs %d scales or sizes", rank);
    for (int i = 0; i < rank; i++) {
        double out = sizes ? (double)sz[i] : floor((double)x->dims[i] * p->scales[i]);
        if (sizes)
            p->scales[i] = (float)sz[i] / (float)x->dims[i];
        if (!(p->scales[i] > 0.0f) || !(out >= 1 && out <= (1 << 20))) /* NaN fails too */
            return vknn_node_error(err, VKNN_ERROR_SHAPE, n, "invalid scale or size on axis %d", i);
        p->out[i] = (int64_t)out;
    }
    const char *ctm = vknn_node_attr_string(n, "coordinate_transformation_mode", "");
    if (g_str_equal(ctm, "tf_crop_and_resize"))
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "tf_crop_and_resize is not supported");
    return TRUE;
}

int vknn_resize_nearest_factor(const VknnModel *m, const VknnNode *n)
{
    ResizeParams p;
    const VknnShape *x = vknn_in_shape(m, n, 0);
    if (!x || x->rank != 4 || !resize_params(m, n, &p, NULL) || p.linear)
        return 0;
    /* With an integer factor s, asymmetric + floor and half_pixel + round
     * both pick source pixel floor(x / s). */
    const gboolean floor_pick = (p.ctm == CTM_ASYMMETRIC && p.nearest == NEAREST_FLOOR) ||
                                (p.ctm == CTM_HALF_PIXEL && p.nearest == NEAREST_ROUND_FLOOR);
    const int64_t s = p.out[2] / x->dims[2];
    if (!floor_pick || p.out[0] != x->dims[0] || p.out[1] != x->dims[1] || s < 2 || s > 4 ||
        p.out[2] != s * x->dims[2] || p.out[3] != s * x->dims[3] || p.scales[2] != (float)s ||
        p.scales[3] != (float)s)
        return 0;
    return (int)s;
}

static gboolean resize_infer(VknnModel *m, VknnNode *n, GError **err)
{
    ResizeParams p;
    if (!resize_params(m, n, &p, err))
        return FALSE;
    VknnShape *y = vknn_out_shape(m, n, 0);
    *y = *vknn_in_shape(m, n, 0);
    for (int i = 0; i < y->rank; i++)
        y->dims[i] = p.out[i];
    return TRUE;
}

static gboolean resize_record(VknnRecord *r, GError **err)
{
    ResizeParams p;
    if (!resize_params(r->model, r->step->node, &p, err))
        return FALSE;
    const VknnTensor *x = r->in[0], *y = r->out[0];
    if (x->shape.rank != 4 || x->n != y->n || x->c != y->c)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, r->step->node,
                               "only resizing H and W of 4D tensors runs on the device");
    const int32_t spec[] = {p.linear, p.ctm, p.nearest};
    VknnPipeline *pl = vknn_op_pipeline(r, &resize_shader, 64, spec, 3, err);
    if (!pl)
        return FALSE;
    ResizePush pc = {
        .count = (int32_t)vknn_tensor_texels(y),
        .ih = x->h,
        .iw = x->w,
        .oh = y->h,
        .ow = y->w,
        .scale_h = p.scales[2],
        .scale_w = p.scales[3],
    };
    const VknnTensor *bind[] = {x, y};
    vknn_cmd_dispatch_linear(r->cmd, pl, bind, &pc, pc.count);
    return TRUE;
}

typedef struct {
    int32_t count, ih, iw;
} ResizeGradPush;

static const VknnShader resize_grad_shader = VKNN_SHADER(resize_grad, 1, 1, ResizeGradPush);

/* Nearest upsampling by an integer factor (TransformerNet's decoder): each
 * input pixel collects the gradients of its copies. */
static gboolean resize_backward(VknnGradRecord *g, GError **err)
{
    const VknnNode *n = g->fwd.step->node;
    const int factor = vknn_resize_nearest_factor(g->fwd.model, n);
    if (!factor)
        return vknn_node_error(err, VKNN_ERROR_UNSUPPORTED, n,
                               "backward pass only for nearest upsampling by 2, 3 or 4");
    const int32_t spec[] = {factor};
    VknnPipeline *p = vknn_op_pipeline(&g->fwd, &resize_grad_shader, 64, spec, 1, err);
    if (!p)
        return FALSE;
    const VknnTensor *gx = g->gx[0];
    ResizeGradPush pc = {(int32_t)vknn_tensor_texels(gx), gx->h, gx->w};
    const VknnTensor *bind[] = {g->gy[0], gx};
    vknn_cmd_dispatch_linear(g->fwd.cmd, p, bind, &pc, pc.count);
    return TRUE;
}

const VknnOpClass vknn_op_resize = {
    .op_type = "Resize",
    .infer = resize_infer,
    .record = resize_record,
    .host_inputs = 0xe,
    .backward = resize_backward,
};
const VknnOpClass vknn_op_upsample = {
    .op_type = "Upsample",
    .infer = resize_infer,
    .record = resize_record,
    .host_inputs = 0x2,
    .backward = resize_backward,
};
