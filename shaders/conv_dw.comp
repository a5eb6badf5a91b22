#version 450
#extension GL_GOOGLE_include_directive : require
// Depthwise 2D convolution (group = channels, one filter per channel),
// channel-packed, with fused padding and activation. Each invocation
// computes one block of 4 channels for TX adjacent pixels of a row.
//
// Bindings: 0 input [n][c4][ih][iw] (texel), 1 weights [c4][kh][kw] vec4
// (texel), 2 bias [c4] (texel), 3 output [n][c4][oh][ow] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW, 9 PAD_MODE, 10 ACT, 11 TX.
// Grid: x = ceil(ow / TX), y = oh, z = n * c4.
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;
layout(constant_id = 9) const int PAD_MODE = PAD_ZERO;
layout(constant_id = 10) const int ACT = ACT_NONE;
layout(constant_id = 11) const int TX = 4;
#define TX_MAX 8

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer w_t;
layout(binding = 2) uniform samplerBuffer b_t;
layout(binding = 3) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int ic4, ih, iw;   // same layout as conv2d.comp: ic4 == oc4, oc == channels
    int oc, oc4, oh, ow;
    int pad_t, pad_l;
    int batch;
    float alpha, beta;
} p;

void main()
{
    const int ox0 = int(gl_GlobalInvocationID.x) * TX;
    const int oy = int(gl_GlobalInvocationID.y);
    const int z = int(gl_GlobalInvocationID.z);
    if (ox0 >= p.ow || oy >= p.oh || z >= p.batch * p.oc4)
        return;
    const int c4 = z % p.oc4;

    vec4 acc[TX_MAX];
    const vec4 bias = texelFetch(b_t, c4);
    for (int t = 0; t < TX; t++)
        acc[t] = bias;

    const int in_plane = z * p.ih;
    for (int ky = 0; ky < KH; ky++) {
        int iy = oy * SH - p.pad_t + ky * DH;
        if (!pad_coord(iy, p.ih, PAD_MODE))
            continue;
        const int row = (in_plane + iy) * p.iw;
        for (int kx = 0; kx < KW; kx++) {
            const vec4 w = texelFetch(w_t, (c4 * KH + ky) * KW + kx);
            for (int t = 0; t < TX; t++) {
                int ix = (ox0 + t) * SW - p.pad_l + kx * DW;
                if (pad_coord(ix, p.iw, PAD_MODE))
                    acc[t] += w * texelFetch(in_t, row + ix);
            }
        }
    }

    const int out_row = (z * p.oh + oy) * p.ow;
    for (int t = 0; t < TX; t++)
        if (ox0 + t < p.ow)
            out_t[out_row + ox0 + t] = mask_lanes(activate(acc[t], ACT, p.alpha, p.beta), c4, p.oc);
}
