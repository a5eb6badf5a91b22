#version 450
#extension GL_GOOGLE_include_directive : require
// Copies a tensor into another shape with the same row-major element order
// (Reshape, Flatten) where the channel-packed layouts differ.
//
// Bindings: 0 input (texel), 1 output (storage). Linear grid over output texels.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count;
    ivec4 out_dims; // c, h, w, c4
    ivec4 in_dims;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int hw = p.out_dims.y * p.out_dims.z;
    const int pix = i % hw;
    const int c4 = (i / hw) % p.out_dims.w;
    const int n = i / (hw * p.out_dims.w);
    vec4 y = vec4(0.0);
    for (int j = 0; j < 4; j++) {
        const int c = c4 * 4 + j;
        if (c < p.out_dims.x) {
            int lane;
            const int t = locate((n * p.out_dims.x + c) * hw + pix, p.in_dims, lane);
            y[j] = texelFetch(in_t, t)[lane];
        }
    }
    out_t[i] = y;
}
