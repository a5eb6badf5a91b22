#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Conv with respect to its weights: gw[o, c, ky, kx] = sum over
// batch and output pixels of gy[o, oy, ox] * x[c, iy, ix], one invocation
// per (4 output channels, input channel of the group, tap).
//
// Bindings: 0 x [n][ic4][ih][iw] (texel), 1 gy [n][oc4][oh][ow] (texel),
// 2 gw as the channel-packed tensor [1, oc, icg, kh * kw] (storage), whose
// row-major order is ONNX's [oc][icg][kh][kw]. Spec: 3 KH, 4 KW, 5 SH, 6 SW,
// 7 DH, 8 DW. Linear grid over gw texels.
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;

layout(binding = 0) uniform samplerBuffer x_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) writeonly buffer Out { vec4 gw_t[]; };

layout(push_constant) uniform Params {
    int count, ic4, ih, iw;
    int oc, oc4, oh, ow;
    int pad_t, pad_l;
    int icg, ocg, batch;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
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
        for (int oy = 0; oy < p.oh; oy++) {
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
    gw_t[i] = acc;
}
