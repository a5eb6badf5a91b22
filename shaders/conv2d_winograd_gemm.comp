#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#ifdef SHUFFLE_WEIGHTS
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
// Winograd F(4x4, 3x3), step 2 of 3: for each of the 36 transform points,
// M = V x U, a 1x1 convolution of the band's tiles with that point's
// transformed weights. Register tile as in conv2d.comp: TX tiles x OCB blocks
// of 4 output channels per invocation, so each fetch serves 4 x OCB or TX
// multiply-adds per lane.
//
// Bindings: 0 V [36][ic4][count] (texel), 1 U [36][oc4][ic4][4] vec4 over
// output lanes, one per input lane (texel), 2 M [36][oc4][count] (storage:
// vec4, or fp16 pairs when HALF; V is then an RGBA16F view).
// Spec: 3 TX, 4 OCB (each <= 8), 5 HALF. Grid: x = ceil(count / TX),
// y = 36, z = ceil(oc4 / OCB); invocations past the last tile repeat it and
// store nothing (the SHUFFLE_WEIGHTS build needs every lane: mac_tile.glsl).
#include "vknn.glsl"

layout(constant_id = 3) const int TX = 8;
layout(constant_id = 4) const int OCB = 8;
layout(constant_id = 5) const bool HALF = false;
#define TX_MAX 8
#define OCB_MAX 8
const int IN_LANES = 4;

layout(binding = 0) uniform samplerBuffer v_t;
layout(binding = 1) uniform samplerBuffer w_t; // U
layout(binding = 2) writeonly buffer M { vec4 m_t[]; };
layout(binding = 2) writeonly buffer MHalf { uvec2 m_half_t[]; };

#include "mac_tile.glsl"

layout(push_constant) uniform Params {
    int ic4, oc4, count;
} p;

void main()
{
    const int t0 = int(gl_GlobalInvocationID.x) * TX;
    const int xi = int(gl_GlobalInvocationID.y);
    const int o40 = int(gl_GlobalInvocationID.z) * OCB;
    if (o40 >= p.oc4)
        return;

    vec4 acc[OCB_MAX][TX_MAX];
    for (int b = 0; b < OCB; b++)
        for (int t = 0; t < TX; t++)
            acc[b][t] = vec4(0.0);
    for (int c4 = 0; c4 < p.ic4; c4++) {
        const int row = (xi * p.ic4 + c4) * p.count;
        vec4 v[TX_MAX];
        for (int t = 0; t < TX; t++)
            v[t] = texelFetch(v_t, row + min(t0 + t, p.count - 1));
        mac_tile(acc, v, o40, p.oc4, p.ic4, xi * p.oc4 * p.ic4 + c4);
    }
    for (int b = 0; b < OCB; b++) {
        const int o4 = o40 + b;
        if (o4 >= p.oc4)
            break;
        const int row = (xi * p.oc4 + o4) * p.count;
        for (int t = 0; t < TX; t++)
            if (t0 + t < p.count && HALF)
                m_half_t[row + t0 + t] = pack_half4(acc[b][t]);
            else if (t0 + t < p.count)
                m_t[row + t0 + t] = acc[b][t];
    }
}
