#version 450
#extension GL_GOOGLE_include_directive : require
// Element-wise binary operators with numpy broadcasting: Add, Sub, Mul, Div.
//
// Bindings: 0 A (texel), 1 B (texel), 2 output (storage).
// Spec: 3 OP (0 add, 1 sub, 2 mul, 3 div), 4 MODE:
//   0 general broadcasting (per lane index arithmetic),
//   1 A, B and output share one shape,
//   2 A shaped like the output, B a single value,
//   3 A shaped like the output, B one value per channel.
// Linear grid over output texels.
#include "vknn.glsl"

layout(constant_id = 3) const int OP = 0;
layout(constant_id = 4) const int MODE = 0;

layout(binding = 0) uniform samplerBuffer a_t;
layout(binding = 1) uniform samplerBuffer b_t;
layout(binding = 2) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count;
    ivec4 out_dims;  // c, h, w, c4 of the output
    ivec4 frame;     // broadcast frame dims (right-aligned, padded with 1)
    ivec4 a_stride;  // element strides of A in the frame (0 = broadcast)
    ivec4 a_dims;    // c, h, w, c4 of A
    ivec4 b_stride;
    ivec4 b_dims;
} p;

vec4 apply(vec4 a, vec4 b)
{
    if (OP == 0)
        return a + b;
    if (OP == 1)
        return a - b;
    if (OP == 2)
        return a * b;
    return a / b;
}

float fetch(bool is_a, int frame_elem)
{
    ivec4 d;
    d.w = frame_elem % p.frame.w;
    int r = frame_elem / p.frame.w;
    d.z = r % p.frame.z;
    r /= p.frame.z;
    d.y = r % p.frame.y;
    d.x = r / p.frame.y;
    int lane;
    if (is_a) {
        const int t = locate(d.x * p.a_stride.x + d.y * p.a_stride.y + d.z * p.a_stride.z +
                                 d.w * p.a_stride.w, p.a_dims, lane);
        return texelFetch(a_t, t)[lane];
    }
    const int t = locate(d.x * p.b_stride.x + d.y * p.b_stride.y + d.z * p.b_stride.z +
                             d.w * p.b_stride.w, p.b_dims, lane);
    return texelFetch(b_t, t)[lane];
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int hw = p.out_dims.y * p.out_dims.z;
    const int c4 = (i / hw) % p.out_dims.w;
    vec4 y;
    if (MODE == 1) {
        y = apply(texelFetch(a_t, i), texelFetch(b_t, i));
    } else if (MODE == 2) {
        y = apply(texelFetch(a_t, i), vec4(texelFetch(b_t, 0).x));
    } else if (MODE == 3) {
        y = apply(texelFetch(a_t, i), texelFetch(b_t, c4));
    } else {
        const int n = i / (hw * p.out_dims.w);
        const int pix = i % hw;
        for (int j = 0; j < 4; j++) {
            const int c = c4 * 4 + j;
            if (c >= p.out_dims.x) {
                y[j] = 0.0;
                continue;
            }
            const int elem = (n * p.out_dims.x + c) * hw + pix;
            y[j] = apply(vec4(fetch(true, elem)), vec4(fetch(false, elem))).x;
        }
    }
    out_t[i] = mask_lanes(y, c4, p.out_dims.x);
}
