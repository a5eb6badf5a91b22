#!/usr/bin/python3
"""Temporal stability (flicker) benchmark for vkstyletransfer (issue 14, item 1).

    bench/flicker.py [--model M]... [--clips LIST] [--frames N] [--size WxH]
                     [--prop KEY=VALUE]... [--label NAME] [--keep DIR]
    bench/flicker.py --self-test

Makes short clips itself (into a temporary folder), runs each through the
real element in a GStreamer pipeline and prints markdown tables:

  filesrc (raw RGBA) ! rawvideoparse ! vkstyletransfer model=M [--prop ...]
                     ! filesink (raw RGBA)

Frames go in and out as raw RGBA, not through a codec: an encoder adds its own
temporal noise (and a lossless one would only cost time), which is exactly
what must not be mixed into a flicker figure. rawvideoparse stamps the
buffers at the clip's frame rate, as a decoder would.

Measures, for the output O and for the input I alike:

* E_warp (Lai et al. 2018, fast_blind_video_consistency/evaluate_WarpError.py):
  E_pair(t) = sum M_t * ||F_t - warp(F_{t+1}, f_t)||^2 / sum M_t, frames in 0..1,
  the squared norm summed over RGB, averaged over the pairs of the clip;
  f_t = optical flow t -> t+1 computed on the *input* frames by OpenCV's DIS
  (an implementation independent of vknn), warp = bilinear sampling of frame
  t+1 at x + f_t(x), M_t = 1 - occlusion mask of Ruder et al. 2016 as Lai
  computes it: forward-backward check |f + b(x+f)|^2 > 0.01 (|f|^2 + |b(x+f)|^2)
  + 0.5 and motion boundaries |grad f|^2 > 0.01 |f|^2 + 0.002; in addition,
  pixels whose x + f falls outside the frame are masked (Lai's resampler
  clamps them to the border, which counts new content as flicker).
  Reported for the output and the input, and out/in (the goal: <= 3).
* For pans (a crop window moving a known whole number of pixels per frame
  over a photo): the same E_warp with the exact motion instead of the flow
  (mask = the part that stays in frame) as a check of the flow-based figure,
  and the mean absolute difference in levels (0..255) between O_{t+1} and O_t
  shifted by the motion, the figure of the issue (18.7 for candy on a 2 px/frame
  pan, 0.34 for the input of that mpeg4 clip; 0 here: the input is exact).
* Style and content distance (bench/style_distance.py) of the output on the
  first, middle and last frames: Gram distance to the model's painting (when
  ../shared/media/style has it) and relu2_1 distance to the input frame, so
  that stability is never bought by washing the style out.

Clips (--clips, comma separated; default all):
  pan-chelsea   skimage_chelsea.png, 2 px/frame to the right (the issue's pan)
  pan-china     sklearn_china.jpg, diagonal 1 px right + 1 px down per frame
  static-noise  skimage_coffee.png, still, Gaussian noise sigma 2.5 per frame
                (sensor-like: independent per pixel and channel)
  car, person, bottle, book
                frames of the CC BY 4.0 Intel sample clips in ../shared/media/video
                (static cameras; the start is where the most moves, see CLIPS),
                centre-cropped to the aspect and scaled with INTER_AREA
  or a path to any video file.

--prop KEY=VALUE is passed to vkstyletransfer as is (repeatable), so that
stabilisation modes are measured with the same script: `--prop temporal=flow`.
--self-test checks the metrics on the inputs alone (no vknn run): the exact
pan error of the input is 0, the DIS flow recovers the known motion and the
flow-based input error is small.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import style_distance as sd  # noqa: E402

SHARED = os.environ.get("VKNN_SHARED", os.path.join(ROOT, "..", "shared"))
PHOTOS = os.path.join(SHARED, "media", "photos")
VIDEOS = os.path.join(SHARED, "media", "video")
STYLES = os.path.join(SHARED, "media", "style")

CLIPS = {
    "pan-chelsea": ("pan", "skimage_chelsea.png", (2, 0)),
    "pan-china": ("pan", "sklearn_china.jpg", (1, 1)),
    "static-noise": ("noise", "skimage_coffee.png", 2.5),
    # real clips: (file, first frame), the start of the 40 frames with the most
    # motion (share of pixels changing by > 8 levels): static cameras all four
    "car": ("video", "intel_car-detection.mp4", 188),
    "person": ("video", "intel_one-by-one-person-detection.mp4", 1327),
    "bottle": ("video", "intel_bottle-detection.mp4", 500),
    "book": ("video", "intel_book.mkv", 60),
}
MODEL_ALIASES = {
    "candy": "models/style/candy.onnx",
    "mosaic": "models/style/mosaic.onnx",
    "udnie": "models/style/udnie.onnx",
    "rain_princess": "models/style/rain_princess.onnx",
    "pointilism": "models/style/pointilism.onnx",
    "matta_engstrom": "models/style/matta_engstrom.onnx",
}
for _s in ("candy", "mosaic", "rain_princess", "udnie"):
    for _c in ("nc16", "nc8"):
        MODEL_ALIASES["%s_%s" % (_s, _c)] = "models/style/small/%s_%s.onnx" % (_s, _c)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- clips

class Clip:
    def __init__(self, name, frames, fps, motion=None, desc=""):
        self.name = name
        self.frames = frames  # N x H x W x 3 uint8 RGB
        self.fps = fps
        self.motion = motion  # (dx, dy): I_{t+1}(x) = I_t(x + d), or None
        self.desc = desc
        self._flow = None


def load_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit("flicker: cannot read %s" % path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def cover(img, w, h):
    """Scale to cover w x h (keeping the aspect), then crop the centre."""
    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * s)), max(h, round(ih * s))
    img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    x, y = (nw - w) // 2, (nh - h) // 2
    return np.ascontiguousarray(img[y:y + h, x:x + w])


def make_pan(name, photo, d, w, h, n):
    """A w x h window moving by d = (dx, dy) whole pixels per frame over the photo,
    scaled so that the path just fits: frame t+1 is frame t shifted exactly by d."""
    dx, dy = d
    img = load_rgb(os.path.join(PHOTOS, photo))
    need_w, need_h = w + abs(dx) * (n - 1), h + abs(dy) * (n - 1)
    big = cover(img, need_w, need_h)
    x0 = 0 if dx >= 0 else need_w - w
    y0 = 0 if dy >= 0 else need_h - h
    frames = np.stack([big[y0 + t * dy:y0 + t * dy + h, x0 + t * dx:x0 + t * dx + w]
                       for t in range(n)])
    return Clip(name, frames, 30.0, (dx, dy), "%s, pan (%d, %d) px/frame" % (photo, dx, dy))


def make_noise(name, photo, sigma, w, h, n, seed=14):
    img = cover(load_rgb(os.path.join(PHOTOS, photo)), w, h).astype(np.float32)
    rng = np.random.default_rng(seed)
    frames = np.stack([np.clip(np.rint(img + rng.normal(0, sigma, img.shape)), 0, 255)
                       .astype(np.uint8) for _ in range(n)])
    return Clip(name, frames, 30.0, (0, 0), "%s, still, noise sigma %.1f" % (photo, sigma))


def make_video(name, path, w, h, n, skip=0):
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        sys.exit("flicker: cannot open %s" % path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while len(frames) < n + skip:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    frames = frames[skip:]
    if len(frames) < 2:
        sys.exit("flicker: %s has fewer than 2 frames" % path)
    frames = np.stack([cover(cv2.cvtColor(f, cv2.COLOR_BGR2RGB), w, h) for f in frames])
    return Clip(name, frames, fps, None,
                "%s, frames %d-%d, %.4g fps" % (os.path.basename(path), skip, skip + len(frames) - 1, fps))


def make_clip(spec, w, h, n):
    if spec in CLIPS:
        kind, src, arg = CLIPS[spec]
        if kind == "pan":
            return make_pan(spec, src, arg, w, h, n)
        if kind == "noise":
            return make_noise(spec, src, arg, w, h, n)
        return make_video(spec, os.path.join(VIDEOS, src), w, h, n, arg)
    if os.path.exists(spec):
        return make_video(os.path.splitext(os.path.basename(spec))[0], spec, w, h, n)
    sys.exit("flicker: unknown clip %r (known: %s, or a video file)" % (spec, ", ".join(CLIPS)))


# ---------------------------------------------------------------- metrics

def to_float(frames):
    return frames.astype(np.float32) / 255.0


def warp(img, flow):
    """Bilinear sampling of img at x + flow(x) (border replicated) and the mask of
    the pixels whose sample lies inside the frame."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    mx, my = gx + flow[..., 0], gy + flow[..., 1]
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    mx, my = np.clip(mx, 0, w - 1), np.clip(my, 0, h - 1)
    x0, y0 = np.floor(mx).astype(np.int64), np.floor(my).astype(np.int64)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    ax, ay = mx - x0, my - y0
    if img.ndim == 3:
        ax, ay = ax[..., None], ay[..., None]
    top = img[y0, x0] * (1 - ax) + img[y0, x1] * ax
    bot = img[y1, x0] * (1 - ax) + img[y1, x1] * ax
    return (top * (1 - ay) + bot * ay).astype(np.float32), inside


