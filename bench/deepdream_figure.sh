#!/bin/sh
# Makes docs/images/vis_deepdream_live.png: what vkdeepdream made of frames
# 5, 30 and 59 of the committed clip at 160x120 with temporal=blend (top) and
# its default temporal=flow (bottom); otherwise its defaults: SqueezeNet
# fire5, 2 octaves of 2 iterations a frame, feedback 0.8.
#   bench/deepdream_figure.sh [MODEL.onnx] [OUT.png]     (a build in ./build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/../shared/models/classify/squeezenet1_1.onnx}
out=${2:-$root/docs/images/vis_deepdream_live.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GST_PLUGIN_PATH="$root/build/gst-plugins"
gst-launch-1.0 -q filesrc location="$root/media/intel_one-by-one-person.mp4" ! decodebin ! \
    videoconvert ! videoscale ! video/x-raw,width=160,height=120,format=RGBA ! tee name=t \
    t. ! queue ! vkdeepdream model="$model" layer=/features/features.7/Concat_output_0 \
    temporal=blend ! videoconvert ! pngenc ! multifilesink location="$tmp/blend-%03d.png" \
    t. ! queue ! vkdeepdream model="$model" layer=/features/features.7/Concat_output_0 \
    temporal=flow ! videoconvert ! pngenc ! multifilesink location="$tmp/flow-%03d.png"
# A 3 x 2 grid, 2 white pixels between the frames, at 90 % (under 300 kB).
set --
pads=""
i=0
for f in blend-005 blend-030 blend-059 flow-005 flow-030 flow-059; do
    pads="$pads sink_$i::xpos=$((i % 3 * 162)) sink_$i::ypos=$((i / 3 * 122))"
    set -- "$@" filesrc "location=$tmp/$f.png" ! pngdec ! videoconvert ! \
        imagefreeze num-buffers=1 ! "c.sink_$i"
    i=$((i + 1))
done
# shellcheck disable=SC2086
gst-launch-1.0 -q compositor name=c background=white $pads ! \
    video/x-raw,width=484,height=242 ! videoscale ! video/x-raw,width=436,height=218 ! \
    videoconvert ! video/x-raw,format=RGB ! \
    pngenc compression-level=9 ! filesink location="$out" "$@"
echo "$out"
