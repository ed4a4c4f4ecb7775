#!/usr/bin/env bash
# Install Debian's chromium (and poppler-utils' pdftotext, to read the printed report) for the
# report's browser tests (run by .ci/run before the tests; run it
# yourself once on a development machine). Only as root with apt-get; otherwise say why and exit 3:
# the browser test then skips with the reason.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: install chromium yourself (apt-get install chromium) to run the browser test" >&2
  exit 3
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get on this system: install a Chromium whose binary is called 'chromium'" >&2
  exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q chromium poppler-utils >&2
