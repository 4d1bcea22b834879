#!/bin/bash
# The demo's outputs against stored golden copies (issue 17): the IVUS demo
# pullback (tools/demo.sh: lumenq-phantom --seed 1) and the demo CT series
# (lumenq-phantom --ct --seed 1) measured to JSON must equal tests/golden/
# byte for byte, the CT at the scalar level and at the best one (the SIMD
# kernels are bit-exact, so the level changes no number). The version is
# masked: it changes with every release, not with what is measured.
# Usage: golden.sh LUMENQ LUMENQ_PHANTOM GOLDEN_DIR [--update]
#   --update rewrites the golden copies (tools/regen-golden.sh) after a
#   deliberate change; review the diff before committing it.
set -u
lumenq=$(realpath "$1") phantom=$(realpath "$2") golden=$(realpath "$3") update=${4:-}
work=$(mktemp -d /tmp/lumenq-test-golden-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"

mask() { sed 's/"lumenq_version": "[^"]*"/"lumenq_version": "(masked)"/' "$1"; }

# Relative paths: the JSON names the input as given.
cd "$work" || exit 1
"$phantom" pullback.dcm --seed 1 >/dev/null || { echo "phantom failed"; exit 1; }
"$phantom" --ct ctv --seed 1 >ct-truth.txt || { echo "CT phantom failed"; exit 1; }
lesion=$(sed -n 's/^lesion point //p' ct-truth.txt)
reference=$(sed -n 's/^reference point //p' ct-truth.txt)

check "demo: exit 0" expect_exit 0 "$lumenq" measure pullback.dcm -q -f json -o demo.json
check "demo CT: exit 0" expect_exit 0 "$lumenq" ct ctv --lesion-point "$lesion" --reference-point "$reference" \
    -q -f json -o demo-ct.json
check "demo CT at the scalar level: exit 0" expect_exit 0 "$lumenq" ct ctv --lesion-point "$lesion" \
    --reference-point "$reference" --cpu scalar -q -f json -o demo-ct-scalar.json

if [ "$update" = --update ]; then
    mask demo.json >"$golden/demo.json" && mask demo-ct.json >"$golden/demo-ct.json" &&
        echo "updated $golden/demo.json and $golden/demo-ct.json" || exit 1
fi
same() { # same OUTPUT GOLDEN: equal after masking, else the first differences
    mask "$1" | cmp -s - "$2" && return 0
    mask "$1" | diff "$2" - | head -20 | cut -c1-240
    return 1
}
check "demo JSON equals tests/golden/demo.json" same demo.json "$golden/demo.json"
check "demo CT JSON equals tests/golden/demo-ct.json" same demo-ct.json "$golden/demo-ct.json"
check "demo CT JSON is the same at the scalar level" same demo-ct-scalar.json "$golden/demo-ct.json"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
