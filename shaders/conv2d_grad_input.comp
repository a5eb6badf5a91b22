#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of Conv with respect to its input: gx = W^T * gy, gathered per
// input pixel (no atomics): input pixel (iy, ix) receives gy[oy, ox] through
// tap (ky, kx) where iy = oy * SH - pad_t + ky * DH.
//
// Bindings: 0 gy [n][oc4][oh][ow] (texel; already multiplied by the fused
// activation's derivative), 1 weights [ic4][oc4][kh][kw][4 output lanes]
// vec4 over input lanes (texel), 2 gx [n][ic4][ih][iw] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW. Linear grid over gx texels.
// Each input block only visits the output blocks of its groups, so a
// depthwise convolution costs one block per pixel, not C / 4. Undilated, a
// pixel visits only the ceil(K / S) taps per axis that can reach it (the
// others have the wrong phase), each fetched unconditionally and selected:
// lavapipe runs fetches under per-lane branches slowly, and neighbouring
// lanes differ in phase (SqueezeNet's 3x3/2 first layer: ~2.25x fewer fetches).
#include "vknn.glsl"

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DH = 1;
layout(constant_id = 8) const int DW = 1;

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) uniform samplerBuffer w_t;
layout(binding = 2) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ic, ic4, ih, iw;
    int oc4, oh, ow;
    int pad_t, pad_l;
    int icg, ocg;
} p;

const bool WALK = DH == 1 && DW == 1;
const int TY = WALK ? (KH + SH - 1) / SH : KH; // taps visited per axis
const int TX = WALK ? (KW + SW - 1) / SW : KW;

// The a-th tap of an axis that may reach input coordinate i: its kernel
// index k and output coordinate o; FALSE when it does not reach i.
bool tap(int i, int a, int pad, int s, int d, int k_n, int o_n, out int k, out int o)
{
    k = WALK ? (i + pad) % s + a * s : a;
    const int t = i + pad - k * d;
    o = t / s;
    return k < k_n && t >= 0 && t % s == 0 && o < o_n;
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int c4 = (i / (p.iw * p.ih)) % p.ic4;
    const int n = i / (p.iw * p.ih * p.ic4);
    const int g0 = c4 * 4 / p.icg, g1 = min(c4 * 4 + 3, p.ic - 1) / p.icg;
    const int o4_lo = g0 * p.ocg / 4, o4_hi = ((g1 + 1) * p.ocg - 1) / 4;
    vec4 acc = vec4(0.0);
    for (int o4 = o4_lo; o4 <= o4_hi; o4++) {
        const int plane = (n * p.oc4 + o4) * p.oh;
        const int wbase = (c4 * p.oc4 + o4) * KH * KW;
        for (int a = 0; a < TY; a++) {
            int ky, oy;
            const bool in_y = tap(iy, a, p.pad_t, SH, DH, KH, p.oh, ky, oy);
            for (int b = 0; b < TX; b++) {
                int kx, ox;
                const bool valid = in_y && tap(ix, b, p.pad_l, SW, DW, KW, p.ow, kx, ox);
                const vec4 g = texelFetch(gy_t, (plane + clamp(oy, 0, p.oh - 1)) * p.ow +
                                                    clamp(ox, 0, p.ow - 1));
                const int wt = (wbase + min(ky, KH - 1) * KW + min(kx, KW - 1)) * 4;
                const vec4 d = texelFetch(w_t, wt) * g.x + texelFetch(w_t, wt + 1) * g.y +
                               texelFetch(w_t, wt + 2) * g.z + texelFetch(w_t, wt + 3) * g.w;
                acc += valid ? d : vec4(0.0);
            }
        }
    }
    gx_t[i] = acc;
}
