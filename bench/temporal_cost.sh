#!/bin/sh
# Cost of vkstyletransfer temporal=flow: per-frame time of the element with
# temporal=off and =flow, alternating, from the difference between runs of 2
# and 12 buffers (so start-up and model loading cancel out).
#   bench/temporal_cost.sh [SIZES] [PAIRS]      e.g. "640x480 320x240" 3
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="$root/build/gst-plugins"
sizes=${1:-"640x480 320x240"}
pairs=${2:-3}
run() { # SIZE MODE BUFFERS -> seconds
    w=${1%x*} h=${1#*x}
    python3 - "$w" "$h" "$2" "$3" <<'PY'
import subprocess, sys, time
w, h, mode, n = sys.argv[1:]
t = time.monotonic()
subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", f"num-buffers={n}", "pattern=ball", "!",
                f"video/x-raw,width={w},height={h},format=RGBA", "!", "vkstyletransfer",
                f"temporal={mode}", "!", "fakesink"], check=True)
print(time.monotonic() - t)
PY
}
echo "size | pair | off ms/frame | flow ms/frame | flow/off"
for size in $sizes; do
    i=1
    while [ "$i" -le "$pairs" ]; do
        off=$(python3 -c "print(($(run "$size" off 12) - $(run "$size" off 2)) * 100)")
        flow=$(python3 -c "print(($(run "$size" flow 12) - $(run "$size" flow 2)) * 100)")
        python3 -c "print('$size | $i | %.0f | %.0f | %.2f' % ($off, $flow, $flow / $off))"
        i=$((i + 1))
    done
done
