#version 450
#extension GL_GOOGLE_include_directive : require
// One level of the grey pyramid of temporal stabilisation (temporal.c):
// level 0 from the network input (RGB 0..255 in lanes 0-2, BT.601 luma),
// level l > 0 as the 2x2 mean of level l - 1 (the last row/column of an odd
// size is repeated).
//
// Bindings: 0 source (texel: network input, or level l - 1 grey in lane 0),
// 1 grey (storage, vec4, grey in lane 0). Spec: 3 FROM_RGB.
// Grid: size.x x size.y.
#include "vknn.glsl"

layout(constant_id = 3) const bool FROM_RGB = true;

layout(binding = 0) uniform samplerBuffer src_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    ivec2 size;     // this level
    ivec2 src_size; // the source
} p;

float grey(ivec2 q)
{
    const ivec2 c = min(q, p.src_size - 1);
    return texelFetch(src_t, c.y * p.src_size.x + c.x).x;
}

void main()
{
    const ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(q, p.size)))
        return;
    float v;
    if (FROM_RGB) {
        v = dot(texelFetch(src_t, q.y * p.src_size.x + q.x).rgb, vec3(0.299, 0.587, 0.114));
    } else {
        const ivec2 s = 2 * q;
        v = 0.25 * (grey(s) + grey(s + ivec2(1, 0)) + grey(s + ivec2(0, 1)) + grey(s + ivec2(1, 1)));
    }
    out_t[q.y * p.size.x + q.x] = vec4(v, 0.0, 0.0, 0.0);
}
