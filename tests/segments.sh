#!/bin/bash
# Every narrowed segment (issue 20, item 4; docs/measurements.md, "Every
# narrowed segment"): phantoms with two or three narrowed segments
# (lumenq-phantom --narrowing) list every segment of their truth, in the same
# vein and frames, with %DS within 3 points; an IVC narrowing is measured
# against the IVC (the pullback's own IVC stretch, else the published normal
# IVC), never against the EIV; the stent spans the segments over the
# threshold; a single-lesion pullback lists its lesion segment only.
# Usage: segments.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2 python3=/usr/bin/python3 # Debian's, with python3-pydicom (tools/deps.sh)
work=$(mktemp -d /tmp/lumenq-test-segments-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"

measure() { # measure NAME PHANTOM-OPTIONS...: NAME.json, NAME.txt, NAME.csv and NAME-truth.json
    local name=$1; shift
    "$phantom" "$work/$name.dcm" "$work/$name-truth.json" --size 256 "$@" >/dev/null &&
        "$lumenq" measure "$work/$name.dcm" -q -o "$work/$name.txt" --json "$work/$name.json" --csv "$work/$name.csv"
}

# Each truth segment has one measured segment of the same vein whose frames
# overlap, with %DS within 3 points, and no other segment is listed.
same_segments() { # same_segments NAME
    "$python3" - "$work/$1.json" "$work/$1-truth.json" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))["segments"]["list"]
truth = json.load(open(sys.argv[2]))["segments"]
ok = len(got) == len(truth)
for t in truth:
    m = [g for g in got if g["vein"] == t["vein"] and g["first"] <= t["last"] and t["first"] <= g["last"]]
    ds = m[0]["diameter_stenosis_pct"] if len(m) == 1 else None
    good = ds is not None and abs(ds - t["diameter_stenosis_pct"]) <= 3 and m[0]["reference"] == t["reference"]
    print("  %s frames %d-%d: truth %%DS %.1f, measured %s" % (t["vein"], t["first"], t["last"],
          t["diameter_stenosis_pct"], "%.1f" % ds if ds is not None else "none"))
    ok = ok and good
sys.exit(0 if ok else 1)
EOF
}
field() { # field NAME PYTHON: runs it with the JSON as `j`, the truth as `t` and `print`s `r`
    "$python3" -c "import json, sys; j = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); $2; print(r)" \
        "$work/$1.json" "$work/$1-truth.json"
}

sr_groups() { # sr_groups NAME COUNT: the SR's narrowed-segment groups, numbered and framed as the JSON's
    "$lumenq" measure "$work/$1.dcm" -q -o /dev/null --sr "$work/$1-sr.dcm" --pdf "$work/$1.pdf" || return 1
    if command -v dciodvfy >/dev/null; then
        dciodvfy "$work/$1-sr.dcm" 2>&1 | grep -q '^Error' && { dciodvfy "$work/$1-sr.dcm" 2>&1 | grep '^Error'; return 1; }
    fi
    "$python3" - "$work/$1-sr.dcm" "$work/$1.json" "$2" <<'EOF'
import json, sys, pydicom
sr, j, count = pydicom.dcmread(sys.argv[1]), json.load(open(sys.argv[2])), int(sys.argv[3])
def walk(item):
    for c in getattr(item, "ContentSequence", []):
        yield c
        yield from walk(c)
ids = [c.TextValue for c in walk(sr) if c.ValueType == "TEXT" and c.TextValue.startswith("narrowed segment ")]
assert len(ids) == count == len(j["segments"]["list"]), ids
for k, (i, g) in enumerate(zip(ids, j["segments"]["list"])):
    assert i.startswith("narrowed segment %d (" % (k + 1)) and "frames %d-%d" % (g["first"], g["last"]) in i, i
EOF
}

# Three segments: the CIV lesion, the EIV and the CFV (the EIV and CFV ones
# partly flattened), each with its own ratio and length.
check "CIV + EIV + CFV phantom: measured" measure three --seed 2 --narrowing civ:0.3:16 --narrowing eiv:0.3:12 \
    --narrowing cfv:0.35:10
check "  the truth has the three" [ "$(field three 'r = ",".join(s["vein"] for s in t["segments"])')" = civ,eiv,cfv ]
check "  every segment listed, %DS within 3 points" same_segments three
check "  the CIV one is the lesion" [ "$(field three 'r = [s["vein"] for s in j["segments"]["list"] if s["lesion"]]')" = "['civ']" ]
check "  the text lists them" grep -q "^Narrowed segments  3: runs of frames with area < 50 % of their reference" \
    "$work/three.txt"
check "  the CSV numbers the frames of segment 3 as the JSON" [ "$(awk -F, '$11 == 3' "$work/three.csv" | wc -l)" -eq \
    "$(field three 'g = j["segments"]["list"][2]; r = g["last"] - g["first"] + 1')" ]
