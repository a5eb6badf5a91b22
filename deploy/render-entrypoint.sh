#!/bin/sh
# Batch rendering, one file per index: the entrypoint of the container image
# (deploy/Containerfile) and of the Kubernetes Indexed Job
# (deploy/k8s/render-job.yaml), and the same script on a workstation.
#
#   render-entrypoint.sh                 render entry $JOB_COMPLETION_INDEX of the list
#   render-entrypoint.sh --local [N] [-j J]
#                                        render entries 0..N-1 (default: all), J at a
#                                        time (default 1), each as its own run of this
#                                        script; go on past failures, list them at the
#                                        end, exit 1 if any failed
#
# Environment (defaults in brackets):
#   JOB_COMPLETION_INDEX   the entry to render, from 0 (Kubernetes sets it for
#                          Indexed Jobs) [0]
#   VKNN_LIST              the list: one input path a line; blank lines and lines
#                          starting with # are not entries [/config/list.txt]
#   VKNN_INPUT_DIR         where relative paths of the list are [/data/in]
#   VKNN_OUTPUT_DIR        where NAME.mp4 goes, NAME = the input's file name less
#                          its extension [/data/out]
#   VKNN_MODEL             builtin:NAME or an ONNX style model [builtin:starry_night]
#   VKNN_RENDER_OPTIONS    more vknn-render options, split on spaces [--scale 0.5]
#   VKNN_RENDER            the vknn-render binary [vknn-render, on PATH]
#
# Each output is written to OUTPUT_DIR/.NAME.partial.mp4 and renamed to
# NAME.mp4 (rename(2) in one directory: atomic) only after vknn-render
# succeeded; an existing NAME.mp4 is skipped, so a retried or re-run index
# does no work twice and never leaves half a file under the final name. A
# partial left by a killed pod is overwritten by the retry; SIGTERM (a
# pre-empted pod) removes it.
#
# Exit status: 0 rendered or skipped; 1 failed (worth a retry: the device,
# memory, the volume); 2 bad configuration (no list, index out of range, two
# entries with one output name); 3 the input itself is missing or does not
# decode (a retry cannot help: the Job's podFailurePolicy fails the index at
# once).
set -u

list=${VKNN_LIST:-/config/list.txt}
in_dir=${VKNN_INPUT_DIR:-/data/in}
out_dir=${VKNN_OUTPUT_DIR:-/data/out}
model=${VKNN_MODEL:-builtin:starry_night}
options=${VKNN_RENDER_OPTIONS---scale 0.5}
render=${VKNN_RENDER:-vknn-render}

say() { echo "render-entrypoint: $*" >&2; }

entries() { # the list's entries, one a line
    grep -v -e '^[[:space:]]*$' -e '^[[:space:]]*#' "$list"
}

if [ ! -r "$list" ]; then
    say "error: cannot read the list $list (VKNN_LIST)"
    exit 2
fi
count=$(entries | wc -l)

