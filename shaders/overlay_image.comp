#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Heatmap overlay from a sampled image into an RGBA8 storage image.
//
// Bindings: 0 map (texel), 1 colormap table (texel), 2 input (sampled
// image), 3 output (storage image, rgba8). Grid: frame.x x frame.y.
// Push constants and maths: common/overlay.glsl.
#include "vknn.glsl"
#include "frame.glsl"

layout(binding = 2) uniform texture2D in_image;
layout(binding = 3, rgba8) writeonly uniform image2D out_image;

vec4 load_orig(ivec2 q);
void store(ivec2 q, vec4 v);
#include "overlay.glsl"

vec4 load_orig(ivec2 q)
{
    return round(texelFetch(in_image, q, 0) * 255.0);
}

void store(ivec2 q, vec4 v)
{
    imageStore(out_image, q, v / 255.0);
}
