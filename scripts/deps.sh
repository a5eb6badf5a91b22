#!/bin/sh
# Installs (once) the Debian packages vknn builds, tests and runs with (the
# same names on Debian 12 and 13), then configures and builds it in ./build,
# or in $VKNN_BUILDDIR (scripts/debian13.sh: ./build-debian13). Idempotent: a
# second run only rebuilds. Used by scripts/render.sh and scripts/test.sh.
#
# scripts/deps.sh --sanitizers (scripts/test.sh, after the above): the
# sanitizer build in ./build-san instead: AddressSanitizer and
# UndefinedBehaviorSanitizer over libvknn and its tests, and the libFuzzer
# targets (fuzz/). It installs clang with libFuzzer when it can; where it
# cannot, the build uses gcc and the fuzz tests are skipped, saying why.
set -eu
cd "$(dirname "$0")/.."

# Installs the missing packages of $1; fails unless $2 is "optional".
install_missing() {
    missing=""
    for p in $1; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "vknn: these Debian packages are missing; run as root to install them:$missing" >&2
        [ "${2:-}" = optional ] && return 1
        exit 1
    fi
    echo "vknn: installing$missing"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends $missing; }; then
        [ "${2:-}" = optional ] && return 1
        exit 1
    fi
}

if [ "${1:-}" != --sanitizers ]; then
    install_missing "gcc pkg-config meson ninja-build glslang-tools libvulkan-dev mesa-vulkan-drivers
      libonnx-dev protobuf-c-compiler libprotobuf-c-dev libglib2.0-dev libgdk-pixbuf-2.0-dev
      shared-mime-info valgrind python3-yaml
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
      gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools"
    builddir=${VKNN_BUILDDIR:-build}
    if [ ! -f "$builddir/build.ninja" ]; then
        meson setup "$builddir" --buildtype=debugoptimized
    fi
    meson compile -C "$builddir"
    exit 0
fi

# ---- the sanitizer build ----------------------------------------------------
# Debian's clang does not pull in its runtime libraries (libFuzzer, the
# sanitizers) without recommends: libclang-rt-14-dev carries
# libclang_rt.fuzzer-x86_64.a for clang 14 (Debian 12).
install_missing "clang libclang-rt-14-dev" optional ||
    echo "vknn: clang with libFuzzer could not be installed; the fuzz tests will be skipped" >&2

# Does clang link a libFuzzer target with ASan and UBSan here?
fuzz=false
cc=gcc
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
    > "$probe/probe.c"
if command -v clang >/dev/null &&
    clang -fsanitize=fuzzer,address,undefined -o "$probe/probe" "$probe/probe.c" 2>"$probe/err"; then
    fuzz=true
    cc=clang
elif command -v clang >/dev/null; then
    echo "vknn: clang cannot link a libFuzzer target (libclang-rt-14-dev missing?):" >&2
    cat "$probe/err" >&2
else
    echo "vknn: no clang: build-san uses gcc's sanitizers and skips the fuzz tests" >&2
fi
rm -rf "$probe"

# -fno-sanitize-recover: every UBSan report stops the test and fails it.
cflags="-fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# clang warns about each "#fn + 5" of test_ops.c's case table (it skips the
# "case_" prefix on purpose): some 1300 lines of noise in the CI log.
[ "$cc" = clang ] && cflags="$cflags -Wno-string-plus-int"

# A build made with another compiler or flags is set up again.
want="CC=$cc fuzz=$fuzz c_args=$cflags"
if [ ! -f build-san/build.ninja ] || [ "$(cat build-san/.vknn-config 2>/dev/null)" != "$want" ]; then
    rm -rf build-san
    CC=$cc meson setup build-san --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false -Dc_args="$cflags" \
        -Dgst=disabled -Dfuzz=$fuzz
    echo "$want" > build-san/.vknn-config
fi
meson compile -C build-san