check "  the SR holds a measurement group per segment, dciodvfy finds no error" sr_groups three 3
check "  the summary CSV row lists them" sh -c "'$lumenq' measure '$work/three.dcm' -q -o /dev/null \
    --summary-csv '$work/all.csv' && tail -1 '$work/all.csv' | grep -Eq ',3,civ:[0-9.]+;eiv:[0-9.]+;cfv:[0-9.]+,'"

# Two segments over the threshold: the stent spans both, from 10 mm above
# the CIV segment to 10 mm below the EIV one at least (into the straight EIV).
check "CIV + EIV phantom: measured" measure two --seed 6 --frames 200 --narrowing eiv:0.25:12
check "  every segment listed, %DS within 3 points" same_segments two
check "  both over the threshold, the stent covers both" [ "$(field two 'r = ([s["significant"] for s in j["segments"]["list"]], j["segments"]["stent_covers"])')" = "([True, True], 2)" ]
check "  the span runs from the CIV segment to the EIV one" [ "$(field two 'l = j["segments"]["list"]; f = {x["frame"]: x["position_mm"] for x in j["frames"]}; s = j["summary"]["stent"]; r = abs(s["span_from_mm"] - (f[l[0]["first"]] - 10)) <= 0.051 and s["span_to_mm"] >= f[l[1]["last"]] + 10 - 0.051')" = True ]
check "  the text says so" grep -q "span .* mm: the 2 segments over" "$work/two.txt"

# A CFV narrowing worse than the CIV one, beyond the straight EIV where the
# MLA is not searched: the worst segment is the lesion, as in the truth.
check "CIV + CFV phantom, the CFV worse: measured" measure moved --seed 2 --frames 200 --narrowing civ:0.4:14 \
    --narrowing cfv:0.22:10
check "  every segment listed, %DS within 3 points" same_segments moved
check "  the lesion is the CFV segment, the truth's lesion frame" [ "$(field moved 'g = [s for s in j["segments"]["list"] if s["lesion"]]; r = (len(g), g[0]["vein"], j["segments"]["lesion_moved"], abs(j["summary"]["lesion"]["frame"] - t["summary"]["lesion_frame"]) <= 2)')" = "(1, 'cfv', True, True)" ]
check "  the text says why" grep -q "auto: the worst narrowed segment, beyond frames" "$work/moved.txt"

# An IVC narrowing: against this pullback's IVC stretch, not the EIV.
check "IVC narrowing: measured" measure ivc --seed 3 --narrowing ivc:0.25:8
check "  every segment listed, %DS within 3 points" same_segments ivc
check "  the IVC one against an IVC stretch of the pullback" [ "$(field ivc 'g = j["segments"]["list"][0]; r = (g["vein"], g["reference"], j["segments"]["ivc_reference"]["source"])')" = "('ivc', 'ivc', 'ivc')" ]
check "  that reference is the IVC's, over 1.5 times the EIV's area" [ "$(field ivc 'r = j["segments"]["list"][0]["reference_area_mm2"] > 1.5 * j["summary"]["reference"]["area_mm2"]')" = True ]
check "  the text names it" grep -q "IVC ref frames" "$work/ivc.txt"
# A short pullback whose IVC holds no normal stretch beside the narrowing:
# the published normal infrarenal IVC (20.4 mm), and the report says so.
check "IVC narrowing, no normal IVC stretch: measured" measure ivcn --seed 3 --length 100 --frames 200 \
    --narrowing ivc:0.25:8
check "  every segment listed, %DS within 3 points" same_segments ivcn
check "  against the published normal IVC, 20.4 mm" [ "$(field ivcn 'g = j["segments"]["list"][0]; r = (g["reference"], g["reference_diameter_mm"])')" = "('ivc-normal', 20.4)" ]
check "  the text says it is not this patient's" grep -q "published infrarenal IVC, not this patient's" "$work/ivcn.txt"

# A single lesion (no --narrowing): one segment, the lesion's own.
check "single lesion: measured" measure one --seed 4 --frames 200
check "  one segment, the lesion segment, same %DS" [ "$(field one 'l = j["segments"]["list"]; s = j["summary"]; r = len(l) == 1 and l[0]["lesion"] and l[0]["first"] == s["lesion"]["segment_first"] and l[0]["last"] == s["lesion"]["segment_last"] and l[0]["diameter_stenosis_pct"] == s["diameter_stenosis_pct"]')" = True ]
check "  the truth JSON has no segments without --narrowing" \
    "$python3" -c "import json, sys; assert 'segments' not in json.load(open(sys.argv[1]))" "$work/one-truth.json"

# The option's errors.
for bad in "eiv:0.1:10" "eiv:0.3:1" "xyz:0.3:10" "eiv:0.3" "eiv:0.3:10:4"; do
    check "--narrowing $bad: exit 64" expect_exit 64 "$phantom" "$work/bad.dcm" --narrowing "$bad"
done
check "two narrowings of one vein: exit 64" expect_exit 64 "$phantom" "$work/bad.dcm" --narrowing eiv:0.3:10 \
    --narrowing eiv:0.4:10

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
