#!/bin/sh
# Live streams over SRT on loopback, bounded by timeouts so that a stream that
# never arrives fails instead of hanging. Frames are counted where they
# arrive (8x8 grey frames, 64 bytes each).
#   test_srt_live.sh loopback BUILD_DIR
#     a sender (caller) pushes H.264 in MPEG-TS with srtsink; the receiver
#     (listener on every interface, the pod's URI form) takes it with srtsrc,
#     decodes it and runs vkstyletransfer, and stops after 20 stylised frames
#     (identity eos-after).
#   test_srt_live.sh manifest BUILD_DIR SOURCE_DIR
#     the pipeline of deploy/k8s/live-deployment.yaml itself, its ports
#     replaced by free ones, end to end: a sender pushes 320x240 into its
#     ingest, a viewer pulls from its egress and stops after 10 frames, which
#     must be H.264 at the pipeline's 640x480 (skips without python3-yaml).
# Exit 77 (skipped) when the SRT elements or the H.264 codecs are missing.
set -u
mode=$1 build=$2 src=${3:-}
tmp=$(mktemp -d)
pids=""
cleanup() { for pid in $pids; do kill "$pid" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
export GST_PLUGIN_PATH="$build/gst-plugins"

for e in srtsrc srtsink x264enc avdec_h264 mpegtsmux tsdemux vkstyletransfer; do
    if ! gst-inspect-1.0 "$e" >/dev/null 2>&1; then
        echo "SKIP: GStreamer element $e is missing (srt*: gstreamer1.0-plugins-bad, scripts/deps.sh)"
        exit 77
    fi
done
free_port() { # a free UDP port (SRT runs over UDP)
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
count_sink="videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=8,height=8 ! filesink location=$tmp/frames.raw"
sender() { # PORT WxH: a live test source in real time, unbounded, into srt://127.0.0.1:PORT
    timeout 60 gst-launch-1.0 -q videotestsrc is-live=true pattern=ball \
        ! "video/x-raw,width=${2%x*},height=${2#*x},framerate=30/1" \
        ! x264enc tune=zerolatency key-int-max=10 speed-preset=ultrafast ! mpegtsmux \
        ! srtsink uri="srt://127.0.0.1:$1?mode=caller" >"$tmp/sender.log" 2>&1 &
    pids="$pids $!"
}

case $mode in
loopback)
    frames=20
    port=$(free_port) || exit 1
    # shellcheck disable=SC2086 # $count_sink: several words of the pipeline
    timeout 60 gst-launch-1.0 -q srtsrc uri="srt://:$port?mode=listener" \
        ! tsdemux ! video/x-h264 ! h264parse ! avdec_h264 ! videoconvert \
        ! vkstyletransfer model=builtin:starry_night ! identity eos-after=$frames \
        ! $count_sink >"$tmp/receiver.log" 2>&1 &
    receiver=$!
    sleep 0.5 # the listener binds; the caller also retries for its connect timeout (3 s)
    sender "$port" 64x48
    what="stylised frames through srtsink -> srtsrc -> vkstyletransfer on port $port"
    ;;
manifest)
    frames=10
    if ! python3 -c 'import yaml' 2>/dev/null; then
        echo "SKIP: python3-yaml is not installed"
        exit 77
    fi
    in_port=$(free_port) && out_port=$(free_port) || exit 1
    # The Deployment's command and args, the ports of its SRT URIs replaced.
    python3 - "$src/deploy/k8s/live-deployment.yaml" "$in_port" "$out_port" >"$tmp/pod.cmd" <<'PY' || exit 1
import re, shlex, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
(c,) = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"]
ports = {"7001": sys.argv[2], "7002": sys.argv[3]}
words = [re.sub(r"(srt://[^:]*:)(\d+)", lambda m: m.group(1) + ports[m.group(2)], w)
         for w in c["command"] + c["args"]]
print(" ".join(shlex.quote(w) for w in words))
PY
    echo "the pod's pipeline: $(cat "$tmp/pod.cmd")"
    # exec: $! is then timeout itself, which passes the cleanup's SIGTERM on.
    eval "exec timeout 60 $(cat "$tmp/pod.cmd")" >"$tmp/pod.log" 2>&1 &
    pids="$pids $!"
    sleep 0.5
    # The viewer connects before the first frame, so it gets the first keyframe.
    # shellcheck disable=SC2086
    timeout 60 gst-launch-1.0 -q srtsrc uri="srt://127.0.0.1:$out_port?mode=caller" \
        ! tsdemux ! video/x-h264 ! h264parse ! avdec_h264 \
        ! video/x-raw,width=640,height=480 ! identity eos-after=$frames \
        ! $count_sink >"$tmp/receiver.log" 2>&1 &
    receiver=$!
    sleep 1
    sender "$in_port" 320x240
    what="640x480 frames from the Deployment's pipeline (in :$in_port, out :$out_port)"
    ;;
*)
    echo "usage: $0 loopback BUILD_DIR | manifest BUILD_DIR SOURCE_DIR" >&2
    exit 2
    ;;
esac

wait $receiver
rc=$?
n=$(($(wc -c <"$tmp/frames.raw" 2>/dev/null || echo 0) / 64))
echo "receiver exit $rc, $n $what"
fails=0
if [ $rc -eq 0 ]; then echo "ok: the receiver ended by itself (EOS after $frames frames)"; else
    echo "FAIL: the receiver exited $rc (124: not enough frames within 60 s)"
    for log in "$tmp"/*.log; do echo "  $log:" && tail -n 8 "$log" | sed 's/^/    /'; done
    fails=1
fi
if [ "$n" -eq $frames ]; then echo "ok: $frames frames arrived"; else
    echo "FAIL: $n frames arrived, not $frames"
    fails=1
fi
exit $fails
