#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#ifdef SHUFFLE_WEIGHTS
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
// Direct 2D convolution, channel-packed, with fused padding and activation.
// Each invocation computes OCB blocks of 4 output channels for TX adjacent
// output pixels of one row (a register tile): every weight fetch serves TX
// pixels and every input fetch 4 x OCB channels.
//
// Bindings: 0 input [n][ic4][ih][iw] (texel), 1 weights [oc4][ic4][kh][kw][4]
// vec4 over the 4 output lanes, one per input lane (texel), 2 bias [oc4]
// (texel), 3 input norm [n][ic4][2] scale, shift (texel, read when
// INPUT_NORM), 4 output [n][oc4][oh][ow] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW, 9 PAD_MODE, 10 ACT, 11 TX,
// 12 OCB (TX <= 8, OCB <= 8: the accumulator array is sized for that
// maximum, and larger arrays spill badly on lavapipe), 13 UPS: the input is
// read as if upsampled UPS times by nearest neighbour (a fused Resize), so
// padding applies to the (ih * UPS) x (iw * UPS) image, 14 FLAT: the TX
// pixels of a tile run along the flattened oh x ow image instead of one row,
// so narrow layers (SqueezeNet's 13x13) still get long tiles; grid x =
// ceil(oh * ow / TX), y = 1, 15 IN_LANES: min(input channels, 4),
// 16 INPUT_NORM: the input is normalized while read (a fused
// InstanceNormalization: 1, then Relu: 2; padding stays zero), 17 POINTWISE
// (with FLAT): a 1x1 window at stride 1 without padding or upsampling, so
// output pixel q reads input pixel q and no coordinates are computed.
// Grid: x = ceil(ow / TX), y = oh, z = n * ceil(oc4 / OCB). Invocations past
// the last pixel run on clamped or padded pixels and store nothing: the
// SHUFFLE_WEIGHTS build needs every lane of a workgroup (mac_tile.glsl).
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;
layout(constant_id = 9) const int PAD_MODE = PAD_ZERO;
layout(constant_id = 10) const int ACT = ACT_NONE;
layout(constant_id = 11) const int TX = 4;
layout(constant_id = 12) const int OCB = 1;
layout(constant_id = 13) const int UPS = 1;
layout(constant_id = 14) const bool FLAT = false;
layout(constant_id = 15) const int IN_LANES = 4;
layout(constant_id = 16) const int INPUT_NORM = 0;
layout(constant_id = 17) const bool POINTWISE = false;
#define TX_MAX 8
#define OCB_MAX 8
// Stride and dilation 1: the next tap's row window is this one shifted by a
// column, so each tap after the first fetches one texel instead of TX.
const bool SLIDE = SW == 1 && DW == 1 && KW > 1;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer w_t;
layout(binding = 2) uniform samplerBuffer b_t;
layout(binding = 3) uniform samplerBuffer norm_t;
layout(binding = 4) writeonly buffer Out { vec4 out_t[]; };

#include "mac_tile.glsl"

layout(push_constant) uniform Params {
    int ic4, ih, iw;
    int oc, oc4, oh, ow;
    int pad_t, pad_l;
    int batch;
    float alpha, beta;
} p;

// Input texel `at`, normalized when INPUT_NORM by norm = the scale and
// shift of its batch and channel block (input_norm).
vec4 read_input(int at, const vec4 norm[2])
{
    return normalize_input(texelFetch(in_t, at), INPUT_NORM, norm[0], norm[1]);
}

vec4[2] input_norm(int n, int c4)
{
    if (INPUT_NORM == 0)
        return vec4[2](vec4(1.0), vec4(0.0));
    const int at = 2 * (n * p.ic4 + c4);
    return vec4[2](texelFetch(norm_t, at), texelFetch(norm_t, at + 1));
}

