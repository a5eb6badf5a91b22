#version 450
#extension GL_GOOGLE_include_directive : require
// Sums `chunks` consecutive copies of a tensor (partial sums computed in
// parallel, e.g. weight gradients over row chunks).
//
// Bindings: 0 parts [chunks][count] (texel), 1 out [count] (storage).
// Linear grid over count.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer parts_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, chunks;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    vec4 acc = vec4(0.0);
    for (int k = 0; k < p.chunks; k++)
        acc += texelFetch(parts_t, k * p.count + i);
    out_t[i] = acc;
}
