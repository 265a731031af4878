#!/usr/bin/env bash
# Installs Debian's Chromium, for the one test that opens the HTML sequence chart in a real
# browser (tests/browser/). Optional: without it that test says SKIPPED and the rest runs as usual.
set -euo pipefail
if command -v chromium >/dev/null; then
  echo "setup_chromium: $(chromium --version 2>/dev/null || echo chromium) is installed"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "setup_chromium: need root to apt-get install chromium (run as root, or install it yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium
