#!/bin/bash
# `lumenq ct` as a radiologist runs it on a CT venography series (issue 8):
# a phantom series with shuffled file names, points in mm or as voxels, the
# report and its caution, JSON against the phantom's truth, the per-section
# CSV, the pictures decoded back, the SR (dciodvfy, dsrdump values as in the
# JSON), exit codes and one-line errors, inputs untouched.
# Usage: ct.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-ct-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"

"$phantom" --ct "$work/ctv" --seed 7 >"$work/truth.txt" || { echo "phantom failed"; exit 1; }
lesion=$(sed -n 's/^lesion point //p' "$work/truth.txt")
reference=$(sed -n 's/^reference point //p' "$work/truth.txt")
truth_ds=$(sed -n 's/.*%DS \([0-9.]*\),.*/\1/p' "$work/truth.txt")
truth_mla=$(sed -n 's/.*MLA \([0-9.]*\) mm2.*/\1/p' "$work/truth.txt")
sums_before=$(cd "$work/ctv" && sha256sum -- * | sha256sum)
check "file names do not follow the anatomy" sh -c "ls '$work/ctv' | head -3 | grep -q CT"

check "ct: exit 0" expect_exit 0 "$lumenq" ct "$work/ctv" --lesion-point "$lesion" --reference-point "$reference" \
    --out "$work/out1" --sr "$work/out1/sr.dcm"
cp "$work/out" "$work/report.txt"
check "the report says CT alone does not decide treatment" grep -q "^CAUTION .*CT alone does not decide treatment" "$work/report.txt"
check "the report gives the finding" grep -q "^FINDING    COMPRESSION: diameter stenosis" "$work/report.txt"
check "the report states the %DS definition" grep -qF "100*(1 - MLD/D_ref)" "$work/report.txt"
check "--out wrote every file" sh -c "cd '$work/out1' && ls report.txt report.json sections.csv lesion.png reference.png profile.png sr.dcm >/dev/null"
check "report.txt is the report on standard output" cmp -s "$work/report.txt" "$work/out1/report.txt"
check "no temporary file left" sh -c "! ls -a '$work/out1' | grep -q '^\.'lumenq"

if command -v python3 >/dev/null; then
    check "JSON: %DS and MLA against the phantom's truth (5 points, 10 %)" python3 - "$work/out1/report.json" "$truth_ds" "$truth_mla" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["result"]
assert d["kind"] == "ct-venography" and "CT alone" in d["caution"]
assert r["ok"] and r["compression"] is True
assert abs(r["diameter_stenosis_pct"] - float(sys.argv[2])) <= 5, r["diameter_stenosis_pct"]
assert abs(r["mla_mm2"] / float(sys.argv[3]) - 1) <= 0.10, r["mla_mm2"]
secs = d["cross_sections"]
assert len(secs) == r["sections"] and len(secs) > 40
steps = [b["position_mm"] - a["position_mm"] for a, b in zip(secs, secs[1:])]
assert max(steps) <= 1.0 + 1e-6, max(steps)
assert sum("lesion" in s["flags"].split(",") for s in secs) == 1
EOF
    check "CSV: one row per cross-section, the lesion flagged, areas as in the JSON" python3 - "$work/out1/sections.csv" "$work/out1/report.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
assert len(rows) == d["result"]["sections"]
lesion = [r for r in rows if "lesion" in r["flags"].split(";")]
assert len(lesion) == 1 and int(lesion[0]["section"]) == d["result"]["lesion_section"]
assert abs(float(lesion[0]["area_mm2"]) - d["result"]["mla_mm2"]) < 0.01
assert sum("reference" in r["flags"].split(";") for r in rows) >= 5
EOF
    check "pictures are PNGs of the expected size" python3 - "$work/out1" <<'EOF'
