#!/bin/sh
# Builds the Debian packages (debian/: libvknn0, libvknn-dev,
# gstreamer1.0-vknn, vknn-tools) with dpkg-buildpackage -b -us -uc and checks
# them with lintian; the .debs land in ./debs. The build runs in a copy of
# the checkout (the tracked and untracked, not ignored, files) so that it
# leaves nothing in the tree and never sees ../shared.
#
#   scripts/package.sh            build + lintian (errors fail the script)
#   scripts/package.sh --install  also install them, check that
#                                 gst-inspect-1.0 vkstyletransfer, vknn devices
#                                 and an application built with
#                                 `pkg-config vknn` work with no environment
#                                 variable, then purge them again
#   --keep                        (with --install) leave them installed
#
# Installs its build dependencies when run as root (apt-get build-dep).
# DEB_BUILD_OPTIONS=nocheck skips even the quick build-time tests.
set -eu
cd "$(dirname "$0")/.."
install=false keep=false
for a in "$@"; do
    case $a in
    --install) install=true ;;
    --keep) keep=true ;;
    *) echo "usage: $0 [--install [--keep]]" >&2 && exit 2 ;;
    esac
done
packages="libvknn0 libvknn-dev gstreamer1.0-vknn vknn-tools"
version=$(dpkg-parsechangelog -S Version 2>/dev/null || sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)

if [ "$(id -u)" = 0 ]; then
    need=""
    for p in debhelper devscripts lintian dpkg-dev build-essential; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            need="$need $p"
    done
    if [ -n "$need" ]; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need
    fi
    # The Build-Depends of debian/control.
    DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q --no-install-recommends ./ >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/vknn"
git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - | tar -xf - -C "$work/vknn"
echo "vknn: dpkg-buildpackage in $work/vknn (log: debs/build.log)"
mkdir -p debs
rm -f debs/*.deb debs/*.changes debs/*.buildinfo
if ! (cd "$work/vknn" && dpkg-buildpackage -b -us -uc) >debs/build.log 2>&1; then
    tail -40 debs/build.log
    echo "vknn: dpkg-buildpackage failed (debs/build.log)" >&2
    exit 1
fi
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo debs/
ls -l debs/*.deb

# lintian on the .changes: every package; errors fail the script.
echo "vknn: lintian"
lintian_status=0
lintian --info --display-level '>=info' debs/vknn_"${version}"_*.changes >debs/lintian.log 2>&1 ||
    lintian_status=$?
cat debs/lintian.log
for level in E W I; do
    printf '%s: %s\n' "$level" "$(grep -c "^$level: " debs/lintian.log || true)"
done
if [ $lintian_status -ne 0 ]; then
    echo "vknn: lintian reports errors (debs/lintian.log)" >&2
    exit 1
fi

$install || exit 0

# ---- installed, as a user would have them -----------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$(pwd)"/debs/*.deb >debs/install.log 2>&1 || { cat debs/install.log; exit 1; }
status=0
check() { # DESCRIPTION COMMAND...: runs COMMAND with none of the build tree's variables
    desc=$1
    shift
    if env -u GST_PLUGIN_PATH -u GST_PLUGIN_SYSTEM_PATH -u LD_LIBRARY_PATH -u PKG_CONFIG_PATH \
        -u VKNN_DEVICE GST_REGISTRY="$work/registry.bin" "$@" >"$work/out" 2>&1; then
        echo "ok: $desc"
    else
        echo "FAIL: $desc"
        status=1
    fi
    sed 's/^/    /' "$work/out" | head -20
}
check "gst-inspect-1.0 vkstyletransfer finds the packaged plugin" sh -c \
    'gst-inspect-1.0 vkstyletransfer | grep -E "^  (Filename|Version) "'
check "vknn devices" vknn devices
check "man vknn" sh -c \
    'if command -v man >/dev/null; then MANWIDTH=80 man vknn >"$0" && head -5 "$0"; else
         echo "no man(1) here; installed: $(dpkg -L vknn-tools | grep man1)"; fi' "$work/man.txt"
check "an application builds with pkg-config vknn and runs" sh -c \
    "cc -std=c11 -Wall -Werror pipelines/examples/stylize_frame.c -o '$work/stylize_frame' \
        \$(pkg-config --cflags --libs vknn) && '$work/stylize_frame' builtin:wave 64x48"
check "vknn stylize keeps an odd input's size" sh -c \
    "gst-launch-1.0 -q videotestsrc num-buffers=1 ! video/x-raw,width=99,height=75 ! pngenc ! \
        filesink location='$work/in.png' && vknn stylize builtin:wave '$work/in.png' '$work/out.png'"
if ! $keep; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $packages >>debs/install.log 2>&1
    echo "vknn: packages purged (--keep leaves them installed)"
fi
exit $status
