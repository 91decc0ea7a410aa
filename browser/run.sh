#!/usr/bin/env bash
# The console's browser tests: builds kefu, makes sure Debian's chromium,
# a font with Chinese glyphs and Playwright for Python (pinned in
# browser/requirements.txt, in a venv under target/) are there, then plays
# the console by clicking (browser/console_test.py). It also retakes the
# screenshots in docs/console/. Exits non-zero on any failed check or any
# JavaScript error in a page.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/browser

say() { printf '==> %s\n' "$*"; }

. .ci/kefu-bin.sh

missing=()
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
# Chinese text must render as text, not boxes, in the screenshots.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi

venv=$work/venv
if ! cmp -s browser/requirements.txt "$venv/.requirements.txt" 2>/dev/null; then
    say "Playwright into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r browser/requirements.txt
    cp browser/requirements.txt "$venv/.requirements.txt"
fi

say "the console in $("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -n 1)"
KEFU_BIN=$kefu "$venv/bin/python" browser/console_test.py
