#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
// Frame in a Vulkan image -> network input tensor [1][1][net.y][net.x] vec4.
//
// Bindings: 0 tensor (storage), 1 frame (sampled image, any RGBA-order
// 8-bit UNORM format: the view returns RGBA). Grid: net.x x net.y.
#include "vknn.glsl"
#include "frame.glsl"

layout(binding = 0) writeonly buffer Out { vec4 out_t[]; };
layout(binding = 1) uniform texture2D frame_t;

layout(push_constant) uniform Params {
    ivec2 frame;
    ivec2 net;
    ivec2 content;
} p;

vec4 load(ivec2 q)
{
    return round(texelFetch(frame_t, q, 0) * 255.0);
}

void main()
{
    const ivec2 n = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(n, p.net)))
        return;
    vec4 v;
    BILINEAR(v, load, frame_pos_of_net_pixel(n, p.content, p.frame), p.frame);
    out_t[n.y * p.net.x + n.x] = vec4(v.rgb, 0.0);
}
