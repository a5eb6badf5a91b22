#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Conv with respect to its weights: gw[o, c, ky, kx] = sum over
// batch and output pixels of gy[o, oy, ox] * x[c, iy, ix], one invocation
// per (4 output channels, input channel of the group, tap).
//
// Bindings: 0 x [n][ic4][ih][iw] (texel), 1 gy [n][oc4][oh][ow] (texel),
// 2 gw as the channel-packed tensor [1, oc, icg, kh * kw] (storage), whose
// row-major order is ONNX's [oc][icg][kh][kw]. Spec: 3 KH, 4 KW, 5 SH, 6 SW,
// 7 DH, 8 DW, 9 DENSE: group 1, and each invocation computes 4 input
// channels at once (one input texel fetch feeds 16 multiply-adds instead of
// 4; a TransformerNet step's weight gradients on lavapipe: 3-4x faster).
// Linear grid over chunks x (gw texels, or (o4, c4, tap) when DENSE):
// chunk k sums output rows [k * rows, (k + 1) * rows) into the k-th copy
// of gw, so layers with few weights (a 9x9 layer to 3 channels: 324
// invocations of 16k pixels each) still fill the device; sum_chunks.comp
// adds the copies.
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;
layout(constant_id = 9) const int DENSE = 0;

layout(binding = 0) uniform samplerBuffer x_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) writeonly buffer Out { vec4 gw_t[]; };

layout(push_constant) uniform Params {
    int count, ic4, ih, iw;
    int oc, oc4, oh, ow;
    int pad_t, pad_l;
    int icg, ocg, batch;
    int rows, gw_texels; /* rows per chunk; texels of one copy of gw */
} p;

// Group 1: gradients of 4 output x 4 input channels at one tap.
void dense(int i, int chunk)
{
    const int tap = i % (KH * KW);
    const int c4 = (i / (KH * KW)) % p.ic4;
    const int o4 = i / (KH * KW * p.ic4);
    const int ky = tap / KW, kx = tap % KW;
    vec4 acc[4] = vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));
    for (int n = 0; n < p.batch; n++) {
        const int xplane = (n * p.ic4 + c4) * p.ih;
        for (int oy = chunk * p.rows; oy < min(p.oh, (chunk + 1) * p.rows); oy++) {
            const int iy = oy * SH - p.pad_t + ky * DH;
            if (iy < 0 || iy >= p.ih)
                continue;
            const int grow = ((n * p.oc4 + o4) * p.oh + oy) * p.ow;
            const int xrow = (xplane + iy) * p.iw;
            for (int ox = 0; ox < p.ow; ox++) {
                const int ix = ox * SW - p.pad_l + kx * DW;
                if (ix < 0 || ix >= p.iw)
                    continue;
                const vec4 g = texelFetch(gy_t, grow + ox);
                const vec4 x = texelFetch(x_t, xrow + ix);
                acc[0] += g * x.x;
                acc[1] += g * x.y;
                acc[2] += g * x.z;
                acc[3] += g * x.w;
            }
        }
    }
    for (int l = 0; l < 4 && c4 * 4 + l < p.icg; l++)
        gw_t[chunk * p.gw_texels + (o4 * p.icg + c4 * 4 + l) * KH * KW + tap] = acc[l];
}

void main()
{
    const int id = linear_id();
    if (id >= p.count)
        return;
    const int per_chunk = DENSE != 0 ? p.oc4 * p.ic4 * KH * KW : p.gw_texels;
    const int chunk = id / per_chunk, i = id % per_chunk;
    if (DENSE != 0) {
        dense(i, chunk);
        return;
    }
    const int tap = i % (KH * KW);
    const int cg = (i / (KH * KW)) % p.icg;
    const int o4 = i / (KH * KW * p.icg);
    const int ky = tap / KW, kx = tap % KW;
    // Input channel read by each output lane (lanes may sit in different groups).
    ivec4 c;
    for (int l = 0; l < 4; l++)
        c[l] = min(o4 * 4 + l, p.oc - 1) / p.ocg * p.icg + cg;
    const bool one_group = c.x == c.w;
    vec4 acc = vec4(0.0);
    for (int n = 0; n < p.batch; n++) {
        for (int oy = chunk * p.rows; oy < min(p.oh, (chunk + 1) * p.rows); oy++) {
            const int iy = oy * SH - p.pad_t + ky * DH;
            if (iy < 0 || iy >= p.ih)
                continue;
            const int grow = ((n * p.oc4 + o4) * p.oh + oy) * p.ow;
            for (int ox = 0; ox < p.ow; ox++) {
                const int ix = ox * SW - p.pad_l + kx * DW;
                if (ix < 0 || ix >= p.iw)
                    continue;
                const int pix = iy * p.iw + ix;
                vec4 xv;
                if (one_group) {
                    xv = vec4(texelFetch(x_t, (n * p.ic4 + c.x / 4) * p.ih * p.iw + pix)[c.x & 3]);
                } else {
                    for (int l = 0; l < 4; l++)
                        xv[l] = texelFetch(x_t, (n * p.ic4 + c[l] / 4) * p.ih * p.iw + pix)[c[l] & 3];
                }
                acc += texelFetch(gy_t, grow + ox) * xv;
            }
        }
    }
    gw_t[chunk * p.gw_texels + i] = acc;
}
