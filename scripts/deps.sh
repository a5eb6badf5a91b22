#!/bin/sh
# Installs (once) the Debian 12 packages vknn builds, tests and runs with, then
# configures and builds it in ./build. Idempotent: a second run only rebuilds.
# Used by scripts/render.sh and scripts/test.sh.
set -eu
cd "$(dirname "$0")/.."

PKGS="gcc pkg-config meson ninja-build glslang-tools libvulkan-dev mesa-vulkan-drivers
      libonnx-dev protobuf-c-compiler libprotobuf-c-dev libglib2.0-dev libgdk-pixbuf-2.0-dev
      shared-mime-info valgrind
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "vknn: these Debian packages are missing; run as root to install them:$missing" >&2
        exit 1
    fi
    echo "vknn: installing$missing"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=debugoptimized
fi
meson compile -C build
