#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#ifdef SHUFFLE_WEIGHTS
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
// Backward of Conv with respect to its input: gx = W^T * gy, gathered per
// input pixel (no atomics): input pixel (iy, ix) receives gy[oy, ox] through
// tap (ky, kx) where iy = oy * SH - pad_t + ky * DH.
//
// Undilated (WALK), the invocations of a workgroup share a row and a
// column phase: the grid is x = ceil(ceil(iw / SW) / L) workgroups of L
// (8 on a CPU device, vknn_tile_local_size) along the phase's columns, y = ih * SW (row, phase), z = n * ic4, so all
// lanes visit the same taps and read the same weights, which the
// SHUFFLE_WEIGHTS build fetches once per workgroup (as mac_tile.glsl).
// Dilated: a linear grid over gx texels.
//
// Bindings: 0 gy [n][oc4][oh][ow] (texel; already multiplied by the fused
// activation's derivative), 1 weights [ic4][oc4][kh][kw][4 output lanes]
// vec4 over input lanes (texel), 2 gx [n][ic4][ih][iw] (storage).
// Spec: 3 KH, 4 KW, 5 SH, 6 SW, 7 DH, 8 DW.
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

// The a-th tap of an axis that may reach input coordinate i (phase: the
// tap of the first one, k0): its kernel index k and output coordinate o;
// FALSE when it does not reach i.
bool tap(int i, int a, int k0, int pad, int s, int d, int k_n, int o_n, out int k, out int o)
{
    k = WALK ? k0 + a * s : a;
    const int t = i + pad - k * d;
    o = t / s;
    return k < k_n && t >= 0 && t % s == 0 && o < o_n;
}

// The 4 weight texels of tap (ky, kx) between blocks c4 and o4. WALK
// workgroups ask for one tap in every lane: with SHUFFLE_WEIGHTS, lane j
// fetches texel j and hands it to the others.
void weights(int c4, int o4, int ky, int kx, out vec4 w[4])
{
    const int wt = ((c4 * p.oc4 + o4) * KH * KW + min(ky, KH - 1) * KW + min(kx, KW - 1)) * 4;
#ifdef SHUFFLE_WEIGHTS
    if (WALK) {
        const vec4 mine = texelFetch(w_t, wt + int(gl_SubgroupInvocationID) % 4);
        [[unroll]] for (int j = 0; j < 4; j++)
            w[j] = subgroupShuffle(mine, j);
        return;
    }
#endif
    [[unroll]] for (int j = 0; j < 4; j++)
        w[j] = texelFetch(w_t, wt + j);
}

// gx at (n, c4, iy, ix); k0y, k0x: the pixel's phases (WALK).
vec4 gather(int n, int c4, int iy, int ix, int k0y, int k0x)
{
    const int g0 = c4 * 4 / p.icg, g1 = min(c4 * 4 + 3, p.ic - 1) / p.icg;
    const int o4_lo = g0 * p.ocg / 4, o4_hi = ((g1 + 1) * p.ocg - 1) / 4;
    vec4 acc = vec4(0.0);
    for (int o4 = o4_lo; o4 <= o4_hi; o4++) {
        const int plane = (n * p.oc4 + o4) * p.oh;
        for (int a = 0; a < TY; a++) {
            int ky, oy;
            const bool in_y = tap(iy, a, k0y, p.pad_t, SH, DH, KH, p.oh, ky, oy);
            for (int b = 0; b < TX; b++) {
                int kx, ox;
                const bool valid = in_y && tap(ix, b, k0x, p.pad_l, SW, DW, KW, p.ow, kx, ox);
                const vec4 g = texelFetch(gy_t, (plane + clamp(oy, 0, p.oh - 1)) * p.ow +
                                                    clamp(ox, 0, p.ow - 1));
                vec4 w[4];
                weights(c4, o4, ky, kx, w);
                const vec4 d = w[0] * g.x + w[1] * g.y + w[2] * g.z + w[3] * g.w;
                acc += valid ? d : vec4(0.0);
            }
        }
    }
    return acc;
}

void main()
{
    if (!WALK) {
        const int i = linear_id();
        if (i >= p.count)
            return;
        const int ix = i % p.iw, iy = (i / p.iw) % p.ih;
        const int c4 = (i / (p.iw * p.ih)) % p.ic4, n = i / (p.iw * p.ih * p.ic4);
        gx_t[i] = gather(n, c4, iy, ix, 0, 0);
        return;
    }
    // The grid is exact in y and z; columns past the row run on (unstored)
    // so that every lane shuffles.
    const int iy = int(gl_GlobalInvocationID.y) / SW, px = int(gl_GlobalInvocationID.y) % SW;
    const int z = int(gl_GlobalInvocationID.z), c4 = z % p.ic4, n = z / p.ic4;
    const int ix = int(gl_GlobalInvocationID.x) * SW + px;
    const vec4 acc = gather(n, c4, iy, ix, (iy + p.pad_t) % SH, (px + p.pad_l) % SW);
    if (ix < p.iw)
        gx_t[((n * p.ic4 + c4) * p.ih + iy) * p.iw + ix] = acc;
}
