#version 450
#extension GL_GOOGLE_include_directive : require
// Element-wise unary operators: Relu, LeakyRelu, Clip, Sigmoid, Tanh, copy.
//
// Bindings: 0 input (texel), 1 output (storage), same layout.
// Spec: 3 OP. Linear grid over texels.
#include "vknn.glsl"

#define OP_RELU 0
#define OP_LEAKY 1
#define OP_CLIP 2
#define OP_SIGMOID 3
#define OP_TANH 4
#define OP_COPY 5

layout(constant_id = 3) const int OP = OP_RELU;

layout(binding = 0) uniform samplerBuffer in_t;
layout(binding = 1) writeonly buffer Out { vec4 out_t[]; };

layout(push_constant) uniform Params {
    int count, hw, c, c4;
    float alpha, beta;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const vec4 x = texelFetch(in_t, i);
    vec4 y = x;
    if (OP == OP_RELU)
        y = max(x, vec4(0.0));
    else if (OP == OP_LEAKY)
        y = mix(x * p.alpha, x, greaterThanEqual(x, vec4(0.0)));
    else if (OP == OP_CLIP)
        y = clamp(x, vec4(p.alpha), vec4(p.beta));
    else if (OP == OP_SIGMOID)
        y = 1.0 / (1.0 + exp(-x));
    else if (OP == OP_TANH)
        y = tanh(clamp(x, vec4(-15.0), vec4(15.0))); // tanh() overflows exp() beyond that
    out_t[i] = mask_lanes(y, (i / p.hw) % p.c4, p.c);
}
