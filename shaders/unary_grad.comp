#version 450
#extension GL_GOOGLE_include_directive : require
// Element-wise backward: gx = gy * f'(x), with f' taken from the forward
// output y (which is all a fused Conv + activation keeps), plus two helpers
// of the backward executor: scaling and summing gradients.
//
// Bindings: 0 y (texel), 1 gy (texel), 2 gx (storage), same layout.
// Spec: 3 OP, 4 GUIDED (Relu: also drop negative gradients, Springenberg
// et al. 2015). Linear grid over texels.
#include "vknn.glsl"

#define OP_RELU 0
#define OP_CLIP 1    // alpha, beta: bounds
#define OP_LEAKY 2   // alpha: negative slope
#define OP_SIGMOID 3
#define OP_TANH 4
#define OP_SCALE 5   // gx = alpha * gy (y unused)
#define OP_ADD 6     // gx = y + gy: two gradient contributions summed

layout(constant_id = 3) const int OP = OP_RELU;
layout(constant_id = 4) const int GUIDED = 0;

layout(binding = 0) uniform samplerBuffer y_t;
layout(binding = 1) uniform samplerBuffer gy_t;
layout(binding = 2) writeonly buffer Out { vec4 gx_t[]; };

layout(push_constant) uniform Params {
    int count;
    float alpha, beta;
} p;

void main()
{
    const int i = linear_id();
    if (i >= p.count)
        return;
    const vec4 g = texelFetch(gy_t, i);
    if (OP == OP_SCALE) {
        gx_t[i] = p.alpha * g;
        return;
    }
    const vec4 y = texelFetch(y_t, i);
    vec4 d;
    if (OP == OP_RELU)
        d = vec4(greaterThan(y, vec4(0.0)));
    else if (OP == OP_CLIP)
        d = vec4(greaterThan(y, vec4(p.alpha))) * vec4(lessThan(y, vec4(p.beta)));
    else if (OP == OP_LEAKY)
        d = mix(vec4(p.alpha), vec4(1.0), greaterThan(y, vec4(0.0)));
    else if (OP == OP_SIGMOID)
        d = y * (1.0 - y);
    else if (OP == OP_TANH)
        d = 1.0 - y * y;
    if (OP == OP_ADD)
        gx_t[i] = y + g;
    else if (GUIDED != 0 && OP == OP_RELU)
        gx_t[i] = g * d * vec4(greaterThan(g, vec4(0.0)));
    else
        gx_t[i] = g * d;
}
