#version 450
#extension GL_GOOGLE_include_directive : require
// Winograd F(4x4, 3x3), step 3 of 3: output transform Y = A^T M A of every
// tile, plus bias and the fused activation; one tile and one block of 4
// output channels per invocation. Tiles overhanging the output store only
// their pixels inside it.
//
// Bindings: 0 M [36][oc4][count] (texel: RGBA32F or RGBA16F), 1 bias [oc4] (texel),
// 2 output [n][oc4][oh][ow] (storage). Spec: 3 ACT. Grid: linear over
// count * oc4.
#include "vknn.glsl"

layout(constant_id = 3) const int ACT = ACT_NONE;

layout(binding = 0) uniform samplerBuffer m_t;
layout(binding = 1) uniform samplerBuffer b_t;
layout(binding = 2) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int oc, oc4, oh, ow;
    int th, tw;
    int tile0, count;
    float alpha, beta;
} p;

// r = A^T a for F(4, 3).
void at4(vec4 a[6], out vec4 r[4])
{
    r[0] = a[0] + a[1] + a[2] + a[3] + a[4];
    r[1] = a[1] - a[2] + 2.0 * (a[3] - a[4]);
    r[2] = a[1] + a[2] + 4.0 * (a[3] + a[4]);
    r[3] = a[1] - a[2] + 8.0 * (a[3] - a[4]) + a[5];
}

void main()
{
    const int id = linear_id();
    if (id >= p.count * p.oc4)
        return;
    const int tl = id % p.count, o4 = id / p.count;
    const int tile = p.tile0 + tl, per_image = p.th * p.tw;
    const int n = tile / per_image, ty = tile % per_image / p.tw, tx = tile % p.tw;

    vec4 s[4][6]; // s = A^T M, column by column
    for (int j = 0; j < 6; j++) {
        vec4 col[6];
        for (int i = 0; i < 6; i++)
            col[i] = texelFetch(m_t, ((i * 6 + j) * p.oc4 + o4) * p.count + tl);
        vec4 r[4];
        at4(col, r);
        for (int i = 0; i < 4; i++)
            s[i][j] = r[i];
    }
    const vec4 bias = texelFetch(b_t, o4);
    const int plane = (n * p.oc4 + o4) * p.oh;
    for (int i = 0; i < 4; i++) {
        const int oy = ty * 4 + i;
        if (oy >= p.oh)
            break;
        vec4 r[4];
        at4(s[i], r); // Y row i = s[i] A
        for (int j = 0; j < 4; j++) {
            const int ox = tx * 4 + j;
            if (ox < p.ow)
                out_t[(plane + oy) * p.ow + ox] =
                    mask_lanes(activate(r[j] + bias, ACT, p.alpha, p.beta), o4, p.oc);
        }
    }
}
