#!/bin/sh
# The main job: stylise a video clip on the Vulkan device (a GPU when there is
# one, else Mesa's lavapipe on the CPU) into an MP4, with a progress line.
#   scripts/render.sh [IN] [OUT.mp4] [MODEL.onnx] [vknn-render options]
# Defaults: a CC-BY clip and a small candy model from ../shared (development
# assets), at half resolution inside the network so lavapipe keeps up.
# Still images: build/cli/vknn stylize MODEL.onnx IN.jpg OUT.png
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null

shared=../shared
in=${1:-$shared/media/video/intel_book.mkv}
out=${2:-out/stylized.mp4}
model=${3:-$shared/models/style/small/candy_nc16.onnx}
[ $# -ge 3 ] && shift 3 || shift $#
if [ ! -f "$model" ]; then
    echo "vknn: no style model at $model: pass an ONNX style model (RGB 0..255 in and out, see docs/model-contract.md), e.g. one exported from pytorch/examples fast_neural_style" >&2
    exit 1
fi
if [ ! -f "$in" ]; then
    echo "vknn: no input video at $in: pass one (any format GStreamer/libav decodes)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
[ $# -gt 0 ] || set -- --scale 0.5
exec pipelines/render.sh "$in" "$out" "$model" "$@"
