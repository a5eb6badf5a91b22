#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of spatial Pad: each input pixel collects the gradient of every
// output pixel that read it (itself, and under reflect its mirror images in
// the borders, under edge the whole border run beside an edge pixel).
//
// Bindings: 0 gy [n][c4][oh][ow] (texel), 1 gx [n][c4][ih][iw] (storage).
// Spec: 3 MODE (as pad.comp). Linear grid over gx texels.
#include "vknn.glsl"

layout(constant_id = 3) const int MODE = PAD_ZERO;

layout(binding = 0) uniform samplerBuffer gy_t;
layout(binding = 1) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw, oh, ow, pad_t, pad_l, pad_b, pad_r;
} p;

// Ranges [lo[k], hi[k]] of output coordinates along one axis that read input
// coordinate i of n (padded by pad_lo, pad_hi); returns how many (<= 3).
int preimage(int i, int n, int pad_lo, int pad_hi, out ivec3 lo, out ivec3 hi)
{
    const int o = i + pad_lo;
    lo = ivec3(o);
    hi = ivec3(o);
    if (MODE == PAD_EDGE) {
        lo[0] = i == 0 ? 0 : o;
        hi[0] = i == n - 1 ? n - 1 + pad_lo + pad_hi : o;
        return 1;
    }
    int k = 1;
    if (MODE == PAD_REFLECT) {
        if (i > 0 && i <= pad_lo) {
            lo[k] = hi[k] = pad_lo - i;
            k++;
        }
        if (i < n - 1 && n - 1 - i <= pad_hi) {
            lo[k] = hi[k] = 2 * (n - 1) - i + pad_lo;
            k++;
        }
    }
    return k;
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ix = i % p.iw;
    const int iy = (i / p.iw) % p.ih;
    const int z = i / (p.iw * p.ih);
    ivec3 ylo, yhi, xlo, xhi;
    const int ny = preimage(iy, p.ih, p.pad_t, p.pad_b, ylo, yhi);
    const int nx = preimage(ix, p.iw, p.pad_l, p.pad_r, xlo, xhi);
    vec4 acc = vec4(0.0);
    for (int a = 0; a < ny; a++)
        for (int oy = ylo[a]; oy <= yhi[a]; oy++)
            for (int b = 0; b < nx; b++)
                for (int ox = xlo[b]; ox <= xhi[b]; ox++)
                    acc += texelFetch(gy_t, (z * p.oh + oy) * p.ow + ox);
    gx_t[i] = acc;
}
