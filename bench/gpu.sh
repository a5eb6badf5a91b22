#!/bin/sh
# Run THERE (the GPU machine, by the device tool), prepared by
# bench/gpu-prepare.sh: checks correctness on the GPU against the PyTorch
# goldens and the CPU reference, then times candy at 1280x720 and 1920x1080
# in vknn (with a per-op profile) next to PyTorch CUDA fp32 and fp16
# channels_last on the same ONNX file, in one run. vknn's "runs" line
# includes packing and uploading the input from the host; its "forward
# device time" line is the figure to compare with PyTorch's (input already
# on the GPU).
set -u
for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
if ! ls /usr/share/vulkan/icd.d/nvidia_icd.json >/dev/null 2>&1; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export VKNN_SHARED=$PWD/.shared VKNN_DEVICE=${VKNN_DEVICE:-NVIDIA}
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
bin=.gpu/bin
{
    echo "== devices"; $bin/vknn devices
    echo "== correctness on $VKNN_DEVICE"
    for c in candy candy_nc8 candy_nc8_99x75 squeezenet_chelsea; do
        $bin/test_golden $c | grep -E "max abs|top-5|FAIL"
        $bin/test_golden $c fp16-tiles | grep -E "PSNR|top-5|FAIL"; done
    $bin/test_ops | tail -1
    echo "== correctness with lavapipe's kernel shapes (VKNN_TUNING=cpu)"
    VKNN_TUNING=cpu $bin/test_golden candy_nc8_99x75 | grep -E "max abs|FAIL"
    echo "== vknn (GPU kernel shapes; VKNN_TUNING=cpu: lavapipe's, for comparison)"
    for size in 1280x720 1920x1080; do
        for p in fp32 fp16-tiles; do
            $bin/vknn bench .shared/models/style/candy.onnx --size $size --runs 30 --precision $p
        done
        echo "VKNN_TUNING=cpu:"
        VKNN_TUNING=cpu $bin/vknn bench .shared/models/style/candy.onnx --size $size --runs 10
        $bin/vknn bench .shared/models/style/candy.onnx --size $size --runs 10 --profile
    done
    echo "== PyTorch CUDA (same ONNX graph)"
    PYTHONUNBUFFERED=1 python3 - <<'PY'
# peers.py rebuilds the ONNX graph with torch.nn.functional from tensors made
# by torch.from_numpy: divert that to put the weights on the GPU in the
# wanted precision and layout.
import importlib.util, statistics, time
import numpy as np, torch
spec = importlib.util.spec_from_file_location("peers", ".shared/bench/peers.py")
peers = importlib.util.module_from_spec(spec); spec.loader.exec_module(peers)
torch.backends.cudnn.benchmark = True
def runner(dtype, channels_last):
    orig = torch.from_numpy
    def to_gpu(a):
        t = orig(np.ascontiguousarray(a)).to("cuda", dtype)
        return t.to(memory_format=torch.channels_last) if channels_last and t.dim() == 4 else t
    torch.from_numpy = to_gpu
    try:
        return peers.torch_runner(".shared/models/style/candy.onnx")
    finally:
        torch.from_numpy = orig
def bench(run, x, n=30):
    with torch.inference_mode():
        for _ in range(3): run(x)
        torch.cuda.synchronize(); ts = []
        for _ in range(n):
            t = time.perf_counter(); run(x); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    return min(ts) * 1e3, statistics.median(ts) * 1e3
for name, dtype, cl in (("fp32", torch.float32, False), ("fp16 channels_last", torch.float16, True)):
    run = runner(dtype, cl)
    for w, h in ((1280, 720), (1920, 1080)):
        x = (torch.rand(1, 3, h, w, device="cuda") * 255).to(dtype)
        if cl: x = x.to(memory_format=torch.channels_last)
        print(f"torch {torch.__version__} cuda {name} {w}x{h}: min %.2f ms, median %.2f ms" % bench(run, x))
PY
} 2>&1 | tee "$out/gpu.txt"
