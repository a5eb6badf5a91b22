#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of InstanceNormalization y = gamma * (x - mean) * rstd + beta for
// one block of 4 channels over the whole batch (so the gamma and beta
// gradients are summed over it in place):
//   dx = gamma * rstd * (g - mean(g) - xhat * mean(g * xhat)),
//   dgamma = sum(g * xhat), dbeta = sum(g).
//
// Bindings: 0 x [n][c4][h][w] (texel), 1 gy (texel, same layout), 2 gamma,
// beta as [c4][2] (texel), 3 gx [n][c4][h][w], 4 dgamma [c4], 5 dbeta [c4]
// (storage). One workgroup (local size a power of two <= 256) per c4.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer x_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) uniform samplerBuffer gb_t;
layout(binding = 3) writeonly buffer Gx { vec4 gx_t[]; };
layout(binding = 4) writeonly buffer Gg { vec4 dgamma_t[]; };
layout(binding = 5) writeonly buffer Gb { vec4 dbeta_t[]; };

layout(push_constant) uniform Params {
    int c4, hw, batch;
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
    const int c4 = int(gl_WorkGroupID.x);
    const int lid = int(gl_LocalInvocationID.x);
    const int step = int(gl_WorkGroupSize.x);
    const vec4 gamma = texelFetch(gb_t, 2 * c4);
    vec4 dgamma = vec4(0.0), dbeta = vec4(0.0);
    for (int n = 0; n < p.batch; n++) {
        const int base = (n * p.c4 + c4) * p.hw;
        vec4 s = vec4(0.0);
        for (int i = lid; i < p.hw; i += step)
            s += texelFetch(x_t, base + i);
        const vec4 mean = reduce_sum(s) / float(p.hw);
        vec4 q = vec4(0.0);
        for (int i = lid; i < p.hw; i += step) {
            const vec4 d = texelFetch(x_t, base + i) - mean;
            q += d * d;
        }
        const vec4 rstd = inversesqrt(reduce_sum(q) / float(p.hw) + p.eps);
        vec4 sg = vec4(0.0), sgx = vec4(0.0);
        for (int i = lid; i < p.hw; i += step) {
            const vec4 g = texelFetch(gy_t, base + i);
            sg += g;
            sgx += g * (texelFetch(x_t, base + i) - mean) * rstd;
        }
        sg = reduce_sum(sg);
        sgx = reduce_sum(sgx);
        dbeta += sg;
        dgamma += sgx;
        const vec4 mg = sg / float(p.hw), mgx = sgx / float(p.hw);
        for (int i = lid; i < p.hw; i += step) {
            const vec4 xhat = (texelFetch(x_t, base + i) - mean) * rstd;
            gx_t[base + i] = gamma * rstd * (texelFetch(gy_t, base + i) - mg - xhat * mgx);
        }
    }
    if (lid == 0) {
        dgamma_t[c4] = dgamma;
        dbeta_t[c4] = dbeta;
    }
}
