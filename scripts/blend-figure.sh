#!/bin/sh
# docs/images/style_paintings.jpg: the five-style built-in network on a photo
# at five style-weights, single styles and blends (vkstyletransfer, as live).
set -eu
cd "$(dirname "$0")/.."
export GST_PLUGIN_PATH="$PWD/build/gst-plugins"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
photo=../shared/media/photos/skimage_chelsea.png
src="" pads=""
i=0
for w in 1,0,0,0,0 0.5,0.5,0,0,0 0,1,0,0,0 0,0,0.5,0.5,0 0,0,0,0,1; do
    gst-launch-1.0 -q filesrc location=$photo ! decodebin ! videoconvert ! videoscale add-borders=false \
        ! video/x-raw,width=320,height=240,format=RGBA,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers=1 \
        ! vkstyletransfer model=builtin:paintings style-weights=$w ! videoconvert ! pngenc \
        ! filesink location="$tmp/$i.png"
    src="$src filesrc location=$tmp/$i.png ! decodebin ! videoconvert ! imagefreeze num-buffers=1 ! c.sink_$i"
    pads="$pads sink_$i::xpos=$((324 * i))"
    i=$((i + 1))
done
# shellcheck disable=SC2086
gst-launch-1.0 -q compositor name=c background=white $pads \
    ! video/x-raw,width=$((324 * i - 4)),height=240 ! videoconvert ! jpegenc quality=85 snapshot=true \
    ! filesink location=docs/images/style_paintings.jpg $src
echo "wrote docs/images/style_paintings.jpg"
