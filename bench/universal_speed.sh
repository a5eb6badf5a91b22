#!/bin/sh
# Any image as the style (docs/styles.md): the time of its network against
# trained style networks, in one run on the same device.
#
#   bench/universal_speed.sh [WxH ...]      default: 640x480 320x240
#
# Writes the style network of docs/images/paintings/wave.jpg as ONNX
# (vknn stylize --style-image --save-network), then times with vknn bench
# (the network's device time, fp16-tiles as the element runs; the fastest of
# 5 runs, taken three times in turn for each network and the fastest kept:
# on a shared machine other jobs only ever slow a run down):
# that network, candy (32-channel TransformerNet, ../shared, skipped when
# absent) and builtin:starry_night (16 channels); prints a markdown table
# with the ratios to candy and to the built-in.
set -eu
cd "$(dirname "$0")/.."
vknn=${VKNN_BUILD_DIR:-build}/cli/vknn
shared=${VKNN_SHARED:-../shared}
sizes=${*:-640x480 320x240}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$vknn" stylize --style-image docs/images/paintings/wave.jpg --transform adain \
    --save-network "$tmp/wave_adain.onnx" docs/images/paintings/starry_night.jpg "$tmp/x.png" >/dev/null

fastest() { # MODEL SIZE: the fastest forward device time of 5 runs, ms
    "$vknn" bench "$1" --size "$2" -n 5 --precision fp16-tiles |
        sed -n 's/.*forward device time.*min \([0-9.]*\) ms.*/\1/p'
}

min() { echo "$1 $2" | awk '{ print ($1 < $2) ? $1 : $2 }'; }

echo "| size | style image (AdaIN network) | candy (32 ch) | builtin:starry_night (16 ch) | ÷ candy | ÷ built-in |"
echo "|---|---|---|---|---|---|"
candy=$shared/models/style/candy.onnx
for size in $sizes; do
    u=1e9 b=1e9 c=1e9
    for round in 1 2 3; do
        u=$(min "$u" "$(fastest "$tmp/wave_adain.onnx" "$size")")
        b=$(min "$b" "$(fastest builtin:starry_night "$size")")
        [ ! -f "$candy" ] || c=$(min "$c" "$(fastest "$candy" "$size")")
    done
    [ -f "$candy" ] || c=-
    ratio_c=-
    [ "$c" = - ] || ratio_c=$(echo "scale=2; $u / $c" | bc)
    echo "| $size | $u ms | $c ms | $b ms | $ratio_c | $(echo "scale=2; $u / $b" | bc) |"
done
