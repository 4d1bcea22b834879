#!/bin/bash
# Quick start, step 1: install what is missing, build, generate a phantom IVUS
# pullback (a May-Thurner-like iliac vein compression with known truth),
# measure it and print the report a radiologist would read.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
lumenq_install_deps
lumenq_build build --buildtype=release

out=demo-out
mkdir -p "$out"
echo "lumenq demo: writing a 300-frame 512x512 phantom pullback to $out/pullback.dcm" >&2
build/tools/lumenq-phantom "$out/pullback.dcm" "$out/truth.json" --seed 1
build/tools/lumenq info "$out/pullback.dcm"
echo
build/tools/lumenq measure "$out/pullback.dcm" --format json -o "$out/report.json"
build/tools/lumenq measure "$out/pullback.dcm" | tee "$out/report.txt"
echo
# The phantom knows the answer; show it beside the measurement.
truth() { grep -o "\"$1\": [-0-9.]*" "$out/truth.json" | head -1 | sed 's/.*: //'; }
printf 'Phantom truth: %%DS %.1f %%, %%AS %.1f %%, MLA %.1f mm2, MLD %.2f mm, A_ref %.1f mm2\n' \
    "$(truth diameter_stenosis_pct)" "$(truth area_stenosis_pct)" "$(truth mla_mm2)" "$(truth mld_mm)" \
    "$(truth reference_area_mm2)"
echo "Files: $out/report.txt, $out/report.json (every frame's contour), $out/truth.json" >&2
