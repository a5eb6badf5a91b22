#!/usr/bin/python3
"""Style and content distance of a stylised image (issue 14, item 4).

    bench/style_distance.py STYLISED PAINTING PHOTO [--size 256] [--vgg ONNX]

prints
  style    mean over relu1_1, relu2_1, relu3_1 of ||G(S) - G(P)||_F / ||G(P)||_F
           (G(F) = F F^T / (C*H*W), S = stylised image, P = painting);
  content  ||F(S) - F(X)||_F / ||F(X)||_F at relu2_1 (X = photo).
Lower style = closer to the painting; lower content = closer to the photo.
The two go together: style can be bought by texture that erases the photo
(high content) and stability by washing the style out (high style).

Features come from the normalised VGG-19 (Gatys et al.) up to relu3_1,
../shared/models/vgg/vgg19_normalised_relu3_1.onnx (RGB 0..1 in, outputs
relu1_1, relu2_1, relu3_1), run by OpenCV's DNN module: independent of vknn.
Sizes: the painting is resized to SIZE on its shorter side (as `vknn train
--style-size`); the stylised image and the photo likewise, the photo then to
the stylised image's exact size. --size 0 keeps every image as it is.
"""
import argparse
import os
import sys

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VGG = os.path.join(HERE, "..", "..", "shared", "models", "vgg",
                           "vgg19_normalised_relu3_1.onnx")
LAYERS = ("relu1_1", "relu2_1", "relu3_1")
CONTENT_LAYER = "relu2_1"


def find_vgg(path=None):
    for p in ([path] if path else []) + [os.environ.get("VKNN_VGG"), DEFAULT_VGG,
                                         os.path.join(os.getcwd(), "..", "shared", "models",
                                                      "vgg", "vgg19_normalised_relu3_1.onnx")]:
        if p and os.path.exists(p):
            return p
    sys.exit("style_distance: no VGG encoder found (give --vgg or VKNN_VGG; "
             "expected ../shared/models/vgg/vgg19_normalised_relu3_1.onnx)")


class Vgg:
    """relu1_1, relu2_1, relu3_1 of the normalised VGG-19 through OpenCV DNN."""

    def __init__(self, path=None):
        self.net = cv2.dnn.readNetFromONNX(find_vgg(path))
        names = self.net.getUnconnectedOutLayersNames()
        missing = [n for n in LAYERS if n not in names]
        if missing:
            sys.exit("style_distance: the encoder lacks outputs %s" % missing)

    def features(self, rgb):
        """rgb: HxWx3 uint8 (or float 0..255) RGB -> {layer: CxHxW float64}."""
        x = np.ascontiguousarray(rgb.astype(np.float32).transpose(2, 0, 1)[None] / 255.0)
        self.net.setInput(x)
        outs = self.net.forward(list(LAYERS))
        return {n: o[0].astype(np.float64) for n, o in zip(LAYERS, outs)}


def gram(f):
    c = f.shape[0]
    m = f.reshape(c, -1)
    return m @ m.T / m.size


def rel(a, b):
    """||a - b||_F / ||b||_F"""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def resize_short(img, size):
    if not size:
        return img
    h, w = img.shape[:2]
    s = size / min(h, w)
    if abs(s - 1) < 1e-9:
        return img
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp)


def load_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        sys.exit("style_distance: cannot read %s" % path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class StyleTarget:
    """Gram matrices of one painting, computed once."""

    def __init__(self, vgg, painting_rgb, size=256):
        f = vgg.features(resize_short(painting_rgb, size))
        self.grams = {n: gram(f[n]) for n in LAYERS}


def distances(vgg, stylised, target, photo=None):
    """stylised, photo: HxWx3 RGB (same size). Returns (style, per_layer, content)."""
    f = vgg.features(stylised)
    per = {n: rel(gram(f[n]), target.grams[n]) for n in LAYERS}
    style = float(np.mean(list(per.values())))
    content = None
    if photo is not None:
        if photo.shape[:2] != stylised.shape[:2]:
            photo = cv2.resize(photo, (stylised.shape[1], stylised.shape[0]),
                               interpolation=cv2.INTER_AREA)
        fp = vgg.features(photo)
        content = rel(f[CONTENT_LAYER], fp[CONTENT_LAYER])
    return style, per, content


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stylised")
    ap.add_argument("painting")
    ap.add_argument("photo", nargs="?", help="the unstylised photo (for the content distance)")
    ap.add_argument("--size", type=int, default=256,
                    help="shorter side every image is resized to (0: as is; default 256)")
    ap.add_argument("--vgg", help="VGG encoder ONNX (default ../shared/models/vgg/...)")
    ap.add_argument("--layers", action="store_true", help="also print the per-layer distances")
    a = ap.parse_args()

    vgg = Vgg(a.vgg)
    target = StyleTarget(vgg, load_rgb(a.painting), a.size)
    s = resize_short(load_rgb(a.stylised), a.size)
    x = load_rgb(a.photo) if a.photo else None
    style, per, content = distances(vgg, s, target, x)
    line = "style %.3f" % style
    if content is not None:
        line += "  content %.3f" % content
    if a.layers:
        line += "  (" + ", ".join("%s %.3f" % (n, per[n]) for n in LAYERS) + ")"
    print(line)


if __name__ == "__main__":
    main()
