#version 450
#extension GL_GOOGLE_include_directive : require
// Temporal stabilisation's last step (temporal.c): the previous stabilised
// output, warped along the backward flow, is blended into the network's
// current output where the flow is trusted:
//   stable = mix(current, warp(previous), alpha * mask)
// mask is 1 where (Ruder et al. 2016) the backward flow b and the forward
// flow f agree, |b(x) + f(x + b(x))|^2 <= 0.01 (|b|^2 + |f|^2) + 0.5 (flow
// pixels), the flow is smooth (no motion boundary), the grey levels agree, |cur(x) - prev(x + b(x))| < max_grey_error
// (a scene cut fails it everywhere), and x + b(x) lies inside the frame; 0
// elsewhere (disocclusions, motion boundaries, new content).
//
// Bindings: 0 current output, 1 previous stabilised output (texel, vec4,
// out size), 2 backward flow, 3 forward flow (texel, u v, flow size),
// 4 current grey, 5 previous grey (texel, the flow's finest level),
// 6 state (texel, one texel: alpha of this frame, 0 without history),
// 7 stable output (storage, vec4, out size), 8 mask (storage, vec4: mask,
// flow disagreement in px, grey error, 0; out size).
// Grid: out_size.x x out_size.y.
#include "vknn.glsl"
#include "frame.glsl"

layout(binding = 0) uniform samplerBuffer cur_t;
layout(binding = 1) uniform samplerBuffer prev_t;
layout(binding = 2) uniform samplerBuffer bwd_t;
layout(binding = 3) uniform samplerBuffer fwd_t;
layout(binding = 4) uniform samplerBuffer cur_grey_t;
layout(binding = 5) uniform samplerBuffer prev_grey_t;
layout(binding = 6) uniform samplerBuffer state_t;
layout(binding = 7) writeonly buffer Stable { vec4 stable_t[]; };
layout(binding = 8) writeonly buffer Mask { vec4 mask_t[]; };

layout(push_constant) uniform Params {
    ivec2 out_size;
    ivec2 flow_size;
    float max_grey_error;
    float max_flow_gradient;
} p;

#define LOADER(name, tex, width)                                                                   \
    vec4 name(ivec2 q) { return texelFetch(tex, q.y * width + q.x); }
LOADER(load_prev, prev_t, p.out_size.x)
LOADER(load_bwd, bwd_t, p.flow_size.x)
LOADER(load_fwd, fwd_t, p.flow_size.x)
LOADER(load_cur_grey, cur_grey_t, p.flow_size.x)
LOADER(load_prev_grey, prev_grey_t, p.flow_size.x)

void main()
{
    const ivec2 o = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(o, p.out_size)))
        return;
    const int i = o.y * p.out_size.x + o.x;
    const vec4 cur = texelFetch(cur_t, i);
    const float alpha = texelFetch(state_t, 0).x;

    const vec2 to_flow = vec2(p.flow_size) / vec2(p.out_size);
    const vec2 f = (vec2(o) + 0.5) * to_flow - 0.5; // this pixel in flow pixels
    vec4 b, fw, g0, g1;
    BILINEAR(b, load_bwd, f, p.flow_size);
    const vec2 src = f + b.xy; // where it was in the previous frame
    BILINEAR(fw, load_fwd, src, p.flow_size);
    BILINEAR(g0, load_cur_grey, f, p.flow_size);
    BILINEAR(g1, load_prev_grey, src, p.flow_size);
    const vec2 c = b.xy + fw.xy;
    const bool consistent = dot(c, c) <= 0.01 * (dot(b.xy, b.xy) + dot(fw.xy, fw.xy)) + 0.5;
    const float grey_error = abs(g0.x - g1.x);
    const bool inside = all(greaterThanEqual(src, vec2(-0.5))) &&
                        all(lessThanEqual(src, vec2(p.flow_size) - 0.5));
    // Motion boundaries (Ruder et al.'s second test, with a threshold for a
    // flow noisier than theirs): where the flow changes fast, the pixels on
    // one side were hidden.
    vec4 bx0, bx1, by0, by1;
    BILINEAR(bx0, load_bwd, f - vec2(1.0, 0.0), p.flow_size);
    BILINEAR(bx1, load_bwd, f + vec2(1.0, 0.0), p.flow_size);
    BILINEAR(by0, load_bwd, f - vec2(0.0, 1.0), p.flow_size);
    BILINEAR(by1, load_bwd, f + vec2(0.0, 1.0), p.flow_size);
    const vec2 du = 0.5 * (bx1.xy - bx0.xy), dv = 0.5 * (by1.xy - by0.xy);
    const bool boundary = dot(du, du) + dot(dv, dv) > 0.01 * dot(b.xy, b.xy) + p.max_flow_gradient;
    const float mask =
        consistent && inside && !boundary && grey_error < p.max_grey_error ? 1.0 : 0.0;

    vec4 out_v = cur;
    if (alpha * mask > 0.0) {
        vec4 warped;
        BILINEAR(warped, load_prev, (src + 0.5) / to_flow - 0.5, p.out_size);
        out_v.rgb = mix(cur.rgb, warped.rgb, alpha * mask);
    }
    stable_t[i] = out_v;
    mask_t[i] = vec4(mask, length(c), grey_error, 0.0);
}
