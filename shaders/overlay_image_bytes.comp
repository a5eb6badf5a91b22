#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Heatmap overlay from a sampled image into packed 8-bit pixels in a
// buffer, for output image formats the device cannot write as storage
// images (BGRA8); a buffer-to-image copy follows.
//
// Bindings: 0 map (texel), 1 colormap table (texel), 2 output pixels
// (storage, uint per pixel), 3 input (sampled image). Spec: 3 SWAP_RB.
// Grid: frame.x x frame.y. Push constants and maths: common/overlay.glsl.
#include "vknn.glsl"
#include "frame.glsl"

layout(constant_id = 3) const bool SWAP_RB = false;

layout(binding = 2) writeonly buffer Out { uint out_t[]; };
layout(binding = 3) uniform texture2D in_image;

vec4 load_orig(ivec2 q);
void store(ivec2 q, vec4 v);
#include "overlay.glsl"

vec4 load_orig(ivec2 q)
{
    return round(texelFetch(in_image, q, 0) * 255.0);
}

void store(ivec2 q, vec4 v)
{
    out_t[q.y * p.out_stride + q.x] = pack_bytes(SWAP_RB ? v.bgra : v);
}
