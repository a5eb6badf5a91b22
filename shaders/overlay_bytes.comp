#version 450
#extension GL_GOOGLE_include_directive : require
// Heatmap overlay on a frame in memory (8-bit, 4 bytes a pixel).
//
// Bindings: 0 map (texel), 1 colormap table (texel), 2 input pixels (R32UI
// texel buffer), 3 output pixels (storage, uint per pixel).
// Spec: 3 SWAP_RB (BGRA/BGRx), 4 NO_ALPHA (RGBx/BGRx: alpha byte 255).
// Grid: frame.x x frame.y. Push constants and maths: common/overlay.glsl.
#include "vknn.glsl"
#include "frame.glsl"

layout(constant_id = 3) const bool SWAP_RB = false;
layout(constant_id = 4) const bool NO_ALPHA = false;

layout(binding = 2) uniform usamplerBuffer in_t;
layout(binding = 3) writeonly buffer Out { uint out_t[]; };

vec4 load_orig(ivec2 q);
void store(ivec2 q, vec4 v);
#include "overlay.glsl"

vec4 load_orig(ivec2 q)
{
    const vec4 v = unpack_bytes(texelFetch(in_t, q.y * p.in_stride + q.x).r);
    return SWAP_RB ? v.bgra : v;
}

void store(ivec2 q, vec4 v)
{
    if (NO_ALPHA)
        v.a = 255.0;
    out_t[q.y * p.out_stride + q.x] = pack_bytes(SWAP_RB ? v.bgra : v);
}
