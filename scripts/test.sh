#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every test on the
# Vulkan device (lavapipe without a GPU). Tests needing ../shared skip without it.
#
# Then the same compute tests again in ./build-san under AddressSanitizer and
# UndefinedBehaviorSanitizer, with the fuzz targets' tests (suite 'fuzz':
# seed replay and a time-boxed run of each, -Dfuzz_seconds, 60 s by default);
# see docs/reliability.md, "Fuzzing and sanitisers". The valgrind variants,
# the GStreamer elements and the layout checks run in ./build only.
#
# Last, the plain build and the whole suite again in a Debian 13 root
# (GStreamer 1.26, Mesa 25, LLVM 19) in ./build-debian13: scripts/debian13.sh
# (debootstrap once, the root cached in /var/cache/vknn/debian13). CI runs
# it; VKNN_SKIP_DEBIAN13=1 leaves it out (a developer's quick run, a machine
# without root or Debian's mirror), saying so in the summary.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?

# A build that fails leaves no test log of its own: counted as one failure.
san_build_failed=0
rm -f build-san/meson-logs/testlog.json
if scripts/deps.sh --sanitizers; then
    # Sanitizer builds run slower: three times the usual timeouts (the
    # slowest test, the CLI's, takes 80-130 s of its 3 x 240 s here). Every
    # report fails its test: ASan and LeakSanitizer stop the process by
    # default, UBSan through -fno-sanitize-recover (scripts/deps.sh).
    # intercept_tls_get_addr=0: LeakSanitizer of GCC 12 (Debian 12) reads
    # the dynamic TLS blocks it records through __tls_get_addr, and one of
    # them, of a module the Vulkan loader or gdk-pixbuf loaded, can hold
    # stale bounds: the leak check then dies with "Tracer caught signal 11"
    # ("DTLS 10 at 0x000000000208-...") at exit, by memory layout alone
    # (the vknn stylize runs of the cli test, 2026-12-03). Without the
    # interceptor those blocks are not roots: that can add leak reports,
    # never hide one.
    ASAN_OPTIONS=${ASAN_OPTIONS:-intercept_tls_get_addr=0} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        meson test -C build-san --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
        --no-suite layout || status=$?
else
    echo "vknn: the sanitizer build (build-san) failed" >&2
    san_build_failed=1
    status=1
fi

# A setup that fails (debootstrap, packages, build) leaves no test log: one
# failure, as for build-san.
debian13_failed=0
rm -f build-debian13/meson-logs/testlog.json
if [ "${VKNN_SKIP_DEBIAN13:-0}" = 1 ]; then
    echo "vknn: VKNN_SKIP_DEBIAN13=1: the Debian 13 build and suite are skipped" >&2
else
    scripts/debian13.sh || status=1
    [ -f build-debian13/meson-logs/testlog.json ] || { debian13_failed=1; status=1; }
fi

# One closing line any CI log reader understands, over all builds.
SAN_BUILD_FAILED=$san_build_failed DEBIAN13_FAILED=$debian13_failed \
    VKNN_SKIP_DEBIAN13=${VKNN_SKIP_DEBIAN13:-0} python3 - <<'PY'
import json, os
def line(c):
    return f"{c['OK']} passed, {c['FAIL']} failed, {c['SKIP']} skipped"
setup_failures = {"build-san": int(os.environ["SAN_BUILD_FAILED"]),
                  "build-debian13": int(os.environ["DEBIAN13_FAILED"])}
names = {"build": "build (Debian 12)", "build-san": "build-san (Debian 12, sanitizers)",
         "build-debian13": "build-debian13 (Debian 13 root)"}
total = {"OK": 0, "FAIL": sum(setup_failures.values()), "SKIP": 0}
for build in ("build", "build-san", "build-debian13"):
    log = build + "/meson-logs/testlog.json"
    if setup_failures.get(build):
        print(f"{names[build]}: its setup or build failed (1 failure)")
    if build == "build-debian13" and os.environ["VKNN_SKIP_DEBIAN13"] == "1":
        print(f"{names[build]}: not run (VKNN_SKIP_DEBIAN13=1)")
        continue
    if not os.path.exists(log):
        continue
    counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
    for l in open(log):
        r = json.loads(l)["result"]
        counts["OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"] += 1
    print(f"{names[build]}: {line(counts)}")
    for k in total:
        total[k] += counts[k]
print(line(total))
PY
exit $status
