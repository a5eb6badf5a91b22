#!/bin/sh
# The figure and distances of docs/styles.md's "Any image as the style":
# `vknn stylize --style-image` (built-in encoder and decoder) with each of the
# five painting thumbnails as the style, on four images the decoder never
# saw, 256 px high:
#   docs/images/universal_grid.jpg   a row per content image: it, then its
#                                    WCT result for each painting (a header
#                                    row shows the paintings)
#   docs/images/universal_blend.jpg  the astronaut between two paintings
#                                    (--style-weights)
#   docs/styles.md's table           style and content distances
#                                    (bench/style_distance.py --size 256) of
#                                    WCT and AdaIN, mean over the four images,
#                                    between its universal-doc markers
#
#   scripts/universal-doc.sh
#
# Content: skimage_astronaut.png, sklearn_china.jpg, coral_grace_hopper.png
# (held out of every training set of models/README.md) from
# ../shared/media/photos and the committed clip's frame at 2.5 s. Needs
# build/cli/vknn and /usr/bin/python3 with OpenCV; the distances' VGG
# encoder comes from ../shared.
set -eu
cd "$(dirname "$0")/.."
vknn=build/cli/vknn
py=/usr/bin/python3
photos=../shared/media/photos
paintings="starry_night wave scream composition_vii shipwreck"
[ -x "$vknn" ] || { echo "universal-doc: $vknn is not built (ninja -C build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "universal-doc: content images, 256 px high"
"$py" - "$photos" media/intel_one-by-one-person.mp4 "$tmp" <<'EOF'
import sys, cv2
photos, clip, tmp = sys.argv[1:]
def save(img, name):
    h, w = img.shape[:2]
    img = cv2.resize(img, (round(w * 256 / h / 4) * 4, 256), interpolation=cv2.INTER_AREA)
    cv2.imwrite("%s/%s.png" % (tmp, name), img)
for p in ("skimage_astronaut.png", "sklearn_china.jpg", "coral_grace_hopper.png"):
    save(cv2.imread(photos + "/" + p, cv2.IMREAD_COLOR), p.rsplit(".", 1)[0])
cap = cv2.VideoCapture(clip)
cap.set(cv2.CAP_PROP_POS_MSEC, 2500)
ok, f = cap.read()
if not ok:
    sys.exit("universal-doc: no frame at 2.5 s in " + clip)
save(f, "frame")
EOF
contents="skimage_astronaut sklearn_china coral_grace_hopper frame"
for p in $paintings; do
    for t in wct adain; do
        start=$(date +%s)
        for c in $contents; do
            "$vknn" stylize --style-image "docs/images/paintings/$p.jpg" --transform $t \
                "$tmp/$c.png" "$tmp/${t}_${p}_$c.png" >/dev/null
        done
        echo "universal-doc: $p, $t: 4 images in $(($(date +%s) - start)) s"
    done
done

"$py" - "$tmp" "$contents" "$paintings" <<'EOF'
import sys, cv2, numpy as np
tmp, contents, paintings = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def fit(img, w, h):
    s = min(w / img.shape[1], h / img.shape[0])
    img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)),
                     interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 255, np.uint8)
    y, x = (h - img.shape[0]) // 2, (w - img.shape[1]) // 2
    out[y:y + img.shape[0], x:x + img.shape[1]] = img
    return out
W, H, GAP = 200, 150, 4
rows = [[np.full((H, W, 3), 255, np.uint8)] +
        [fit(cv2.imread("docs/images/paintings/%s.jpg" % p), W, H) for p in paintings]]
for c in contents:
    rows.append([fit(cv2.imread("%s/%s.png" % (tmp, c)), W, H)] +
                [fit(cv2.imread("%s/wct_%s_%s.png" % (tmp, p, c)), W, H) for p in paintings])
