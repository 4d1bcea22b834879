#!/bin/bash
# Real third-party DICOM files (../shared/data, see its manifest.tsv):
# `lumenq info` reads every image without error; malformed files and objects
# with absurd dimensions give exit 65 and one line naming the file; nothing
# crashes. Skipped (77) when the folder is absent.
set -u
lumenq=$1 data=$2
[ -f "$data/manifest.tsv" ] || { echo "SKIP: $data not present"; exit 77; }
pass=0 fail=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
# Declared dimensions beyond 8192 are refused before allocating.
refused_dimensions="orthanc-tests/2026-05-26-oob-monochrome-46341.dcm orthanc-tests/2026-05-26-oob-monochrome-65535.dcm"
while IFS=$'\t' read -r file kind _; do
    [ "$file" = file ] && continue
    timeout 60 "$lumenq" info "$data/$file" >/dev/null 2>"$err"
    rc=$?
    want=0
    if [ "$kind" = malformed ] || [[ " $refused_dimensions " == *" $file "* ]]; then want=65; fi
    lines=$(wc -l <"$err")
    if [ "$rc" -eq "$want" ] && { [ "$want" -eq 0 ] || { [ "$lines" -eq 1 ] && grep -qF "$file" "$err"; }; }; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - $file ($kind): exit $rc, want $want: $(head -c 300 "$err")"
    fi
done <"$data/manifest.tsv"
# A cardiac echo cine is not an IVUS pullback: (nearly) every frame is flagged
# as low confidence and no stenosis is presented as valid (exit 65, report says why).
echo_cine="$data/orthanc-tests/Issue164.dcm"
if [ -f "$echo_cine" ]; then
    out=$(mktemp)
    "$lumenq" measure -q --pullback-rate 1 "$echo_cine" >"$out" 2>/dev/null
    rc=$?
    flagged=$(sed -n 's/^Quality *\([0-9]*\) of 87 frames below confidence.*/\1/p' "$out")
    if [ "$rc" -eq 65 ] && grep -q "^NOT MEASURED" "$out" && [ "${flagged:-0}" -ge 78 ] &&
        ! grep -q "^VERDICT" "$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - echo cine measured as if it were IVUS (exit $rc)"
        cat "$out"
    fi
    rm -f "$out"
fi
# A folder is listed by study and series: a CT series of five slices is one
# series of five single-frame images.
series_dir="$data/pydicom/dicomdirtests/98892001"
if [ -d "$series_dir" ]; then
    out=$(mktemp)
    "$lumenq" info "$series_dir" >"$out" 2>/dev/null
    if grep -q "^Study 1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.1: Doe^Peter" "$out" &&
        grep -q "^Series .*: 5 objects, CT" "$out" && grep -q "5 single-frame images" "$out" &&
        grep -q "Volume *5 slices sorted along the slice normal, 0.488 x 0.488 x 2.500 mm" "$out" &&
        [ "$(grep -c '^Series' "$out")" -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - info on a CT series folder is not grouped by series:"; head -5 "$out"
    fi
    # The same real series through `lumenq ct`: the reference point falls in
    # fat, so nothing is measured and the report says why (exit 65, one line
    # naming the folder); a point off the volume is a usage error (exit 64).
    "$lumenq" ct "$series_dir" --lesion-voxel 8,8,1 --reference-voxel 8,8,3 >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -eq 65 ] && grep -q "^NOT MEASURED  the reference point is at -[0-9]* HU: not in a contrast-filled vein" "$out" &&
        [ "$(wc -l <"$err")" -eq 1 ] && grep -qF "$series_dir: not measured" "$err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - lumenq ct on a real series with the reference in fat: exit $rc: $(cat "$err")"
    fi
    "$lumenq" ct "$series_dir" --lesion-voxel 0,0,0 --reference-voxel 8,8,3 >/dev/null 2>"$err"
    rc=$?
    if [ "$rc" -eq 64 ] && grep -q "the lesion point lies outside the volume" "$err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "not ok - lumenq ct with a point on the volume's edge: exit $rc: $(cat "$err")"
    fi
    rm -f "$out"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
