#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Conv with respect to its bias: gb[o] = sum over batch and
// pixels of gy[o]. One invocation per block of 4 output channels.
//
// Bindings: 0 gy [n][oc4][oh][ow] (texel), 1 gb [oc4] (storage).
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) writeonly buffer Out { vec4 gb_t[]; };

layout(push_constant) uniform Params {
    int oc4, hw, batch;
} p;

void main()
{
    const int o4 = linear_id();
    if (o4 >= p.oc4)
        return;
    vec4 acc = vec4(0.0);
    for (int n = 0; n < p.batch; n++)
        for (int i = 0; i < p.hw; i++)
            acc += texelFetch(gy_t, (n * p.oc4 + o4) * p.hw + i);
    gb_t[o4] = acc;
}
