#version 450
#extension GL_GOOGLE_include_directive : require
// Winograd F(4x4, 3x3), step 1 of 3: input transform V = B^T d B of every
// 6x6 input tile d (4x4 outputs need 6x6 inputs), one tile and one block of
// 4 channels per invocation, for the tiles [tile0, tile0 + count) of a band.
// Padding (zero, reflect, edge) and a fused nearest upsampling by UPS are
// applied while reading, as in conv2d.comp.
//
// Bindings: 0 input [n][ic4][ih][iw] (texel), 1 input norm [n][ic4][2]
// scale, shift (texel, read when INPUT_NORM), 2 V [36][ic4][count] (storage:
// vec4, or fp16 pairs when HALF). Spec: 3 PAD_MODE, 4 UPS, 5 HALF,
// 6 INPUT_NORM (as in conv2d.comp). Grid: linear over count * ic4.
#include "vknn.glsl"

layout(constant_id = 3) const int PAD_MODE = PAD_ZERO;
layout(constant_id = 4) const int UPS = 1;
layout(constant_id = 5) const bool HALF = false;
layout(constant_id = 6) const int INPUT_NORM = 0;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) uniform samplerBuffer norm_t;
layout(binding = 2) writeonly buffer V { vec4 v_t[]; };
layout(binding = 2) writeonly buffer VHalf { uvec2 v_half_t[]; };

layout(push_constant) uniform Params {
    int ic4, ih, iw;
    int oh, ow;   // output size: inputs no valid output needs are read as 0
    int th, tw;   // tiles per image
    int pad_t, pad_l;
    int tile0, count;
} p;

// r = B^T a for F(4, 3) (Lavin & Gray 2016, interpolation points 0, +-1, +-2).
void bt6(vec4 a[6], out vec4 r[6])
{
    r[0] = 4.0 * a[0] - 5.0 * a[2] + a[4];
    r[1] = -4.0 * (a[1] + a[2]) + a[3] + a[4];
    r[2] = 4.0 * (a[1] - a[2]) - a[3] + a[4];
    r[3] = 2.0 * (a[3] - a[1]) - a[2] + a[4];
    r[4] = 2.0 * (a[1] - a[3]) - a[2] + a[4];
    r[5] = 4.0 * a[1] - 5.0 * a[3] + a[5];
}

void main()
{
    const int id = linear_id();
    if (id >= p.count * p.ic4)
        return;
    const int tl = id % p.count, c4 = id / p.count;
    const int tile = p.tile0 + tl, per_image = p.th * p.tw;
    const int n = tile / per_image, ty = tile % per_image / p.tw, tx = tile % p.tw;
    const int plane = (n * p.ic4 + c4) * p.ih;

    // Padded-image coordinates of the tile's 6 rows and columns; beyond
    // oh + 2 / ow + 2 no valid output reads them.
    int iy[6], ix[6];
    bool vy[6], vx[6];
    for (int k = 0; k < 6; k++) {
        iy[k] = ty * 4 + k - p.pad_t;
        ix[k] = tx * 4 + k - p.pad_l;
        vy[k] = ty * 4 + k < p.oh + 2 && pad_coord(iy[k], p.ih * UPS, PAD_MODE);
        vx[k] = tx * 4 + k < p.ow + 2 && pad_coord(ix[k], p.iw * UPS, PAD_MODE);
    }
    vec4 scale = vec4(1.0), shift = vec4(0.0);
    if (INPUT_NORM != 0) {
        scale = texelFetch(norm_t, 2 * (n * p.ic4 + c4));
        shift = texelFetch(norm_t, 2 * (n * p.ic4 + c4) + 1);
    }
    vec4 t[6][6]; // t = B^T d, column by column
    for (int j = 0; j < 6; j++) {
        vec4 col[6];
        for (int k = 0; k < 6; k++)
            col[k] = vy[k] && vx[j]
                         ? normalize_input(
                               texelFetch(in_t, (plane + iy[k] / UPS) * p.iw + ix[j] / UPS),
                               INPUT_NORM, scale, shift)
                         : vec4(0.0);
        vec4 r[6];
        bt6(col, r);
        for (int i = 0; i < 6; i++)
            t[i][j] = r[i];
    }
    for (int i = 0; i < 6; i++) {
        vec4 r[6];
        bt6(t[i], r); // V row i = (B^T (B^T d)^T)^T row i = t[i] B
        for (int j = 0; j < 6; j++) {
            const int at = ((i * 6 + j) * p.ic4 + c4) * p.count + tl;
            if (HALF)
                v_half_t[at] = pack_half4(r[j]);
            else
                v_t[at] = r[j];
        }
    }
}
