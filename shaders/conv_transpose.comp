#version 450
#extension GL_GOOGLE_include_directive : require
// Transposed 2D convolution as a gather: output pixel (oy, ox) sums the
// inputs (iy, ix) with oy = iy * SH - pad_t + ky * DH (likewise x).
// One invocation per output texel (4 output channels).
//
// Bindings: 0 input [n][ic4][ih][iw] (texel), 1 weights [oc4][ic4][kh][kw][4]
// vec4 over output lanes, one per input lane (texel), 2 bias [oc4] (texel),
// 3 output [n][oc4][oh][ow] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW, 9 ACT.
// Grid: x = ow, y = oh, z = n * oc4.
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 2;
layout(constant_id = 6) const int SW = 2;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;
layout(constant_id = 9) const int ACT = ACT_NONE;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer w_t;
layout(binding = 2) uniform samplerBuffer b_t;
layout(binding = 3) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int ic4, ih, iw;
    int oc, oc4, oh, ow;
    int pad_t, pad_l;
    int batch;
    float alpha, beta;
} p;

void main()
{
    const int ox = int(gl_GlobalInvocationID.x);
    const int oy = int(gl_GlobalInvocationID.y);
    const int z = int(gl_GlobalInvocationID.z);
    if (ox >= p.ow || oy >= p.oh || z >= p.batch * p.oc4)
        return;
    const int n = z / p.oc4;
    const int o4 = z % p.oc4;

    vec4 acc = texelFetch(b_t, o4);
    for (int ky = 0; ky < KH; ky++) {
        const int ty = oy + p.pad_t - ky * DH;
        if (ty < 0 || ty % SH != 0 || ty / SH >= p.ih)
            continue;
        const int iy = ty / SH;
        for (int kx = 0; kx < KW; kx++) {
            const int tx = ox + p.pad_l - kx * DW;
            if (tx < 0 || tx % SW != 0 || tx / SW >= p.iw)
                continue;
            const int ix = tx / SW;
            for (int c4 = 0; c4 < p.ic4; c4++) {
                const vec4 v = texelFetch(in_t, ((n * p.ic4 + c4) * p.ih + iy) * p.iw + ix);
                const int wi = ((o4 * p.ic4 + c4) * KH * KW + ky * KW + kx) * 4;
                acc += texelFetch(w_t, wi) * v.x + texelFetch(w_t, wi + 1) * v.y +
                       texelFetch(w_t, wi + 2) * v.z + texelFetch(w_t, wi + 3) * v.w;
            }
        }
    }
    out_t[((n * p.oc4 + o4) * p.oh + oy) * p.ow + ox] =
        mask_lanes(activate(acc, ACT, p.alpha, p.beta), o4, p.oc);
}