def join(imgs, axis):
    gap = np.full((H, GAP, 3) if axis == 1 else (GAP, imgs[0].shape[1], 3), 255, np.uint8)
    out = [imgs[0]]
    for i in imgs[1:]:
        out += [gap, i]
    return np.concatenate(out, axis)
grid = join([join(r, 1) for r in rows], 0)
cv2.imwrite("docs/images/universal_grid.jpg", grid, [cv2.IMWRITE_JPEG_QUALITY, 85])
EOF
echo "universal-doc: wrote docs/images/universal_grid.jpg" \
    "($(du -k docs/images/universal_grid.jpg | cut -f1) KB)"

# Interpolation between two style images (--style-weights): the astronaut
# from the Wave to the Starry Night in five steps.
steps="1,0 0.75,0.25 0.5,0.5 0.25,0.75 0,1"
for w in $steps; do
    "$vknn" stylize --style-image docs/images/paintings/wave.jpg,docs/images/paintings/starry_night.jpg \
        --style-weights "$w" "$tmp/skimage_astronaut.png" "$tmp/blend_$w.png" >/dev/null
done
"$py" - "$tmp" $steps <<'EOF'
import sys, cv2, numpy as np
tmp, steps = sys.argv[1], sys.argv[2:]
imgs = [cv2.resize(cv2.imread("%s/blend_%s.png" % (tmp, w)), (192, 192),
                   interpolation=cv2.INTER_AREA) for w in steps]
gap = np.full((192, 4, 3), 255, np.uint8)
strip = [imgs[0]]
for i in imgs[1:]:
    strip += [gap, i]
cv2.imwrite("docs/images/universal_blend.jpg", np.concatenate(strip, 1),
            [cv2.IMWRITE_JPEG_QUALITY, 85])
EOF
echo "universal-doc: wrote docs/images/universal_blend.jpg"

echo "universal-doc: distances (bench/style_distance.py --size 256)"
"$py" - "$tmp" "$photos" "$contents" "$paintings" <<'EOF' >"$tmp/table.md"
import sys
sys.path.insert(0, "bench")
import style_distance as sd
tmp, photos, contents, paintings = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
vgg = sd.Vgg()
print("<!-- made by scripts/universal-doc.sh: do not edit -->")
print("| style image | WCT style | WCT content | AdaIN style | AdaIN content | the photos' own style |")
print("|---|---|---|---|---|---|")
for p in paintings:
    target = sd.StyleTarget(vgg, sd.load_rgb("docs/images/paintings/%s.jpg" % p), 256)
    cells, own = [], []
    for t in ("wct", "adain"):
        st, co = [], []
        for c in contents:
            photo = sd.load_rgb("%s/%s.png" % (tmp, c))
            s = sd.resize_short(sd.load_rgb("%s/%s_%s_%s.png" % (tmp, t, p, c)), 256)
            style, _, content = sd.distances(vgg, s, target, photo)
            st.append(style)
            co.append(content)
            if t == "wct":
                own.append(sd.distances(vgg, sd.resize_short(photo, 256), target, None)[0])
        cells += ["%.2f" % (sum(st) / len(st)), "%.2f" % (sum(co) / len(co))]
        print("universal-doc: %s %s: style %s, content %s" % (
            p, t, " ".join("%.2f" % v for v in st), " ".join("%.2f" % v for v in co)),
            file=sys.stderr)
    print("| %s | %s | %.2f |" % (p, " | ".join(cells), sum(own) / len(own)))
EOF
"$py" - "$tmp/table.md" <<'EOF'
import sys
table = open(sys.argv[1]).read()
doc = open("docs/styles.md").read()
begin, end = "<!-- universal-doc: table -->\n", "<!-- universal-doc: end -->\n"
if begin not in doc or end not in doc:
    sys.exit("universal-doc: docs/styles.md lacks the table markers")
head, rest = doc.split(begin, 1)
open("docs/styles.md", "w").write(head + begin + table + end + rest.split(end, 1)[1])
EOF
cat "$tmp/table.md"
