#version 450
#extension GL_GOOGLE_include_directive : require
// One Lucas-Kanade step of dense pyramidal optical flow (temporal.c): for
// each pixel x of the template, the displacement d with target(x + d) ~
// template(x) over a (2R+1)^2 window, refined by
//   d += -(A + lambda I)^-1 sum_w g (target(x' + d) - template(x')),
//   A = sum_w g g^T, g = the mean of the template's gradient at x' and the
// target's at x' + d (symmetric: better convergence, less noise bias than
// either alone). lambda keeps flat and one-directional regions near the
// coarser estimate (noise there would otherwise drive d far off); a step is
// limited to MAX_STEP px. Window pixels are clamped to the template; target
// samples are bilinear with edge-clamped indices (as a sampler's
// CLAMP_TO_EDGE).
//
// Bindings: 0 template, 1 target (texel: grey, gx, gy), 2 flow in (texel: u, v), 3 flow out (storage: u, v, 0, 0).
// Push: mode 0 starts at d = 0 (coarsest level, flow in unused), 1 starts
// from 2 x the bilinear upsample of the coarser level's flow, 2 continues
// from this level's flow. Grid: size.x x size.y.
#include "vknn.glsl"
#include "frame.glsl"

#define R 3 // VKNN_REF_FLOW_RADIUS
#define MAX_STEP 2.0 // VKNN_REF_FLOW_MAX_STEP

layout(binding = 0) uniform samplerBuffer tmpl_t;
layout(binding = 1) uniform samplerBuffer target_t;
layout(binding = 2) uniform samplerBuffer flow_in_t;
layout(binding = 3) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    ivec2 size;    // this level
    ivec2 in_size; // flow in (the coarser level for mode 1)
    int mode;
    float lambda;
} p;

vec4 load_target(ivec2 q)
{
    return texelFetch(target_t, q.y * p.size.x + q.x);
}

vec4 load_flow_in(ivec2 q)
{
    return texelFetch(flow_in_t, q.y * p.in_size.x + q.x);
}

vec2 start(ivec2 q)
{
    if (p.mode == 0)
        return vec2(0.0);
    if (p.mode == 2)
        return load_flow_in(q).xy;
    vec4 f;
    BILINEAR(f, load_flow_in, (vec2(q) + 0.5) * 0.5 - 0.5, p.in_size);
    return 2.0 * f.xy;
}

void main()
{
    const ivec2 q = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(q, p.size)))
        return;
    vec2 d = start(q);
    // d is the same over the window: each target sample interpolates the
    // same fractions of an integer grid, fetched once, two rows at a time
    // (64 fetches for R = 3 instead of 196), indices clamped to the edge.
    const ivec2 base = q + ivec2(floor(d)) - R;
    const vec2 fr = d - floor(d);
    vec3 row0[2 * R + 2], row1[2 * R + 2];
    for (int i = 0; i < 2 * R + 2; i++)
        row0[i] = load_target(clamp(base + ivec2(i, 0), ivec2(0), p.size - 1)).xyz;
    vec3 a = vec3(p.lambda, 0.0, p.lambda); // A + lambda I: xx, xy, yy
    vec2 b = vec2(0.0);
    for (int dy = 0; dy <= 2 * R; dy++) {
        for (int i = 0; i < 2 * R + 2; i++)
            row1[i] = load_target(clamp(base + ivec2(i, dy + 1), ivec2(0), p.size - 1)).xyz;
        for (int dx = 0; dx <= 2 * R; dx++) {
            const ivec2 w = clamp(q + ivec2(dx - R, dy - R), ivec2(0), p.size - 1);
            const vec3 t = texelFetch(tmpl_t, w.y * p.size.x + w.x).xyz;
            const vec3 s = mix(mix(row0[dx], row0[dx + 1], fr.x), mix(row1[dx], row1[dx + 1], fr.x),
                               fr.y);
            const float e = s.x - t.x;
            const vec2 g = 0.5 * (t.yz + s.yz);
            a += vec3(g.x * g.x, g.x * g.y, g.y * g.y);
            b += g * e;
        }
        row0 = row1;
    }
    const float det = a.x * a.z - a.y * a.y;
    vec2 step = -vec2(a.z * b.x - a.y * b.y, a.x * b.y - a.y * b.x) / det;
    const float len = length(step);
    if (len > MAX_STEP)
        step *= MAX_STEP / len;
    out_t[q.y * p.size.x + q.x] = vec4(d + step, 0.0, 0.0);
}
