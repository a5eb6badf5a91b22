// Body of the frame_input*.comp shaders: a frame -> a classifier's input
// tensor [1][1][size.y][size.x] vec4 (channels R, G, B normalised in lanes
// 0-2, lane 3 zero). Each shader defines load(ivec2) returning a frame pixel
// as RGBA 0..255 and the output buffer out_t, then includes this.
//
// The region of the frame the network sees is resampled bilinearly to the
// input size (align_corners=False: source = (dst + 0.5) * scale - 0.5,
// clamped to the region's edge pixels), then (rgb / 255 - mean) / std.
// vknn_frame_input_host() in compute/frame_input.c is the same on the CPU.
// Grid: size.x x size.y.

layout(push_constant) uniform Params {
    vec4 mean;    // RGB
    vec4 std;     // RGB
    ivec4 region; // x, y, width, height of the frame region
    ivec2 frame;  // frame size
    ivec2 size;   // network input size
    int stride;   // frame row stride in pixels (frames in memory)
} p;

vec4 load_region(ivec2 q)
{
    return load(q + p.region.xy);
}

void main()
{
    const ivec2 n = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(n, p.size)))
        return;
    const vec2 pos = (vec2(n) + 0.5) * (vec2(p.region.zw) / vec2(p.size)) - 0.5;
    vec4 v;
    BILINEAR(v, load_region, pos, p.region.zw);
    out_t[n.y * p.size.x + n.x] = vec4((v.rgb / 255.0 - p.mean.rgb) / p.std.rgb, 0.0);
}
