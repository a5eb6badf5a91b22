#!/bin/sh
# vknn next to PyTorch CPU and OpenCV DNN on the same ONNX model and size, in
# one run on one machine, with the ratios (absolute times on shared machines
# are noisy; ratios from one run are not).
#   bench/run.sh [RUNS]
# Needs ../shared and: apt-get install -y python3-torch python3-opencv python3-onnx
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
threads=$(nproc)
shared=../shared
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
./build/cli/vknn devices | head -1
rounds=${BENCH_ROUNDS:-3}
echo "$rounds rounds of: vknn, PyTorch, OpenCV ($runs timed runs each); medians over rounds,"
echo "ratios = median of the per-round ratios (the machine's speed drifts between rounds);"
echo "in brackets the minima over all runs and their ratio (least disturbed by other load)"
printf '| model | size | vknn ms | PyTorch CPU ms | OpenCV DNN ms | vknn / PyTorch | vknn / OpenCV |\n'
printf '|---|---|---|---|---|---|---|\n'
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
least() { sort -g | head -1; }
# "min A ms ... median B ms" -> "A B"
min_median() { sed -nE "s/^$1.*min ([0-9.]+) ms.*median ([0-9.]+) ms.*/\1 \2/p"; }
bench() { # MODEL SIZE [PRECISION]
    vs="" ts="" os="" rt="" ro="" vmin="" tmin="" omin=""
    for _ in $(seq "$rounds"); do
        v=$(./build/cli/vknn bench "$1" --size "$2" --runs "$runs" --precision "${3:-fp32}" |
            min_median runs)
        p=$(/usr/bin/python3 $shared/bench/peers.py "$1" --size "$2" --threads "$threads" --runs "$runs")
        t=$(echo "$p" | min_median torch)
        o=$(echo "$p" | min_median opencv)
        vs="$vs ${v#* }" ts="$ts ${t#* }" os="$os ${o#* }"
        vmin="$vmin ${v% *}" tmin="$tmin ${t% *}" omin="$omin ${o% *}"
        rt="$rt $(echo "${v#* } / ${t#* }" | bc -l)" ro="$ro $(echo "${v#* } / ${o#* }" | bc -l)"
    done
    m() { echo "$1" | tr ' ' '\n' | grep . | median; }
    l() { echo "$1" | tr ' ' '\n' | grep . | least; }
    printf '| %s%s | %s | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.2f (%.2f) | %.2f (%.2f) |\n' \
        "$(basename "$1" .onnx)" "${3:+ ($3)}" "$2" \
        "$(m "$vs")" "$(l "$vmin")" "$(m "$ts")" "$(l "$tmin")" "$(m "$os")" "$(l "$omin")" \
        "$(m "$rt")" "$(echo "$(l "$vmin") / $(l "$tmin")" | bc -l)" \
        "$(m "$ro")" "$(echo "$(l "$vmin") / $(l "$omin")" | bc -l)"
}
bench $shared/models/style/candy.onnx 256x256
bench $shared/models/style/candy.onnx 640x480
bench $shared/models/style/candy.onnx 640x480 fp16-tiles
bench $shared/models/style/small/candy_nc16.onnx 640x480
bench $shared/models/style/small/candy_nc16.onnx 640x480 fp16-tiles
bench $shared/models/classify/squeezenet1_1.onnx 224x224

# Backward passes (saliency): forward alone, forward + backward to the
# Grad-CAM layer (fire9), forward + backward to the input (vanilla/guided).
sq=$shared/models/classify/squeezenet1_1.onnx
sq_ms() { ./build/cli/vknn bench "$sq" --size 224x224 --runs "$runs" "$@" | sed -nE 's/^runs.*median ([0-9.]+) ms.*/\1/p'; }
f=$(sq_ms)
g=$(sq_ms --backward /features/features.12/Concat_output_0)
i=$(sq_ms --backward input)
printf '\n| SqueezeNet 224x224 | forward ms | + backward to fire9 (Grad-CAM) ms | + backward to the input ms |\n'
printf '|---|---|---|---|\n'
printf '| vknn | %s | %s (%.2fx forward) | %s (%.2fx forward) |\n' "$f" "$g" "$(echo "$g / $f" | bc -l)" \
    "$i" "$(echo "$i / $f" | bc -l)"

# The element in a pipeline against the bare network at the same size: the
# steady-state time per frame is the median interval between the element's
# consecutive "frame in" log lines (start-up and model loading excluded;
# everything else in the pipeline's thread included). The source produces
# RGBA, so no conversion runs beside it.
pipeline_ms() { # MODEL SIZE FRAMES MEMORY(sys|vulkan)
    caps="video/x-raw,width=${2%x*},height=${2#*x},format=RGBA" up="" down=""
    if [ "$4" = vulkan ]; then
        up="vulkanupload !" down="! vulkandownload"
    fi
    # shellcheck disable=SC2086
    GST_DEBUG=vknnfilter:6 GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q videotestsrc num-buffers="$3" ! \
        "$caps" ! $up vkstyletransfer model="$1" $down ! fakesink 2>&1 |
        awk '/frame in/ { split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3];
                          if (prev) print (s - prev) * 1000; prev = s }' | tail -n +3 | median
}
export GST_PLUGIN_PATH="$PWD/build/gst-plugins"
frames=${BENCH_FRAMES:-300}
m=$shared/models/style/small/candy_nc8.onnx
# The element's default precision is fp16-tiles: the bare network runs the same.
bare() { ./build/cli/vknn bench "$m" --size 320x240 --runs 20 --precision fp16-tiles |
    sed -nE 's/^runs.*median ([0-9.]+) ms.*/\1/p'; }
# Five rounds of bare network, system-memory and Vulkan-image pipelines
# (frames / 5 each), so that drift hits all three alike; medians over rounds.
bs="" ss="" vs="" rs="" rv=""
for _ in 1 2 3 4 5; do
    b=$(bare)
    s=$(pipeline_ms "$m" 320x240 $((frames / 5)) sys)
    v=$(pipeline_ms "$m" 320x240 $((frames / 5)) vulkan)
    bs="$bs $b" ss="$ss $s" vs="$vs $v"
    rs="$rs $(echo "$s / $b" | bc -l)" rv="$rv $(echo "$v / $b" | bc -l)"
done
m5() { echo "$1" | tr ' ' '\n' | grep . | median; }
printf '\n| model | size | vknn bench ms | pipeline, system memory ms | pipeline, Vulkan images ms | pipeline / bench (system, Vulkan) |\n'
printf '|---|---|---|---|---|---|\n'
printf '| candy_nc8 | 320x240 | %.1f | %.1f | %.1f | %.2f, %.2f |\n' "$(m5 "$bs")" "$(m5 "$ss")" \
    "$(m5 "$vs")" "$(m5 "$rs")" "$(m5 "$rv")"
