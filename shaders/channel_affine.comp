#version 450
#extension GL_GOOGLE_include_directive : require
// Per-channel affine transform y = x * scale + shift with fused activation:
// the apply step of instance normalisation and of a standalone
// BatchNormalization.
//
// Bindings: 0 input [n][c4][h][w] (texel), 1 params [pn][c4][2] = scale,
// shift (texel; pn = n for instance norm, 1 for shared parameters),
// 2 output (storage). Spec: 3 ACT. Linear grid over texels.
#include "vknn.glsl"

layout(constant_id = 3) const int ACT = ACT_NONE;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer ss_t;
layout(binding = 2) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, hw, c, c4;
    int per_batch; // 1: parameters per (n, c4); 0: shared by all n
    float alpha, beta;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int z = i / p.hw;
    const int c4 = z % p.c4;
    const int k = p.per_batch != 0 ? z : c4;
    const vec4 v = texelFetch(in_t, i) * texelFetch(ss_t, 2 * k) + texelFetch(ss_t, 2 * k + 1);
    out_t[i] = mask_lanes(activate(v, ACT, p.alpha, p.beta), c4, p.c);
}
