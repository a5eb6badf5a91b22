#version 450
#extension GL_GOOGLE_include_directive : require
// MaxPool and AveragePool over H and W of a 4D tensor.
//
// Bindings: 0 input [n][c4][ih][iw] (texel), 1 output [n][c4][oh][ow]
// (storage). Spec: 3 MAX (1 max, 0 average), 4 KH, 5 KW, 6 SH, 7 SW,
// 8 DH, 9 DW, 10 COUNT_PAD (average: divide by taps inside the padded
// input rather than inside the input), 11 ARGMAX (max: write the flat
// index iy * iw + ix of each lane's first maximum in row-major window order,
// as a float, -1 for a window without taps; read by pool_grad.comp).
// Linear grid.
#include "vknn.glsl"

layout(constant_id = 3) const int MAX = 1;
layout(constant_id = 4) const int KH = 3;
layout(constant_id = 5) const int KW = 3;
layout(constant_id = 6) const int SH = 2;
layout(constant_id = 7) const int SW = 2;
layout(constant_id = 8) const int DH = 1;
layout(constant_id = 9) const int DW = 1;
layout(constant_id = 10) const int COUNT_PAD = 0;
layout(constant_id = 11) const bool ARGMAX = false;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw, oh, ow;
    int pad_t, pad_l, pad_b, pad_r;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ox = i % p.ow;
    const int oy = (i / p.ow) % p.oh;
    const int plane = (i / (p.ow * p.oh)) * p.ih;
    vec4 acc = MAX != 0 ? vec4(-3.402823e38) : vec4(0.0);
    vec4 arg = vec4(-1.0);
    int taps = 0, padded_taps = 0;
    for (int ky = 0; ky < KH; ky++) {
        const int iy = oy * SH - p.pad_t + ky * DH;
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ox * SW - p.pad_l + kx * DW;
            if (iy < p.ih + p.pad_b && ix < p.iw + p.pad_r)
                padded_taps++;
            // Every tap fetches (clamped) and selects: lavapipe runs a fetch
            // under a per-lane branch much slower (MaxPool 3x3/2 of SqueezeNet's
            // 64 x 111 x 111: 0.79 -> 0.57 ms).
            const bool inside = iy >= 0 && iy < p.ih && ix >= 0 && ix < p.iw;
            const vec4 v = texelFetch(in_t, (plane + clamp(iy, 0, p.ih - 1)) * p.iw +
                                                clamp(ix, 0, p.iw - 1));
            if (ARGMAX) {
                const bvec4 better = inside ? greaterThan(v, acc) : bvec4(false);
                acc = mix(acc, v, better);
                arg = mix(arg, vec4(float(iy * p.iw + ix)), better);
            } else if (MAX != 0)
                acc = inside ? max(acc, v) : acc;
            else
                acc += inside ? v : vec4(0.0);
            taps += inside ? 1 : 0;
        }
    }
    if (MAX == 0)
        acc /= float(max(COUNT_PAD != 0 ? padded_taps : taps, 1));
    else if (taps == 0)
        acc = vec4(0.0);
    out_t[i] = ARGMAX ? arg : acc;
}
