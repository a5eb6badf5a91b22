#version 450
#extension GL_GOOGLE_include_directive : require
// GlobalAveragePool / GlobalMaxPool: reduces H*W of each (n, c4) block to
// one texel, with one workgroup per block, or with SERIAL one invocation per
// block (many small blocks: no shared memory or barriers, which lavapipe
// runs slowly).
//
// Bindings: 0 input [n][c4][h][w] (texel), 1 output [n][c4] (storage).
// Spec: 3 MAX, 4 SERIAL. Local size x: a power of two <= 256. Grid: n * c4
// workgroups, or with SERIAL linear over n * c4.
#include "vknn.glsl"

layout(constant_id = 3) const int MAX = 0;
layout(constant_id = 4) const bool SERIAL = false;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int hw, blocks;
} p;

shared vec4 partial[256];

void main_serial()
{
    const int z = linear_id();
    if (z >= p.blocks)
        return;
    vec4 acc = MAX != 0 ? vec4(-3.402823e38) : vec4(0.0);
    for (int i = 0; i < p.hw; i++) {
        const vec4 v = texelFetch(in_t, z * p.hw + i);
        acc = MAX != 0 ? max(acc, v) : acc + v;
    }
    out_t[z] = MAX != 0 ? acc : acc / float(p.hw);
}

void main()
{
    if (SERIAL) {
        main_serial();
        return;
    }
    const int z = int(gl_WorkGroupID.x);
    const uint lid = gl_LocalInvocationID.x;
    vec4 acc = MAX != 0 ? vec4(-3.402823e38) : vec4(0.0);
    for (int i = int(lid); i < p.hw; i += int(gl_WorkGroupSize.x)) {
        const vec4 v = texelFetch(in_t, z * p.hw + i);
        acc = MAX != 0 ? max(acc, v) : acc + v;
    }
    partial[lid] = acc;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {
        if (lid < s)
            partial[lid] = MAX != 0 ? max(partial[lid], partial[lid + s])
                                    : partial[lid] + partial[lid + s];
        barrier();
    }
    if (lid == 0)
        out_t[z] = MAX != 0 ? partial[0] : partial[0] / float(p.hw);
}
