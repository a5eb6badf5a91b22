#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of MaxPool and AveragePool, gathered per input pixel: each
// window covering the pixel contributes its gradient, for MaxPool only when
// the pixel is the window's maximum (the first one in row-major window
// order on ties, as PyTorch picks), for AveragePool divided by the window's
// divisor (the same count as the forward pool.comp).
//
// Bindings: 0 x [n][c4][ih][iw] (texel), 1 gy [n][c4][oh][ow] (texel),
// 2 gx [n][c4][ih][iw] (storage). Spec as pool.comp: 3 MAX, 4 KH, 5 KW,
// 6 SH, 7 SW, 8 DH, 9 DW, 10 COUNT_PAD. Linear grid over gx texels.
#include "vknn.glsl"

layout(constant_id = 3) const int MAX = 1;
layout(constant_id = 4) const int KH = 3;
layout(constant_id = 5) const int KW = 3;
layout(constant_id = 6) const int SH = 2;
layout(constant_id = 7) const int SW = 2;
layout(constant_id = 8) const int DH = 1;
layout(constant_id = 9) const int DW = 1;
layout(constant_id = 10) const int COUNT_PAD = 0;

layout(binding = 0) uniform samplerBuffer x_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw, oh, ow;
    int pad_t, pad_l, pad_b, pad_r;
} p;

// What window (oy, ox) passes to input pixel `me` (flattened iy * iw + ix).
vec4 window_grad(int plane, int oy, int ox, int me, vec4 g)
{
    vec4 best = vec4(-3.402823e38);
    ivec4 arg = ivec4(-1);
    int taps = 0, padded_taps = 0;
    for (int ky = 0; ky < KH; ky++) {
        const int iy = oy * SH - p.pad_t + ky * DH;
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ox * SW - p.pad_l + kx * DW;
            if (iy < p.ih + p.pad_b && ix < p.iw + p.pad_r)
                padded_taps++;
            if (iy < 0 || iy >= p.ih || ix < 0 || ix >= p.iw)
                continue;
            taps++;
            if (MAX != 0) {
                const vec4 v = texelFetch(x_t, (plane + iy) * p.iw + ix);
                const bvec4 better = greaterThan(v, best);
                best = mix(best, v, better);
                arg = ivec4(mix(vec4(arg), vec4(iy * p.iw + ix), better));
            }
        }
    }
    if (MAX != 0)
        return g * vec4(equal(arg, ivec4(me)));
    return g / float(max(COUNT_PAD != 0 ? padded_taps : taps, 1));
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int nc = i / (p.iw * p.ih);
    vec4 acc = vec4(0.0);
    for (int ky = 0; ky < KH; ky++) {
        const int ty = iy + p.pad_t - ky * DH;
        if (ty < 0 || ty % SH != 0 || ty / SH >= p.oh)
            continue;
        for (int kx = 0; kx < KW; kx++) {
            const int tx = ix + p.pad_l - kx * DW;
            if (tx < 0 || tx % SW != 0 || tx / SW >= p.ow)
                continue;
            const vec4 g = texelFetch(gy_t, (nc * p.oh + ty / SH) * p.ow + tx / SW);
            acc += window_grad(nc * p.ih, ty / SH, tx / SW, iy * p.iw + ix, g);
        }
    }
    gx_t[i] = acc;
}
