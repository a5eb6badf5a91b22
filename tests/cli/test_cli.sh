#!/bin/sh
# The vknn CLI: errors are one line on stderr ("vknn: error: ...") and exit 1,
# or 2 for a wrong command line (a bad option value too); each command takes only its own options;
# info and devices print what the documentation promises.
#   test_cli.sh VKNN SHARED_DIR
set -u
vknn=$1 shared=${VKNN_SHARED:-$2} # VKNN_SHARED overrides, as in the C tests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0

check() { # DESCRIPTION CONDITION...
    desc=$1
    shift
    checks=$((checks + 1))
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

error_line() { # STATUS ARGS...: exit STATUS and exactly one "vknn: error:" line on stderr
    want=$1
    shift
    "$vknn" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq "$want" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -q '^vknn: error: ' "$tmp/err" && sed 's/^/    /' "$tmp/err"
}
one_line_error() { error_line 1 "$@"; } # the command ran and failed

refused_lean() { # PATTERN ARGS...: one error line matching PATTERN, exit 1, under 200 MB
    pattern=$1
    shift
    measured "$vknn" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    peak=$(cat "$tmp/peak_mb")
    sed 's/^/    /' "$tmp/err" | head -3
    echo "    exit $rc, peak $peak MB"
    [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qE "$pattern" "$tmp/err" &&
        [ "$peak" -lt 200 ]
}
usage_error() { error_line 2 "$@"; }    # the command line is wrong
usage_error_naming() { # TEXT ARGS...: a usage error whose line holds TEXT
    text=$1
    shift
    usage_error "$@" && grep -qF -- "$text" "$tmp/err"
}

refuses_output() { # ARGS... (writing $tmp/s.xyz): a usage error, and no file
    usage_error "$@" && grep -q "cannot write .*s.xyz" "$tmp/err" && [ ! -e "$tmp/s.xyz" ]
}

rejects_option() { # COMMAND OPTION [ARGS...]: a usage error naming the command and the option
    usage_error "$@" && grep -qF "$1: unknown option $2" "$tmp/err"
}

help_lists() { # COMMAND OPTION...: COMMAND --help lists these long options and no others
    cmd=$1
    shift
    "$vknn" "$cmd" --help >"$tmp/help" || return 1
    listed=$(sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z0-9-]+).*/\2/p' "$tmp/help" | grep -vx -- --help |
        sort | tr '\n' ' ')
    wanted=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$listed" = "$wanted" ] && return 0
    printf '    listed: %s\n    wanted: %s\n' "$listed" "$wanted"
    return 1
}

# Huge images, made on the fly. python3 comes with meson, which
# scripts/deps.sh installs; zlib is in its standard library. Debian's
# first: a version manager's shim can take 0.6 s to start.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
cat >"$tmp/png.py" <<'EOF'
"""png.py OUT W H [truncated]: a PNG of one colour, or only its header."""
import struct, sys, zlib

def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

def pixels(w, h, rows=50):
    # Every row alike: a fully flushed deflate segment of `rows` rows starts
    # afresh, so repeating it makes the stream without compressing GBs.
    row = b'\0' + b'\x80\x40\x20' * w
    seg = zlib.compressobj(9, zlib.DEFLATED, -15)
    seg = seg.compress(row * rows) + seg.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail.compress(row * (h % rows)) + tail.flush()
    adler = 1
    for _ in range(h):
        adler = zlib.adler32(row, adler)
    return b'\x78\xda' + seg * (h // rows) + tail + struct.pack('>I', adler)

out, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = zlib.compress(b'\0' * 8) if len(sys.argv) > 4 else pixels(w, h)
with open(out, 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)))
    f.write(chunk(b'IDAT', data) + chunk(b'IEND', b''))
EOF
# measured ARGS...: runs ARGS (for at most 120 s) and writes its peak resident
# memory in MB to $tmp/peak_mb: /usr/bin/time is not among the deps.
cat >"$tmp/measured.py" <<'EOF'
import resource, subprocess, sys
try:
    rc = subprocess.run(sys.argv[2:], timeout=120).returncode
except subprocess.TimeoutExpired:
    rc = 124
