#version 450
#extension GL_GOOGLE_include_directive : require
// Matrix product Y[m, n] = alpha * sum_k A[m, k] B[k, n] + beta * C (Gemm,
// MatMul). A [M, K] and Y [M, N] are channel-packed 2D tensors (rows = n
// dim, columns = channel lanes); B is [K][ceil(N/4)] vec4, which is the
// channel-packed layout of a [K, N] tensor and of packed constant weights.
// One invocation per output texel (4 columns).
//
// Bindings: 0 A (texel), 1 B (texel), 2 C (texel, [ceil(N/4)] vec4 or one
// value), 3 Y (storage). Spec: 3 C_MODE (0 none, 1 per column, 2 scalar).
// Grid: x = ceil(N/4), y = M.
#include "vknn.glsl"

layout(constant_id = 3) const int C_MODE = 0;

layout(binding = 0) uniform samplerBuffer a_t;
layout(binding = 1) uniform samplerBuffer b_t;
layout(binding = 2) uniform samplerBuffer c_t;
layout(binding = 3) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int m, k, k4, n, n4;
    float alpha, beta;
} p;

void main()
{
    const int n4 = int(gl_GlobalInvocationID.x);
    const int m = int(gl_GlobalInvocationID.y);
    if (n4 >= p.n4 || m >= p.m)
        return;
    vec4 acc = vec4(0.0);
    for (int k4 = 0; k4 < p.k4; k4++) {
        const vec4 a = texelFetch(a_t, m * p.k4 + k4);
        const int k = k4 * 4;
        acc += a.x * texelFetch(b_t, k * p.n4 + n4);
        if (k + 1 < p.k)
            acc += a.y * texelFetch(b_t, (k + 1) * p.n4 + n4);
        if (k + 2 < p.k)
            acc += a.z * texelFetch(b_t, (k + 2) * p.n4 + n4);
        if (k + 3 < p.k)
            acc += a.w * texelFetch(b_t, (k + 3) * p.n4 + n4);
    }
    acc *= p.alpha;
    if (C_MODE == 1)
        acc += p.beta * texelFetch(c_t, n4);
    else if (C_MODE == 2)
        acc += p.beta * texelFetch(c_t, 0).x;
    out_t[m * p.n4 + n4] = mask_lanes(acc, n4, p.n);
}
