#!/bin/sh
# Stylise a video file into an MP4, with a progress line (frames, fps, ETA).
#   pipelines/render.sh IN OUT.mp4 [MODEL.onnx|builtin:NAME] [extra vknn-render options]
# Decoding goes through decodebin (libav decoders), encoding through x264enc
# (gstreamer1.0-plugins-ugly) or libav's avenc_mpeg4; audio is kept (AAC).
# Options: --style-image IMG[,IMG] (any image as the style, no training;
# several blended by --style-weights W,W; --alpha A, --no-palette),
# --strength S, --scale X (run the network smaller: faster),
# --seconds N (only the start), --preserve-colors, --temporal (stabilised
# along the optical flow: no flicker; --temporal-strength T, default 0.8).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -lt 2 ]; then
    echo "usage: $0 IN OUT.mp4 [MODEL.onnx|builtin:NAME | --style-image IMG] [--strength S] [--scale X] [--seconds N]" >&2
    exit 2
fi
in=$1 out=$2
shift 2
model=builtin:starry_night # trained by vknn, built into libvknn (models/README.md)
case "${1:-}" in
    ""|-*) ;;
    *) model=$1; shift ;;
esac
build=${VKNN_BUILD_DIR:-$root/build} # VKNN_BUILD_DIR: another build (the tests' own)
export GST_PLUGIN_PATH="$build/gst-plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec "$build/pipelines/vknn-render" "$in" "$out" --model "$model" "$@" # --style-image wins
