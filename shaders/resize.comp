#version 450
#extension GL_GOOGLE_include_directive : require
// Spatial resize (Resize / Upsample) of a 4D tensor, nearest or bilinear,
// with the ONNX coordinate transformation modes.
//
// Bindings: 0 input [n][c4][ih][iw] (texel), 1 output [n][c4][oh][ow]
// (storage). Spec: 3 LINEAR (0 nearest, 1 linear), 4 CTM (0 half_pixel,
// 1 asymmetric, 2 align_corners, 3 pytorch_half_pixel,
// 4 tf_half_pixel_for_nn), 5 NEAREST (0 round_prefer_floor,
// 1 round_prefer_ceil, 2 floor, 3 ceil). Linear grid.
#include "vknn.glsl"

layout(constant_id = 3) const int LINEAR = 0;
layout(constant_id = 4) const int CTM = 0;
layout(constant_id = 5) const int NEAREST = 0;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, ih, iw, oh, ow;
    float scale_h, scale_w;
} p;

float source_coord(int o, float scale, int in_len, int out_len)
{
    const float x = float(o);
    if (CTM == 1)
        return x / scale;
    if (CTM == 2)
        return out_len > 1 ? x * float(in_len - 1) / float(out_len - 1) : 0.0;
    if (CTM == 3)
        return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    if (CTM == 4)
        return (x + 0.5) / scale;
    return (x + 0.5) / scale - 0.5;
}

int nearest_index(float x, int len)
{
    int i;
    if (NEAREST == 2)
        i = int(floor(x));
    else if (NEAREST == 3)
        i = int(ceil(x));
    else if (NEAREST == 1)
        i = fract(x) == 0.5 ? int(ceil(x)) : int(round(x));
    else
        i = fract(x) == 0.5 ? int(floor(x)) : int(round(x));
    return clamp(i, 0, len - 1);
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int ox = i % p.ow;
    const int oy = (i / p.ow) % p.oh;
    const int plane = (i / (p.ow * p.oh)) * p.ih;
    const float sy = source_coord(oy, p.scale_h, p.ih, p.oh);
    const float sx = source_coord(ox, p.scale_w, p.iw, p.ow);
    if (LINEAR == 0) {
        out_t[i] = texelFetch(in_t, (plane + nearest_index(sy, p.ih)) * p.iw + nearest_index(sx, p.iw));
        return;
    }
    const float cy = clamp(sy, 0.0, float(p.ih - 1));
    const float cx = clamp(sx, 0.0, float(p.iw - 1));
    const int y0 = int(floor(cy)), x0 = int(floor(cx));
    const int y1 = min(y0 + 1, p.ih - 1), x1 = min(x0 + 1, p.iw - 1);
    const float fy = cy - float(y0), fx = cx - float(x0);
    const vec4 top = mix(texelFetch(in_t, (plane + y0) * p.iw + x0),
                         texelFetch(in_t, (plane + y0) * p.iw + x1), fx);
    const vec4 bottom = mix(texelFetch(in_t, (plane + y1) * p.iw + x0),
                            texelFetch(in_t, (plane + y1) * p.iw + x1), fx);
    out_t[i] = mix(top, bottom, fy);
}
