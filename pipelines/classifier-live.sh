#!/bin/sh
# A classifier element on live video: the common part of saliency-live.sh and
# activations-live.sh.
#   pipelines/classifier-live.sh ELEMENT [SOURCE] [MODEL.onnx] [WIDTHxHEIGHT] [PROPERTY=VALUE...]
# SOURCE is a camera (default /dev/video0, through v4l2src) or a video file;
# without a camera and without a file it plays ../shared's intel_book.mkv.
# Extra arguments are properties of ELEMENT. GST_LAUNCH replaces
# gst-launch-1.0 (e.g. "gst-launch-1.0 -m" prints the element's messages).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
element=${1:?usage: classifier-live.sh ELEMENT [SOURCE] [MODEL.onnx] [WxH] [PROPERTY=VALUE...]}
source=${2:-/dev/video0}
model=${3:-$root/../shared/models/classify/squeezenet1_1.onnx}
size=${4:-320x240}
if [ $# -gt 4 ]; then shift 4; else set --; fi
w=${size%x*} h=${size#*x}

# The element and its properties, then what comes before and after it.
set -- "$element" "model=$model" "$@"
labels=$(dirname "$model")/imagenet_classes.txt
if [ "$element" = vksaliency ] && [ -f "$labels" ]; then
    set -- "$@" "labels=$labels"
fi
case "$source" in
/dev/*) [ -e "$source" ] || {
    echo "$element: no camera at $source, playing a clip" >&2
    source=$root/../shared/media/video/intel_book.mkv
} ;;
esac
if [ -e "$source" ] && [ ! -f "$source" ]; then
    # A camera: show each frame as soon as it is ready.
    set -- v4l2src "device=$source" ! videoconvert ! videoscale ! \
        "video/x-raw,width=$w,height=$h" ! "$@" ! videoconvert ! autovideosink sync=false
elif [ -f "$source" ]; then
    # A file plays in real time: the element's QoS drops what it cannot keep up with.
    set -- filesrc "location=$source" ! decodebin ! videoconvert ! videoscale ! \
        "video/x-raw,width=$w,height=$h" ! "$@" ! videoconvert ! autovideosink
else
    echo "$element: no such file: $source" >&2
    exit 2
fi
export GST_PLUGIN_PATH="$root/build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# shellcheck disable=SC2086
exec ${GST_LAUNCH:-gst-launch-1.0} "$@"
