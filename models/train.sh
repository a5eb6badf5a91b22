#!/bin/sh
# Trains the built-in style networks of models/ from scratch of their
# paintings, exactly as they were made (models/README.md), into WORKDIR:
#   models/train.sh [WORKDIR]        (default: build/train-models)
# Needs the development assets of ../shared (paintings, photos, clips, the
# VGG-19 loss network) and a build (./scripts/test.sh or meson). About 1.5 h
# on lavapipe with 2 cores; a GPU makes it minutes (vknn train --device).
# Steps, each skipped when its output exists (rerun to continue):
#   1. content: the photos of ../shared except the three held out for
#      docs/styles.md's distances, and a frame every 4 s of the four clips;
#   2. starry_night alone, starting from the first built-in (git history);
#   3. paintings: the five styles in one network, starting from step 2;
#   4. its styles split into the five single-style networks.
set -eu
cd "$(dirname "$0")/.."
work=${1:-build/train-models}
shared=../shared
vknn=build/cli/vknn
style=$shared/media/style
vgg=$shared/models/vgg/vgg19_normalised_relu3_1.onnx
held_out="skimage_astronaut.png sklearn_china.jpg coral_grace_hopper.png"
paintings="starry_night.jpg wave.jpg the_scream.jpg composition_vii.jpg shipwreck_of_the_minotaur.jpg"
names="starry_night wave scream composition_vii shipwreck"
# The settings all runs share: 16 base channels, 128-px crops, batch 1.
common="--content $work/content --loss-net $vgg --size 128 --channels 16 --lr 2e-3 --seed 7
    --style-weight 3e4 --tv-weight 1e-7"
mkdir -p "$work"

if [ ! -d "$work/content" ]; then
    mkdir -p "$work/content.tmp"
    for p in "$shared"/media/photos/*; do
        case " $held_out " in *" $(basename "$p") "*) continue ;; esac
        cp "$p" "$work/content.tmp/"
    done
    for v in "$shared"/media/video/intel_*.m*; do
        name=$(basename "${v%.*}")
        gst-launch-1.0 -q filesrc location="$v" ! decodebin ! videoconvert ! videorate \
            ! video/x-raw,framerate=1/4 ! videoconvert ! pngenc \
            ! multifilesink location="$work/content.tmp/${name}_%02d.png"
    done
    mv "$work/content.tmp" "$work/content"
fi
echo "content: $(find "$work/content" -type f | wc -l) images"

# Step 2 starts from the first built-in Starry Night (800 + 800 steps at
# style weight 3e3, see the git history of models/README.md).
if [ ! -f "$work/starry_night_1.onnx" ]; then
    git show 7e67124:models/starry_night.onnx >"$work/starry_night_0.onnx"
    # shellcheck disable=SC2086
    $vknn train --style "$style/starry_night.jpg" $common --init "$work/starry_night_0.onnx" \
        --steps 500 --out "$work/starry_night_1.onnx"
fi

if [ ! -f "$work/paintings.onnx" ]; then
    list=""
    for p in $paintings; do list="$list${list:+,}$style/$p"; done
    start="--init $work/starry_night_1.onnx"
    [ -f "$work/paintings.onnx.ckpt" ] && start="--resume $work/paintings.onnx.ckpt"
    # shellcheck disable=SC2086
    $vknn train --style "$list" $common $start --steps 5000 --checkpoint-every 250 \
        --out "$work/paintings.onnx"
fi

set --
for n in $names; do set -- "$@" "$work/$n.onnx"; done
$vknn split "$work/paintings.onnx" "$@"
echo "trained: $work/paintings.onnx and $*; copy them to models/ to build them in"