import struct, sys, zlib
def size(path):
    b = open(path, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR"
    w, h = struct.unpack(">II", b[16:24])
    # the image data inflates to h rows of 1 + 3 w bytes (RGB, 8 bits)
    data, pos = b"", 8
    while pos < len(b):
        n, = struct.unpack(">I", b[pos:pos + 4]); kind = b[pos + 4:pos + 8]
        if kind == b"IDAT": data += b[pos + 8:pos + 8 + n]
        pos += 12 + n
    assert len(zlib.decompress(data)) == h * (1 + 3 * w)
    return w, h
assert size(sys.argv[1] + "/lesion.png")[0] == 512
assert size(sys.argv[1] + "/reference.png")[0] == 512
assert size(sys.argv[1] + "/profile.png") == (960, 620)
EOF
fi

if command -v dciodvfy >/dev/null; then
    dciodvfy "$work/out1/sr.dcm" >"$work/dciodvfy.out" 2>&1
    check "the SR passes dciodvfy" sh -c "! grep -q '^Error' '$work/dciodvfy.out'"
fi
if command -v dsrdump >/dev/null && command -v python3 >/dev/null; then
    dsrdump "$work/out1/sr.dcm" >"$work/sr.txt" 2>&1
    check "the SR reports CT and its MLA and %DS as the JSON" python3 - "$work/sr.txt" "$work/out1/report.json" <<'EOF'
import json, re, sys
sr = open(sys.argv[1]).read()
r = json.load(open(sys.argv[2]))["result"]
assert "CT of abdomen and pelvis" in sr
area = re.search(r'"Vessel Lumen Cross-Sectional Area"\)="([0-9.]+)"', sr).group(1)
ds = re.search(r'"Lumen Diameter Stenosis"\)="([0-9.]+)"', sr).group(1)
assert abs(float(area) - r["mla_mm2"]) < 0.01 and abs(float(ds) - r["diameter_stenosis_pct"]) < 0.01
assert sr.count("IMAGE:=(CT image") == 2  # the lesion slice and the reference slice
EOF
fi

# the same series as one Enhanced CT object (frames stored out of order)
"$phantom" --ct "$work/enh" --seed 7 --enhanced >/dev/null
check "Enhanced CT: one file" sh -c "[ \$(ls '$work/enh' | wc -l) -eq 1 ]"
check "Enhanced CT: exit 0" expect_exit 0 "$lumenq" ct "$work/enh" --lesion-point "$lesion" --reference-point "$reference" \
    -f json -o "$work/enh.json" --sr "$work/enh-sr.dcm"
if command -v python3 >/dev/null; then
    check "Enhanced CT measures exactly as the slices" python3 - "$work/enh.json" "$work/out1/report.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["result"] == b["result"] and a["cross_sections"] == b["cross_sections"]
EOF
fi
if command -v dsrdump >/dev/null; then
    dsrdump "$work/enh-sr.dcm" >"$work/enh-sr.txt" 2>&1
    check "Enhanced CT SR references frames of the object" grep -q 'Source of Measurement")=(CTe image,,[0-9]' "$work/enh-sr.txt"
fi
if command -v dciodvfy >/dev/null; then
    dciodvfy "$work/enh-sr.dcm" >"$work/dciodvfy2.out" 2>&1
    check "Enhanced CT SR passes dciodvfy" sh -c "! grep -q '^Error' '$work/dciodvfy2.out'"
fi

# the same points as voxels: column, row, slice in position order
vox() { # LPS "x,y,z" -> "i,j,k" for the phantom (origin -30,-30; 0.6 mm; slices 1 mm from z = -99)
    echo "$1" | awk -F, '{printf "%d,%d,%d", ($1 + 30) / 0.6 + 0.5, ($2 + 30) / 0.6 + 0.5, $3 + 99 + 0.5}'
}
check "ct with voxel points: exit 0" expect_exit 0 "$lumenq" ct "$work/ctv" --lesion-voxel "$(vox "$lesion")" \
    --reference-voxel "$(vox "$reference")" -f json -o "$work/vox.json"
if command -v python3 >/dev/null; then
    check "voxel points give the same measurement within 5 points" python3 - "$work/vox.json" "$work/out1/report.json" <<'EOF'
import json, sys
a, b = (json.load(open(p))["result"] for p in sys.argv[1:3])
assert abs(a["diameter_stenosis_pct"] - b["diameter_stenosis_pct"]) <= 5
EOF
fi

check "a point outside the volume: exit 64" expect_exit 64 "$lumenq" ct "$work/ctv" --lesion-point 4,12,-500 --reference-point "$reference"
check "... one line naming the folder and the point" one_line_with "$work/ctv: the lesion point lies outside the volume"
check "a reference point off the vein: exit 65" expect_exit 65 "$lumenq" ct "$work/ctv" --lesion-point "$lesion" --reference-point 25,25,-60
check "... the report says why" grep -q "^NOT MEASURED  the reference point is at .* HU: not in a contrast-filled vein" "$work/out"
check "... one line on standard error" one_line_with "not measured: the reference point"
check "no points: exit 64" expect_exit 64 "$lumenq" ct "$work/ctv"
check "a malformed point: exit 64" expect_exit 64 "$lumenq" ct "$work/ctv" --lesion-point 1,2 --reference-point "$reference"
check "--pdf is for IVUS: exit 64" expect_exit 64 "$lumenq" ct "$work/ctv" --lesion-point "$lesion" --reference-point "$reference" --pdf "$work/x.pdf"
check "no CT series in a folder: exit 65" expect_exit 65 "$lumenq" ct "$work/out1" --lesion-point "$lesion" --reference-point "$reference"
"$phantom" --ct "$work/gap" --seed 7 --missing-slice 50 >/dev/null
check "a missing slice: exit 65" expect_exit 65 "$lumenq" ct "$work/gap" --lesion-point "$lesion" --reference-point "$reference"
check "... one line saying so" one_line_with "slice missing between"
check "missing folder: exit 66" expect_exit 66 "$lumenq" ct "$work/none" --lesion-point 1,2,3 --reference-point 1,2,4
check "... one line naming it" one_line_with "$work/none"
check "input files unchanged" sh -c "[ \"\$(cd '$work/ctv' && sha256sum -- * | sha256sum)\" = '$sums_before' ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
