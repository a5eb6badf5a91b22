#!/bin/sh
# deploy/render-entrypoint.sh, the Indexed Job's entrypoint, run locally
# (--local) on three tiny clips and a corrupt one, with frames counted by
# GStreamer alone (decodebin into 8x8 grey frames, 64 bytes each), not by
# vknn-render. Then, with a stand-in for vknn-render, what a retried or
# pre-empted pod must never leave behind: a failed render and a SIGTERM
# leave neither a .partial file nor an output.
#   test_render_entrypoint.sh SOURCE_DIR BUILD_DIR
set -u
src=$1 build=$2
entry=$src/deploy/render-entrypoint.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GST_PLUGIN_PATH="$build/gst-plugins"
export VKNN_LIST="$tmp/list.txt" VKNN_INPUT_DIR="$tmp/in" VKNN_OUTPUT_DIR="$tmp/out"
export VKNN_MODEL=builtin:starry_night VKNN_RENDER_OPTIONS="--scale 0.5"
export VKNN_RENDER="$build/pipelines/vknn-render"
fails=0

check() { # DESCRIPTION CONDITION...
    desc=$1
    shift
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

frames() { # FILE: its decoded video frames, -1 if it does not decode
    gst-launch-1.0 -q filesrc location="$1" ! decodebin ! videoconvert ! videoscale \
        ! video/x-raw,format=GRAY8,width=8,height=8 ! filesink location="$tmp/count.raw" \
        >/dev/null 2>&1 || { echo -1; return; }
    echo $(($(wc -c <"$tmp/count.raw") / 64))
}

no_partials() { [ -z "$(find "$tmp/out" -name '*partial*' 2>/dev/null)" ]; }

mkdir "$tmp/in"
for name in ball snow smpte; do
    gst-launch-1.0 -q videotestsrc pattern=$name num-buffers=10 \
        ! video/x-raw,width=64,height=48,framerate=10/1 \
        ! videoconvert ! video/x-raw,format=I420 ! x264enc ! matroskamux \
        ! filesink location="$tmp/in/$name.mkv" || exit 1
done
# A Matroska header followed by garbage (the same every run): typefinding
# accepts it, the demuxer does not.
python3 -c 'import random, sys; random.seed(18); sys.stdout.buffer.write(open(sys.argv[1], "rb").read(300) + bytes(random.randrange(256) for _ in range(5000)))' \
    "$tmp/in/ball.mkv" >"$tmp/in/corrupt.mkv" || exit 1
# The corrupt one among the good ones, a comment and a blank line (not entries).
printf '# index: file\nball.mkv\ncorrupt.mkv\n\nsnow.mkv\n%s\n' "$tmp/in/smpte.mkv" >"$VKNN_LIST"

# ---- the batch, two at a time ------------------------------------------------
timeout 100 sh "$entry" --local -j 2 >"$tmp/log" 2>&1
rc=$?
sed 's/^/    /' "$tmp/log"
check "--local exits 1: one index failed" [ $rc -eq 1 ]
for name in ball snow smpte; do
    n=$(frames "$tmp/out/$name.mp4")
    check "$name.mp4 has the 10 frames of its input (decoded: $n)" [ "$n" -eq 10 ]
done
check "corrupt.mkv: index 1 fails alone, with exit 3 (the input, not worth a retry)" \
    grep -qx 'render: index 1: FAILED (exit 3):' "$tmp/log"
check "the summary names index 1 alone" \
    grep -qx 'render: 3 of 4 done; failed indices: 1' "$tmp/log"
check "no output for the corrupt input" [ ! -e "$tmp/out/corrupt.mp4" ]
check "no .partial file left" no_partials

# ---- one index as a pod runs it --------------------------------------------------
JOB_COMPLETION_INDEX=1 timeout 60 sh "$entry" >/dev/null 2>&1
check "the corrupt index alone exits 3" [ $? -eq 3 ]
JOB_COMPLETION_INDEX=4 timeout 60 sh "$entry" >/dev/null 2>&1
check "an index past the list exits 2 (configuration)" [ $? -eq 2 ]

# ---- a rerun (a retried Job, or the same batch again) skips what exists -----------
before=$(ls -l --time-style=+%s.%N "$tmp/out")
timeout 60 sh "$entry" --local 3 >"$tmp/log2" 2>&1
rc=$?
check "a rerun of indices 0..2 exits 1 (index 1 still corrupt)" [ $rc -eq 1 ]
check "the rerun skips the outputs that exist" \
    [ "$(grep -c 'exists, skipped$' "$tmp/log2")" -eq 2 ]
check "and leaves them untouched" [ "$(ls -l --time-style=+%s.%N "$tmp/out")" = "$before" ]

# ---- a failed render and a pre-empted pod, with a stand-in for vknn-render --------
# It writes half a file to its output, then fails or waits to be killed.
cat >"$tmp/fake-render" <<'EOF'
#!/bin/sh
echo half >"$2"
[ "${FAKE_RENDER:-}" = fail ] && exit 1
exec sleep 30
EOF
chmod +x "$tmp/fake-render"
rm -f "$tmp/out/ball.mp4"
FAKE_RENDER=fail VKNN_RENDER=$tmp/fake-render JOB_COMPLETION_INDEX=0 timeout 60 sh "$entry" >/dev/null 2>&1
rc=$?
check "a render that fails on a good input exits 1 (worth a retry)" [ $rc -eq 1 ]
check "and leaves no output" [ ! -e "$tmp/out/ball.mp4" ]
check "and no .partial file" no_partials
VKNN_RENDER=$tmp/fake-render JOB_COMPLETION_INDEX=0 sh "$entry" >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e "$tmp/out/.ball.partial.mp4" ] && [ $i -lt 100 ]; do sleep 0.1 && i=$((i + 1)); done
check "while rendering, the output has its .partial name" [ -e "$tmp/out/.ball.partial.mp4" ]
check "and not yet its final name" [ ! -e "$tmp/out/ball.mp4" ]
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM (a pre-empted pod) exits 143" [ $rc -eq 143 ]
check "and removes the .partial file" no_partials
check "no output under the final name" [ ! -e "$tmp/out/ball.mp4" ]
[ $fails -eq 0 ]
