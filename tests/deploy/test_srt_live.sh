#!/bin/sh
# A live stream over SRT on loopback, as deploy/k8s/live-deployment.yaml
# runs one: a sender (caller) pushes H.264 in MPEG-TS with srtsink; the
# receiver (listener on every interface, the pod's URI form) takes it with
# srtsrc, decodes it and runs vkstyletransfer. The receiver stops itself after
# 20 stylised frames (identity eos-after=20) and counts what reached its sink
# (8x8 grey frames, 64 bytes each); both sides are bounded by timeouts, so a
# stream that never arrives fails instead of hanging.
#   test_srt_live.sh BUILD_DIR
# Exit 77 (skipped) when the SRT elements or the H.264 codecs are missing.
set -u
build=$1
tmp=$(mktemp -d)
sender=""
trap '[ -z "$sender" ] || kill "$sender" 2>/dev/null; rm -rf "$tmp"' EXIT
export GST_PLUGIN_PATH="$build/gst-plugins"
frames=20

for e in srtsrc srtsink x264enc avdec_h264 mpegtsmux tsdemux vkstyletransfer; do
    if ! gst-inspect-1.0 "$e" >/dev/null 2>&1; then
        echo "SKIP: GStreamer element $e is missing (srt*: gstreamer1.0-plugins-bad, scripts/deps.sh)"
        exit 77
    fi
done
# A free UDP port (SRT runs over UDP).
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || exit 1

timeout 60 gst-launch-1.0 -q srtsrc uri="srt://:$port?mode=listener" \
    ! tsdemux ! video/x-h264 ! h264parse ! avdec_h264 ! videoconvert \
    ! vkstyletransfer model=builtin:starry_night ! identity eos-after=$frames \
    ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=8,height=8 \
    ! filesink location="$tmp/frames.raw" >"$tmp/receiver.log" 2>&1 &
receiver=$!
sleep 0.5 # the listener binds; the caller also retries for its connect timeout (3 s)
# A live source in real time, unbounded: the receiver decides when it is over.
timeout 60 gst-launch-1.0 -q videotestsrc is-live=true pattern=ball \
    ! video/x-raw,width=64,height=48,framerate=30/1 \
    ! x264enc tune=zerolatency key-int-max=10 ! mpegtsmux \
    ! srtsink uri="srt://127.0.0.1:$port?mode=caller" >"$tmp/sender.log" 2>&1 &
sender=$!
wait $receiver
rc=$?
kill "$sender" 2>/dev/null
wait "$sender" 2>/dev/null
sender=""
n=$(($(wc -c <"$tmp/frames.raw" 2>/dev/null || echo 0) / 64))
echo "receiver exit $rc, $n stylised frames through srtsink -> srtsrc on port $port"
fails=0
if [ $rc -eq 0 ]; then echo "ok: the receiver ended by itself (EOS after $frames frames)"; else
    echo "FAIL: the receiver exited $rc (124: no stream within 60 s)"
    sed 's/^/    /' "$tmp/receiver.log" "$tmp/sender.log" | tail -n 20
    fails=1
fi
if [ "$n" -eq $frames ]; then echo "ok: $frames frames came out of vkstyletransfer"; else
    echo "FAIL: $n frames came out of vkstyletransfer, not $frames"
    fails=1
fi
exit $fails
