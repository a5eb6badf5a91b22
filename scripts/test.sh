#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every test on the
# Vulkan device (lavapipe without a GPU). Tests needing ../shared skip without it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?
# One closing line any CI log reader understands.
python3 - <<'PY'
import json
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open("build/meson-logs/testlog.json"):
    r = json.loads(line)["result"]
    key = "OK" if r in ("OK", "EXPECTEDFAIL") else "SKIP" if r == "SKIP" else "FAIL"
    counts[key] += 1
print(f"{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
exit $status
