#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of MaxPool and AveragePool, gathered per input pixel: each
// window covering the pixel contributes its gradient, for MaxPool only when
// the pixel is the window's maximum (its index from pool.comp's ARGMAX pass:
// the first one in row-major window order on ties, as PyTorch picks), for
// AveragePool divided by the window's divisor (the same count as the
// forward pool.comp). Only the windows that can cover the pixel are visited
// (ceil(((K - 1) D + 1) / S) per axis), each fetched unconditionally and
// selected: no fetch under a per-lane branch, which lavapipe runs slowly.
//
// Bindings: 0 argmax [n][c4][oh][ow] (texel; MaxPool), 1 gy [n][c4][oh][ow]
// (texel), 2 gx [n][c4][ih][iw] (storage). Spec as pool.comp: 3 MAX, 4 KH,
// 5 KW, 6 SH, 7 SW, 8 DH, 9 DW, 10 COUNT_PAD. Linear grid over gx texels.
#include "vknn.glsl"

layout(constant_id = 3) const int MAX = 1;
layout(constant_id = 4) const int KH = 3;
layout(constant_id = 5) const int KW = 3;
layout(constant_id = 6) const int SH = 2;
layout(constant_id = 7) const int SW = 2;
layout(constant_id = 8) const int DH = 1;
layout(constant_id = 9) const int DW = 1;
layout(constant_id = 10) const int COUNT_PAD = 0;

layout(binding = 0) uniform samplerBuffer arg_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw, oh, ow;
    int pad_t, pad_l, pad_b, pad_r;
} p;

const int WY = ((KH - 1) * DH + SH) / SH;
const int WX = ((KW - 1) * DW + SW) / SW;

// Whether window o (of n) along an axis reads input coordinate i.
bool covers(int i, int o, int n, int s, int pad, int d, int k)
{
    const int off = i + pad - o * s;
    return o >= 0 && o < n && off >= 0 && off % d == 0 && off / d < k;
}

// AveragePool's divisor of window (oy, ox), as in pool.comp.
float divisor(int oy, int ox)
{
    int taps = 0, padded_taps = 0;
    for (int ky = 0; ky < KH; ky++) {
        const int iy = oy * SH - p.pad_t + ky * DH;
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ox * SW - p.pad_l + kx * DW;
            padded_taps += iy < p.ih + p.pad_b && ix < p.iw + p.pad_r ? 1 : 0;
            taps += iy >= 0 && iy < p.ih && ix >= 0 && ix < p.iw ? 1 : 0;
        }
    }
    return float(max(COUNT_PAD != 0 ? padded_taps : taps, 1));
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int nc = i / (p.iw * p.ih);
    const vec4 me = vec4(float(iy * p.iw + ix));
    // The last window starting at or before the pixel, then earlier ones.
    const int oy0 = (iy + p.pad_t) / SH, ox0 = (ix + p.pad_l) / SW;
    vec4 acc = vec4(0.0);
    for (int a = 0; a < WY; a++) {
        const int oy = oy0 - a;
        const bool in_y = covers(iy, oy, p.oh, SH, p.pad_t, DH, KH);
        for (int b = 0; b < WX; b++) {
            const int ox = ox0 - b;
            const bool valid = in_y && covers(ix, ox, p.ow, SW, p.pad_l, DW, KW);
            const int at = (nc * p.oh + clamp(oy, 0, p.oh - 1)) * p.ow + clamp(ox, 0, p.ow - 1);
            const vec4 g = texelFetch(gy_t, at);
            const vec4 share = MAX != 0 ? vec4(equal(texelFetch(arg_t, at), me))
                                        : vec4(1.0 / divisor(oy, ox));
            acc += valid ? g * share : vec4(0.0);
        }
    }
    gx_t[i] = acc;
}
