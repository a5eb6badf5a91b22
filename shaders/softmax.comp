#version 450
#extension GL_GOOGLE_include_directive : require
// Softmax along one axis: the tensor is viewed as [outer, len, inner] in
// row-major element order; one invocation per (outer, inner) pair.
//
// Bindings: 0 input (texel), 1 output (storage, component stores).
// Linear grid over outer * inner.
#include "vknn.glsl"

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) buffer Out { float out_t[]; };

layout(push_constant) uniform Params {
    int count, len, inner;
    ivec4 dims; // c, h, w, c4 (input and output share the shape)
} p;

float fetch(int elem)
{
    int lane;
    const int t = locate(elem, p.dims, lane);
    return texelFetch(in_t, t)[lane];
}

void store(int elem, float v)
{
    int lane;
    const int t = locate(elem, p.dims, lane);
    out_t[t * 4 + lane] = v;
    // The writer of the last channel also zeroes the padding lanes above it.
    const int c = (elem / (p.dims.y * p.dims.z)) % p.dims.x;
    if (c == p.dims.x - 1)
        for (int j = lane + 1; j < 4; j++)
            out_t[t * 4 + j] = 0.0;
}

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const int base = (i / p.inner) * p.len * p.inner + i % p.inner;
    float mx = -3.402823e38;
    for (int l = 0; l < p.len; l++)
        mx = max(mx, fetch(base + l * p.inner));
    float sum = 0.0;
    for (int l = 0; l < p.len; l++)
        sum += exp(fetch(base + l * p.inner) - mx);
    for (int l = 0; l < p.len; l++)
        store(base + l * p.inner, exp(fetch(base + l * p.inner) - mx) / sum);
}
