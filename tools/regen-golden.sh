#!/bin/bash
# Rewrites tests/golden/ (the demo's JSON that the `golden` test compares)
# after a deliberate change to what lumenq measures or writes. Review
# `git diff tests/golden` before committing: every changed number must be
# one you meant to change.
# Usage: tools/regen-golden.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
ninja -C "$build" tools/lumenq tools/lumenq-phantom
tests/golden.sh "$PWD/$build/tools/lumenq" "$PWD/$build/tools/lumenq-phantom" "$PWD/tests/golden" --update
git --no-pager diff --stat -- tests/golden