def mag2(f):
    return f[..., 0] ** 2 + f[..., 1] ** 2


def valid_mask(fw, bw):
    """1 where frame t's pixel is seen in frame t+1 (Ruder et al. 2016, as in Lai et
    al.'s detect_occlusion(bw, fw)): forward-backward consistency and no motion
    boundary; also 0 where x + fw leaves the frame."""
    bw_w, inside = warp(bw, fw)
    occ = mag2(fw + bw_w) > 0.01 * (mag2(fw) + mag2(bw_w)) + 0.5
    du = np.zeros_like(fw)
    dv = np.zeros_like(fw)
    du[:, :-1] = fw[:, :-1] - fw[:, 1:]
    dv[:-1, :] = fw[:-1, :] - fw[1:, :]
    boundary = (du[..., 0] ** 2 + dv[..., 0] ** 2 + du[..., 1] ** 2 + dv[..., 1] ** 2) > \
        0.01 * mag2(fw) + 0.002
    return (~occ & ~boundary & inside).astype(np.float32)


def dis_flow(frames):
    """Forward and backward DIS flow between consecutive input frames, and masks."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    out = []
    for t in range(len(frames) - 1):
        fw = dis.calc(gray[t], gray[t + 1], None)
        bw = dis.calc(gray[t + 1], gray[t], None)
        out.append((fw, valid_mask(fw, bw)))
    return out


def clip_flow(clip):
    if clip._flow is None:
        clip._flow = dis_flow(clip.frames)
    return clip._flow


def exact_flow(clip):
    """The known motion as a flow t -> t+1 (content at x in t is at x - d in t+1),
    with the mask of what stays in frame."""
    h, w = clip.frames.shape[1:3]
    fw = np.empty((h, w, 2), np.float32)
    fw[..., 0], fw[..., 1] = -clip.motion[0], -clip.motion[1]
    _, inside = warp(np.zeros((h, w), np.float32), fw)
    return [(fw, inside.astype(np.float32))] * (len(clip.frames) - 1)


def warp_error(frames, flows):
    """Lai et al.'s E_warp: mean over pairs of sum M ||F_t - warp(F_t+1)||^2 / sum M."""
    f = to_float(frames)
    errs = []
    for t, (fw, m) in enumerate(flows):
        w, _ = warp(f[t + 1], fw)
        n = m.sum()
        if n == 0:
            continue
        errs.append(float((m[..., None] * (f[t] - w) ** 2).sum() / n))
    return float(np.mean(errs)) if errs else float("nan")


