#!/usr/bin/env bash
# Install Debian's chromium for tests/test_browser.py (Playwright drives it; its own
# browser download is not used). Needs root and apt-get; says why when it cannot,
# and the browser test then skips with that reason. `--required` makes that an error
# (.ci/run uses it, so CI never silently skips the browser test).
set -uo pipefail
required=${1:-}
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: chromium is missing and this is not root with apt-get; the browser test will skip." \
       "Install Debian's chromium package to run it." >&2
  [ "$required" = --required ] && exit 1 || exit 0
fi
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -q && apt-get install -y -q --no-install-recommends chromium; } >/tmp/install_browser.log 2>&1
status=$?
if [ $status != 0 ]; then
  echo "note: apt-get install chromium failed (log: /tmp/install_browser.log); the browser test will skip." >&2
  [ "$required" = --required ] && exit 1
fi
exit 0
