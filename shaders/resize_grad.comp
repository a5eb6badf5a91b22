#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of nearest upsampling by an integer factor: each input pixel
// collects the gradient of its FACTOR x FACTOR copies.
//
// Bindings: 0 gy [n][c4][ih * F][iw * F] (texel), 1 gx [n][c4][ih][iw]
// (storage). Spec: 3 FACTOR. Linear grid over gx texels.
#include "vknn.glsl"

layout(constant_id = 3) const int FACTOR = 2;

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int z = i / (p.iw * p.ih);
    const int ow = p.iw * FACTOR;
    vec4 acc = vec4(0.0);
    for (int dy = 0; dy < FACTOR; dy++)
        for (int dx = 0; dx < FACTOR; dx++)
            acc += texelFetch(gy_t, ((z * p.ih + iy) * FACTOR + dy) * ow + ix * FACTOR + dx);
    gx_t[i] = acc;
}
