#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Gemm / MatMul with respect to A: gA = alpha * gY * B'^T, where
// B' is B as the forward used it (transposed when transB).
//
// Bindings: 0 gY [M][N4] (texel), 1 B' rows [N][K4] vec4 over k (texel),
// 2 gA [M][K4] (storage). Linear grid over gA texels.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) uniform samplerBuffer b_t;
layout(binding = 2) writeonly buffer Out { vec4 ga_t[]; };

layout(push_constant) uniform Params {
    int count, k4, n, n4;
    float alpha;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int k4 = i % p.k4;
    const int m = i / p.k4;
    vec4 acc = vec4(0.0);
    for (int j = 0; j < p.n; j++)
        acc += texelFetch(gy_t, m * p.n4 + j / 4)[j & 3] * texelFetch(b_t, j * p.k4 + k4);
    ga_t[i] = p.alpha * acc;
}
