// Multiply-add of a register tile, shared by conv2d.comp and
// conv2d_winograd_gemm.comp: acc[b][t] += W(o40 + b) * v[t] for the OCB blocks
// of 4 output channels and TX pixels of an invocation. W(o4) is the 4 x 4
// matrix in texels 4 * (o4 * w_stride + w_offset) .. + 3 of w_t: one vec4 over
// the 4 output lanes per input lane. Blocks past oc4 - 1 read the last one
// (their results are not stored).
//
// The includer defines TX, OCB, TX_MAX, OCB_MAX, IN_LANES (the lanes of an
// input texel that hold channels: 4, or the channel count of a 1..3-channel
// input, whose zero lanes then cost no multiply-adds) and binds w_t.
//
// SHUFFLE_WEIGHTS (a build variant for devices whose 8-invocation workgroups
// are one subgroup with shuffles, such as lavapipe): all lanes of a workgroup
// need the same weights, and lavapipe fetches a texel lane by lane even when
// every lane asks for one address. The tile's 4 x OCB weight texels are
// spread over the 8 lanes instead (texel k in lane k % 8) and travel between
// lanes by subgroupShuffle, which becomes a register permute: ceil(OCB / 2)
// fetches per lane instead of 4 x OCB (SqueezeNet's 13x13 classifier 5.7 ->
// 3.3 ms). Every lane of the workgroup
// must reach this call: tail invocations compute clamped pixels instead of
// returning early.

void fetch_block(int o4, int oc4, int w_stride, int w_offset, out vec4 w[4])
{
    const int wi = (min(o4, oc4 - 1) * w_stride + w_offset) * 4;
    [[unroll]] for (int j = 0; j < 4; j++)
        w[j] = texelFetch(w_t, wi + j);
}

void mac_tile(inout vec4 acc[OCB_MAX][TX_MAX], const vec4 v[TX_MAX], int o40, int oc4,
              int w_stride, int w_offset)
{
#ifdef SHUFFLE_WEIGHTS
    // Texel k = 4 b + j of the tile's 4 x OCB lives in lane k % 8, slot k / 8
    // (lanes past 4 x OCB fetch a copy of the last block).
    const int lane = int(gl_SubgroupInvocationID);
    vec4 slot[OCB_MAX / 2];
    [[unroll]] for (int s = 0; s < (OCB + 1) / 2; s++) {
        const int k = s * 8 + lane, b = min(k / 4, OCB - 1);
        slot[s] = texelFetch(w_t, (min(o40 + b, oc4 - 1) * w_stride + w_offset) * 4 + k % 4);
    }
#endif
    [[unroll]] for (int b = 0; b < OCB; b++) {
        vec4 w[4];
#ifdef SHUFFLE_WEIGHTS
        [[unroll]] for (int j = 0; j < 4; j++)
            w[j] = subgroupShuffle(slot[(4 * b + j) / 8], (4 * b + j) % 8);
#else
        fetch_block(o40 + b, oc4, w_stride, w_offset, w);
#endif
        [[unroll]] for (int t = 0; t < TX; t++) {
            vec4 sum = w[0] * v[t].x;
            if (IN_LANES > 1)
                sum += w[1] * v[t].y;
            if (IN_LANES > 2)
                sum += w[2] * v[t].z;
            if (IN_LANES > 3)
                sum += w[3] * v[t].w;
            acc[b][t] += sum;
        }
    }
}
