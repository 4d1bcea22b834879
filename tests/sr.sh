#!/bin/bash
# The IVUS SR's geometry read back by a third-party reader: pydicom
# (Debian's python3-pydicom) walks the content tree of the TID 1500 report
# and finds every measurement group with its ROI and values: the lesion's and
# each reference frame's lumen contour as a closed POLYLINE (TID 1410) on its
# frame, equal to the JSON's contour and enclosing the area it gives; the MLD
# and maximal-diameter calipers as two-point polylines as long as those
# diameters; the SNOMED CT stenosis concepts; the finding sites (--site and
# the EIV reference); the reader's edits. dciodvfy reports no error and no
# warning; dsrdump shows the polylines.
# (highdicom's TID 1500 parser is not used: it is not packaged in Debian 12
# and PyPI cannot be reached from the build machines.)
# Usage: sr.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-sr-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
py=/usr/bin/python3 # Debian's, with python3-pydicom (tools/deps.sh)

"$phantom" "$work/study.dcm" --frames 120 --size 256 --seed 11 >/dev/null || { echo "phantom failed"; exit 1; }
check "measure --sr --site civ: exit 0" expect_exit 0 "$lumenq" measure -q --site civ --sr "$work/sr.dcm" \
    --json "$work/r.json" "$work/study.dcm"

dciodvfy "$work/sr.dcm" >"$work/dciodvfy.out" 2>&1
check "dciodvfy: no error and no warning" sh -c "! grep -qi '^\(error\|warning\)' '$work/dciodvfy.out'"
check "dciodvfy: an Enhanced SR" grep -qx "EnhancedSR" "$work/dciodvfy.out"
dsrdump "$work/sr.dcm" >"$work/sr.txt" 2>&1
check "dsrdump: the contours as polylines selected from their frames" \
    grep -q 'contains SCOORD:(,,"Image Region")=(POLYLINE,' "$work/sr.txt"
check "dsrdump: the calipers as polylines" grep -q 'inferred from SCOORD:(,,"Source of Measurement")=(POLYLINE,' "$work/sr.txt"

