#!/bin/sh
# docs/images/style_starry_wave.png: the two-style built-in network on a
# photo at style-weights 1,0 / 0.5,0.5 / 0,1 (vkstyletransfer, as live).
set -eu
cd "$(dirname "$0")/.."
export GST_PLUGIN_PATH="$PWD/build/gst-plugins"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
photo=../shared/media/photos/skimage_chelsea.png
src=""
i=0
for w in 1,0 0.5,0.5 0,1; do
    gst-launch-1.0 -q filesrc location=$photo ! decodebin ! videoconvert ! videoscale add-borders=false \
        ! video/x-raw,width=320,height=240,format=RGBA,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers=1 \
        ! vkstyletransfer model=builtin:starry_wave style-weights=$w ! videoconvert ! pngenc \
        ! filesink location="$tmp/$i.png"
    src="$src filesrc location=$tmp/$i.png ! decodebin ! videoconvert ! imagefreeze num-buffers=1 ! c.sink_$i"
    i=$((i + 1))
done
# shellcheck disable=SC2086
gst-launch-1.0 -q compositor name=c background=white sink_0::xpos=0 sink_1::xpos=324 \
    sink_2::xpos=648 ! video/x-raw,width=968,height=240 ! videoconvert ! pngenc snapshot=true \
    ! filesink location=docs/images/style_starry_wave.png $src
echo "wrote docs/images/style_starry_wave.png"
