#!/bin/sh
# DeepDream on live video (vkdeepdream): the dream grows over the frames.
#   pipelines/deepdream-live.sh [SOURCE] [MODEL.onnx] [WIDTHxHEIGHT] [PROPERTY=VALUE...]
# SOURCE is a camera (default /dev/video0, through v4l2src) or a video file;
# without a camera and without a file it plays ../shared's intel_book.mkv.
# The default size is 160x120 (about 10 frames a second on lavapipe, see
# docs/performance.md). The layer is SqueezeNet's fire5; extra arguments are
# vkdeepdream properties, which override it, e.g.
#   layer=/features/features.10/Concat_output_0   a deeper layer (`build/cli/vknn info MODEL`)
#   iterations=4 octaves=3 step=0.01              dream harder (slower)
#   temporal=blend                                 no optical flow (ghosts, faster)
#   temporal=none                                  every frame afresh (flickers)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
source=${1:-/dev/video0}
model=${2:-$root/../shared/models/classify/squeezenet1_1.onnx}
size=${3:-160x120}
if [ $# -gt 3 ]; then shift 3; else set --; fi
exec "$root/pipelines/classifier-live.sh" vkdeepdream "$source" "$model" "$size" \
    layer=/features/features.7/Concat_output_0 "$@"
