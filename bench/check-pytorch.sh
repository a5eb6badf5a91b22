#!/bin/sh
# Checks `vknn stylize` against PyTorch (CPU, fp32) on a real photo, at the
# photo's own size and at a forced size: both runners get the same decoded
# input; prints the max abs difference of the unclamped outputs (0..255 units).
#   bench/check-pytorch.sh [MODEL] [PHOTO]
# Needs: apt-get install -y python3-torch python3-onnx python3-numpy (and ../shared).
set -eu
cd "$(dirname "$0")/.."
model=${1:-../shared/models/style/candy.onnx}
photo=${2:-../shared/media/photos/skimage_chelsea.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in native 200x152; do
    opt=""
    [ "$size" = native ] || opt="--size $size"
    line=$(./build/cli/vknn stylize "$model" "$photo" "$tmp/out.png" $opt \
        --save-input "$tmp/in.f32" --save-output "$tmp/vknn.f32")
    dims=$(echo "$line" | sed -E 's/.*: ([0-9]+x[0-9]+) -> .*/\1/')
    /usr/bin/python3 ../shared/bench/peers.py "$model" --size "$dims" --runner torch --runs 1 \
        --input "$tmp/in.f32" --out "$tmp/torch.f32" >/dev/null
    /usr/bin/python3 -c "
import numpy as np, sys
a = np.fromfile('$tmp/vknn.f32', np.float32); b = np.fromfile('$tmp/torch.f32', np.float32)
assert a.size == b.size, (a.size, b.size)
d = float(np.abs(a - b).max())
print(f'$size ($dims in): vknn vs PyTorch max abs diff {d:.4g} (tolerance 0.1)')
sys.exit(0 if d <= 0.1 else 1)"
done
