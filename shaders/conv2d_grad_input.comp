#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Conv with respect to its input: gx = W^T * gy, gathered per
// input pixel (no atomics): input pixel (iy, ix) receives gy[oy, ox] through
// tap (ky, kx) where iy = oy * SH - pad_t + ky * DH.
//
// Bindings: 0 gy [n][oc4][oh][ow] (texel; already multiplied by the fused
// activation's derivative), 1 weights [ic4][oc4][kh][kw][4 output lanes]
// vec4 over input lanes (texel), 2 gx [n][ic4][ih][iw] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW. Linear grid over gx texels.
// Each input block only visits the output blocks of its groups, so a
// depthwise convolution costs one block per pixel, not C / 4.
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) uniform samplerBuffer w_t;
layout(binding = 2) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ic, ic4, ih, iw;
    int oc4, oh, ow;
    int pad_t, pad_l;
    int icg, ocg;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int c4 = (i / (p.iw * p.ih)) % p.ic4;
    const int n = i / (p.iw * p.ih * p.ic4);
    const int g0 = c4 * 4 / p.icg, g1 = min(c4 * 4 + 3, p.ic - 1) / p.icg;
    const int o4_lo = g0 * p.ocg / 4, o4_hi = ((g1 + 1) * p.ocg - 1) / 4;
    vec4 acc = vec4(0.0);
    for (int o4 = o4_lo; o4 <= o4_hi; o4++) {
        const int plane = (n * p.oc4 + o4) * p.oh;
        const int wbase = (c4 * p.oc4 + o4) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            const int ty = iy + p.pad_t - ky * DH;
            if (ty < 0 || ty % SH != 0 || ty / SH >= p.oh)
                continue;
            for (int kx = 0; kx < KW; kx++) {
                const int tx = ix + p.pad_l - kx * DW;
                if (tx < 0 || tx % SW != 0 || tx / SW >= p.ow)
                    continue;
                const vec4 g = texelFetch(gy_t, (plane + ty / SH) * p.ow + tx / SW);
                const int wt = (wbase + ky * KW + kx) * 4;
                acc += texelFetch(w_t, wt) * g.x + texelFetch(w_t, wt + 1) * g.y +
                       texelFetch(w_t, wt + 2) * g.z + texelFetch(w_t, wt + 3) * g.w;
            }
        }
    }
    gx_t[i] = acc;
}