// FLAT tiles: pixel p = tile * TX + t of the oh x ow image, wrapping rows.
void main_flat()
{
    const int pix = p.oh * p.ow;
    const int p0 = int(gl_GlobalInvocationID.x) * TX;
    const int z = int(gl_GlobalInvocationID.z);
    const int blocks = (p.oc4 + OCB - 1) / OCB;
    if (z >= p.batch * blocks)
        return;
    const int n = z / blocks;
    const int o40 = (z % blocks) * OCB;

    int oy[TX_MAX], ox[TX_MAX];
    for (int t = 0; t < TX; t++) {
        const int q = min(p0 + t, pix - 1); // tail pixels repeat the last one, unstored
        oy[t] = q / p.ow;
        ox[t] = q % p.ow;
    }
    vec4 acc[OCB_MAX][TX_MAX];
    for (int b = 0; b < OCB; b++) {
        const vec4 bias = texelFetch(b_t, min(o40 + b, p.oc4 - 1));
        for (int t = 0; t < TX; t++)
            acc[b][t] = bias;
    }
    for (int c4 = 0; POINTWISE && c4 < p.ic4; c4++) {
        const int plane = (n * p.ic4 + c4) * pix;
        const vec4 norm[2] = input_norm(n, c4);
        vec4 v[TX_MAX];
        for (int t = 0; t < TX; t++)
            v[t] = read_input(plane + min(p0 + t, pix - 1), norm);
        mac_tile(acc, v, o40, p.oc4, p.ic4, c4);
    }
    for (int c4 = 0; !POINTWISE && c4 < p.ic4; c4++) {
        const int in_plane = (n * p.ic4 + c4) * p.ih;
        const vec4 norm[2] = input_norm(n, c4);
        for (int ky = 0; ky < KH; ky++) {
            for (int kx = 0; kx < KW; kx++) {
                vec4 v[TX_MAX];
                for (int t = 0; t < TX; t++) {
                    int iy = oy[t] * SH - p.pad_t + ky * DH;
                    int ix = ox[t] * SW - p.pad_l + kx * DW;
                    const bool in_y = pad_coord(iy, p.ih * UPS, PAD_MODE);
                    const bool in_x = pad_coord(ix, p.iw * UPS, PAD_MODE);
                    v[t] = in_y && in_x
                               ? read_input((in_plane + iy / UPS) * p.iw + ix / UPS, norm)
                               : vec4(0.0);
                }
                mac_tile(acc, v, o40, p.oc4, p.ic4 * KH * KW, c4 * KH * KW + ky * KW + kx);
            }
        }
    }
    for (int b = 0; b < OCB; b++) {
        const int o4 = o40 + b;
        if (o4 >= p.oc4)
            break;
        const int plane = (n * p.oc4 + o4) * pix;
        for (int t = 0; t < TX; t++)
            if (p0 + t < pix)
                out_t[plane + p0 + t] =
                    mask_lanes(activate(acc[b][t], ACT, p.alpha, p.beta), o4, p.oc);
    }
}

void main()
{
    if (FLAT) {
        main_flat();
        return;
    }
    const int ox0 = int(gl_GlobalInvocationID.x) * TX;
    const int oy = int(gl_GlobalInvocationID.y);
    const int z = int(gl_GlobalInvocationID.z);
    const int blocks = (p.oc4 + OCB - 1) / OCB;
    if (oy >= p.oh || z >= p.batch * blocks)
        return;
    const int n = z / blocks;
    const int o40 = (z % blocks) * OCB;

    vec4 acc[OCB_MAX][TX_MAX];
    for (int b = 0; b < OCB; b++) {
        const vec4 bias = texelFetch(b_t, min(o40 + b, p.oc4 - 1));
        for (int t = 0; t < TX; t++)
            acc[b][t] = bias;
    }

    for (int c4 = 0; c4 < p.ic4; c4++) {
        const int in_plane = (n * p.ic4 + c4) * p.ih;
        const vec4 norm[2] = input_norm(n, c4);
        for (int ky = 0; ky < KH; ky++) {
            int iy = oy * SH - p.pad_t + ky * DH;
            if (!pad_coord(iy, p.ih * UPS, PAD_MODE))
                continue;
            iy /= UPS;
            const int row = (in_plane + iy) * p.iw;
            vec4 v[TX_MAX];
            [[unroll]] for (int kx = 0; kx < KW; kx++) {
                for (int t = 0; t < TX; t++) {
                    if (SLIDE && kx > 0 && t < TX - 1) {
                        v[t] = v[t + 1];
                        continue;
                    }
                    int ix = (ox0 + t) * SW - p.pad_l + kx * DW;
                    v[t] = pad_coord(ix, p.iw * UPS, PAD_MODE) ? read_input(row + ix / UPS, norm)
                                                               : vec4(0.0);
                }
                mac_tile(acc, v, o40, p.oc4, p.ic4 * KH * KW, c4 * KH * KW + ky * KW + kx);
            }
        }
    }

    for (int b = 0; b < OCB; b++) {
        const int o4 = o40 + b;
        if (o4 >= p.oc4)
            break;
        const int out_row = ((n * p.oc4 + o4) * p.oh + oy) * p.ow;
        for (int t = 0; t < TX; t++)
            if (ox0 + t < p.ow)
                out_t[out_row + ox0 + t] =
                    mask_lanes(activate(acc[b][t], ACT, p.alpha, p.beta), o4, p.oc);
    }
}
