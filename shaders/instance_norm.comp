#version 450
#extension GL_GOOGLE_include_directive : require
// Instance-norm statistics: for each (n, c4) block, mean and biased variance
// over H*W (two passes over the data, which is more accurate than the sum of
// squares for 0..255-scaled activations), folded with gamma/beta into a
// per-channel scale and shift that channel_affine.comp applies.
//
// Bindings: 0 input [n][c4][h][w] (texel), 1 params [c4][2] = gamma, beta
// (texel), 2 output [n][c4][2] = scale, shift (storage).
// One workgroup (local size x, a power of two <= 256) per n * c4.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer gb_t;
layout(binding = 2) writeonly buffer Out { vec4 stats[]; };

layout(push_constant) uniform Params {
    int c4, hw;
    float eps;
} p;

shared vec4 partial[256];

vec4 reduce_sum(vec4 v)
{
    const uint lid = gl_LocalInvocationID.x;
    partial[lid] = v;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {
        if (lid < s)
            partial[lid] += partial[lid + s];
        barrier();
    }
    vec4 r = partial[0];
    barrier();
    return r;
}

void main()
{
    const int z = int(gl_WorkGroupID.x);
    const int lid = int(gl_LocalInvocationID.x);
    const int step = int(gl_WorkGroupSize.x);
    const int base = z * p.hw;

    vec4 s = vec4(0.0);
    for (int i = lid; i < p.hw; i += step)
        s += texelFetch(in_t, base + i);
    const vec4 mean = reduce_sum(s) / float(p.hw);

    vec4 q = vec4(0.0);
    for (int i = lid; i < p.hw; i += step) {
        const vec4 d = texelFetch(in_t, base + i) - mean;
        q += d * d;
    }
    const vec4 var = reduce_sum(q) / float(p.hw);

    if (lid == 0) {
        const int c4 = z % p.c4;
        const vec4 scale = texelFetch(gb_t, 2 * c4) * inversesqrt(var + p.eps);
        stats[2 * z] = scale;
        stats[2 * z + 1] = texelFetch(gb_t, 2 * c4 + 1) - mean * scale;
    }
}
