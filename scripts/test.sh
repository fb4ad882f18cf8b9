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
# PEP 668: Debian/Ubuntu's system Python refuses `pip install` outside a virtual environment, so
# everything runs from .venv (made once, then reused; an already active venv is used as it is).
# --system-site-packages lets packages already installed system-wide (e.g. a preinstalled torch)
# satisfy the pins instead of being installed again. This uses the default index (PyPI, via
# requirements-dev.txt -> requirements.txt), as a GPU machine would; requirements-cpu.txt (PyTorch's
# CPU index) is the variant for users without a GPU, documented in the README.
if [ -n "${VIRTUAL_ENV:-}" ]; then
  PY=python
else
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv --system-site-packages .venv; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
      rm -rf .venv && python3 -m venv --system-site-packages .venv
    fi
  fi
  PY=.venv/bin/python
fi
# -e .: scripts and benchmarks import the installed package (ARCHITECTURE.md "One entry for scripts").
"$PY" -m pip install -q -r requirements-dev.txt -e .
"$PY" -m ruff check .
# The browser suite must run, not skip, here: CNNAPPS_REQUIRE_BROWSER turns its skip into a failure.
CNNAPPS_REQUIRE_BROWSER=1 "$PY" -m pytest "$@"
