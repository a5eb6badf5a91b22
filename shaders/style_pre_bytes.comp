#version 450
#extension GL_GOOGLE_include_directive : require
// Frame in memory (8-bit, 4 bytes a pixel) -> network input tensor
// [1][1][net.y][net.x] vec4 (RGB 0..255 in lanes 0-2).
//
// Bindings: 0 frame pixels (R32UI texel buffer), 1 tensor (storage).
// Spec: 3 SWAP_RB (BGRA/BGRx byte order). Grid: net.x x net.y.
#include "vknn.glsl"
#include "frame.glsl"

layout(constant_id = 3) const bool SWAP_RB = false;

layout(binding = 0) uniform usamplerBuffer frame_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    ivec2 frame;   // frame size
    ivec2 net;     // network input size
    ivec2 content; // frame content size inside the network input
    int stride;    // frame row stride in pixels
} p;

vec4 load(ivec2 q)
{
    const vec4 v = unpack_bytes(texelFetch(frame_t, q.y * p.stride + q.x).r);
    return SWAP_RB ? v.bgra : v;
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
