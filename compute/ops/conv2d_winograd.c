/* Winograd F(4x4, 3x3) convolution (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016) for 3x3 stride-1 undilated,
 * ungrouped layers: 84% of a TransformerNet's work. A 4x4 output tile costs
 * 36 multiply-adds per input/output channel pair instead of 144, in three
 * kernels: input transform, 36 channel GEMMs, output transform (bias and
 * activation fused). Tiles are processed in bands so the transformed tensors
 * fit a workspace shared by all layers. */
#include <stdint.h>
#include "conv2d_winograd_gemm.comp.spv.h"
#include "conv2d_winograd_gemm_shuffle.comp.spv.h"
#include "conv2d_winograd_input.comp.spv.h"
#include "conv2d_winograd_output.comp.spv.h"
#include "conv.h"

typedef struct {
    int32_t ic4, ih, iw;
    int32_t oh, ow;
    int32_t th, tw;
    int32_t pad_t, pad_l;
    int32_t tile0, count;
} InputPush;

typedef struct {
    int32_t ic4, oc4, count;
} GemmPush;

typedef struct {
    int32_t oc, oc4, oh, ow;
    int32_t th, tw;
    int32_t tile0, count;
    float alpha, beta;
} OutputPush;

static const VknnShader input_shader = VKNN_SHADER(conv2d_winograd_input, 2, 1, InputPush);
static const VknnShader gemm_shader = VKNN_SHADER(conv2d_winograd_gemm, 2, 1, GemmPush);
static const VknnShader gemm_shuffle_shader =
    VKNN_SHADER(conv2d_winograd_gemm_shuffle, 2, 1, GemmPush);
static const VknnShader output_shader = VKNN_SHADER(conv2d_winograd_output, 2, 1, OutputPush);

#define POINTS 36 /* (4 + 3 - 1)^2 transform points per tile */

/* Bytes per workspace slot (transformed inputs, GEMM results) at fp32. On
 * lavapipe 8 MiB bands keep every kernel busy (>= 450 tiles at 128
 * channels, x 36 points; 16 MiB ran no faster) while adding at most 16 MiB
 * to a plan; a GPU gets larger bands for more parallel work. */
static int64_t workspace_bytes(VknnContext *ctx)
{
    return ctx->gpu_tuning ? 64 << 20 : 8 << 20;
}

/* Tiles per band. */
static int64_t band_tiles(VknnContext *ctx, const VknnTensor *x, const VknnTensor *y)
{
    const int64_t tiles = (int64_t)y->n * VKNN_DIV_UP(y->h, 4) * VKNN_DIV_UP(y->w, 4);
    const int64_t per_tile = POINTS * 16 * MAX(x->c4, y->c4);
    int64_t band = MIN(tiles, MAX(1, workspace_bytes(ctx) / per_tile));
    if (band < tiles && band > 8)
        band -= band % 8; /* whole GEMM tiles */
    return band;
}

/* The workspace slots of the transformed tiles and their products. */
static void workspace_slots(gboolean half, int *tiles, int *products)
{
    *tiles = half ? VKNN_WORKSPACE_A_F16 : VKNN_WORKSPACE_A;
    *products = half ? VKNN_WORKSPACE_B_F16 : VKNN_WORKSPACE_B;
}

void vknn_conv_winograd_workspace(VknnContext *ctx, const VknnTensor *x, const VknnTensor *y,
                                  gboolean half, int64_t texels[VKNN_WORKSPACE_SLOTS])
{
    const int64_t band = band_tiles(ctx, x, y);
    int tiles, products;
    workspace_slots(half, &tiles, &products);
    texels[tiles] = MAX(texels[tiles], band * POINTS * x->c4);
    texels[products] = MAX(texels[products], band * POINTS * y->c4);
}

gboolean vknn_conv_winograd_suits(const VknnContext *ctx, const VknnWindow *w, int64_t group,
                                  const VknnTensor *x, const VknnTensor *y)
{
    if (group != 1 || w->k[0] != 3 || w->k[1] != 3 || w->s[0] != 1 || w->s[1] != 1 ||
        w->d[0] != 1 || w->d[1] != 1)
        return FALSE;
    if (g_strcmp0(g_getenv("VKNN_WINOGRAD"), "0") == 0) /* for A/B measurements */
        return FALSE;
    /* Below 16 channels the transforms cost more than the GEMMs save. */
    if (x->c < 16 || y->c < 16)
        return FALSE;
    /* Winograd saves multiply-adds in proportion to ic * oc per pixel and
     * pays transforms that write every tile's inputs (ic) and products (oc).
     * A CPU device writes lane by lane, slowly: there the direct kernel wins
     * below ic * oc / (ic + oc) = 12 (lavapipe, with shared weights: 16->16,
     * 16->32, 32->16 at 320x240 and candy_nc16's upsampled 32->16 faster
     * direct; 32->32, 16->64, 64->16 level; larger layers faster Winograd). */
    return ctx->gpu_tuning || x->c * y->c >= 12 * (x->c + y->c);
}

