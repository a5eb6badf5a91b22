// Body of the style_post_*.comp shaders: each defines net_t (the network
// output, texel buffer), load_orig(ivec2) returning the original pixel as
// RGBA 0..255, and store(ivec2, vec4) for the finished RGBA 0..255 pixel,
// then includes this.

layout(push_constant) uniform Params {
    ivec2 frame;          // frame size
    ivec2 out_size;       // network output size
    vec2 content_in_out;  // frame content size in network-output pixels
    int in_stride;        // original frame row stride, pixels (memory input)
    int out_stride;       // output row stride, pixels (memory output)
    float strength;
    int preserve_colors;
} p;

vec4 load_net(ivec2 q)
{
    return texelFetch(net_t, q.y * p.out_size.x + q.x);
}

void main()
{
    const ivec2 f = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(f, p.frame)))
        return;
    vec4 s;
    BILINEAR(s, load_net, net_pos_of_frame_pixel(f, p.frame, p.content_in_out), p.content_in_out);
    store(f, finish_pixel(s.rgb, load_orig(f), p.strength, p.preserve_colors != 0));
}
