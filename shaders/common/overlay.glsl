// Body of the overlay*.comp shaders: a scalar map drawn over a region of a
// frame through a colormap. Each shader defines load_orig(ivec2) returning
// a frame pixel as RGBA 0..255 and store(ivec2, vec4) for the finished
// pixel (RGBA, integers 0..255), then includes this. Bindings 0 and 1 are
// the same in every variant.
//
// Inside the region, the map is sampled bilinearly at the pixel centre
// (u = (x - region.x + 0.5) * map.x / region.width - 0.5, clamped to the
// edge texels), its value v (0..1) picks a colour from the colormap's
// 256-entry table (linear between entries), and
// out = in * (1 - a) + colour * a with a = alpha * v (alpha if opaque).
// Outside the region, and for the alpha channel, the input is copied.
// Grid: frame.x x frame.y.

layout(binding = 0) uniform samplerBuffer map_t; // [map.y][map.x], value in .x, 0..1
layout(binding = 1) uniform samplerBuffer lut_t; // [colormap][256], RGB 0..255

layout(push_constant) uniform Params {
    ivec4 region;   // x, y, width, height (width 0: no map, copy the frame)
    ivec2 frame;    // frame size
    ivec2 map;      // map size
    int in_stride;  // input row stride in pixels (frames in memory)
    int out_stride; // output row stride in pixels (outputs in memory)
    int colormap;   // row of lut_t
    float alpha;
    int opaque;
} p;

float load_map(ivec2 q)
{
    return texelFetch(map_t, q.y * p.map.x + q.x).x;
}

vec3 colormap(float v)
{
    const float t = v * 255.0;
    const int i0 = min(int(t), 254);
    const int row = p.colormap * 256;
    return mix(texelFetch(lut_t, row + i0).rgb, texelFetch(lut_t, row + i0 + 1).rgb,
               t - float(i0));
}

void main()
{
    const ivec2 f = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(f, p.frame)))
        return;
    vec4 o = load_orig(f);
    const ivec2 r = f - p.region.xy;
    if (all(greaterThanEqual(r, ivec2(0))) && all(lessThan(r, p.region.zw))) {
        const vec2 pos = (vec2(r) + 0.5) * vec2(p.map) / vec2(p.region.zw) - 0.5;
        float v;
        BILINEAR(v, load_map, pos, p.map);
        const float a = p.opaque != 0 ? p.alpha : p.alpha * v;
        o.rgb = clamp(round(mix(o.rgb, colormap(v), a)), 0.0, 255.0);
    }
    store(f, o);
}
