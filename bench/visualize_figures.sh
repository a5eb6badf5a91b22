#!/bin/sh
# Makes every figure of docs/visualize.md with `vknn visualize`, printing
# each command as the page quotes it (paths relative to ../shared) and the
# tool's own summary lines (labels, scores, L-inf, iterations per second).
#   bench/visualize_figures.sh [OUT_DIR]     (default docs/images)
# Needs a build (./build/cli/vknn) and ../shared (models and CC0 /
# public-domain photos only: skimage_chelsea, skimage_astronaut; section 5
# also the four CC BY 4.0 Intel clips and every photo, shown as thumbnails
# with the attributions of docs/visualize.md).
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/images}
shared=${VKNN_SHARED:-../shared}
vknn=./build/cli/vknn
sq=$shared/models/classify/squeezenet1_1.onnx
mn=$shared/models/classify/mobilenet_v2_1.0_224.onnx
vgg=$shared/models/vgg/vgg19_normalised_relu3_1.onnx
labels=$shared/models/classify/imagenet_classes.txt
photos=$shared/media/photos
mkdir -p "$out"

run() { # ARGS...: prints the command (../shared as the docs write it), runs it
    echo "\$ vknn $*" | sed "s#$shared/models/[a-z]*/##g; s#$shared/media/photos/##g; s#$out/##g"
    "$vknn" "$@" 2>/dev/null
}

# 1. First-layer filters (MobileNetV2 and VGG take other input scalings,
# which the kernels do not depend on).
run visualize filters "$sq" "$out/vis_filters_squeezenet.png"
run visualize filters "$mn" "$out/vis_filters_mobilenetv2.png"
run visualize filters "$vgg" "$out/vis_filters_vgg19.png"

# 2. Class visualisation from the mean colour, SqueezeNet's defaults:
# 200 steps, L2 decay 1e-3, blur 0.5 px every 10, jitter 16.
for c in 130 76 366 1; do
    run visualize class "$sq" "$out/vis_class_$c.png" --class "$c" --labels "$labels"
done

# 3. Adversarial examples on the CC0 cat: FGSM, untargeted, 2/255; the
# iterative attack towards goldfish (class 1) within the same budget.
run visualize adversarial "$sq" "$photos/skimage_chelsea.png" "$out/vis_adv_fgsm.png" \
    --perturbation "$out/vis_adv_fgsm_x10.png" --labels "$labels"
run visualize adversarial "$sq" "$photos/skimage_chelsea.png" "$out/vis_adv_goldfish.png" \
    --method iterative --target 1 --epsilon 2/255 \
    --perturbation "$out/vis_adv_goldfish_x10.png" --labels "$labels"

# 4. DeepDream on the public-domain astronaut: SqueezeNet's fire5 (mid-level
# textures) and the VGG encoder's relu3_1 (its input is RGB 0..1).
run visualize dream "$sq" "$photos/skimage_astronaut.png" "$out/vis_dream_fire5.png" \
    --layer /features/features.7/Concat_output_0 --size 320x320
run visualize dream "$vgg" "$photos/skimage_astronaut.png" "$out/vis_dream_vgg_relu3_1.png" \
    --layer relu3_1 --size 320x320 --mean 0,0,0 --std 1,1,1

# 5. Feature inversion (Mahendran & Vedaldi 2015) of the astronaut, from
# noise: the VGG encoder's three ReLU layers, then SqueezeNet's conv1, fire3,
# fire5 and fire9 outputs (deeper, so more abstract), photo first.
run visualize invert "$vgg" "$photos/skimage_astronaut.png" "$out/vis_invert_vgg.png" \
    --layer relu1_1,relu2_1,relu3_1 --size 192x192 --mean 0,0,0 --std 1,1,1
run visualize invert "$sq" "$photos/skimage_astronaut.png" "$out/vis_invert_squeezenet.png" \
    --layer /features/features.1/Relu_output_0,/features/features.4/Concat_output_0,/features/features.7/Concat_output_0,/features/features.12/Concat_output_0 \
    --size 160x160

# 6. Texture synthesis (Gatys et al. 2015) from the public-domain Starry
# Night thumbnail, and style transfer (Gatys et al. 2016) of the CC0 cat,
# with the VGG encoder (relu1_1, relu2_1, relu3_1; content at relu3_1).
paintings=docs/images/paintings
run visualize texture "$vgg" "$paintings/starry_night.jpg" "$out/vis_texture_starry_night.png" \
    --size 224x224 --mean 0,0,0 --std 1,1,1 --lr 0.05 --noise 0.2
run visualize gatys "$vgg" "$photos/skimage_chelsea.png" "$paintings/starry_night.jpg" \
    "$out/vis_gatys_chelsea_starry_night.png" --size 224x224 --mean 0,0,0 --std 1,1,1

# 5. Last-layer features and maximally activating patches (vknn/features.h)
# over frames of the four CC BY 4.0 Intel sample clips (one every 2 s, at
# most 20 a clip: 59 frames) and the four CC0 / public-domain scikit-image
# photos: 63 images, SqueezeNet 1.1. #N is the set's N-th image.
video=$shared/media/video
media_set="$video/intel_book.mkv $video/intel_bottle-detection.mp4 $video/intel_car-detection.mp4
       $video/intel_one-by-one-person-detection.mp4 $photos/skimage_astronaut.png
       $photos/skimage_chelsea.png $photos/skimage_coffee.png $photos/skimage_rocket.jpg"
run_set() { # as run(), also shortening the media paths
    echo "\$ vknn $*" | tr -s ' \n' ' ' |
        sed "s#$shared/models/[a-z]*/##g; s#$shared/media/video/##g; s#$shared/media/photos/##g; s#$out/##g"
    echo
    "$vknn" "$@" 2>/dev/null
}
# shellcheck disable=SC2086 # $media_set: one argument a file
run_set visualize neighbours "$sq" $media_set "$out/vis_neighbours.png" --every 2 \
    --max 20 --unit --k 5 --thumb 64 --query '#0' --query '#10' --query '#30' --query '#45' \
    --query '#59' --query '#62'
# shellcheck disable=SC2086
run_set visualize embed "$sq" $media_set "$out/vis_tsne.png" --every 2 --max 20 \
    --method tsne --canvas 720 --thumb 48
# shellcheck disable=SC2086
run_set visualize embed "$sq" $media_set "$out/vis_pca.png" --every 2 --max 20 \
    --method pca --canvas 720 --thumb 48
# fire5 (features.7): 63x63-pixel fields; six channels picked from every
# 7th of the first 160 for the motif they share.
# shellcheck disable=SC2086
run_set visualize patches "$sq" $media_set "$out/vis_patches_fire5.png" --every 2 \
    --max 20 --layer /features/features.7/Concat_output_0 --channels 21,28,35,77,133,147 \
    --top 8 --thumb 56
# The same with at most 2 patches from each clip or photo.
# shellcheck disable=SC2086
run_set visualize patches "$sq" $media_set "$out/vis_patches_fire5_sources.png" --every 2 \
    --max 20 --layer /features/features.7/Concat_output_0 --channels 21,28,35,77,133,147 \
    --top 8 --thumb 56 --per-source 2
# fire3 (features.4): 23x23-pixel fields, colours and edges.
# shellcheck disable=SC2086
run_set visualize patches "$sq" $media_set "$out/vis_patches_fire3.png" --every 2 \
    --max 20 --layer /features/features.4/Concat_output_0 --channels 12,18,30,48,78,84 \
    --top 8 --thumb 48
