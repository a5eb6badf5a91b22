#!/bin/sh
# Live activation maps: what a layer of an image classifier computes.
#   pipelines/activations-live.sh [SOURCE] [MODEL.onnx] [WIDTHxHEIGHT] [PROPERTY=VALUE...]
# SOURCE is a camera (default /dev/video0, through v4l2src) or a video file;
# without a camera and without a file it plays ../shared's intel_book.mkv.
# Extra arguments are vkactivationmap properties, e.g.
#   mode=grid alpha=1                 the first 64 channels as a mosaic
#   channel=-2 normalize=running      the maximum over the channels, steady brightness
#   layer=NAME                        another layer (`build/cli/vknn info MODEL` lists them)
exec "$(dirname "$0")/classifier-live.sh" vkactivationmap "$@"
