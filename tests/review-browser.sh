#!/bin/bash
# The review page in headless chromium (tests/review_browser.py) on a
# 120-frame phantom; skipped (exit 77) where chromium, chromium-driver or
# python3-selenium are missing (tools/deps.sh installs them).
# Usage: review-browser.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && /usr/bin/python3 -c 'import selenium' 2>/dev/null ||
    { echo "# skipped: chromium, chromium-driver or python3-selenium missing"; exit 77; }
work=$(mktemp -d /tmp/lumenq-test-review-browser-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$phantom" "$work/study.dcm" --frames 120 --size 256 --seed 11 >/dev/null || { echo "phantom failed"; exit 1; }
/usr/bin/python3 "$(dirname "$0")/review_browser.py" "$lumenq" "$work/study.dcm" "$work" \
    ${LUMENQ_REVIEW_SCREENSHOT:+--screenshot "$LUMENQ_REVIEW_SCREENSHOT"}
