#!/bin/sh
# Live saliency: what an image classifier looks at, drawn on the video.
#   pipelines/saliency-live.sh [SOURCE] [MODEL.onnx] [WIDTHxHEIGHT] [vksaliency PROPERTY=VALUE...]
# SOURCE is a camera (default /dev/video0, through v4l2src) or a video file;
# without a camera and without a file it plays ../shared's intel_book.mkv.
# Extra arguments go to vksaliency: method=guided, interval=3, smoothing=0.7,
# colormap=inferno, target-class=285 ... The labels file beside the model
# (imagenet_classes.txt) is used when there is one.
#
# The top-1 label: gst-launch cannot pass vksaliency's "vknn-saliency" bus
# messages to a textoverlay, so this script shows the heatmap alone
# (GST_LAUNCH="gst-launch-1.0 -m" prints the messages on the terminal).
# pipelines/examples/saliency_labels.py runs the same pipeline from Python
# and draws the top-1 label and its probability with a textoverlay whose
# text it sets from each message.
#
# On lavapipe (no GPU) Grad-CAM on SqueezeNet runs at about 10 fps at
# 320x240: interval=2 or 3 keeps up with a camera; gradient and guided are
# ~4x slower, smoothgrad and occlusion are not for live video there.
exec "$(dirname "$0")/classifier-live.sh" vksaliency "$@"
