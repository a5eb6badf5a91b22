#version 450
#extension GL_GOOGLE_include_directive : require
// Frame in memory (8-bit, 4 bytes a pixel) -> classifier input tensor.
//
// Bindings: 0 frame pixels (R32UI texel buffer), 1 tensor (storage).
// Spec: 3 SWAP_RB (BGRA/BGRx byte order). Grid: size.x x size.y.
// Push constants and maths: common/frame_input.glsl.
#include "vknn.glsl"
#include "frame.glsl"

layout(constant_id = 3) const bool SWAP_RB = false;

layout(binding = 0) uniform usamplerBuffer frame_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

vec4 load(ivec2 q);
#include "frame_input.glsl"

vec4 load(ivec2 q)
{
    const vec4 v = unpack_bytes(texelFetch(frame_t, q.y * p.stride + q.x).r);
    return SWAP_RB ? v.bgra : v;
}
