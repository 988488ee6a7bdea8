#!/usr/bin/env bash
# Installs everything (build and test dependencies), builds, and runs the whole test suite.
# Fails when a test fails, and when a test skips for anything but a property of the machine
# (tests/allowed_skips.txt): a skip for a missing picture, weights file or tool is a broken set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
report="$PWD/build/ctest-junit.xml"
rm -f "$report"
ctest_status=0
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 900 --output-junit "$report" \
  || ctest_status=$?
skips_status=0
/usr/bin/python3 scripts/check_test_skips.py "$report" tests/allowed_skips.txt || skips_status=$?
((ctest_status == 0)) || exit "$ctest_status"
exit "$skips_status"
