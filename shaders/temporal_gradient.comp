#version 450
#extension GL_GOOGLE_include_directive : require
// Grey level -> (grey, d/dx, d/dy, 0): the template of Lucas-Kanade
// (temporal_lk.comp) keeps its gradients, computed once per frame and level.
// Central differences, one-sided at the edges.
//
// Bindings: 0 grey (texel, lane 0), 1 out (storage, vec4). Grid: size.x x size.y.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer grey_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    ivec2 size;
} p;

float grey(ivec2 q)
{
    const ivec2 c = clamp(q, ivec2(0), p.size - 1);
    return texelFetch(grey_t, c.y * p.size.x + c.x).x;
}

void main()
{
    const ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(q, p.size)))
        return;
    const ivec2 lo = max(q - 1, ivec2(0)), hi = min(q + 1, p.size - 1);
    const vec2 span = vec2(max(hi - lo, ivec2(1)));
    const float gx = (grey(ivec2(hi.x, q.y)) - grey(ivec2(lo.x, q.y))) / span.x;
    const float gy = (grey(ivec2(q.x, hi.y)) - grey(ivec2(q.x, lo.y))) / span.y;
    out_t[q.y * p.size.x + q.x] = vec4(grey(q), gx, gy, 0.0);
}