with open(sys.argv[1], 'w') as f:
    f.write('%d\n' % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
sys.exit(rc)
EOF
measured() { "$py" "$tmp/measured.py" "$tmp/peak_mb" "$@"; }

printf 'junk' >"$tmp/junk.onnx"
check "unknown command" usage_error frobnicate
commands='^  (devices|info|stylize|bench|explain|train|visualize|split) '
check "no command: the commands on stdout, exit 2" sh -c \
    "'$vknn' >'$tmp/out'; [ \$? -eq 2 ] && [ \$(grep -cE '$commands' '$tmp/out') -eq 8 ]"
check "vknn --help lists the eight commands" sh -c \
    "'$vknn' --help | grep -cE '$commands' | grep -qx 8"
check "bench rejects train's --style, naming bench" rejects_option bench --style x
check "stylize rejects bench's --runs" rejects_option stylize --runs 3 "$tmp/junk.onnx" a b
check "info takes no --device (it opens none)" rejects_option info --device 0
check "devices --help: only --device" help_lists devices --device
check "info --help: only --size" help_lists info --size
check "stylize --help: only its options" help_lists stylize --size --save-input --save-output \
    --network-size --preserve-colors --style-image --style-weights --decoder --encoder --layer \
    --transform --alpha --style-size --no-palette --save-network --precision --device --validate
check "bench --help: only its options" help_lists bench --size --runs --backward --precision \
    --profile --device --validate
check "explain --help: only its options" help_lists explain --method --class --layer --labels \
    --size --mean --std --colormap --alpha --samples --patch --stride --save-map --device --validate
check "train --help: only its options" help_lists train --style --content --loss-net --out \
    --steps --size --batch --channels --style-size --lr --style-weight --content-weight \
    --tv-weight --stability-weight --stability-noise --style-layers --content-layer --seed \
    --checkpoint --checkpoint-every --preview-every --resume --init --profile --device --validate
check "missing model file" one_line_error info "$tmp/nothing.onnx"
check "a model that is not ONNX" one_line_error info "$tmp/junk.onnx"
check "bad --size is a usage error" usage_error bench "$tmp/junk.onnx" --size 640by480
check "--size over 16384 a side is a usage error" usage_error info "$tmp/junk.onnx" \
    --size 16385x16
check "unknown --precision is a usage error, before the image is read" usage_error stylize \
    "$tmp/junk.onnx" "$tmp/none.png" "$tmp/o.png" --precision fp8
check "missing image" one_line_error stylize "$tmp/junk.onnx" "$tmp/none.png" "$tmp/o.png"
check "no device matches the selector" one_line_error devices --device no-such-gpu-anywhere
check "devices marks the chosen device" sh -c "'$vknn' devices | grep -q '^\* 0:'"

model=$shared/models/style/small/candy_nc8.onnx
if [ -f "$model" ]; then
    # ASSETS.md: TransformerNet c=8 has 108,771 parameters.
    check "info counts candy_nc8's parameters (108771, per ASSETS.md)" \
        sh -c "'$vknn' info '$model' --size 128x96 | grep -q '^parameters: 108771 '"
    check "info shows the output shape at --size" \
        sh -c "'$vknn' info '$model' --size 76x100 | grep -qE '^  output +1x3x100x76'"
    check "stylize on a model that is not a style model fails in one line" \
        one_line_error stylize "$shared/models/classify/squeezenet1_1.onnx" \
        "$shared/media/photos/skimage_chelsea.png" "$tmp/o.png"
    # The extension names the format: PNG bytes went into a .jpg, and .xyz.
    photo=$shared/media/photos/skimage_chelsea.png
    check "stylize writes JPEG into OUT.JPG" sh -c \
        "'$vknn' stylize '$model' '$photo' '$tmp/s.JPG' --size 64x48 >/dev/null &&
         [ \"\$(od -An -tx1 -N3 '$tmp/s.JPG' | tr -d ' ')\" = ffd8ff ]"
    check "stylize: an extension vknn cannot write is a usage error, before the run" \
        refuses_output stylize "$model" "$photo" "$tmp/s.xyz" --size 64x48
    # EXIF orientation 6 (turn 90 degrees clockwise) added to that JPEG: the
    # net, prepared at the header's 64x48, is prepared again at 48x64.
    "$py" - "$tmp/s.JPG" "$tmp/turned.jpg" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
tiff = b'MM\x00\x2a' + struct.pack('>IHHHIHHI', 8, 1, 0x0112, 3, 1, 6, 0, 0)
app1 = b'Exif\x00\x00' + tiff
open(sys.argv[2], 'wb').write(d[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + d[2:])
EOF
    check "stylize turns an EXIF-rotated JPEG upright and styles it at that size" sh -c \
        "'$vknn' stylize '$model' '$tmp/turned.jpg' '$tmp/turned.png' |
         grep -q ': 48x64 -> .* 48x64 on'"
else
    echo "SKIP: $model is absent"
fi

sq=$shared/models/classify/squeezenet1_1.onnx
cat=$shared/media/photos/skimage_chelsea.png
check "explain: unknown method is a usage error" usage_error explain "$tmp/junk.onnx" "$tmp/none.png" \
    "$tmp/o.png" --method frobnicate
# These ran to exit 0 on a real classifier and photo, explaining NaNs or the
# top-1 class without a word; the values are refused before a file is read.
for bad in "--std 0,0,0" "--std 0.2,-1,0.2" "--mean nan,0,0" "--class -7" "--alpha nan"; do
    # shellcheck disable=SC2086 # $bad is an option and its value
    check "explain: $bad is a usage error" usage_error explain "$sq" "$cat" "$tmp/o.png" $bad
done
if [ -f "$sq" ] && [ -f "$cat" ]; then
    check "explain: a style model is not a classifier" one_line_error explain \
        "$shared/models/style/small/candy_nc8.onnx" "$cat" "$tmp/o.png" --method gradient
    check "explain: unknown Grad-CAM layer" one_line_error explain "$sq" "$cat" "$tmp/o.png" \
        --layer no-such-layer
    check "explain: class out of range" one_line_error explain "$sq" "$cat" "$tmp/o.png" \
        --class 5000
    # golden/README.md: SqueezeNet's top-1 for this photo is 285, Egyptian cat.
    check "explain names Egyptian cat and writes a 224x224 PNG" sh -c \
        "'$vknn' explain '$sq' '$cat' '$tmp/cam.png' \
            --labels '$shared/models/classify/imagenet_classes.txt' >'$tmp/out' &&
         grep -q '^gradcam: class 285 Egyptian cat' '$tmp/out' &&
         [ \"\$(od -An -tu1 -j16 -N8 '$tmp/cam.png' | tr -s ' ')\" = ' 0 0 0 224 0 0 0 224' ]"
    check "explain: an extension vknn cannot write is a usage error, before the run" \
        refuses_output explain "$sq" "$cat" "$tmp/s.xyz"
else
    echo "SKIP: $sq is absent"
fi
# A 20000x20000 PNG of 1.2 MB took 6 GB and 30-100 s to fail (stylize) or
# to explain; 68 bytes claiming as much, 1.2 GB. The header is read first.
"$py" "$tmp/png.py" "$tmp/huge.png" 20000 20000
"$py" "$tmp/png.py" "$tmp/huge_header.png" 20000 20000 truncated
"$py" "$tmp/png.py" "$tmp/truncated.png" 11000 11000 truncated
# vknn visualize METHOD: a method, class or layer that is not there is a
# mistake on the command line (exit 2), named in the one error line.
check "visualize: no method is a usage error" usage_error visualize
check "visualize: unknown method is a usage error" usage_error visualize frobnicate
check "visualize --help lists the ten methods" sh -c \
    "'$vknn' visualize --help | grep -cE '^  (filters|class|adversarial|dream|invert|texture|gatys|neighbours|embed|patches) ' | grep -qx 10"
check "visualize class: --class is required" usage_error visualize class "$tmp/junk.onnx" \
    "$tmp/o.png"
check "visualize class: --class -1 is a usage error" usage_error visualize class \
    "$tmp/junk.onnx" "$tmp/o.png" --class -1
check "visualize adversarial: --epsilon x is a usage error" usage_error visualize adversarial \
    "$tmp/junk.onnx" "$cat" "$tmp/o.png" --epsilon x
check "visualize dream: --layer is required" usage_error visualize dream "$tmp/junk.onnx" \
    "$cat" "$tmp/o.png"
check "visualize invert: --layer is required" usage_error visualize invert "$tmp/junk.onnx" \
    "$cat" "$tmp/o.png"
check "visualize gatys: --init x is a usage error" usage_error visualize gatys "$tmp/junk.onnx" \
    "$cat" "$cat" "$tmp/o.png" --init x
check "visualize texture: --lr 0 is a usage error" usage_error visualize texture "$tmp/junk.onnx" \
    "$cat" "$tmp/o.png" --lr 0
check "visualize class rejects dream's --octaves, naming the method" sh -c \
    "'$vknn' visualize class --octaves 3 2>&1 | grep -q 'visualize class: unknown option --octaves'"
if [ -f "$sq" ] && [ -f "$cat" ]; then
    check "visualize class: class 1000 of SqueezeNet's 0..999 is a usage error" \
        usage_error_naming "0..999" visualize class "$sq" "$tmp/o.png" --class 1000
    check "visualize dream: a layer SqueezeNet lacks is a usage error naming it" \
        usage_error_naming "'no-such-layer'" visualize dream "$sq" "$cat" "$tmp/o.png" \
        --layer no-such-layer
    check "visualize filters: a layer SqueezeNet lacks is a usage error naming it" \
        usage_error_naming "'nope'" visualize filters "$sq" "$tmp/o.png" --layer nope
    check "visualize invert: a layer SqueezeNet lacks is a usage error naming it" \
        usage_error_naming "'nope'" visualize invert "$sq" "$cat" "$tmp/o.png" \
        --layer /features/features.1/Relu_output_0,nope --size 32x32 -n 1
    check "visualize texture: a style layer SqueezeNet lacks is a usage error naming it" \
        usage_error_naming "'nope'" visualize texture "$sq" "$cat" "$tmp/o.png" \
        --style-layers nope --size 32x32 -n 1
    check "visualize invert: photo and 2 layers side by side, 2 x 32 + 4 wide" sh -c \
        "'$vknn' visualize invert '$sq' '$cat' '$tmp/inv.png' --size 32x32 -n 3 \
            --layer /features/features.1/Relu_output_0,/features/features.4/Concat_output_0 \
            2>/dev/null | grep -q '2 reconstructions' &&
         [ \"\$(od -An -tu1 -j16 -N8 '$tmp/inv.png' | tr -s ' ')\" = ' 0 0 0 104 0 0 0 32' ]"
    check "visualize class: a style model is not a classifier" one_line_error visualize class \
        "$shared/models/style/small/candy_nc8.onnx" "$tmp/o.png" --class 1
    check "visualize filters: SqueezeNet's 64 3x3 kernels as a 210x210 PNG" sh -c \
        "'$vknn' visualize filters '$sq' '$tmp/f.png' | grep -q ': 64 filters 3x3, per-filter' &&
         [ \"\$(od -An -tu1 -j16 -N8 '$tmp/f.png' | tr -s ' ')\" = ' 0 0 0 210 0 0 0 210' ]"
    check "visualize adversarial: FGSM 2/255 flips Egyptian cat, L-inf 2/255" sh -c \
        "'$vknn' visualize adversarial '$sq' '$cat' '$tmp/adv.png' --perturbation '$tmp/p.png' \
            >'$tmp/out' 2>/dev/null && grep -q '^clean: 285 ' '$tmp/out' &&
         ! grep -q '^adversarial: 285 ' '$tmp/out' && grep -q '^L-inf .* = 2.00/255' '$tmp/out' &&
         [ -s '$tmp/p.png' ]"
else
    echo "SKIP: $sq is absent"
fi

# vknn visualize neighbours|embed|patches (vknn/features.h) over folders
check "visualize neighbours: --query is required" usage_error visualize neighbours \
    "$tmp/junk.onnx" "$tmp" "$tmp/o.png"
check "visualize embed: unknown --method is a usage error" usage_error visualize embed \
    "$tmp/junk.onnx" "$tmp" "$tmp/o.png" --method umap
check "visualize patches: --layer and --channels are required" usage_error visualize patches \
    "$tmp/junk.onnx" "$tmp" "$tmp/o.png" --channels 1
check "visualize patches: --channels x is a usage error" usage_error visualize patches \
    "$tmp/junk.onnx" "$tmp" "$tmp/o.png" --layer l --channels 1,x
if [ -f "$sq" ] && [ -f "$cat" ]; then
    mkdir -p "$tmp/set" "$tmp/badset"
    for f in skimage_chelsea.png skimage_coffee.png coral_owl.jpg; do
        ln -s "$shared/media/photos/$f" "$tmp/set/$f"
    done
    cp "$cat" "$tmp/badset/a.png"
    printf 'junk' >"$tmp/badset/b.png"
    check "visualize neighbours: the cat's nearest is itself at 0.00; #1 is left out of its own" sh -c \
        "'$vknn' visualize neighbours '$sq' '$tmp/set' '$tmp/nb.png' --query '$cat' --k 3 \
            >'$tmp/out' 2>'$tmp/err' && grep -q '^skimage_chelsea.png: skimage_chelsea.png (0.00), ' \
            '$tmp/out' && grep -q '^features: 3/3 images' '$tmp/err' && [ -s '$tmp/nb.png' ] &&
         '$vknn' visualize neighbours '$sq' '$tmp/set' '$tmp/nb.png' --query '#1' --k 2 \
            2>/dev/null | grep -qE '^#1 skimage_chelsea.png: (coral_owl|skimage_coffee).(png|jpg) \\([0-9.]+\\), [a-z_]+'"
    check "visualize neighbours: an unreadable image in the folder is named" sh -c \
        "'$vknn' visualize neighbours '$sq' '$tmp/badset' '$tmp/o.png' --query '$cat' \
            2>&1 >/dev/null | grep -q 'badset/b.png'"
    check "visualize embed: PCA of 3 images as a 300x300 PNG" sh -c \
        "'$vknn' visualize embed '$sq' '$tmp/set' '$tmp/e.png' --method pca --canvas 300 \
            2>/dev/null | grep -q '^PCA of 3 points' &&
         [ \"\$(od -An -tu1 -j16 -N8 '$tmp/e.png' | tr -s ' ')\" = ' 0 0 1 44 0 0 1 44' ]"
    check "visualize patches: a layer SqueezeNet lacks is a usage error naming it" \
        usage_error_naming "'nope'" visualize patches "$sq" "$tmp/set" "$tmp/o.png" --layer nope \
        --channels 1
    check "visualize patches: fire3's 23x23 field, top 2 of 2 channels" sh -c \
        "'$vknn' visualize patches '$sq' '$tmp/set' '$tmp/p.png' --top 2 --channels 3,7 \
            --layer /features/features.4/Concat_output_0 2>/dev/null >'$tmp/out' &&
         grep -q 'receptive field 23x23 pixels, jump 4x4' '$tmp/out' &&
         grep -q '^channel 7: ' '$tmp/out' && [ -s '$tmp/p.png' ]"
    check "visualize patches: --per-source 1 keeps one patch a row from one folder" sh -c \
        "[ \$('$vknn' visualize patches '$sq' '$tmp/set' '$tmp/p.png' --top 3 --channels 3 \
            --per-source 1 --layer /features/features.4/Concat_output_0 2>/dev/null |
            grep '^channel 3: ' | grep -o ' (' | wc -l) -eq 1 ]"
else
    echo "SKIP: $sq is absent"
fi

candy=$shared/models/style/small/candy_nc8.onnx
if [ -f "$candy" ] && [ -f "$sq" ] && [ -f "$cat" ]; then
    over_limit='is 20000x20000 pixels, 1.2 GB .*limit of 16384 pixels a side'
    check "stylize: a 20000x20000 PNG is refused from its header" \
        refused_lean "$over_limit" stylize "$candy" "$tmp/huge.png" "$tmp/o.png"
    check "explain: a 20000x20000 PNG is refused from its header" \
        refused_lean "$over_limit" explain "$sq" "$tmp/huge.png" "$tmp/o.png"
    check "stylize: a PNG header claiming 20000x20000 is refused" \
        refused_lean "$over_limit" stylize "$candy" "$tmp/huge_header.png" "$tmp/o.png"
    check "stylize: a truncated 11000x11000 PNG (under the limits) is refused by its file size" \
        refused_lean 'claims 11000x11000 pixels but is [0-9]+ bytes.*truncated' \
        stylize "$candy" "$tmp/truncated.png" "$tmp/o.png"
    # --size 16384x16384 took 17-28 s and 3.9 GB (stylize), 38 s and 4.2 GB
    # (explain) to fail: the size is checked on the host before any pixel.
    too_large='cannot run at 16384x16384: .* would take 4.0 GiB .*, over the 4 GiB'
    check "stylize --size 16384x16384 is refused before the image is scaled" \
        refused_lean "$too_large" stylize "$candy" "$cat" "$tmp/o.png" --size 16384x16384
    check "explain --size 16384x16384 is refused before the crop is made" \
        refused_lean "$too_large" explain "$sq" "$cat" "$tmp/o.png" --size 16384x16384
    # A crop the device cannot hold (lavapipe's 128 MiB buffers, or the
    # budget) was made before the explainer planned: 6000x6000 took 432 MB
    # for the network input alone before it failed.
    export VKNN_MAX_MEMORY=256M
    check "explain --size 6000x6000 over the device's limits is refused before the crop is made" \
        refused_lean 'at input 1x3x6000x6000|exceeds the device.s buffer limits' \
        explain "$sq" "$cat" "$tmp/o.png" --size 6000x6000
    unset VKNN_MAX_MEMORY
    check "bench --size 12000x12000 names the tensor, its estimate and the limit" refused_lean \
        "cannot run at 12000x12000: its tensor '.+' \\(1x16x12002x12002\\) would take 8.6 GiB" \
        bench "$candy" --size 12000x12000
fi

check "train: missing --style" usage_error train --content "$tmp" --out y
check "train: a negative --stability-weight is a usage error" usage_error_naming \
    "--stability-weight must be finite and >= 0" train --style x --content "$tmp" \
    --out y --stability-weight -1
# Training needs no file from ../shared: the loss network is built in
# (builtin:vgg19_relu3_1); the photo is the cat, or a flat 96x80 PNG.
mkdir -p "$tmp/content" "$tmp/empty"
if [ -f "$cat" ]; then photo=$cat; else
    photo=$tmp/flat.png
    "$py" "$tmp/png.py" "$photo" 96 80
fi
cp "$photo" "$tmp/content/"
printf 'junk' >"$tmp/content/notes.txt" # not an image: skipped
printf 'junk' >"$tmp/empty/notes.txt"
check "train: a truncated style image is refused" \
    refused_lean 'claims 11000x11000 pixels but is [0-9]+ bytes' train \
    --style "$tmp/truncated.png" --content "$tmp/content" --out "$tmp/s.onnx"
check "train: a content folder without images fails in one line" one_line_error train \
    --style "$photo" --content "$tmp/empty" --out "$tmp/s.onnx" --steps 1
check "train: a loss network that is not there fails in one line" one_line_error train \
    --style "$photo" --content "$tmp/content" --out "$tmp/s.onnx" --steps 1 \
    --loss-net builtin:no-such-net
check "train: 2 tiny steps write the network, checkpoint, curve and preview" sh -c \
    "'$vknn' train --style '$photo' --content '$tmp/content' \
        --out '$tmp/s.onnx' --steps 2 --size 32 --channels 4 >'$tmp/out' &&
     grep -q '^step 2/2 ' '$tmp/out' && [ -s '$tmp/s.onnx' ] && [ -s '$tmp/s.onnx.ckpt' ] &&
     grep -q '<polyline' '$tmp/s.onnx.losses.svg' && [ -s '$tmp/s.onnx.preview.png' ]"
check "train: resumes from the checkpoint at step 3" sh -c \
    "'$vknn' train --style '$photo' --content '$tmp/content' \
        --out '$tmp/s.onnx' --steps 3 --size 32 --channels 4 --resume '$tmp/s.onnx.ckpt' |
     grep -q 'from step 2'"
check "train: the trained network stylizes a photo" \
    "$vknn" stylize "$tmp/s.onnx" "$photo" "$tmp/styled.png" --size 64x48
# train-decoder shares train's run options (cli/options.c); --init starts
# from a trained decoder: its first step's pixel loss is far below that of
# random weights (the built-in decoder reconstructs photos at ~20 dB).
check "train-decoder --help: only its options" help_lists train-decoder --encoder --layer \
    --size --width --color-jitter --pixel-weight --feature-weight --tv-weight --content --out \
    --steps --batch --lr --seed --checkpoint --checkpoint-every --preview-every --resume --init \
    --profile --device --validate
check "train-decoder: --color-jitter over 1 is a usage error" usage_error_naming \
    "--color-jitter must be in 0..1" train-decoder --content "$tmp/content" --out "$tmp/d.onnx" \
    --color-jitter 1.5
check "train-decoder: --init and --resume together are a usage error" usage_error_naming \
    "--init and --resume exclude each other" train-decoder --content "$tmp/content" \
    --out "$tmp/d.onnx" --init builtin:decoder_relu3_1 --resume "$tmp/d.onnx.ckpt"
check "train-decoder: --init with another width names the tensor" sh -c \
    "'$vknn' train-decoder --content '$tmp/content' --out '$tmp/d.onnx' --steps 1 --size 32 \
        --width 8 --init builtin:decoder_relu3_1 2>&1 | grep -q 'this decoder of width 8.s is'"
first_pixel_loss() { # ARGS...: train-decoder's pixel loss at step 1
    "$vknn" train-decoder --content "$tmp/content" --out "$tmp/d.onnx" --steps 1 --size 64 \
        --lr 1e-6 --preview-every 0 "$@" | tr '\r' '\n' |
        sed -n 's/^step 1\/1  pixel \([0-9.e+-]*\) .*/\1/p'
}
starts_from_decoder() {
    scratch=$(first_pixel_loss) && tuned=$(first_pixel_loss --init builtin:decoder_relu3_1) &&
        echo "    pixel loss at step 1: from scratch $scratch, from the built-in $tuned" &&
        "$py" -c "import sys; sys.exit(not float('$tuned') * 4 < float('$scratch'))"
}
check "train-decoder --init builtin:decoder_relu3_1 starts from its weights" starts_from_decoder
check "train-decoder --color-jitter 1: a step on recoloured crops" sh -c \
    "'$vknn' train-decoder --content '$tmp/content' --out '$tmp/d.onnx' --steps 1 --size 32 \
        --width 8 --color-jitter 1 --preview-every 0 | grep -q 'step 1/1  pixel'"
# The output keeps the input's size, as vkstyletransfer does: the stride-2
# layers round 99x75 up to 100x76 (docs/model-contract.md), cropped back;
# --network-size writes the network's own output.
png_size() { # PNG: its WxH from the header
    "$py" -c 'import struct, sys
print("%dx%d" % struct.unpack(">II", open(sys.argv[1], "rb").read(24)[16:24]))' "$1"
}
stylized_size() { # WANT ARGS...: vknn stylize ARGS writes $tmp/st.png of WANT (WxH) and says so
    want=$1
    shift
    rm -f "$tmp/st.png"
    "$vknn" stylize "$@" >"$tmp/out" 2>"$tmp/err" || { sed 's/^/    /' "$tmp/err"; return 1; }
    got=$(png_size "$tmp/st.png")
    echo "    $got: $(cat "$tmp/out")"
    [ "$got" = "$want" ] && grep -q " -> $tmp/st.png $want on " "$tmp/out"
}
"$py" "$tmp/png.py" "$tmp/odd.png" 99 75
check "stylize: a 99x75 input gives a 99x75 output" \
    stylized_size 99x75 builtin:wave "$tmp/odd.png" "$tmp/st.png"
check "stylize --network-size: a 99x75 input gives the network's 100x76" \
    stylized_size 100x76 builtin:wave "$tmp/odd.png" "$tmp/st.png" --network-size
check "stylize --size 50x30 gives 50x30 (the network's output is 52x32)" \
    stylized_size 50x30 builtin:wave "$tmp/odd.png" "$tmp/st.png" --size 50x30
# stylize --style-image: any image as the style (the built-in encoder, WCT
# or AdaIN, the built-in decoder vknn trained); nothing from ../shared.
check "stylize --style-image --alpha 2 is a usage error" usage_error_naming \
    "--style-image needs --alpha in 0..1" stylize --style-image "$tmp/odd.png" --alpha 2 \
    "$tmp/odd.png" "$tmp/st.png"
check "stylize --transform other than wct or adain is a usage error" usage_error_naming \
    "--transform must be wct or adain" stylize --style-image "$tmp/odd.png" \
    --transform nst "$tmp/odd.png" "$tmp/st.png"
check "stylize --style-image with a MODEL too is a usage error" usage_error stylize \
    --style-image "$tmp/odd.png" builtin:wave "$tmp/odd.png" "$tmp/st.png"
check "stylize --style-image: a missing style image is named" sh -c \
    "'$vknn' stylize --style-image '$tmp/none.jpg' '$tmp/odd.png' '$tmp/st.png' 2>'$tmp/e';
     [ \$? -eq 1 ] && grep -q 'none.jpg' '$tmp/e'"
check "stylize --style-image --layer that the encoder lacks is named" sh -c \
    "'$vknn' stylize --style-image '$tmp/odd.png' --layer relu9_9 \
        '$tmp/odd.png' '$tmp/st.png' 2>&1 | grep -q \"no tensor 'relu9_9'\""
for t in wct adain; do
    check "stylize --style-image --transform $t: a 99x75 input gives 99x75" sh -c \
        "'$vknn' stylize --style-image '$tmp/odd.png' --transform $t \
            '$tmp/odd.png' '$tmp/st.png' --style-size 64 | grep -q '($t, alpha 1): 99x75' &&
         [ \"\$('$py' -c 'import struct,sys;print(\"%dx%d\" % struct.unpack(\">II\", open(sys.argv[1],\"rb\").read(24)[16:24]))' '$tmp/st.png')\" = 99x75 ]"
done
# The palette step (on by default) moves the output's channel moments to
# the style image's: --no-palette gives another image.
check "stylize --style-image --no-palette: the decoder's colours, another image" sh -c \
    "'$vknn' stylize --style-image '$tmp/odd.png' --style-size 64 '$tmp/odd.png' '$tmp/p1.png' &&
     '$vknn' stylize --style-image '$tmp/odd.png' --style-size 64 --no-palette \
         '$tmp/odd.png' '$tmp/p0.png' | grep -q 'alpha 1, no palette' &&
     ! cmp -s '$tmp/p0.png' '$tmp/p1.png'"
# --preserve-colors keeps the input's chroma (BT.601 Cb, Cr) and takes the
# luminance of the style: read back from BMP (uncompressed) by a few lines
# of Python, against the input's colour.
chroma_gap() { # BMP R G B: the median over pixels of |Cb - Cb(RGB)| + |Cr - Cr(RGB)|
    # (the median: where the style is very dark or bright, the input's
    # strong chroma clamps)
    "$py" - "$@" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, = struct.unpack_from("<I", data, 10)
w, h = struct.unpack_from("<ii", data, 18)
bpp, = struct.unpack_from("<H", data, 28)
r0, g0, b0 = (float(v) for v in sys.argv[2:5])
cb = lambda r, g, b: -0.168736 * r - 0.331264 * g + 0.5 * b
cr = lambda r, g, b: 0.5 * r - 0.418688 * g - 0.081312 * b
stride = (w * bpp // 8 + 3) // 4 * 4
gaps = []
for y in range(abs(h)):
    for x in range(w):
        b, g, r = data[off + y * stride + x * bpp // 8: off + y * stride + x * bpp // 8 + 3]
        gaps.append(abs(cb(r, g, b) - cb(r0, g0, b0)) + abs(cr(r, g, b) - cr(r0, g0, b0)))
print("%.2f" % sorted(gaps)[len(gaps) // 2])
EOF
}
keeps_colours() { # ARGS...: stylize ARGS into $tmp/pc.bmp, with and without --preserve-colors
    "$vknn" stylize "$@" "$tmp/odd.png" "$tmp/pc0.bmp" >/dev/null &&
        "$vknn" stylize "$@" --preserve-colors "$tmp/odd.png" "$tmp/pc1.bmp" >/dev/null &&
        off=$(chroma_gap "$tmp/pc0.bmp" 128 64 32) && on=$(chroma_gap "$tmp/pc1.bmp" 128 64 32) &&
        echo "    chroma gap to the input: $off without, $on with --preserve-colors" &&
        "$py" -c "import sys; sys.exit(not (float('$on') <= 1.5 and float('$off') > 4))"
}
check "stylize MODEL --preserve-colors: the input's chroma" keeps_colours builtin:wave
check "stylize --style-image --preserve-colors: the input's chroma" keeps_colours \
    --style-image "$(cd "$(dirname "$0")/../.." && pwd)/docs/images/paintings/wave.jpg"
check "stylize --preserve-colors with --network-size is a usage error" usage_error stylize \
    builtin:wave "$tmp/odd.png" "$tmp/st.png" --preserve-colors --network-size
# Two style images, comma-separated: interpolated by --style-weights; their
# count must match, and --save-network writes a network of two styles. The
# second is a committed painting thumbnail.
wave=$(cd "$(dirname "$0")/../.." && pwd)/docs/images/paintings/wave.jpg
check "stylize --style-weights that do not match the images is a usage error" \
    usage_error_naming "1 style weights for 2 style images" stylize \
    --style-image "$tmp/odd.png,$wave" --style-weights 1 "$tmp/odd.png" "$tmp/st.png"
check "stylize --style-image A,B --style-weights 1,0 is A alone; 0.5,0.5 another image" sh -c \
    "'$vknn' stylize --style-image '$tmp/odd.png' --style-size 32 '$tmp/odd.png' '$tmp/a.png' &&
     '$vknn' stylize --style-image '$tmp/odd.png,$wave' --style-size 32 \
         --style-weights 1,0 --save-network '$tmp/two.onnx' '$tmp/odd.png' '$tmp/a1.png' &&
     '$vknn' stylize --style-image '$tmp/odd.png,$wave' --style-size 32 \
         '$tmp/odd.png' '$tmp/ab.png' &&
     cmp -s '$tmp/a.png' '$tmp/a1.png' && ! cmp -s '$tmp/a.png' '$tmp/ab.png' &&
     '$vknn' split '$tmp/two.onnx' '$tmp/two_a.onnx' '$tmp/two_b.onnx'"
# --save-network: the style image's network as an ONNX file, a style model
# like any other (vknn stylize MODEL runs it).
check "stylize --style-image --save-network writes a style model that stylize runs" sh -c \
    "'$vknn' stylize --style-image '$tmp/odd.png' --style-size 32 --save-network '$tmp/net.onnx' \
        '$tmp/odd.png' '$tmp/st.png' >/dev/null &&
     '$vknn' stylize '$tmp/net.onnx' '$tmp/odd.png' '$tmp/st2.png' | grep -q '99x75 -> .* 99x75'"
# split: the built-in five-style network into single-style files, which
# load as networks of one style each.
check "split: one output per style is required, the error says how many" \
    usage_error_naming "has 5 styles: give 5 output names, not 1" split builtin:paintings "$tmp/a.onnx"
check "split: five styles into four files and a skip (-)" sh -c \
    "'$vknn' split builtin:paintings '$tmp/s0.onnx' - '$tmp/s2.onnx' '$tmp/s3.onnx' '$tmp/s4.onnx' &&
     [ ! -e '$tmp/s1.onnx' ] && for i in 0 2 3 4; do '$vknn' info '$tmp/s'\$i.onnx >/dev/null || exit 1; done"
check "split: a single style splits into one network, itself" sh -c \
    "'$vknn' split '$tmp/s2.onnx' '$tmp/t2.onnx' && cmp -s '$tmp/s2.onnx' '$tmp/t2.onnx'"
# Fault injection (docs/reliability.md): a failed device allocation,
# submission or wait, or a lost device, is one error line and exit 1.
"$py" "$tmp/png.py" "$tmp/small.png" 64 48
faulty() { # SPEC ARGS...: one error line naming the Vulkan result
    spec=$1
    shift
    VKNN_FAULT=$spec one_line_error "$@" && grep -q "VK_ERROR_" "$tmp/err"
}
for spec in alloc:3 submit:1 wait:20:lost; do
    check "stylize: VKNN_FAULT=$spec is one error line, exit 1" \
        faulty $spec stylize builtin:wave "$tmp/small.png" "$tmp/f.png"
done
check "bench: VKNN_FAULT=wait:30 is one error line, exit 1" \
    faulty wait:30 bench builtin:wave --size 64x48 --runs 2
check "VKNN_FAULT beyond the run: stylize succeeds" sh -c \
    "VKNN_FAULT=submit:100000 '$vknn' stylize builtin:wave '$tmp/small.png' '$tmp/f.png' --size 64x48"
echo "$((checks - fails)) passed, $fails failed"
[ $fails -eq 0 ]
