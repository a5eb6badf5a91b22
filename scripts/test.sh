#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every test on the
# Vulkan device (lavapipe without a GPU). Tests needing ../shared skip without it.
#
# Then the same compute tests again in ./build-san under AddressSanitizer and
# UndefinedBehaviorSanitizer, with the fuzz targets' tests (suite 'fuzz':
# seed replay and a time-boxed run of each, -Dfuzz_seconds, 60 s by default);
# see docs/reliability.md, "Fuzzing and sanitisers". The valgrind variants,
# the GStreamer elements and the layout checks run in ./build only.
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
    # slowest test, the CLI's, takes 80-90 s of its 3 x 120 s here). Every
    # report fails its test: ASan and LeakSanitizer stop the process by
    # default, UBSan through -fno-sanitize-recover (scripts/deps.sh).
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        meson test -C build-san --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
        --no-suite layout || status=$?
else
    echo "vknn: the sanitizer build (build-san) failed" >&2
    san_build_failed=1
    status=1
fi

# One closing line any CI log reader understands, over both builds.
SAN_BUILD_FAILED=$san_build_failed python3 - <<'PY'
import json, os
def line(c):
    return f"{c['OK']} passed, {c['FAIL']} failed, {c['SKIP']} skipped"
total = {"OK": 0, "FAIL": int(os.environ["SAN_BUILD_FAILED"]), "SKIP": 0}
for build in ("build", "build-san"):
    log = build + "/meson-logs/testlog.json"
    if not os.path.exists(log):
        continue
    counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
    for l in open(log):
        r = json.loads(l)["result"]
        counts["OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"] += 1
    print(f"{build}: {line(counts)}")
    for k in total:
        total[k] += counts[k]
print(line(total))
PY
exit $status
