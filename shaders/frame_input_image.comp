#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Frame in a Vulkan image -> classifier input tensor.
//
// Bindings: 0 tensor (storage), 1 frame (sampled image, any RGBA-order
// 8-bit UNORM format: the view returns RGBA). Grid: size.x x size.y.
// Push constants and maths: common/frame_input.glsl.
#include "vknn.glsl"
#include "frame.glsl"

layout(binding = 0) writeonly buffer Out { vec4 out_t[]; };
layout(binding = 1) uniform texture2D frame_t;

vec4 load(ivec2 q);
#include "frame_input.glsl"

vec4 load(ivec2 q)
{
    return round(texelFetch(frame_t, q, 0) * 255.0);
}
