// Frame <-> network tensor conversion shared by the style_*.comp shaders.
//
// The network sees the frame's content scaled to (content.x, content.y)
// pixels, padded by edge extension to (net.x, net.y) (multiples of 4); the
// stylised frame is sampled back from the network output (out_size, which
// may differ from net for networks that resize) at the frame's own size.

// Bilinear sample of a function load(ivec2) over a size-limited grid.
#define BILINEAR(result, load, pos, limit)                                                         \
    {                                                                                              \
        const vec2 p_ = clamp(pos, vec2(0.0), vec2(limit) - 1.0);                                  \
        const ivec2 i0_ = ivec2(floor(p_));                                                        \
        const ivec2 i1_ = min(i0_ + 1, ivec2(limit) - 1);                                          \
        const vec2 f_ = p_ - vec2(i0_);                                                            \
        result = mix(mix(load(i0_), load(ivec2(i1_.x, i0_.y)), f_.x),                              \
                     mix(load(ivec2(i0_.x, i1_.y)), load(i1_), f_.x), f_.y);                       \
    }

// Source position in the frame of network pixel `n` (frame -> network).
vec2 frame_pos_of_net_pixel(ivec2 n, ivec2 content, ivec2 frame)
{
    const vec2 c = vec2(min(n, content - 1)); // edge-extend into the padding
    return (c + 0.5) * vec2(frame) / vec2(content) - 0.5;
}

// Source position in the network output of frame pixel `f` (network -> frame).
vec2 net_pos_of_frame_pixel(ivec2 f, ivec2 frame, vec2 content_in_out)
{
    return (vec2(f) + 0.5) * content_in_out / vec2(frame) - 0.5;
}

// 8-bit RGBA packed little-endian in a uint, as in memory.
vec4 unpack_bytes(uint p)
{
    return vec4((uvec4(p) >> uvec4(0, 8, 16, 24)) & 0xffu);
}

uint pack_bytes(vec4 v)
{
    const uvec4 b = uvec4(clamp(round(v), 0.0, 255.0));
    return b.x | (b.y << 8) | (b.z << 16) | (b.w << 24);
}

// The stylised pixel (RGB 0..255) from the network output and the original
// (RGBA 0..255): clamp, optional luminance-only transfer (keep the original's
// chroma, BT.601), blend by strength; alpha from the original.
vec4 finish_pixel(vec3 styled, vec4 orig, float strength, bool preserve_colors)
{
    vec3 s = clamp(styled, 0.0, 255.0);
    if (preserve_colors) {
        const vec3 to_y = vec3(0.299, 0.587, 0.114);
        const float y = dot(s, to_y);
        const float cb = dot(orig.rgb, vec3(-0.168736, -0.331264, 0.5));
        const float cr = dot(orig.rgb, vec3(0.5, -0.418688, -0.081312));
        s = clamp(vec3(y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb), 0.0, 255.0);
    }
    return vec4(mix(orig.rgb, s, strength), orig.a);
}
