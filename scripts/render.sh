#!/bin/sh
# The main job: stylise a video clip on the Vulkan device (a GPU when there is
# one, else Mesa's lavapipe on the CPU) into an MP4, with a progress line.
#   scripts/render.sh [IN] [OUT.mp4] [MODEL.onnx] [vknn-render options]
#   scripts/render.sh IN OUT.mp4 --style-image PAINTING.jpg [options]   (any image as the style)
# Defaults: a style network trained by vknn and built into it (builtin:
# starry_night, see models/README.md) on the 6 s CC BY 4.0 clip committed in
# media/ (a cut of an Intel sample video, see media/README.md), at half
# resolution inside the network so lavapipe keeps up, into out/stylized.mp4.
# An empty IN or OUT takes the default.
# Still images: build/cli/vknn stylize MODEL.onnx IN.jpg OUT.png
# VKNN_BUILD_DIR=DIR: vknn is built in DIR already (the tests): nothing is
# installed or built.
set -eu
cd "$(dirname "$0")/.."
[ -n "${VKNN_BUILD_DIR:-}" ] || scripts/deps.sh >/dev/null

in=${1:-media/intel_one-by-one-person.mp4}
out=${2:-out/stylized.mp4}
model=builtin:starry_night
case ${3:-} in
    "" | -*) [ $# -ge 2 ] && shift 2 || shift $# ;; # options only
    *) model=$3 && shift 3 ;;
esac
mkdir -p "$(dirname "$out")"
case $model in builtin:*) ;; *) if [ ! -f "$model" ]; then
    echo "vknn: no style model at $model: pass an ONNX style model (RGB 0..255 in and out, see docs/model-contract.md), e.g. one exported from pytorch/examples fast_neural_style" >&2
    exit 1
fi ;; esac
if [ ! -f "$in" ]; then
    echo "vknn: no input video at $in: pass one (any format GStreamer/libav decodes)" >&2
    exit 1
fi
[ $# -gt 0 ] || set -- --scale 0.5
pipelines/render.sh "$in" "$out" "$model" "$@"
path=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
echo "render: the stylised video is $path"
echo "render: watch it: gst-launch-1.0 playbin uri=file://$path (or open it in any video player or web browser)"
