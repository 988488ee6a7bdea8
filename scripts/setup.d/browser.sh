#!/usr/bin/env bash
# Browser-test tooling: installs playwright-core (a pinned version, no bundled browsers) from npm into
# the project-local node_modules/ (git-ignored). Only when UPRES_WANT_TESTS=1; quick no-op when present.
# Chromium itself comes from Debian (scripts/setup.sh installs the `chromium` package).
set -euo pipefail
cd "$(dirname "$0")/../.."

[[ "${UPRES_WANT_TESTS:-0}" == 1 ]] || exit 0

version=1.61.1
installed=node_modules/playwright-core/package.json
if [[ -f $installed ]] && grep -q "\"version\": \"$version\"" "$installed"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "setup.d/browser.sh: npm not found; browser tests will be skipped" >&2
  exit 0
fi
echo "setup: installing playwright-core@$version into node_modules/"
# No package.json is written: --no-save and --no-package-lock keep the tree clean.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-save --no-package-lock --no-audit \
  --no-fund --prefix . "playwright-core@$version" ||
  echo "setup.d/browser.sh: npm install failed; browser tests will be skipped" >&2
