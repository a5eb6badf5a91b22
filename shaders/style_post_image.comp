#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Network output -> stylised frame written to an RGBA8 storage image,
// blended with the original frame read from a sampled image.
//
// Bindings: 0 network output (texel), 1 original (sampled image),
// 2 output (storage image, rgba8). Grid: frame.x x frame.y.
#include "vknn.glsl"
#include "frame.glsl"

layout(binding = 0) uniform samplerBuffer net_t;
layout(binding = 1) uniform texture2D orig_image;
layout(binding = 2, rgba8) writeonly uniform image2D out_image;

vec4 load_orig(ivec2 q);
void store(ivec2 q, vec4 v);
#include "style_post.glsl"

vec4 load_orig(ivec2 q)
{
    return round(texelFetch(orig_image, q, 0) * 255.0);
}

void store(ivec2 q, vec4 v)
{
    imageStore(out_image, q, v / 255.0);
}