/* u = G g G^T: the 3x3 kernel g at the 6x6 transform points. */
static void transform_kernel(const double g[3][3], double u[6][6])
{
    static const double G[6][3] = {{1.0 / 4, 0, 0},
                                   {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                   {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                   {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                   {0, 0, 1}};
    double gg[6][3] = {{0}};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                gg[i][j] += G[i][k] * g[k][j];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            u[i][j] = 0;
            for (int k = 0; k < 3; k++)
                u[i][j] += gg[i][k] * G[j][k];
        }
}

float *vknn_conv_winograd_pack(const VknnRecord *r, VknnTensor *t, void *user)
{
    const gboolean flipped = GPOINTER_TO_INT(user);
    const VknnValue *wv = vknn_node_input(r->model, r->step->node, 1);
    const int64_t oc_f = wv->shape.dims[0], ic_f = wv->shape.dims[1];
    const int64_t oc = flipped ? ic_f : oc_f, ic = flipped ? oc_f : ic_f;
    const int64_t oc4 = VKNN_DIV_UP(oc, 4), ic4 = VKNN_DIV_UP(ic, 4);
    vknn_tensor_set_shape(t, &(VknnShape){2, {POINTS * oc4 * ic4 * 4, 4}});
    float *data = g_malloc0(t->bytes);
    g_autofree float *scale = vknn_conv_bn_scale(r, oc_f);
    for (int64_t o = 0; o < oc; o++)
        for (int64_t c = 0; c < ic; c++) {
            /* The backward pass convolves with the transposed, flipped kernel. */
            const int64_t fo = flipped ? c : o, fc = flipped ? o : c;
            const float *k = wv->data + (fo * ic_f + fc) * 9;
            double g[3][3], u[6][6];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    g[y][x] = (double)(flipped ? k[(2 - y) * 3 + 2 - x] : k[y * 3 + x]) * scale[fo];
            transform_kernel(g, u);
            for (int p = 0; p < POINTS; p++) {
                const int64_t texel = ((p * oc4 + o / 4) * ic4 + c / 4) * 4 + c % 4;
                data[texel * 4 + o % 4] = (float)u[p / 6][p % 6];
            }
        }
    return data;
}

/* GEMM register tile: as conv2d's, shorter when a band has few tiles; at
 * most 4 x 4 on a GPU (as gpu_conv_tile in conv2d.c). */
static void gemm_tile(const VknnContext *ctx, int64_t count, int oc4, int *tx, int *ocb)
{
    const int most = ctx->gpu_tuning ? 4 : 8;
    *tx = MIN(most, count >= 256 ? 8 : count >= 32 ? 4 : 2);
    *ocb = MIN(most, oc4 >= 8 ? 8 : oc4 >= 4 ? 4 : oc4 >= 2 ? 2 : 1);
}

gboolean vknn_conv_winograd_record(VknnRecord *r, const VknnWinograd *c, GError **err)
{
    const VknnTensor *x = c->x;
    VknnTensor *y = c->y;
    const int th = VKNN_DIV_UP(y->h, 4), tw = VKNN_DIV_UP(y->w, 4);
    const int64_t tiles = (int64_t)y->n * th * tw, band = band_tiles(r->ctx, x, y);
    int64_t texels[VKNN_WORKSPACE_SLOTS] = {0};
    vknn_conv_winograd_workspace(r->ctx, x, y, c->half, texels);
    int tiles_slot, products_slot;
    workspace_slots(c->half, &tiles_slot, &products_slot);
    VknnTensor *v = vknn_record_workspace(r, tiles_slot, texels[tiles_slot], err);
    VknnTensor *m = v ? vknn_record_workspace(r, products_slot, texels[products_slot], err) : NULL;
    int tx, ocb;
    gemm_tile(r->ctx, band, y->c4, &tx, &ocb);
    const int32_t in_spec[] = {c->pad_mode, MAX(c->upsample, 1), c->half,
                               vknn_input_norm_mode(c->norm, c->norm_act)};
    const int32_t gemm_spec[] = {tx, ocb, c->half};
    const int32_t out_spec[] = {c->act.act};
    VknnPipeline *in_p = m ? vknn_op_pipeline(r, &input_shader, 64, in_spec, 4, err) : NULL;
    const VknnShader *gemm = r->ctx->shuffle_weights ? &gemm_shuffle_shader : &gemm_shader;
    const uint32_t local = vknn_tile_local_size(r->ctx);
    VknnPipeline *gemm_p = in_p ? vknn_op_pipeline(r, gemm, local, gemm_spec, 3, err) : NULL;
    VknnPipeline *out_p = gemm_p ? vknn_op_pipeline(r, &output_shader, 64, out_spec, 1, err) : NULL;
    if (!out_p)
        return FALSE;
    for (int64_t tile0 = 0; tile0 < tiles; tile0 += band) {
        const int32_t count = (int32_t)MIN(band, tiles - tile0);
        InputPush ip = {x->c4, x->h,     x->w,     y->h,           y->w, th,
                        tw,    c->pad_t, c->pad_l, (int32_t)tile0, count};
        /* Without a norm, its binding gets a stand-in the kernel never reads. */
        vknn_cmd_dispatch_linear(r->cmd, in_p, (const VknnTensor *[]){x, c->norm ? c->norm : x, v},
                                 &ip, (int64_t)count * x->c4);
        GemmPush gp = {x->c4, y->c4, count};
        vknn_cmd_dispatch(r->cmd, gemm_p, (const VknnTensor *[]){v, c->u, m}, &gp,
                          (uint32_t)VKNN_DIV_UP(VKNN_DIV_UP(count, tx), local), POINTS,
                          (uint32_t)VKNN_DIV_UP(y->c4, ocb));
        OutputPush op = {y->c, y->c4,          y->h,  y->w,         th,
                         tw,   (int32_t)tile0, count, c->act.alpha, c->act.beta};
        vknn_cmd_dispatch_linear(r->cmd, out_p, (const VknnTensor *[]){m, c->bias, y}, &op,
                                 (int64_t)count * y->c4);
    }
    return TRUE;
}
