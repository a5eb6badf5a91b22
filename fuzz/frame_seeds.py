#!/usr/bin/env python3
"""Seed corpus of fuzz_frame (fuzz/fuzz_frame.c), written at test time.

    frame_seeds.py ONNX_DIR OUT_DIR

Every *.onnx of ONNX_DIR (the seeds of `test_bad_input --write-seeds` and
`test_ops write-seeds`; never committed) becomes a shape-inference seed at
8x8 with its model at the tail, and a few seeds per mode exercise the
built-in style networks at odd and extreme sizes, frames as network input,
activation grids, scores and names. The layouts are those documented in
fuzz_frame.c.
"""
import pathlib
import struct
import sys


def dim_small(v):  # tag % 4 == 0: (tag >> 2) - 8, v in -8..55
    return bytes([((v + 8) << 2) | 0])


def dim_u16(v):  # tag % 4 == 1
    return bytes([1]) + struct.pack("<H", v)


def dim_i64(v):  # tag % 4 == 2
    return bytes([2]) + struct.pack("<q", v)


def dim_pow2(e, off=0):  # tag % 4 == 3: 2^e + off
    return bytes([(e << 2) | 3]) + struct.pack("<b", off)


def shapes(sel, h, w, explicit=()):
    """Mode 0: selector, default h and w, explicit (rank, [4 dims]) records."""
    out = bytes([0, sel]) + struct.pack("<hh", h, w) + bytes([len(explicit)])
    for rank, dims in explicit:
        out += bytes([rank]) + b"".join(dims)
    return out


def frame_input(mode, in_w, in_h, rw, rh, hw, hh, fw, fh, pad, fmt, mean, std, pixels):
    """Mode 1: sizes are stored minus one (the target adds it back)."""
    return (bytes([1, mode]) + struct.pack("<IIII", in_w - 1, in_h - 1, rw - 1, rh - 1) +
            struct.pack("<IIII", hw - 1, hh - 1, fw - 1, fh - 1) + bytes([pad, fmt]) +
            struct.pack("<3f", *mean) + struct.pack("<3f", *std) + pixels)


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    seeds = {}
    for f in sorted(src.glob("*.onnx")):
        seeds["shapes_" + f.stem] = shapes(0, 8, 8) + f.read_bytes()

    for sel, name in ((1, "starry_night"), (2, "wave")):
        seeds[f"builtin_{name}_64"] = shapes(sel, 64, 64)
        seeds[f"builtin_{name}_odd"] = shapes(sel, 75, 99)
        seeds[f"builtin_{name}_zero"] = shapes(sel, 0, 16)
        seeds[f"builtin_{name}_batch"] = shapes(
            sel, 16, 16, [(0, [dim_small(2), dim_small(3), dim_small(16), dim_small(16)])])
        seeds[f"builtin_{name}_huge"] = shapes(
            sel, 16, 16, [(0, [dim_small(1), dim_small(3), dim_pow2(30), dim_pow2(30)])])
        seeds[f"builtin_{name}_int64"] = shapes(
            sel, 16, 16, [(0, [dim_small(1), dim_small(3), dim_i64(2**62), dim_u16(65535)])])
        seeds[f"builtin_{name}_rank"] = shapes(
            sel, 16, 16, [(3, [dim_small(3), dim_small(16), dim_small(16), dim_small(0)])])

    imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    px = bytes(range(256)) * 4
    seeds["frame_crop"] = frame_input(1, 224, 224, 640, 480, 8, 8, 12, 9, 0, 0, *imagenet, px)
    seeds["frame_stretch"] = frame_input(0, 224, 224, 1, 16384, 5, 3, 7, 4, 3, 1, *imagenet, px)
    seeds["frame_tall"] = frame_input(1, 1, 1000, 16384, 1, 3, 17, 1, 1, 0, 3,
                                      (0, 0, 0), (1, 1, 1), px[:4])

    grid = struct.pack("<3f", 0.0, 1.0, float("nan")) * 100
    seeds["grid_squeezenet"] = bytes([2, 15, 12, 12]) + struct.pack("<i", 16) + grid
    seeds["grid_one"] = bytes([2, 0, 0, 0]) + struct.pack("<i", -5)

    logits = struct.pack("<10f", 1, 5, -2, 5, float("inf"), 0, float("-inf"), 3, 2, 1)
    seeds["scores_ten"] = bytes([3]) + struct.pack("<H", 10) + bytes([5]) + struct.pack("<f", 0.99) + logits
    seeds["scores_empty"] = bytes([3]) + struct.pack("<H", 0) + bytes([0]) + struct.pack("<f", 0.5)

    seeds["names_turbo"] = (bytes([4]) + struct.pack("<if", 0, 0.5) + bytes([4]) +
                            dim_small(1) + dim_small(3) + dim_small(-1) + dim_pow2(40) +
                            bytes([20]) + b"turbo")
    seeds["names_method"] = (bytes([4]) + struct.pack("<if", 7, float("nan")) + bytes([0]) +
                             dim_small(0) * 4 + bytes([1]) + b"gradcam")

    for name, data in seeds.items():
        (out / name).write_bytes(data)
    print(f"frame_seeds.py: {len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