read_back() { # read_back SR JSON SITE [EDITS]
    "$py" - "$@" <<'EOF'
import json, math, sys
import pydicom

sr, report, site = pydicom.dcmread(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
edits = sys.argv[4] if len(sys.argv) > 4 else None
s = report["summary"]
dx, dy = report["calibration"]["pixel_dx_mm"], report["calibration"]["pixel_dy_mm"]
sites = {"civ": "46027005", "eiv": "63507001", "cfv": "397363009", "ivc": "64131007"}

def name(item):
    c = item.ConceptNameCodeSequence[0]
    return (c.CodeValue, c.CodingSchemeDesignator)

def children(item):
    return list(getattr(item, "ContentSequence", []))

def group(container):
    """A measurement group as a reader sees it: tracking id, sites, ROIs, NUMs."""
    g = {"id": None, "sites": [], "regions": [], "nums": []}
    for item in children(container):
        if item.ValueType == "TEXT" and name(item) == ("112039", "DCM"): g["id"] = item.TextValue
        if item.ValueType == "CODE" and name(item) == ("363698007", "SCT"):
            g["sites"].append(item.ConceptCodeSequence[0].CodeValue)
        if item.ValueType == "SCOORD" and name(item) == ("111030", "DCM"): g["regions"].append(scoord(item))
        if item.ValueType == "NUM":
            value = float(item.MeasuredValueSequence[0].NumericValue)
            calipers = [scoord(c) for c in children(item) if c.ValueType == "SCOORD"]
            g["nums"].append((name(item), value, calipers))
    return g

def scoord(item):
    images = [c for c in children(item) if c.ValueType == "IMAGE" and c.RelationshipType == "SELECTED FROM"]
    assert len(images) == 1, "a SCOORD is selected from one image"
    ref = images[0].ReferencedSOPSequence[0]
    assert ref.ReferencedSOPInstanceUID == report["study"]["sop_instance_uid"]
    data = [float(v) for v in item.GraphicData]
    return {"type": item.GraphicType, "frame": int(ref.ReferencedFrameNumber),
            "points": [(data[i], data[i + 1]) for i in range(0, len(data), 2)]}

def mm(points):
    return [((c - 0.5) * dx, (r - 0.5) * dy) for c, r in points]

def shoelace(p):
    return abs(sum(p[i][0] * p[(i + 1) % len(p)][1] - p[(i + 1) % len(p)][0] * p[i][1] for i in range(len(p)))) / 2

root = [i for i in sr.ContentSequence if i.ValueType == "CONTAINER" and name(i) == ("126010", "DCM")]
assert len(root) == 1, "one Imaging Measurements container"
groups = [group(c) for c in children(root[0]) if c.ValueType == "CONTAINER" and name(c) == ("125007", "DCM")]
lesion_frame = s["lesion"]["frame"]
ref_frames = list(range(s["reference"]["first"], s["reference"]["last"] + 1))
# every narrowed segment, a TID 1501 group of its own after the reference's (docs/sr.md)
narrowed = [g for g in groups if g["id"].startswith("narrowed segment ")]
groups = [g for g in groups if g not in narrowed]
listed = report["segments"]["list"]
assert len(narrowed) == len(listed) >= 1, (len(narrowed), len(listed))
for k, (g, want) in enumerate(zip(narrowed, listed)):
    assert g["id"].startswith("narrowed segment %d (" % (k + 1)) and "frames %d-%d" % (want["first"], want["last"]) in g["id"], g["id"]
    assert g["sites"] == [sites[want["vein"]]], g["sites"]
    values = [(n[0], n[1]) for n in g["nums"]]
    assert (("408715008", "SCT"), round(want["diameter_stenosis_pct"], 2)) in [(c, round(v, 2)) for c, v in values], values
    assert any(c == ("408714007", "SCT") and abs(v - want["area_stenosis_pct"]) < 0.006 for c, v in values)
assert len(groups) == 2 + 1 + len(ref_frames), len(groups)

# TID 1501: the lesion's numbers, SNOMED CT stenosis concepts, the calipers, the site
lesion = groups[0]
assert lesion["sites"] == [sites[site]], lesion["sites"]
codes = [n[0] for n in lesion["nums"]]
assert codes.count(("408715008", "SCT")) == 2 and codes.count(("408714007", "SCT")) == 1, codes
assert not any(c[1] == "SRT" for c in codes)
values = {n[0]: n[1] for n in lesion["nums"]}
assert abs(values[("408714007", "SCT")] - s["area_stenosis_pct"]) < 0.006
diameters = [n for n in lesion["nums"] if n[0] == ("81827009", "SCT")]
for (code, value, calipers), want in zip(diameters, ("mld_mm", "max_diameter_mm")):
    assert len(calipers) == 1, "a caliper per diameter"
    c = calipers[0]
    assert c["type"] == "POLYLINE" and len(c["points"]) == 2 and c["frame"] == lesion_frame
    (x0, y0), (x1, y1) = mm(c["points"])
    assert abs(math.hypot(x1 - x0, y1 - y0) - s["lesion"][want]) < 0.01, (want, math.hypot(x1 - x0, y1 - y0))
    assert abs(value - s["lesion"][want]) < 0.006
assert groups[1]["sites"] == [sites["eiv"]], "the automatic reference is the EIV"

# TID 1410: one closed lumen polyline per frame, equal to the JSON's contour
for g, frame in zip(groups[2:], [lesion_frame] + ref_frames):
    assert len(g["regions"]) == 1, g["id"]
    region = g["regions"][0]
    assert region["type"] == "POLYLINE" and region["frame"] == frame, (g["id"], region["frame"], frame)
    points = region["points"]
    assert points[0] == points[-1], "closed"
    contour = report["frames"][frame - 1]["contour_mm"]
    assert len(points) == len(contour) + 1
    for (x, y), (cx, cy) in zip(mm(points), contour):
        assert abs(x - cx) < 0.002 and abs(y - cy) < 0.002
    area = report["frames"][frame - 1]["area_mm2"]
    assert abs(shoelace(mm(points[:-1])) - area) < 0.01
    (code, value, _), = g["nums"]
    assert code == ("122480", "DCM") and abs(value - area) < 0.006
    assert g["sites"] == [sites[site] if frame == lesion_frame else sites["eiv"]]
    assert g["id"] == "lumen contour, %s frame %d" % ("lesion" if frame == lesion_frame else "reference", frame)

def walk(item):
    for c in children(item):
        yield c
        yield from walk(c)
comments = [i.TextValue for i in walk(sr) if i.ValueType == "TEXT" and name(i) == ("121106", "DCM")]
said = [c for c in comments if c.startswith("reader's edits by ")]
assert (edits in said[0]) if edits else not said, comments
EOF
}
check "pydicom reads back every group with its ROI and values" read_back "$work/sr.dcm" "$work/r.json" civ

# with a reader's edits: the edited contour in the SR, and who changed what
"$py" - "$work/r.json" "$work/edits.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
lesion = r["summary"]["lesion"]["frame"]
c = r["frames"][lesion - 1]["contour_mm"]
cx = sum(p[0] for p in c) / len(c); cy = sum(p[1] for p in c) / len(c)
rect = [[cx - 1.5, cy - 2.25], [cx + 1.5, cy - 2.25], [cx + 1.5, cy + 2.25], [cx - 1.5, cy + 2.25]]
json.dump({"edits_version": 1, "sop_instance_uid": r["study"]["sop_instance_uid"], "reader": "Dr SR",
           "time": "2026-12-02T04:10:00Z", "lesion": None, "reference": None,
           "contours": [{"frame": lesion, "contour_mm": rect}]}, open(sys.argv[2], "w"))
EOF
check "measure --edits --sr --site eiv: exit 0" expect_exit 0 "$lumenq" measure -q --site eiv --edits "$work/edits.json" \
    --sr "$work/sr-edited.dcm" --json "$work/r-edited.json" "$work/study.dcm"
dciodvfy "$work/sr-edited.dcm" >"$work/dciodvfy-edited.out" 2>&1
check "edited SR: dciodvfy, no error and no warning" sh -c "! grep -qi '^\(error\|warning\)' '$work/dciodvfy-edited.out'"
check "edited SR: pydicom reads the edited contour back and who changed it" read_back "$work/sr-edited.dcm" \
    "$work/r-edited.json" eiv "reader's edits by Dr SR, 2026-12-02T04:10:00Z: contour of frame"

uid() { dcmdump +P 0008,0018 "$1" | sed 's/.*\[\(.*\)\].*/\1/'; }
"$lumenq" measure -q --site eiv --edits "$work/edits.json" --sr "$work/sr-edited2.dcm" "$work/study.dcm" >/dev/null
check "edited SR: another instance than the unedited SR" test "$(uid "$work/sr-edited.dcm")" != "$(uid "$work/sr.dcm")"
check "edited SR: the same instance for the same edits" test "$(uid "$work/sr-edited.dcm")" = "$(uid "$work/sr-edited2.dcm")"

# without --site: the pullback's own Anatomic Region Sequence, in its retired SRT code
cp "$work/study.dcm" "$work/anatomy.dcm"
dcmodify -nb -i "(0008,2218)[0].(0008,0100)=T-48710" -i "(0008,2218)[0].(0008,0102)=SRT" \
    -i "(0008,2218)[0].(0008,0104)=Inferior vena cava" "$work/anatomy.dcm" >/dev/null 2>&1
check "a pullback with its anatomy: exit 0" expect_exit 0 "$lumenq" measure -q --sr "$work/sr-anatomy.dcm" \
    --json "$work/r-anatomy.json" "$work/anatomy.dcm"
check "its anatomy is the lesion's finding site (SRT T-48710 as SCT 64131007)" read_back "$work/sr-anatomy.dcm" \
    "$work/r-anatomy.json" ivc

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
