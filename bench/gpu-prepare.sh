#!/bin/sh
# Run HERE (the development machine) before a device session: gathers what
# bench/gpu.sh needs on the bare GPU machine into folders of the checkout that
# .gitignore keeps out of git, so one `run` call can carry them:
#   .gpu/bin   vknn, test_golden, test_ops from ./build (build first)
#   .gpu/debs  runtime libraries as Debian packages (Vulkan loader, GLib,
#              protobuf-c, gdk-pixbuf and their dependencies), unpacked there
#   .shared    a link to ../shared; carried paths through it travel
# Then, with the device tool:
#   run(command="sh bench/gpu.sh", carry=[".gpu", ".shared/models/style/candy.onnx",
#       ".shared/models/style/small/candy_nc8.onnx", ".shared/golden", ".shared/bench/peers.py",
#       ".shared/models/classify/squeezenet1_1.onnx"], timeout_s=420)
set -eu
cd "$(dirname "$0")/.."
[ -e .shared ] || ln -s ../shared .shared
rm -rf .gpu && mkdir -p .gpu/bin .gpu/debs /tmp/amd64/partial
cp build/cli/vknn build/tests/test_golden build/tests/test_ops .gpu/bin/
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -q >/dev/null
(cd .gpu/debs && apt-get $o download libvulkan1 libglib2.0-0 libprotobuf-c1 libgdk-pixbuf-2.0-0 \
    libpcre2-8-0 libffi8 libpng16-16 libjpeg62-turbo libmount1 libselinux1 libblkid1 zlib1g \
    libgdk-pixbuf2.0-common shared-mime-info >/dev/null)
du -sh .gpu .shared/models/style/candy.onnx .shared/golden
