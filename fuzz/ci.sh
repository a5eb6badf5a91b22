#!/bin/sh
# The fuzz targets as tests of the sanitizer build (fuzz/meson.build,
# docs/fuzzing.md):
#
#   ci.sh replay TARGET BIN TEST_BAD_INPUT TEST_OPS WORKDIR REGRESSIONS
#       runs BIN once on every seed, generated now into WORKDIR (never
#       committed), and on every file of REGRESSIONS (fuzz/regressions/TARGET);
#   ci.sh fuzz TARGET BIN TEST_BAD_INPUT TEST_OPS WORKDIR SECONDS
#       fuzzes from those seeds for SECONDS (VKNN_FUZZ_SECONDS overrides);
#       a crash, sanitizer report, leak, GLib warning or timeout fails it;
#   ci.sh skip WHY
#       exits 77 (skipped) after saying why: where clang is missing.
#
# TARGET is fuzz_onnx (seeds: the ONNX models of test_bad_input --write-seeds
# and test_ops write-seeds) or fuzz_frame (the same models behind its
# shape-inference header, and seeds of its other modes: frame_seeds.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mode=$1
if [ "$mode" = skip ]; then
    echo "SKIP: $2"
    exit 77
fi
target=$2 test_bad_input=$4 test_ops=$5 work=$6
bin=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")

rm -rf "$work"
mkdir -p "$work/onnx" "$work/corpus" "$work/artifacts"
"$test_bad_input" --write-seeds "$work/onnx" >/dev/null
"$test_ops" write-seeds "$work/onnx" >/dev/null
case $target in
fuzz_onnx) seeds=$work/onnx ;;
fuzz_frame)
    seeds=$work/seeds
    python3 "$here/frame_seeds.py" "$work/onnx" "$seeds" ;;
*) echo "ci.sh: unknown target $target" >&2; exit 2 ;;
esac
echo "$target: $(ls "$seeds" | wc -l) seeds in $seeds"

if [ "$mode" = replay ]; then
    regressions=$7
    set -- "$seeds"/*
    if [ -d "$regressions" ]; then
        for f in "$regressions"/*; do
            [ -f "$f" ] && set -- "$@" "$f"
        done
    fi
    echo "$target: replaying $# inputs"
    # Each file runs once, whole (no -max_len truncation); the first
    # finding stops the run with libFuzzer's report.
    if ! "$bin" -runs=1 -rss_limit_mb=2048 "$@" > "$work/replay.log" 2>&1; then
        tail -n 60 "$work/replay.log"
        echo "FAIL: $target crashed or reported on the input named by the last 'Running:' line above;"
        echo "      reproduce: $bin FILE"
        exit 1
    fi
    echo "ok: $target ran all $(grep -c '^Running: ' "$work/replay.log") inputs cleanly"
    exit 0
fi

[ "$mode" = fuzz ] || { echo "ci.sh: unknown mode $mode" >&2; exit 2; }
seconds=${VKNN_FUZZ_SECONDS:-$7}
echo "$target: fuzzing for $seconds s (new inputs in $work/corpus)"
status=0
start=$(date +%s)
# -rss_limit_mb is also the limit of one malloc: a hostile input must not
# make the library allocate what it only claims (docs/fuzzing.md, bug 12).
# libFuzzer reports a finding with exit status 77, meson's "skipped": any
# failure here is made 1 below.
"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" > "$work/fuzz.log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/fuzz.log" || true
echo "$target: ${runs:-?} executions in $(( $(date +%s) - start )) s, $(ls "$work/corpus" | wc -l) new corpus inputs"
if [ "$status" != 0 ]; then
    tail -n 80 "$work/fuzz.log"
    echo "FAIL: $target exited with status $status; the input is in $work/artifacts:"
    ls -l "$work/artifacts"
    echo "      reproduce: $bin $work/artifacts/<file>  (docs/fuzzing.md)"
    exit 1
fi
echo "ok: $target found nothing in $seconds s"
