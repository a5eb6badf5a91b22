// Shared definitions of vknn compute shaders.
//
// Tensors are channel-packed: [n][ceil(c/4)][h][w] vec4, channel c in lane
// c % 4, padding lanes zero. Read-only tensors are RGBA32F uniform texel
// buffers (fast on every driver, ~15x faster than SSBO loads on lavapipe);
// outputs are storage buffers written once per texel.
//
// Spec constants 0..2 are the workgroup size; op parameters start at 3.

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_CLIP 2
#define ACT_LEAKY 3

#define PAD_ZERO 0
#define PAD_REFLECT 1
#define PAD_EDGE 2

// Linear invocation index of a dispatch split over x and y
// (vknn_cmd_dispatch_linear).
int linear_id()
{
    return int(gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x +
               gl_GlobalInvocationID.x);
}

vec4 activate(vec4 v, int act, float alpha, float beta)
{
    if (act == ACT_RELU)
        return max(v, vec4(0.0));
    if (act == ACT_CLIP)
        return clamp(v, vec4(alpha), vec4(beta));
    if (act == ACT_LEAKY)
        return mix(v * alpha, v, greaterThanEqual(v, vec4(0.0)));
    return v;
}

// A fused InstanceNormalization applied to an input texel as a kernel reads
// it: norm 0 none, 1 scale and shift, 2 then Relu.
vec4 normalize_input(vec4 v, int norm, vec4 scale, vec4 shift)
{
    if (norm == 0)
        return v;
    v = v * scale + shift;
    return norm == 2 ? max(v, vec4(0.0)) : v;
}

// A vec4 as the two uints of an RGBA16F texel (fp16 Winograd tiles).
uvec2 pack_half4(vec4 v)
{
    return uvec2(packHalf2x16(v.xy), packHalf2x16(v.zw));
}

// Zeroes the lanes of block c4 that lie beyond channel count c.
vec4 mask_lanes(vec4 v, int c4, int c)
{
    int valid = c - c4 * 4;
    if (valid >= 4)
        return v;
    return vec4(valid > 0 ? v.x : 0.0, valid > 1 ? v.y : 0.0, valid > 2 ? v.z : 0.0, 0.0);
}

// Maps coordinate i (may lie outside [0, n)) into the input per padding
// mode; returns false where zero padding applies.
bool pad_coord(inout int i, int n, int mode)
{
    if (i >= 0 && i < n)
        return true;
    if (mode == PAD_REFLECT) {
        i = i < 0 ? -i : 2 * n - 2 - i;
        i = clamp(i, 0, n - 1); // only reached for pads >= n, rejected on the host
        return true;
    }
    if (mode == PAD_EDGE) {
        i = clamp(i, 0, n - 1);
        return true;
    }
    return false;
}

// Physical location of row-major element `elem` of a tensor whose padded
// 4D dims are (n, dims.x = c, dims.y = h, dims.z = w), dims.w = ceil(c/4):
// returns the texel index; lane receives c % 4.
int locate(int elem, ivec4 dims, out int lane)
{
    int hw = dims.y * dims.z;
    int pix = elem % hw;
    int nc = elem / hw;
    int c = nc % dims.x;
    int n = nc / dims.x;
    lane = c & 3;
    return (n * dims.w + (c >> 2)) * hw + pix;
}
