#!/usr/bin/python3
"""Makes docs/images/temporal.png: three consecutive frames of a slow pan
(1.5 px a frame, sensor noise of 2.5 levels) over a synthetic texture,
stylised per frame (top row) and with temporal=flow (bottom row), and the
change from frame t to t+1 after undoing the known pan, 4x brighter (right).
Prints the mean of that change over frames 3..11, for both rows.

  bench/temporal_figure.py [MODEL] [OUT.png]     (needs python3-opencv; a
                                                  build in ./build)
No asset is used: the scene is generated here.
"""
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

W, H, PAN, FRAMES = 160, 120, 1.5, 12


def make_clip(d):
    rng = np.random.default_rng(1)
    big = cv2.GaussianBlur(rng.normal(size=(H + 40, W + 80, 3)).astype(np.float32), (0, 0), 6)
    big = (big - big.min()) / (big.max() - big.min()) * 255
    yy, xx = np.mgrid[0:H + 40, 0:W + 80]
    big[..., 0] += 40 * np.sin(xx * 0.08)
    big[..., 1] += 30 * np.cos(yy * 0.11 + xx * 0.03)
    big = np.clip(big, 0, 255)
    for t in range(FRAMES):
        m = np.float32([[1, 0, -(10 + PAN * t)], [0, 1, -10]])
        f = cv2.warpAffine(big, m, (W, H), flags=cv2.INTER_LINEAR)
        f = f + rng.normal(scale=2.5, size=f.shape)
        cv2.imwrite(f"{d}/in-{t:03d}.png", np.clip(f, 0, 255).astype(np.uint8))


def stylise(d, model, temporal):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, GST_PLUGIN_PATH=f"{root}/build/gst-plugins")
    subprocess.run(["gst-launch-1.0", "-q", "multifilesrc", f"location={d}/in-%03d.png",
                    "caps=image/png,framerate=10/1", "!", "pngdec", "!", "videoconvert", "!",
                    "video/x-raw,format=RGBA", "!", "vkstyletransfer", f"model={model}",
                    f"temporal={temporal}", "!", "videoconvert", "!", "pngenc", "!",
                    "multifilesink", f"location={d}/{temporal}-%03d.png"], env=env, check=True)
    return [cv2.imread(f"{d}/{temporal}-{i:03d}.png").astype(np.float32) for i in range(FRAMES)]


def change(a, b):
    """|b - a moved by the pan|, without the 4 columns the pan brings in."""
    m = np.float32([[1, 0, -PAN], [0, 1, 0]])
    moved = cv2.warpAffine(a, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.abs(b - moved)[:, 4:-4]


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "builtin:starry_night"
    out = sys.argv[2] if len(sys.argv) > 2 else "docs/images/temporal.png"
    with tempfile.TemporaryDirectory() as d:
        make_clip(d)
        rows = []
        for temporal in ("off", "flow"):
            f = stylise(d, model, temporal)
            mean = np.mean([change(f[i], f[i + 1]).mean() for i in range(3, FRAMES - 1)])
            print(f"temporal={temporal}: mean change between frames after the pan {mean:.2f} levels")
            diff = np.zeros_like(f[0])
            diff[:, 4:-4] = np.clip(change(f[8], f[9]) * 4, 0, 255)
            rows.append(np.hstack([f[8], f[9], f[10], diff]))
        cv2.imwrite(out, np.vstack(rows).astype(np.uint8))


if __name__ == "__main__":
    main()
