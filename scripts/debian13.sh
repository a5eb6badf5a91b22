#!/bin/sh
# Builds vknn and runs its test suite in a Debian 13 (trixie: GStreamer 1.26,
# Mesa 25, LLVM 19) root, besides the machine's own Debian 12: scripts/test.sh
# calls it last. Needs root (debootstrap, mount, chroot) and Debian's mirror.
#
# The root is made once by `debootstrap --variant=minbase trixie` and cached
# in $VKNN_DEBIAN13_ROOT (/var/cache/vknn/debian13): a root without its stamp
# (an interrupted debootstrap) or in which /bin/true does not run is made
# again. scripts/deps.sh, run inside, installs the packages there (into the
# cached root, so a second run installs nothing) and builds ./build-debian13
# (the source tree is shared: ./build stays Debian 12's). The plain build
# only: the sanitizer build runs on Debian 12.
#
# The mounts (source tree, ../shared read-only when present, /proc, /sys,
# /dev) live in a private mount namespace (unshare -m): they vanish with it
# whatever ends the run, so none is ever left inside the cached root (where
# removing a stale root could reach through them), and the host never sees
# them. A trap unmounts them in order all the same.
#
#   scripts/debian13.sh            the root if needed, then build and test
#   scripts/debian13.sh --root     only make (or check) the cached root
#   scripts/debian13.sh --shell    an interactive shell in the root
#   scripts/debian13.sh CMD...     CMD in the root, in the source tree
#
# Every suite runs but train, style and layout: they exercise no library
# of the distribution (training and the built-in styles run the compute
# paths the ops and golden suites check against PyTorch here too; layout is
# a source check), and leaving them out keeps the first run on a new CI
# machine, root and all, well inside the time budget.
# Other arguments of `meson test` go in VKNN_DEBIAN13_TEST_ARGS (set but empty:
# every suite; or e.g. a test
# name). Environment: VKNN_DEBIAN_MIRROR (http://deb.debian.org/debian).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
root=${VKNN_DEBIAN13_ROOT:-/var/cache/vknn/debian13}
mirror=${VKNN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the stamp records: a change to how the root is made makes it again.
recipe="debootstrap --variant=minbase trixie $mirror"

# Inside the root: the source tree and ../shared, where meson looks for it.
src_in_root=/vknn/src
shared_in_root=/vknn/shared

root_is_usable() {
    [ "$(cat "$root/.vknn-stamp" 2>/dev/null)" = "$recipe" ] &&
        chroot "$root" /bin/true 2>/dev/null
}

# Makes the root in $root.new and renames it into place only once complete,
# so an interrupted debootstrap never leaves a root that looks finished.
make_root() {
    if ! command -v debootstrap >/dev/null; then
        echo "vknn: installing debootstrap"
        apt-get update -q && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends debootstrap
    fi
    echo "vknn: making the Debian 13 root in $root (debootstrap, a few minutes)"
    mkdir -p "$(dirname "$root")"
    # --one-file-system: nothing mounted below a stale root is followed.
    rm -rf --one-file-system "$root.new" "$root"
    debootstrap --variant=minbase trixie "$root.new" "$mirror"
    echo "$recipe" > "$root.new/.vknn-stamp"
    mv "$root.new" "$root"
}

ensure_root() {
    root_is_usable && return 0
    make_root
    root_is_usable || { echo "vknn: the Debian 13 root in $root does not run" >&2; exit 1; }
}

# Runs "$@" in the root, in the source tree, inside a private mount namespace.
in_root() {
    # The host's resolver, for apt inside (deps.sh installs missing packages).
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    shared=""
    [ -d "$src/../shared" ] && shared=$(cd "$src/../shared" && pwd)
    unshare --mount --propagation private \
        env VKNN_ROOT="$root" VKNN_SRC="$src" VKNN_SHARED_HOST="$shared" \
        VKNN_SRC_IN_ROOT="$src_in_root" VKNN_SHARED_IN_ROOT="$shared_in_root" \
        sh -c "$mounted_run" vknn-debian13 "$@"
}

# The namespace's script: mounts, runs the command in the chroot with a clean
# environment, unmounts (in reverse order, by the trap, also on failure).
# shellcheck disable=SC2016 # expanded by the inner shell, not here
mounted_run='
set -eu
r=$VKNN_ROOT
mounts=""
unmount_all() {
    for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
}
trap unmount_all EXIT
trap "exit 130" INT TERM
bind() { # bind SOURCE TARGET [ro]
    mkdir -p "$2"
    mount --bind "$1" "$2"
    mounts="$2 $mounts"
    [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"
    return 0
}
mount -t proc proc "$r/proc" && mounts="$r/proc $mounts"
bind /sys "$r/sys"
bind /dev "$r/dev"
[ -d /dev/shm ] && bind /dev/shm "$r/dev/shm"
bind "$VKNN_SRC" "$r$VKNN_SRC_IN_ROOT"
[ -n "$VKNN_SHARED_HOST" ] && bind "$VKNN_SHARED_HOST" "$r$VKNN_SHARED_IN_ROOT" ro
chroot "$r" env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    sh -c "cd \"\$0\" && exec \"\$@\"" "$VKNN_SRC_IN_ROOT" "$@"
'

if [ "$(id -u)" != 0 ]; then
    echo "vknn: the Debian 13 run needs root (debootstrap, mount, chroot)" >&2
    exit 1
fi

# Making the root and installing packages into it, one run at a time (apt
# and dpkg inside are shared by every checkout using the root); builds and
# tests of several checkouts may run side by side.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
lock_root() { flock 9; }
unlock_root() { flock -u 9; }

case "${1:-}" in
--root)
    lock_root
    ensure_root
    exit 0
    ;;
--shell)
    lock_root
    ensure_root
    unlock_root
    in_root bash -i
    exit
    ;;
"") ;;
*)
    lock_root
    ensure_root
    unlock_root
    in_root "$@"
    exit
    ;;
esac

start=$(date +%s)
lock_root
ensure_root
# The packages (the first run installs them into the cached root) and the
# build in ./build-debian13; then the suite. deps.sh's failure is the run's.
in_root env VKNN_BUILDDIR=build-debian13 scripts/deps.sh
# The downloaded .deb files (about 500 MB) are not needed once installed.
in_root apt-get clean
unlock_root
echo "vknn: Debian 13: root, packages and build took $(($(date +%s) - start)) s"
status=0
# shellcheck disable=SC2086 # VKNN_DEBIAN13_TEST_ARGS: words on purpose
in_root meson test -C build-debian13 --print-errorlogs --num-processes 2 \
    ${VKNN_DEBIAN13_TEST_ARGS---no-suite train --no-suite style --no-suite layout} || status=$?
echo "vknn: Debian 13: $(($(date +%s) - start)) s in all"
exit $status