# ---- local driver: indices 0..N-1 -----------------------------------------------
if [ "${1:-}" = --local ]; then
    shift
    n=$count jobs=1
    case "${1:-}" in [0-9]*) n=$1 && shift ;; esac
    if [ "${1:-}" = -j ] && [ -n "${2:-}" ]; then jobs=$2 && shift 2; fi
    if [ $# -ne 0 ] || [ "$n" -gt "$count" ] || [ "$jobs" -lt 1 ]; then
        say "usage: $0 --local [N <= $count entries] [-j J]"
        exit 2
    fi
    logs=$(mktemp -d)
    trap 'rm -rf "$logs"' EXIT
    failed="" nfailed=0 k=0
    while [ "$k" -lt "$n" ]; do
        # A batch of up to J indices in parallel.
        pids="" first=$k
        while [ "$k" -lt "$n" ] && [ $((k - first)) -lt "$jobs" ]; do
            JOB_COMPLETION_INDEX=$k sh "$0" >"$logs/$k.log" 2>&1 &
            pids="$pids $!"
            k=$((k + 1))
        done
        i=$first
        for pid in $pids; do
            wait "$pid"
            rc=$?
            if [ $rc -eq 0 ]; then
                echo "render: index $i: ok: $(tr '\r' '\n' <"$logs/$i.log" | grep '^render-entrypoint: ' | tail -n 1 | sed 's/^render-entrypoint: //')"
            else
                echo "render: index $i: FAILED (exit $rc):"
                tr '\r' '\n' <"$logs/$i.log" | grep -v '^[[:space:]]*$' | tail -n 5 | sed 's/^/    /'
                failed="$failed $i"
                nfailed=$((nfailed + 1))
            fi
            i=$((i + 1))
        done
    done
    if [ "$nfailed" -gt 0 ]; then
        echo "render: $((n - nfailed)) of $n done; failed indices:$failed"
        exit 1
    fi
    echo "render: $n of $n done"
    exit 0
fi

# ---- one index --------------------------------------------------------------
if [ $# -ne 0 ]; then
    say "usage: $0 [--local [N] [-j J]]"
    exit 2
fi
k=${JOB_COMPLETION_INDEX:-0}
case $k in '' | *[!0-9]*)
    say "error: JOB_COMPLETION_INDEX=$k is not an index"
    exit 2
    ;;
esac
if [ "$k" -ge "$count" ]; then
    say "error: index $k, but $list has $count entries (completions must equal the entries)"
    exit 2
fi
input=$(entries | sed -n "$((k + 1))p")
case $input in /*) ;; *) input=$in_dir/$input ;; esac
stem() { b=${1##*/} && echo "${b%.*}"; }
name=$(stem "$input")
# Two entries with one name would share an output: the second would be skipped.
same=$(entries | while IFS= read -r e; do [ "$(stem "$e")" = "$name" ] && echo x; done | wc -l)
if [ "$same" -ne 1 ]; then
    say "error: $same entries of $list are named $name: each needs its own output name"
    exit 2
fi
out=$out_dir/$name.mp4
partial=$out_dir/.$name.partial.mp4

if [ -s "$out" ]; then
    say "index $k: $out exists, skipped"
    exit 0
fi
if [ ! -f "$input" ] || [ ! -r "$input" ]; then
    say "error: index $k: no input file $input"
    exit 3
fi
if ! mkdir -p "$out_dir"; then
    say "error: cannot create $out_dir"
    exit 1
fi

child=""
cleanup() {
    [ -z "$child" ] || kill "$child" 2>/dev/null
    rm -f "$partial"
}
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT
rm -f "$partial"
say "index $k: $input -> $out ($model $options)"
# $options is split on spaces on purpose: several options in one variable.
# shellcheck disable=SC2086
"$render" "$input" "$partial" --model "$model" $options &
child=$!
wait "$child"
rc=$?
child=""
if [ $rc -ne 0 ] || [ ! -s "$partial" ]; then
    rm -f "$partial"
    echo >&2 # end vknn-render's progress line (\r, no newline) before the error
    # A retry helps unless the input itself does not decode: ask GStreamer
    # alone, without vknn (gst-launch-1.0 from gstreamer1.0-tools).
    if command -v gst-launch-1.0 >/dev/null 2>&1 &&
        ! gst-launch-1.0 -q filesrc location="$input" ! decodebin ! fakesink \
            >/dev/null 2>&1; then
        say "error: index $k: $input does not decode (a corrupt or unsupported file); no output"
        exit 3
    fi
    say "error: index $k: vknn-render failed (exit $rc) on $input; no output"
    exit 1
fi
# On the volume before the name: a node that crashes after the rename must
# not leave a short file under the final name.
sync "$partial" 2>/dev/null || sync
if ! mv -f "$partial" "$out"; then
    rm -f "$partial"
    say "error: index $k: cannot rename $partial to $out"
    exit 1
fi
say "index $k: wrote $out"
