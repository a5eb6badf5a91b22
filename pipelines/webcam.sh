#!/bin/sh
# Live stylisation of a webcam (or of videotestsrc when there is no camera).
#   pipelines/webcam.sh [MODEL.onnx] [/dev/videoN] [WIDTHxHEIGHT]
# On lavapipe (no GPU) keep the size small or use a small model; on a GPU
# raise it. sync=false shows each frame as soon as it is ready.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:-$root/../shared/models/style/small/candy_nc16.onnx}
device=${2:-/dev/video0}
size=${3:-320x240}
w=${size%x*} h=${size#*x}
if [ -e "$device" ]; then
    src="v4l2src device=$device"
else
    echo "webcam.sh: no camera at $device, using videotestsrc" >&2
    src="videotestsrc is-live=true pattern=ball"
fi
export GST_PLUGIN_PATH="$root/build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# shellcheck disable=SC2086
exec gst-launch-1.0 $src ! videoconvert ! videoscale ! "video/x-raw,width=$w,height=$h" ! \
    vkstyletransfer model="$model" ! videoconvert ! autovideosink sync=false
