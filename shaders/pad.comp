#version 450
#extension GL_GOOGLE_include_directive : require
// Spatial padding (H and W of a 4D tensor): constant, reflect or edge.
//
// Bindings: 0 input [n][c4][ih][iw] (texel), 1 output [n][c4][oh][ow]
// (storage). Spec: 3 MODE (PAD_ZERO = constant value). Linear grid.
#include "vknn.glsl"

layout(constant_id = 3) const int MODE = PAD_ZERO;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, c, c4, ih, iw, oh, ow, pad_t, pad_l;
    float value;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ox = i % p.ow;
    const int oy = (i / p.ow) % p.oh;
    const int z = i / (p.ow * p.oh);
    int iy = oy - p.pad_t, ix = ox - p.pad_l;
    vec4 v = vec4(p.value);
    if (pad_coord(iy, p.ih, MODE) && pad_coord(ix, p.iw, MODE))
        v = texelFetch(in_t, (z * p.ih + iy) * p.iw + ix);
    out_t[i] = mask_lanes(v, z % p.c4, p.c);
}
