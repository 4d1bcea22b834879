#!/bin/bash
# `lumenq measure --edits edits.json` as a script uses it: the reader's
# lesion contour changes MLA and %DS by what the polygon gives (computed here
# from its sides) and nothing else in the JSON; the text report and the JSON
# say what was changed and by whom; edits of another instance are exit 65,
# one line naming the edits file; an edits file is never overwritten.
# Usage: edits.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-edits-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
py=/usr/bin/python3 # Debian's, with python3-pydicom (tools/deps.sh)

"$phantom" "$work/study.dcm" --frames 120 --size 256 --seed 11 >/dev/null || { echo "phantom failed"; exit 1; }
check "measure without edits" expect_exit 0 "$lumenq" measure -q --json "$work/base.json" "$work/study.dcm"

# A 3 x 4.5 mm rectangle on the lesion frame, centred where its contour was.
"$py" - "$work/base.json" "$work/edits.json" "$work/other.json" <<'EOF'
import json, sys
base = json.load(open(sys.argv[1]))
lesion = base["summary"]["lesion"]["frame"]
c = base["frames"][lesion - 1]["contour_mm"]
cx = sum(p[0] for p in c) / len(c); cy = sum(p[1] for p in c) / len(c)
w, h = 3.0, 4.5
rect = [[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2], [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]]
edits = {"edits_version": 1, "sop_instance_uid": base["study"]["sop_instance_uid"], "reader": "Dr Script",
         "time": "2026-12-02T04:00:00Z", "lesion": None, "reference": None,
         "contours": [{"frame": lesion, "contour_mm": rect}]}
json.dump(edits, open(sys.argv[2], "w"))
edits["sop_instance_uid"] = "1.2.826.0.1.3680043.2.1125.1"
json.dump(edits, open(sys.argv[3], "w"))
EOF
sum_edits=$(sha256sum "$work/edits.json" | cut -d' ' -f1)
check "measure --edits: exit 0" expect_exit 0 "$lumenq" measure --edits "$work/edits.json" --json "$work/edited.json" \
    "$work/study.dcm"
check "the report says what the reader changed" grep -q "^Edits      by Dr Script, 2026-12-02T04:00:00Z: contour of frame [0-9]* redrawn" "$work/out"
check "the report names the edits file" grep -qF "from $work/edits.json" "$work/out"
check "JSON: MLA, MLD and the stenoses from the rectangle, everything else unchanged" "$py" - "$work/base.json" "$work/edited.json" <<'EOF'
import json, math, sys
base, ed = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lesion = base["summary"]["lesion"]["frame"]
w, h = 3.0, 4.5
area, mld, dmax = w * h, min(w, h), math.hypot(w, h)
s0, s = base["summary"], ed["summary"]
a_ref, d_ref = s0["reference"]["area_mm2"], s0["reference"]["diameter_mm"]
near = lambda a, b, tol: abs(a - b) <= tol
assert ed["edits"].pop("file").endswith("/edits.json")
assert ed["edits"] == {"reader": "Dr Script", "time": "2026-12-02T04:00:00Z", "contour_frames": [lesion],
                       "lesion_chosen": False, "reference_chosen": False}, ed["edits"]
assert base["edits"] is None
assert s["lesion"]["frame"] == lesion
assert near(s["lesion"]["mla_mm2"], area, 0.005), s["lesion"]
assert near(s["lesion"]["mld_mm"], mld, 0.0005) and near(s["lesion"]["max_diameter_mm"], dmax, 0.0005)
assert near(s["diameter_stenosis_pct"], 100 * (1 - mld / d_ref), 0.01), s["diameter_stenosis_pct"]
assert near(s["area_stenosis_pct"], 100 * (1 - area / a_ref), 0.01)
assert near(s["equiv_diameter_stenosis_pct"], 100 * (1 - math.sqrt(area / a_ref)), 0.01)
assert near(s["verdict"]["value_pct"], s["diameter_stenosis_pct"], 1e-9)
# what depends on the lesion frame's contour, and nothing else, differs
lesion_dependent = {"verdict", "diameter_stenosis_pct", "area_stenosis_pct", "equiv_diameter_stenosis_pct", "dynamic"}
for key in s0:
    if key in lesion_dependent: continue
    if key == "lesion":
        for k in s0[key]:
            if k not in ("mla_mm2", "mld_mm", "max_diameter_mm"): assert s0[key][k] == s[key][k], k
        continue
    assert s0[key] == s[key], key
for f0, f in zip(base["frames"], ed["frames"]):
    if f0["frame"] == lesion:
        assert near(f["area_mm2"], area, 0.0005) and f["confidence"] == 1 and len(f["contour_mm"]) == 4
        continue
    assert f0 == f, f0["frame"]
# the lesion's narrowed segment follows its redrawn contour
held = [g for g in ed["segments"]["list"] if g["lesion"]]
assert len(held) == 1 and held[0]["mla_frame"] == lesion and near(held[0]["mla_mm2"], area, 0.005), held
assert near(held[0]["diameter_stenosis_pct"], s["diameter_stenosis_pct"], 1e-9)
assert {k: v for k, v in base.items() if k not in ("summary", "frames", "edits", "segments")} == \
       {k: v for k, v in ed.items() if k not in ("summary", "frames", "edits", "segments")}
EOF
check "the edits file is untouched" test "$(sha256sum "$work/edits.json" | cut -d' ' -f1)" = "$sum_edits"
check "the edits file as an output: exit 64" expect_exit 64 "$lumenq" measure --edits "$work/edits.json" \
    --json "$work/edits.json" "$work/study.dcm"
check "the edits file as an output: left as it was" \
    test "$(sha256sum "$work/edits.json" | cut -d' ' -f1)" = "$sum_edits"

check "edits of another instance: exit 65" expect_exit 65 "$lumenq" measure --edits "$work/other.json" "$work/study.dcm"
check "edits of another instance: one line naming the edits file and both UIDs" one_line_with "$work/other.json: edits made on SOP Instance UID 1.2.826.0.1.3680043.2.1125.1, not on $work/study.dcm"
check "edits of another instance: no report" test ! -s "$work/out"
check "a missing edits file: exit 66" expect_exit 66 "$lumenq" measure --edits "$work/none.json" "$work/study.dcm"
check "a missing edits file: one line naming it" one_line_with "$work/none.json: cannot open"
echo '{"edits_version": 1,' >"$work/broken.json"
check "an edits file that is not JSON: exit 65" expect_exit 65 "$lumenq" measure --edits "$work/broken.json" "$work/study.dcm"
check "not JSON: one line naming it" one_line_with "$work/broken.json: not JSON"

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
