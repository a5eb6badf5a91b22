#!/bin/sh
# Capacity planning for live streams (docs/deploy.md): frames per second of
# each element on lavapipe, per core, at 320x240 and 640x480.
#
#   bench/live_capacity.sh [SECONDS] [CORES...]    defaults: 8 s, cores "1 2"
#   LIVE_CAPACITY_ROWS=chain bench/live_capacity.sh    only the rows whose label has "chain"
#
# Each figure is the element alone on RGBA frames from videotestsrc into
# fakesink sync=false (decoding and encoding a real stream cost extra: the
# "chain" row times that once). Start-up (device, model load, pipeline
# creation) cancels out: fps = N / (wall time of WARM+N frames - wall time
# of WARM frames), N chosen from a 5-frame probe for about SECONDS s of
# steady state (10 frames at least). The process is pinned with taskset to the first
# C cores and lavapipe is given C threads (LP_NUM_THREADS), as a pod limited
# to C cores should be. Each run length is timed twice and the shorter time
# kept: on a shared machine other jobs only ever slow a run down.
# Needs a build (./build) and, for vksaliency and vkactivationmap, the
# classifier ../shared/models/classify/squeezenet1_1.onnx (VKNN_SHARED).
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-8}
[ $# -eq 0 ] || shift
cores=${*:-1 2}
warm=3
only=${LIVE_CAPACITY_ROWS:-} # only the rows whose label contains this, e.g. "chain"
shared=${VKNN_SHARED:-../shared}
classifier=$shared/models/classify/squeezenet1_1.onnx
export GST_PLUGIN_PATH="$PWD/build/gst-plugins"
export GST_REGISTRY="${TMPDIR:-/tmp}/vknn-live-capacity-registry.bin"

wall() { # CORES NUM-BUFFERS ELEMENT...: seconds of one gst-launch run
    c=$1 n=$2
    shift 2
    t0=$(date +%s.%N)
    LP_NUM_THREADS=$c taskset -c "0-$((c - 1))" gst-launch-1.0 -q \
        videotestsrc num-buffers="$n" ! "$caps" ! "$@" ! fakesink sync=false >/dev/null 2>&1 ||
        { echo "live_capacity: failed: $* (cores $c, $caps)" >&2 && exit 1; }
    echo "$(date +%s.%N) - $t0" | bc -l
}

fps() { # CORES ELEMENT...: steady-state frames per second
    c=$1
    shift
    # Enough frames for about $seconds s of steady state: a fast element
    # needs many for its time to stand out of start-up's jitter.
    # A probe 10 frames longer than the short run; start-up jitter can make
    # the difference tiny or negative, hence the bounds.
    t_short=$(wall "$c" "$warm" "$@")
    t_probe=$(wall "$c" $((warm + 10)) "$@")
    n=$(echo "d = $t_probe - $t_short; if (d < 0.05) d = 0.05; $seconds * 10 / d" | bc)
    [ "$n" -ge 10 ] || n=10
    [ "$n" -le 400 ] || n=400
    # The least disturbed time of each length, then their difference (taking
    # the best fps of two differences instead would favour a run whose short
    # half was slowed down).
    short="" long=""
    for _ in 1 2; do
        short="$short $(wall "$c" "$warm" "$@")"
        long="$long $(wall "$c" $((warm + n)) "$@")"
    done
    least() { echo "$1" | tr ' ' '\n' | grep . | sort -g | head -n 1; }
    best=$(echo "t = $(least "$long") - $(least "$short"); if (t > 0) $n / t else 0" | bc -l)
    [ "$(echo "$best > 0" | bc)" -eq 1 ] || { echo "live_capacity: no steady state: $*" >&2 && exit 1; }
    printf '%.1f' "$best"
}

row() { # LABEL SIZE ELEMENT...: one table row, one column per core count
    label=$1 size=$2
    shift 2
    case $label in *$only*) ;; *) return 0 ;; esac
    caps="video/x-raw,format=RGBA,width=${size%x*},height=${size#*x},framerate=30/1"
    line="| $label | ${size%x*}×${size#*x} |"
    for c in $cores; do
        f=$(fps "$c" "$@")
        line="$line $f fps ($(echo "1000 / $f" | bc) ms) |"
    done
    echo "$line"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
    "load $(cut -d' ' -f1-3 /proc/loadavg); about $seconds s of frames after $warm, least time of 2"
header="| element | frame |" rule="|---|---|"
for c in $cores; do
    header="$header $c core$([ "$c" -eq 1 ] || echo s) |" rule="$rule---|"
done
echo "$header"
echo "$rule"
for size in 320x240 640x480; do
    row "vkstyletransfer model=builtin:starry_night" "$size" vkstyletransfer model=builtin:starry_night
    [ "$size" = 320x240 ] ||
        row "vkstyletransfer model=builtin:starry_night scale=0.5" "$size" \
            vkstyletransfer model=builtin:starry_night scale=0.5
    if [ -r "$classifier" ]; then
        row "vksaliency (gradcam, SqueezeNet 1.1)" "$size" vksaliency model="$classifier"
        row "vkactivationmap (SqueezeNet 1.1)" "$size" vkactivationmap model="$classifier"
    fi
done
# A live stream's whole chain, as deploy/k8s/live-deployment.yaml runs it:
# H.264 decode, the style, H.264 encode (with the sender's encode in front,
# ultrafast: a small share of the time).
chain() { # STYLE OPTIONS...
    echo videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast ! h264parse ! \
        avdec_h264 ! videoconvert ! vkstyletransfer model=builtin:starry_night "$@" ! \
        videoconvert ! x264enc tune=zerolatency speed-preset=veryfast bitrate=1500 ! \
        h264parse ! mpegtsmux
}
# shellcheck disable=SC2046 # the chain's words are separate arguments
row "chain: decode, starry_night, encode" 320x240 $(chain)
# shellcheck disable=SC2046
row "chain: decode, starry_night scale=0.5, encode" 640x480 $(chain scale=0.5)
