#!/bin/sh
# The figures and distances of docs/styles.md, for each built-in style NAME
# (default: the five single styles of issue 15), made with vknn itself:
#   docs/images/styles/NAME.jpg       painting | photo 1 | stylised | photo 2 | stylised
#                                     (docs/images/paintings/NAME.jpg; skimage_astronaut.png and
#                                     sklearn_china.jpg of ../shared/media/photos, 256 px high)
#   docs/images/styles/NAME_clip.jpg  three frames of a clip (1 s, 2.5 s, 4 s), stylised
#   docs/images/style_paintings.jpg   builtin:paintings at five blends (scripts/blend-figure.sh)
#   docs/styles.md's table            style and content distances (bench/style_distance.py,
#                                     --size 256) on three held-out photos, between its markers
# JPEG (quality 85): as PNG a row is about 0.8 MB and a strip 0.3 MB.
#
#   scripts/styles-doc.sh [NAME...]
#
# CLIP: the video (default: the first media/*.mp4 of the repository, else
# ../shared/media/video/intel_car-detection.mp4). Needs build/cli/vknn and
# /usr/bin/python3 with OpenCV (python3-opencv); the photos and the VGG encoder
# come from ../shared (development assets, not part of vknn).
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- starry_night wave scream composition_vii shipwreck
vknn=build/cli/vknn
py=/usr/bin/python3
photos=../shared/media/photos
[ -x "$vknn" ] || { echo "styles-doc: $vknn is not built (ninja -C build)" >&2; exit 1; }
if [ -z "${CLIP:-}" ]; then
    CLIP=../shared/media/video/intel_car-detection.mp4
    for c in media/*.mp4; do
        if [ -f "$c" ]; then CLIP=$c; break; fi
    done
fi
[ -f "$CLIP" ] || { echo "styles-doc: no clip $CLIP (set CLIP)" >&2; exit 1; }
for n in "$@"; do
    [ -f "docs/images/paintings/$n.jpg" ] ||
        { echo "styles-doc: no painting docs/images/paintings/$n.jpg" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p docs/images/styles

# The photos at 256 px on their shorter side (the row's photos are 256 px
# high: the shorter side of both) and the clip's frames at 216 px high.
echo "styles-doc: photos and frames of $CLIP"
"$py" - "$photos" "$CLIP" "$tmp" <<'EOF'
import sys, cv2
photos, clip, tmp = sys.argv[1:]
for p in ("skimage_astronaut.png", "sklearn_china.jpg", "coral_grace_hopper.png"):
    img = cv2.imread(photos + "/" + p, cv2.IMREAD_COLOR)
    h, w = img.shape[:2]
    s = 256 / min(h, w)
    img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    cv2.imwrite("%s/%s.png" % (tmp, p.rsplit(".", 1)[0]), img)
cap = cv2.VideoCapture(clip)
for i, t in enumerate((1000, 2500, 4000)):
    cap.set(cv2.CAP_PROP_POS_MSEC, t)
    ok, f = cap.read()
    if not ok:
        sys.exit("styles-doc: no frame at %d ms in %s" % (t, clip))
    h, w = f.shape[:2]
    f = cv2.resize(f, (round(w * 216 / h / 4) * 4, 216), interpolation=cv2.INTER_AREA)
    cv2.imwrite("%s/frame%d.png" % (tmp, i), f)
EOF

for n in "$@"; do
    echo "styles-doc: $n: stylising 3 photos and 3 frames"
    for f in skimage_astronaut sklearn_china coral_grace_hopper frame0 frame1 frame2; do
        "$vknn" stylize "builtin:$n" "$tmp/$f.png" "$tmp/${n}_$f.png" >/dev/null
    done
    "$py" - "$tmp" "$n" <<'EOF'
import sys, cv2, numpy as np
tmp, n = sys.argv[1:]
def load(p):
    return cv2.imread(p, cv2.IMREAD_COLOR)
def row(imgs, h):
    out = []
    for i, img in enumerate(imgs):
        if img.shape[0] != h:
            s = h / img.shape[0]
            img = cv2.resize(img, (round(img.shape[1] * s), h), interpolation=cv2.INTER_AREA)
        if i:
            out.append(np.full((h, 6, 3), 255, np.uint8))
        out.append(img)
    return np.hstack(out)
q = [cv2.IMWRITE_JPEG_QUALITY, 85]
a, c = "skimage_astronaut", "sklearn_china"
cv2.imwrite("docs/images/styles/%s.jpg" % n,
            row([load("docs/images/paintings/%s.jpg" % n), load("%s/%s.png" % (tmp, a)),
                 load("%s/%s_%s.png" % (tmp, n, a)), load("%s/%s.png" % (tmp, c)),
                 load("%s/%s_%s.png" % (tmp, n, c))], 256), q)
cv2.imwrite("docs/images/styles/%s_clip.jpg" % n,
            row([load("%s/%s_frame%d.png" % (tmp, n, i)) for i in range(3)], 216), q)
EOF
    echo "styles-doc: wrote docs/images/styles/$n.jpg ($(du -k "docs/images/styles/$n.jpg" | cut -f1) KB)" \
        "and ${n}_clip.jpg ($(du -k "docs/images/styles/${n}_clip.jpg" | cut -f1) KB)"
done

scripts/blend-figure.sh # docs/images/style_paintings.jpg: builtin:paintings' blends

# The distances, with bench/style_distance.py's own functions (as its command
# line computes them, the VGG encoder loaded once).
echo "styles-doc: distances (bench/style_distance.py --size 256)"
"$py" - "$tmp" "$photos" "$@" <<'EOF' >"$tmp/table.md"
import os, sys
sys.path.insert(0, "bench")
import style_distance as sd
tmp, photos, names = sys.argv[1], sys.argv[2], sys.argv[3:]
files = ("skimage_astronaut.png", "sklearn_china.jpg", "coral_grace_hopper.png")
vgg = sd.Vgg()
def dist(stylised, target, photo):
    """As style_distance.py STYLISED PAINTING [PHOTO] --size 256 computes it."""
    s = sd.resize_short(sd.load_rgb(stylised), 256)
    style, _, content = sd.distances(vgg, s, target, sd.load_rgb(photo) if photo else None)
    return style, content
heads = [f.split(".")[0] for f in files]
print("<!-- made by scripts/styles-doc.sh: do not edit -->")
print("| style | " + " | ".join("style, %s" % h for h in heads) + " | content distance |")
print("|---" * (2 + len(files)) + "|")
for n in names:
    target = sd.StyleTarget(vgg, sd.load_rgb("docs/images/paintings/%s.jpg" % n), 256)
    cells, contents = [], []
    for f, h in zip(files, heads):
        photo = os.path.join(photos, f)
        own, _ = dist(photo, target, None)
        style, content = dist("%s/%s_%s.png" % (tmp, n, h), target, photo)
        cells.append("**%.2f** (%.2f)" % (style, own))
        contents.append("%.2f" % content)
        print("styles-doc: %s on %s: style %.3f (photo %.3f), content %.3f"
              % (n, f, style, own, content), file=sys.stderr)
    print("| `builtin:%s` | %s | %s |" % (n, " | ".join(cells), " / ".join(contents)))
EOF
# Into docs/styles.md, between its two table markers.
"$py" - "$tmp/table.md" <<'EOF'
import sys
table = open(sys.argv[1]).read()
doc = open("docs/styles.md").read()
begin, end = "<!-- styles-doc: table -->\n", "<!-- styles-doc: end -->\n"
if begin not in doc or end not in doc:
    sys.exit("styles-doc: docs/styles.md lacks the table markers")
head, rest = doc.split(begin, 1)
open("docs/styles.md", "w").write(head + begin + table + end + rest.split(end, 1)[1])
EOF
cat "$tmp/table.md"
echo "styles-doc: wrote the table into docs/styles.md"
