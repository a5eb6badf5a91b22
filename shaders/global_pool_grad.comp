#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of GlobalAveragePool: every pixel of a plane receives the plane's
// gradient divided by its pixel count.
//
// Bindings: 0 gy [n][c4] (texel), 1 gx [n][c4][h][w] (storage). Linear grid.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, hw;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    gx_t[i] = texelFetch(gy_t, i / p.hw) / float(p.hw);
}
