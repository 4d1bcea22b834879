#!/bin/bash
# Quick start, step 1: install what is missing, build, generate a phantom IVUS
# pullback (a May-Thurner-like iliac vein compression with known truth),
# measure it, print the report a radiologist would read and write the JSON,
# CSV, pictures and PDF beside it.
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
# One run: the report on the terminal, and every output in $out/report/.
build/tools/lumenq measure "$out/pullback.dcm" --out "$out/report"
echo
# The phantom knows the answer; show it beside the measurement.
truth() { grep -o "\"$1\": [-0-9.]*" "$out/truth.json" | head -1 | sed 's/.*: //'; }
printf 'Phantom truth: %%DS %.1f %%, %%AS %.1f %%, MLA %.1f mm2, MLD %.2f mm, A_ref %.1f mm2\n' \
    "$(truth diameter_stenosis_pct)" "$(truth area_stenosis_pct)" "$(truth mla_mm2)" "$(truth mld_mm)" \
    "$(truth reference_area_mm2)"
echo "Files in $out/report/: report.txt, report.json (every frame's contour), frames.csv, report.pdf," >&2
echo "  lesion.png, reference.png, profile.png; the phantom's truth: $out/truth.json" >&2

# CT venography: a phantom series (shuffled file names, the artery crossing
# the left common iliac vein), measured between its lesion and reference points.
echo >&2
echo "lumenq demo: writing a CT venography phantom series to $out/ctv/" >&2
rm -rf "$out/ctv"
build/tools/lumenq-phantom --ct "$out/ctv" --seed 1 >"$out/ct-truth.txt"
lesion=$(sed -n 's/^lesion point //p' "$out/ct-truth.txt")
reference=$(sed -n 's/^reference point //p' "$out/ct-truth.txt")
build/tools/lumenq ct "$out/ctv" --lesion-point "$lesion" --reference-point "$reference" --out "$out/ct-report"
echo
echo "Phantom $(grep '^truth' "$out/ct-truth.txt")"
echo "Files in $out/ct-report/: report.txt, report.json, sections.csv, lesion.png, reference.png, profile.png" >&2
