#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine with Python 3.11, then run
# lint and the whole suite: unit tests, AppTest pages and the real-browser suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  # Debian's Chromium drives the browser suite (playwright's own browser download is not used).
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi
# -e .: scripts and benchmarks import the installed package (ARCHITECTURE.md "One entry for scripts").
python3 -m pip install -q -r requirements-dev.txt -e .
python3 -m ruff check .
# The browser suite must run, not skip, here: CNNAPPS_REQUIRE_BROWSER turns its skip into a failure.
CNNAPPS_REQUIRE_BROWSER=1 python3 -m pytest "$@"
