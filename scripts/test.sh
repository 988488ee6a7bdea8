#!/usr/bin/env bash
# Installs everything (build and test dependencies), builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 900
