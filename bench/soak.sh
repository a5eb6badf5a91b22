#!/bin/sh
# Soak test of the vknn elements (issue 19): each element runs in a live
# pipeline for N minutes while bench/soak.c changes properties (valid and
# refused values), switches models (also to ones that cannot load),
# renegotiates and cycles states at random intervals from a fixed seed, and
# samples RSS, threads, open fds and libvknn's device buffers every 30 s.
# Not CI: it takes minutes to hours. docs/reliability.md has the 1-hour result.
#
#   bench/soak.sh [--minutes N] [--seed S] [--element all|vkstyletransfer|vksaliency|vkactivationmap]
#                 [--build DIR] [--logs DIR] [-- DRIVER-OPTIONS]
#
# N minutes per element (default 5). DRIVER-OPTIONS go to vknn-soak:
# --max-interval SEC (longest wait between actions, 10), --sample-seconds SEC
# (30), --max-slope KB_PER_MIN (RSS growth that fails the run, 512).
# Logs: DIR/ELEMENT.csv (samples, summary) and DIR/ELEMENT.log (each action
# and bus message, timed). Exit status 1 when any element failed.
set -eu
cd "$(dirname "$0")/.."

minutes=5 seed=1 element=all build=build logs=""
usage() { sed -n '9,10p' "$0" | sed 's/^# *//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --minutes) minutes=${2:?}; shift 2 ;;
    --seed) seed=${2:?}; shift 2 ;;
    --element) element=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --logs) logs=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
    esac
done
case $element in
all) elements="vkstyletransfer vksaliency vkactivationmap" ;;
vkstyletransfer | vksaliency | vkactivationmap) elements=$element ;;
*) usage ;;
esac

driver=$build/bench/vknn-soak
if [ ! -x "$driver" ] || [ ! -e "$build/gst-plugins/libgstvknn.so" ]; then
    echo "soak.sh: $driver or $build/gst-plugins/libgstvknn.so missing: build first (ninja -C $build)" >&2
    exit 2
fi
logs=${logs:-$(mktemp -d /tmp/vknn-soak.XXXXXX)}
mkdir -p "$logs"
GST_PLUGIN_PATH=$(cd "$build/gst-plugins" && pwd)
# A registry of its own: other checkouts' builds of the plugin, registered
# in the shared default one by concurrent runs, must not be picked up.
GST_REGISTRY=$logs/registry.bin
export GST_PLUGIN_PATH GST_REGISTRY

echo "soak: $minutes min each of $elements, seed $seed; $(nproc) cores; logs in $logs"
rc=0
for e in $elements; do
    echo "== $e"
    if "$driver" --element "$e" --minutes "$minutes" --seed "$seed" --shared ../shared "$@" \
        >"$logs/$e.csv" 2>"$logs/$e.log"; then
        :
    else
        rc=1
    fi
    sed -n '/^summary/,$p' "$logs/$e.csv" | grep -v '^row|'
done

echo
echo "| element | min | frames | prop | invalid | model | bad model | renegotiate | state | warnings | errors | RSS start KB | RSS end KB | slope KB/min | max threads | max fds | device buffers max/last/after stop |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for e in $elements; do
    grep '^row|' "$logs/$e.csv" | sed 's/^row//; s/$/|/' || echo "| $e | (no summary: see $logs/$e.log) |"
done
exit $rc