def exact_mad(frames, motion):
    """Mean |O_{t+1}(x) - O_t(x + d)| in levels over the part that stays in frame."""
    dx, dy = motion
    h, w = frames.shape[1:3]
    a = frames[:, max(0, dy):h + min(0, dy), max(0, dx):w + min(0, dx)].astype(np.float32)
    b = frames[:, max(0, -dy):h + min(0, -dy), max(0, -dx):w + min(0, -dx)].astype(np.float32)
    return float(np.abs(b[1:] - a[:-1]).mean())


# ---------------------------------------------------------------- running vknn

def resolve_model(m):
    if m.startswith("builtin:") or os.path.exists(m):
        return m
    if m in MODEL_ALIASES:
        p = os.path.join(SHARED, MODEL_ALIASES[m])
        if os.path.exists(p):
            return p
    sys.exit("flicker: no model %r (a path, builtin:NAME or one of %s)" % (m, ", ".join(MODEL_ALIASES)))


def model_label(m):
    if m.startswith("builtin:"):
        return m
    return os.path.splitext(os.path.basename(m))[0]


def painting_for(m):
    """The painting a model was trained on: the built-ins' thumbnail, or ../shared's."""
    if m.startswith("builtin:"):  # the thumbnails of docs/images/paintings
        name = m.split(":", 1)[1]
        if name == "paintings":
            name = "starry_night"  # style 0
        p = os.path.join(HERE, "..", "docs", "images", "paintings", name + ".jpg")
        return p if os.path.exists(p) else None
    name = model_label(m).replace("_nc16", "").replace("_nc8", "")
    p = os.path.join(STYLES, name + ".jpg")
    return p if os.path.exists(p) else None


