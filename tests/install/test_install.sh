#!/bin/sh
# `meson install` into a DESTDIR, then what an application developer sees:
# libvknn.so.0 with its soname and only vknn_ exports, the public headers
# alone, vknn.pc, the plugin in GStreamer's plugin directory, the CLI and
# vknn(1). The examples are built against the installed files only
# (PKG_CONFIG_PATH into the DESTDIR; vknn.pc is relocatable, so its paths
# follow it there) and run briefly on the Vulkan device.
#   test_install.sh MESON BUILDDIR SRCDIR
set -u
meson=$1 build=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checks=0
check() { # DESCRIPTION CONDITION...
    desc=$1
    shift
    checks=$((checks + 1))
    if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fails=$((fails + 1)); fi
}

dest=$tmp/dest
# --no-rebuild: meson test has built everything; no second ninja in the tree.
if ! $meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    echo "FAIL: meson install"
    exit 1
fi
pc=$(find "$dest" -name vknn.pc)
[ -n "$pc" ] || { echo "FAIL: no vknn.pc installed"; find "$dest" | sed 's/^/    /'; exit 1; }
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
prefix_dir=$(dirname "$(dirname "$(find "$dest" -path '*/include/vknn' -type d)")")
echo "installed: prefix $prefix_dir, libdir $libdir"

check "libvknn.so.0: soname, versioned file and development link" sh -c \
    "[ -f '$libdir/libvknn.so.$(sed -n "s/^Version: //p" "$pc")' ] &&
     [ \"\$(readlink '$libdir/libvknn.so')\" = libvknn.so.0 ] &&
     objdump -p '$libdir/libvknn.so.0' | grep -qE 'SONAME +libvknn\.so\.0\$'"
exports() { # only vknn_ names (and the VKNN_0 version node) are exported
    nm -D --defined-only "$libdir/libvknn.so.0" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}' >"$tmp/exports"
    bad=$(grep -v '^vknn_' "$tmp/exports" | head -5)
    echo "    $(wc -l <"$tmp/exports") exports${bad:+; not vknn_: $bad}"
    [ -z "$bad" ] && grep -qx vknn_net_new "$tmp/exports" && ! grep -q '^onnx__' "$tmp/exports"
}
check "libvknn.so.0 exports vknn_ names only (no onnx__)" exports
headers() { # exactly compute/include/vknn/*.h
    (cd "$src/compute/include/vknn" && ls) >"$tmp/want"
    (cd "$prefix_dir/include/vknn" && ls) >"$tmp/got"
    diff "$tmp/want" "$tmp/got" >/dev/null || { diff "$tmp/want" "$tmp/got" | sed 's/^/    /'; return 1; }
    ! find "$prefix_dir/include" -type f ! -path '*/include/vknn/*' | grep -q .
}
check "the public headers, and only they, under include/vknn" headers
check "no static archive is installed" sh -c "! find '$dest' -name '*.a' | grep -q ."
plugin=$(find "$dest" -path '*/gstreamer-1.0/libgstvknn.so')
check "the plugin is in LIBDIR/gstreamer-1.0" [ "$(dirname "$plugin")" = "$libdir/gstreamer-1.0" ]
check "the plugin and the CLI link libvknn.so.0" sh -c \
    "objdump -p '$plugin' | grep -q 'NEEDED *libvknn.so.0' &&
     objdump -p '$prefix_dir/bin/vknn' | grep -q 'NEEDED *libvknn.so.0'"
man=$(find "$dest" -name vknn.1)
check "vknn(1) lists every command with its options" sh -c \
    "[ -n '$man' ] && for c in devices info stylize bench explain train; do
         grep -q \"^.SS \$c\\\$\" '$man' || exit 1; done && grep -q 'network\\\\-size' '$man' &&
     { ! command -v man >/dev/null || LC_ALL=C.UTF-8 MANWIDTH=80 man -l '$man' >/dev/null 2>'$tmp/manerr' && [ ! -s '$tmp/manerr' ]; }"
check "README and docs are installed" sh -c \
    "find '$dest' -path '*/doc/*/README.md' | grep -q . && find '$dest' -path '*/doc/*/docs/elements.md' | grep -q ."

# The application's view: pkg-config on the installed vknn.pc only. A build
# directory configured before pkgconfig.relocatable became a default option
# keeps writing an absolute prefix: then a copy with the DESTDIR's prefix
# stands in for it (a fresh setup, as in CI, tests the relocatable file).
if grep -q '^prefix=/' "$pcdir/vknn.pc"; then
    echo "note: this build directory's vknn.pc is not relocatable (set up before"
    echo "      pkgconfig.relocatable=true); testing a copy with the DESTDIR's prefix"
    mkdir -p "$tmp/pc"
    sed "s|^prefix=.*|prefix=$prefix_dir|" "$pcdir/vknn.pc" >"$tmp/pc/vknn.pc"
    pcdir=$tmp/pc
fi
export PKG_CONFIG_PATH="$pcdir"
cc=${CC:-cc}
pkgconf_vknn=pkg-config
pc_points_into_dest() { # vknn.pc's directories are the installed ones
    $pkgconf_vknn --cflags --libs vknn | sed 's/^/    /'
    [ "$(realpath "$($pkgconf_vknn --variable=includedir vknn)")" = "$(realpath "$prefix_dir/include")" ] &&
        [ "$(realpath "$($pkgconf_vknn --variable=libdir vknn)")" = "$(realpath "$libdir")" ] &&
        $pkgconf_vknn --libs vknn | grep -q -- '-lvknn'
}
check "pkg-config --cflags --libs vknn points into the DESTDIR" pc_points_into_dest
check "stylize_frame.c builds against the installed libvknn" sh -c \
    "$cc -std=c11 -Werror -Wall '$src/pipelines/examples/stylize_frame.c' -o '$tmp/stylize_frame' \
        \$($pkgconf_vknn --cflags --libs vknn) &&
     LD_LIBRARY_PATH='$libdir' ldd '$tmp/stylize_frame' | grep -q 'libvknn.so.0 => $libdir/'"
check "stylize_frame runs builtin:wave on the installed libvknn" sh -c \
    "LD_LIBRARY_PATH='$libdir' '$tmp/stylize_frame' builtin:wave 64x48 | sed 's/^/    /'"
# embed.c embeds the element: GStreamer's pkg-config, the installed plugin.
if pkg-config --exists gstreamer-app-1.0; then
    check "embed.c builds with pkg-config" sh -c \
        "$cc -std=c11 -Werror -Wall '$src/pipelines/examples/embed.c' -o '$tmp/embed' \
            \$(pkg-config --cflags --libs gstreamer-app-1.0)"
    check "embed runs vkstyletransfer from the installed plugin (6 frames)" sh -c \
        "GST_PLUGIN_PATH='$libdir/gstreamer-1.0' \
         GST_REGISTRY='$tmp/registry.bin' LD_LIBRARY_PATH='$libdir' \
         timeout 120 '$tmp/embed' builtin:starry_night builtin:wave 6 >'$tmp/embed.out' 2>&1;
         rc=\$?; sed 's/^/    /' '$tmp/embed.out'; [ \$rc -eq 0 ] && grep -q '^frame   6' '$tmp/embed.out'"
else
    echo "SKIP: embed.c: no gstreamer-app-1.0"
fi
check "the installed vknn runs (devices)" sh -c \
    "LD_LIBRARY_PATH='$libdir' '$prefix_dir/bin/vknn' devices | sed 's/^/    /'"
echo "$((checks - fails)) passed, $fails failed"
[ $fails -eq 0 ]
