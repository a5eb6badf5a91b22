#!/bin/sh
# docs/images/style_NAME.png: a built-in style on two photos (CC0 / public
# domain, from ../shared), input above, stylised below, made with vknn itself.
#   scripts/style-figure.sh NAME
set -eu
cd "$(dirname "$0")/.."
name=$1 tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
photos="skimage_chelsea.png skimage_astronaut.png"
i=0 src=""
for p in $photos; do
    build/cli/vknn stylize "builtin:$name" "../shared/media/photos/$p" "$tmp/s$i.png" \
        --size 320x240 >/dev/null
    # input (top) and output (bottom) of column i
    src="$src filesrc location=../shared/media/photos/$p ! decodebin ! videoconvert ! videoscale add-borders=false
        ! video/x-raw,width=320,height=240,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers=1 ! c.sink_$((2 * i))
        filesrc location=$tmp/s$i.png ! decodebin ! videoconvert ! imagefreeze num-buffers=1
        ! c.sink_$((2 * i + 1))"
    i=$((i + 1))
done
# shellcheck disable=SC2086
gst-launch-1.0 -q compositor name=c background=white \
    sink_0::xpos=0 sink_0::ypos=0 sink_1::xpos=0 sink_1::ypos=244 \
    sink_2::xpos=324 sink_2::ypos=0 sink_3::xpos=324 sink_3::ypos=244 \
    ! video/x-raw,width=644,height=484 ! videoconvert ! pngenc snapshot=true \
    ! filesink location="docs/images/style_$name.png" $src
echo "wrote docs/images/style_$name.png"
