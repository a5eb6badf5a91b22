#version 450
#extension GL_GOOGLE_include_directive : require
// Concat along the channel axis: copies one input into channels
// [c_off, c_off + c_in) of the output. Lanes of a boundary texel that belong
// to another input are left alone (component stores), so inputs may be
// written by separate dispatches in any order.
//
// Bindings: 0 input [n][ic4][h][w] (texel), 1 output [n][oc4][h][w]
// (storage, read-write per component). Linear grid over
// n * span * h * w, span = the output blocks this input touches.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, hw, c_in, ic4, c_off, oc, oc4, span;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int pix = i % p.hw;
    const int blk = (i / p.hw) % p.span;
    const int n = i / (p.hw * p.span);
    const int o4 = p.c_off / 4 + blk;
    const int dst = (n * p.oc4 + o4) * p.hw + pix;
    const bool last = p.c_off + p.c_in == p.oc;
    for (int j = 0; j < 4; j++) {
        const int c = o4 * 4 + j - p.c_off; // channel within this input
        if (c >= 0 && c < p.c_in)
            out_t[dst][j] = texelFetch(in_t, (n * p.ic4 + c / 4) * p.hw + pix)[c & 3];
        else if (last && c >= p.c_in)
            out_t[dst][j] = 0.0; // padding lanes of the final block
    }
}
