#version 450
#extension GL_GOOGLE_include_directive : require
// Local response normalization across channels (ONNX LRN):
// y[c] = x[c] / (bias + alpha / size * sum of x[k]^2, k in [c - lo, c + hi])^beta
// with lo = (size - 1) / 2, hi = size - 1 - lo, clipped to the channels.
//
// Bindings: 0 input [n][c4][h][w] (texel), 1 output (storage).
// Spec: 3 SIZE. Linear grid over output texels.
#include "vknn.glsl"

layout(constant_id = 3) const int SIZE = 5;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, hw, c, c4;
    float alpha, beta, bias;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int pix = i % p.hw, z = i / p.hw;
    const int c4 = z % p.c4, base = (z - c4) * p.hw + pix; // texel of block 0
    const int lo = (SIZE - 1) / 2, hi = SIZE - 1 - lo;
    const int first = max(c4 * 4 - lo, 0), last = min(c4 * 4 + 3 + hi, p.c - 1);
    // Each channel's square, once, added to the lanes whose window holds it.
    vec4 sum = vec4(0.0);
    for (int b = first >> 2; b <= last >> 2; b++) {
        const vec4 x = texelFetch(in_t, base + b * p.hw);
        const vec4 sq = x * x;
        for (int l = 0; l < 4; l++) {
            const int k = b * 4 + l;
            if (k < first || k > last)
                continue;
            for (int o = 0; o < 4; o++) {
                const int d = k - (c4 * 4 + o);
                sum[o] += d >= -lo && d <= hi ? sq[l] : 0.0;
            }
        }
    }
    const vec4 x = texelFetch(in_t, i);
    const vec4 y = x / pow(vec4(p.bias) + (p.alpha / float(SIZE)) * sum, vec4(p.beta));
    out_t[i] = mask_lanes(y, c4, p.c);
}
