#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Network output -> stylised frame as packed 8-bit pixels in a buffer, from
// an original in a sampled image: for output image formats the device cannot
// write as storage images (BGRA8); a buffer-to-image copy follows.
//
// Bindings: 0 network output (texel), 1 output pixels (storage, uint per
// pixel), 2 original (sampled image). Spec: 3 SWAP_RB.
// Grid: frame.x x frame.y.
#include "vknn.glsl"
#include "frame.glsl"

layout(constant_id = 3) const bool SWAP_RB = false;

layout(binding = 0) uniform samplerBuffer net_t;
layout(binding = 1) writeonly buffer Out { uint out_t[]; };
layout(binding = 2) uniform texture2D orig_image;

vec4 load_orig(ivec2 q);
void store(ivec2 q, vec4 v);
#include "style_post.glsl"

vec4 load_orig(ivec2 q)
{
    return round(texelFetch(orig_image, q, 0) * 255.0);
}

void store(ivec2 q, vec4 v)
{
    out_t[q.y * p.out_stride + q.x] = pack_bytes(SWAP_RB ? v.bgra : v);
}
