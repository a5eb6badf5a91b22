#!/bin/sh
# The main job: stylise a photo with a feed-forward style network on the
# Vulkan device (a GPU when there is one, else Mesa's lavapipe on the CPU).
#   scripts/render.sh [MODEL.onnx] [IN.png|jpg] [OUT.png]
# Defaults: the candy model and a photo from ../shared (development assets).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null

shared=../shared
model=${1:-$shared/models/style/candy.onnx}
input=${2:-$shared/media/photos/skimage_chelsea.png}
output=${3:-out/stylized.png}
if [ ! -f "$model" ]; then
    echo "vknn: no style model at $model: pass an ONNX style model (RGB 0..255 in and out, see docs/model-contract.md), e.g. one exported from pytorch/examples fast_neural_style" >&2
    exit 1
fi
mkdir -p "$(dirname "$output")"
./build/cli/vknn stylize "$model" "$input" "$output"
echo "wrote $output"
