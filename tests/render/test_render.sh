#!/bin/sh
# The render scripts end to end, with frames counted by GStreamer alone
# (decodebin into 8x8 grey frames, 64 bytes each), independent of vknn-render.
#   test_render.sh clip SOURCE_DIR BUILD_DIR
#     `./scripts/render.sh` as the README runs it, with no arguments, in a
#     copy of the checkout's scripts/, pipelines/ and media/ that has no
#     ../shared beside it: it renders the committed clip into
#     out/stylized.mp4, every frame, says where the output went and how to
#     watch it.
#   test_render.sh frames SOURCE_DIR BUILD_DIR
#     pipelines/render.sh on a clip whose stated duration and frame rate
#     promise more frames than it holds: every frame is rendered and the
#     progress line ends at N/N (it ended at 30/60 when its total stayed the
#     duration x the frame rate; intel_book.mkv's 109/110); a file with no
#     video is an error that says so.
#   test_render.sh style_image SOURCE_DIR BUILD_DIR
#     ./scripts/render.sh IN OUT --style-image A,B --style-weights: every
#     frame, with two committed painting thumbnails blended as the style; a
#     missing painting in the list stops it with an error naming the file.
set -u
mode=$1 src=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VKNN_BUILD_DIR=$build
fails=0

check() { # DESCRIPTION CONDITION...
    desc=$1
    shift
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

frames() { # FILE: its decoded video frames
    gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! videoscale \
        ! video/x-raw,format=GRAY8,width=8,height=8 ! filesink location="$tmp/count.raw" \
        >/dev/null 2>&1 || { echo -1; return; }
    echo $(($(wc -c <"$tmp/count.raw") / 64))
}

last_progress() { # LOG: the last "render: frame N/M" of the progress line
    tr '\r' '\n' <"$1" | grep -o 'render: frame [0-9]*/[0-9]*' | tail -n 1
}

check_every_frame() { # IN OUT LOG: OUT holds every frame of IN, the progress says N/N
    n_in=$(frames "$1")
    n_out=$(frames "$2")
    echo "    frames: $n_in in $1, $n_out in $2"
    check "the input decodes" [ "$n_in" -gt 0 ]
    check "the output has every frame of the input" [ "$n_out" -eq "$n_in" ]
    check "the progress line ends at frame $n_in/$n_in" \
        [ "$(last_progress "$3")" = "render: frame $n_in/$n_in" ]
}

make_clip() { # FRAMES OUT: a ball clip of FRAMES frames, 128x96, H.264 in Matroska
    gst-launch-1.0 -q videotestsrc pattern=ball num-buffers="$1" \
        ! video/x-raw,width=128,height=96,framerate=15/1 ! capssetter caps=video/x-raw,framerate=30/1 \
        ! videoconvert ! video/x-raw,format=I420 ! x264enc ! matroskamux \
        ! filesink location="$2"
}

case $mode in
clip)
    mkdir "$tmp/vknn"
    cp -R "$src/scripts" "$src/pipelines" "$src/media" "$tmp/vknn/"
    clip=$tmp/vknn/media/intel_one-by-one-person.mp4
    [ ! -e "$tmp/shared" ] || exit 1
    (cd "$tmp/vknn" && ./scripts/render.sh) >"$tmp/log" 2>&1
    rc=$?
    tr '\r' '\n' <"$tmp/log" | tail -n 4 | sed 's/^/    /'
    check "./scripts/render.sh exits 0" [ $rc -eq 0 ]
    check_every_frame "$clip" "$tmp/vknn/out/stylized.mp4" "$tmp/log"
    check "it says where the output went" \
        grep -q "^render: the stylised video is $tmp/vknn/out/stylized.mp4\$" "$tmp/log"
    check "it says how to watch it" grep -q "^render: watch it: " "$tmp/log"
    ;;
frames)
    # 30 frames 66 ms apart in a clip that states 30 fps: 2 s at 30 fps, 60
    # frame times (as a phone's variable-rate clip, or intel_book.mkv, whose
    # 3.666 s at 30 fps hold 109 frames, not 110).
    make_clip 30 "$tmp/in.mkv" || exit 1
    "$src/pipelines/render.sh" "$tmp/in.mkv" "$tmp/out.mp4" --scale 0.5 >"$tmp/log" 2>&1
    rc=$?
    tr '\r' '\n' <"$tmp/log" | tail -n 2 | sed 's/^/    /'
    check "pipelines/render.sh exits 0" [ $rc -eq 0 ]
    check "the input has 30 frames" [ "$(frames "$tmp/in.mkv")" -eq 30 ]
    check_every_frame "$tmp/in.mkv" "$tmp/out.mp4" "$tmp/log"
    # A file without video: an error that says so, at once (it waited forever).
    gst-launch-1.0 -q audiotestsrc num-buffers=20 ! audioconvert ! vorbisenc ! matroskamux \
        ! filesink location="$tmp/audio.mkv" || exit 1
    start=$(date +%s)
    timeout 25 "$src/pipelines/render.sh" "$tmp/audio.mkv" "$tmp/audio.mp4" >"$tmp/log" 2>&1
    rc=$?
    tr '\r' '\n' <"$tmp/log" | tail -n 1 | sed 's/^/    /'
    check "audio only: exit 1 after $(($(date +%s) - start)) s (timeout: 124)" [ $rc -eq 1 ]
    check "the error says there is no video" grep -q "has no video stream" "$tmp/log"
    ;;
style_image)
    make_clip 8 "$tmp/in.mkv" || exit 1
    paintings=$src/docs/images/paintings
    "$src/scripts/render.sh" "$tmp/in.mkv" "$tmp/out.mp4" \
        --style-image "$paintings/wave.jpg,$paintings/scream.jpg" --style-weights 0.3,0.7 \
        >"$tmp/log" 2>&1
    rc=$?
    tr '\r' '\n' <"$tmp/log" | tail -n 3 | sed 's/^/    /'
    check "scripts/render.sh --style-image A,B --style-weights 0.3,0.7 exits 0" [ $rc -eq 0 ]
    check_every_frame "$tmp/in.mkv" "$tmp/out.mp4" "$tmp/log"
    "$src/scripts/render.sh" "$tmp/in.mkv" "$tmp/out2.mp4" \
        --style-image "$paintings/wave.jpg,$tmp/none.jpg" >"$tmp/log" 2>&1
    rc=$?
    sed 's/^/    /' "$tmp/log" | tail -n 2
    check "a missing style image in the list: exit $rc, not 0" [ $rc -ne 0 ]
    check "the error names it" grep -q "$tmp/none.jpg" "$tmp/log"
    ;;
*)
    echo "usage: $0 clip|frames|style_image SOURCE_DIR BUILD_DIR" >&2
    exit 2
    ;;
esac
[ $fails -eq 0 ]
