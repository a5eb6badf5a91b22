#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of a channel Concat: input k's gradient is its channel slice
// [offset, offset + c) of the output gradient.
//
// Bindings: 0 gy [n][oc4][h][w] (texel), 1 gx [n][c4][h][w] (storage).
// Linear grid over gx texels.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, hw, c, c4, oc4, offset;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int pix = i % p.hw;
    const int c4 = (i / p.hw) % p.c4;
    const int n = i / (p.hw * p.c4);
    vec4 v = vec4(0.0);
    if (p.offset % 4 == 0) {
        v = texelFetch(gy_t, (n * p.oc4 + p.offset / 4 + c4) * p.hw + pix);
    } else {
        for (int l = 0; l < 4; l++) {
            const int src = p.offset + c4 * 4 + l;
            v[l] = texelFetch(gy_t, (n * p.oc4 + src / 4) * p.hw + pix)[src & 3];
        }
    }
    gx_t[i] = mask_lanes(v, c4, p.c);
}