def run_vknn(clip, model, props, tmp, build):
    n, h, w = clip.frames.shape[:3]
    src = os.path.join(tmp, clip.name + ".rgba")
    if not os.path.exists(src):
        rgba = np.concatenate([clip.frames, np.full((n, h, w, 1), 255, np.uint8)], axis=3)
        rgba.tofile(src)
    dst = os.path.join(tmp, "out.rgba")
    num = int(round(clip.fps * 1000))
    g = math.gcd(num, 1000)
    cmd = ["gst-launch-1.0", "-q",
           "filesrc", "location=" + src, "!",
           "rawvideoparse", "width=%d" % w, "height=%d" % h, "format=rgba",
           "framerate=%d/%d" % (num // g, 1000 // g), "!",
           "vkstyletransfer", "model=" + model, "qos=false"] + list(props) + [
           "!", "filesink", "location=" + dst]
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(build, "gst-plugins") + (
        ":" + env["GST_PLUGIN_PATH"] if env.get("GST_PLUGIN_PATH") else "")
    t0 = time.time()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.time() - t0
    if r.returncode != 0:
        sys.exit("flicker: the pipeline failed (%d):\n  %s\n%s" % (r.returncode, " ".join(cmd), r.stdout))
    out = np.fromfile(dst, np.uint8)
    if out.size != n * h * w * 4:
        sys.exit("flicker: expected %d frames back, got %.2f\n  %s" % (n, out.size / (h * w * 4), " ".join(cmd)))
    return out.reshape(n, h, w, 4)[..., :3].copy(), dt


# ---------------------------------------------------------------- main

def fmt(x, spec="%.3g"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if spec == "ratio":
        spec = "%.2f" if x < 1 else "%.1f" if x < 10 else "%.0f"
    return spec % x


def measure_input(clip):
    r = {"flow_in": warp_error(clip.frames, clip_flow(clip)),
         "mask": float(np.mean([m.mean() for _, m in clip_flow(clip)]))}
    if clip.motion is not None:
        r["exact_in"] = warp_error(clip.frames, exact_flow(clip))
        r["mad_in"] = exact_mad(clip.frames, clip.motion)
    return r


def save_pngs(dirname, clip, frames, tag):
    os.makedirs(dirname, exist_ok=True)
    n = len(frames)
    for t in sorted({0, 1, n // 2, n - 1}):
        cv2.imwrite(os.path.join(dirname, "%s_%s_%03d.png" % (clip.name, tag, t)),
                    cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR))


def self_test(w, h, n):
    ok = True

    def check(cond, what):
        nonlocal ok
        log(("ok   " if cond else "FAIL ") + what)
        ok = ok and cond

    for name in ("pan-chelsea", "pan-china", "static-noise"):
        c = make_clip(name, w, h, n)
        r = measure_input(c)
        fl = clip_flow(c)
        med = np.median(np.stack([f for f, _ in fl]).reshape(-1, 2), axis=0)
        want = -np.array(c.motion, np.float32)
        if name.startswith("pan"):
            check(r["exact_in"] == 0 and r["mad_in"] == 0,
                  "%s: exact-motion error of the input is 0 (E %.2g, MAD %.2g)"
                  % (name, r["exact_in"], r["mad_in"]))
        check(np.abs(med - want).max() < 0.1,
              "%s: median DIS flow (%.3f, %.3f) px, known (%.0f, %.0f)" % (name, *med, *want))
        check(r["mask"] > 0.8, "%s: %.0f%% of pixels pass the occlusion check" % (name, 100 * r["mask"]))
        lim = 2e-3 if name == "static-noise" else 1e-3
        check(r["flow_in"] < lim, "%s: flow-based E_warp of the input %.2e < %.0e"
              % (name, r["flow_in"], lim))
    # an output that flickers must score far worse than its input
    c = make_clip("pan-chelsea", w, h, n)
    rng = np.random.default_rng(1)
    jitter = np.clip(c.frames.astype(np.int16) + rng.integers(-20, 21, (n, 1, 1, 3)), 0, 255).astype(np.uint8)
    e = warp_error(jitter, clip_flow(c))
    check(e > 20 * measure_input(c)["flow_in"], "pan-chelsea with per-frame colour jitter: E_warp %.2e" % e)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="See the module docstring (head of this file) for the metrics.")
    ap.add_argument("--model", action="append",
                    help="ONNX path, builtin:NAME or a name from ../shared (candy, mosaic_nc16, "
                         "matta_engstrom, ...); repeatable (default: builtin:starry_night)")
    ap.add_argument("--clips", default=",".join(CLIPS),
                    help="comma-separated clip names or video paths (default: %(default)s)")
    ap.add_argument("--frames", type=int, default=40, help="frames per clip (default 40)")
    ap.add_argument("--size", default="256x144", help="frame size WxH, multiples of 4 (default 256x144)")
    ap.add_argument("--prop", action="append", default=[],
                    help="KEY=VALUE for vkstyletransfer (repeatable), e.g. temporal=flow")
    ap.add_argument("--label", help="name of the mode in the table (default: the props, or per-frame)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="meson build folder")
    ap.add_argument("--keep", metavar="DIR", help="write a few input and output frames as PNG here")
    ap.add_argument("--painting", metavar="IMG",
                    help="the painting the models were trained on, for the style distance "
                         "(default: found in ../shared/media/style by the model's name)")
    ap.add_argument("--no-style", action="store_true", help="skip the style/content distances")
    ap.add_argument("--self-test", action="store_true",
                    help="check the metrics on the inputs (no vknn run) and exit")
    a = ap.parse_args()
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        sys.exit("flicker: --size must be WxH")
    if w % 4 or h % 4:
        log("flicker: warning: %dx%d is not a multiple of 4 (style networks change such sizes)" % (w, h))
    cv2.setNumThreads(2)
    if a.self_test:
        sys.exit(self_test(w, h, min(a.frames, 20)))
    for p in a.prop:
        if "=" not in p:
            sys.exit("flicker: --prop wants KEY=VALUE, got %r" % p)
    models = [resolve_model(m) for m in (a.model or ["builtin:starry_night"])]
    label = a.label or (" ".join(a.prop) if a.prop else "per-frame")
    tmp = tempfile.mkdtemp(prefix="vknn-flicker-")
    vgg = None if a.no_style else sd.Vgg()
    targets = {}
    rows = []
    try:
        clips = []
        for spec in a.clips.split(","):
            c = make_clip(spec.strip(), w, h, a.frames)
            r = measure_input(c)
            log("clip %-12s %s: %d frames %dx%d; input E_warp %.3g (%.0f%% unmasked)%s" % (
                c.name, c.desc, len(c.frames), w, h, r["flow_in"], 100 * r["mask"],
                "; exact E_warp %.3g, MAD %.3f" % (r["exact_in"], r["mad_in"]) if c.motion else ""))
            clips.append((c, r))
            if a.keep:
                save_pngs(a.keep, c, c.frames, "in")
        for m in models:
            paint = a.painting or painting_for(m)
            if vgg is not None and paint and paint not in targets:
                targets[paint] = sd.StyleTarget(vgg, sd.load_rgb(paint), 256)
            for c, r in clips:
                out, dt = run_vknn(c, m, a.prop, tmp, a.build)
                row = dict(r, model=model_label(m), mode=label, clip=c.name, seconds=dt)
                row["flow_out"] = warp_error(out, clip_flow(c))
                if c.motion is not None:
                    row["exact_out"] = warp_error(out, exact_flow(c))
                    row["mad_out"] = exact_mad(out, c.motion)
                if vgg is not None:
                    st, ct = [], []
                    for t in sorted({0, len(out) // 2, len(out) - 1}):
                        s, _, cd = sd.distances(vgg, out[t], targets[paint] if paint else None,
                                                c.frames[t]) if paint else (None, None, None)
                        if not paint:
                            f = vgg.features(out[t])
                            fx = vgg.features(c.frames[t])
                            cd = sd.rel(f[sd.CONTENT_LAYER], fx[sd.CONTENT_LAYER])
                        st.append(s)
                        ct.append(cd)
                    row["style"] = float(np.mean(st)) if paint else None
                    row["content"] = float(np.mean(ct))
                rows.append(row)
                log("  %-22s %-12s E_warp out %.3g in %.3g%s  (%.0f s)" % (
                    row["model"], c.name, row["flow_out"], row["flow_in"],
                    "; exact E_warp out %.3g, MAD %.2f" % (row["exact_out"], row["mad_out"])
                    if c.motion else "", dt))
                if a.keep:
                    save_pngs(a.keep, c, out, model_label(m).replace(":", "_"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print_tables(rows, w, h, a.frames)


def ratio(a, b):
    return a / b if b and b > 0 else None


def print_tables(rows, w, h, n):
    print("Per clip (%dx%d, %d frames; E_warp x 1e3: frames 0..1, squared error summed over RGB):\n" % (w, h, n))
    print("| model | mode | clip | E_warp out | E_warp in | out/in | unmasked | exact-motion E_warp out / in | exact-motion MAD out (levels) | style | content |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["mode"], r["clip"], fmt(1e3 * r["flow_out"]), fmt(1e3 * r["flow_in"]),
            fmt(ratio(r["flow_out"], r["flow_in"]), "ratio"), fmt(100 * r["mask"], "%.0f%%"),
            "%s / %s" % (fmt(1e3 * r["exact_out"]), fmt(1e3 * r["exact_in"])) if "exact_out" in r else "–",
            fmt(r.get("mad_out"), "%.2f"), fmt(r.get("style"), "%.3f"), fmt(r.get("content"), "%.3f")))
    print("\nSummary: E_warp out (x 1e3) mean over all clips; out/in geometric mean over the clips whose")
    print("input is not an exact synthetic pan (static-noise and real clips; an exact pan's input error")
    print("is ~0), worst in brackets; MAD: exact-motion error on the pans; style, content: mean.\n")
    print("| model | mode | E_warp out | E_warp out/in | pan MAD out (levels) | style | content |")
    print("|---|---|---|---|---|---|---|")
    seen = []
    for r in rows:
        if (r["model"], r["mode"]) not in seen:
            seen.append((r["model"], r["mode"]))
    for key in seen:
        rs = [r for r in rows if (r["model"], r["mode"]) == key]
        rat = [ratio(r["flow_out"], r["flow_in"]) for r in rs if not r["clip"].startswith("pan")]
        rat = [x for x in rat if x]
        gm = math.exp(np.mean(np.log(rat))) if rat else None
        mads = [r["mad_out"] for r in rs if "mad_out" in r and r["clip"].startswith("pan")]
        st = [r["style"] for r in rs if r.get("style") is not None]
        ct = [r["content"] for r in rs if r.get("content") is not None]
        print("| %s | %s | %s | %s (%s) | %s | %s | %s |" % (
            key[0], key[1], fmt(1e3 * np.mean([r["flow_out"] for r in rs])),
            fmt(gm, "ratio"), fmt(max(rat) if rat else None, "ratio"),
            fmt(np.mean(mads) if mads else None, "%.2f"), fmt(np.mean(st) if st else None, "%.3f"),
            fmt(np.mean(ct) if ct else None, "%.3f")))


if __name__ == "__main__":
    main()
