#!/bin/sh
# Original and stylised side by side (compositor), from a file.
#   pipelines/compare.sh IN [MODEL.onnx] [WIDTHxHEIGHT]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
in=${1:?usage: compare.sh IN [MODEL.onnx] [WIDTHxHEIGHT]}
model=${2:-$root/../shared/models/style/small/candy_nc16.onnx}
size=${3:-320x240}
w=${size%x*} h=${size#*x}
export GST_PLUGIN_PATH="$root/build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec gst-launch-1.0 compositor name=mix sink_1::xpos="$w" ! videoconvert ! autovideosink \
    filesrc location="$in" ! decodebin ! videoconvert ! videoscale ! \
    "video/x-raw,width=$w,height=$h,format=RGBA" ! tee name=t \
    t. ! queue ! mix.sink_0 \
    t. ! queue ! vkstyletransfer model="$model" ! mix.sink_1
