#!/bin/bash
# Real third-party DICOM files, each listed with its kind in DIR/manifest.tsv:
# `lumenq info` reads every image without error; malformed files and objects
# with absurd dimensions give exit 65 and one line naming the file; nothing
# crashes. A real CT series is grouped and refused as `lumenq ct` input for
# the right reasons. Always over the repository's testdata/ (a fresh clone
# tests real files); again over ../shared/data (121 files, some GPL or large,
# testdata/README.md) when that folder exists, with the echo cine check that
# needs one of those files.
# Usage: realdata.sh LUMENQ TESTDATA [SHARED]
set -u
lumenq=$1 testdata=$2 shared=${3:-}
work=$(mktemp -d /tmp/lumenq-test-realdata-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"

# Declared dimensions beyond 8192 are refused before allocating.
refused_dimensions="orthanc-tests/2026-05-26-oob-monochrome-46341.dcm orthanc-tests/2026-05-26-oob-monochrome-65535.dcm"

info_gives() { # info_gives CODE PATH NAME: exit CODE; a refusal is one line naming the file
    expect_exit "$1" timeout 60 "$lumenq" info "$2" && { [ "$1" -eq 0 ] || one_line_with "$3"; }
}

every_file() { # every_file DIR: every file its manifest lists
    local file kind want
    while IFS=$'\t' read -r file kind _; do
        [ "$file" = file ] && continue
        want=0
        if [ "$kind" = malformed ] || [[ " $refused_dimensions " == *" $file "* ]]; then want=65; fi
        check "info $file ($kind): exit $want" info_gives "$want" "$1/$file" "$file"
    done <"$1/manifest.tsv"
}

ct_series() { # ct_series DIR: the folder holding pydicom's five-slice CT series
    local dir=$1
    # A folder is listed by study and series: five single-frame CT images are one series.
    check "info groups the CT series folder" expect_exit 0 "$lumenq" info "$dir"
    check "  one study, Doe^Peter" grep -q "^Study 1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.1: Doe^Peter" "$work/out"
    check "  one series of 5 CT objects" sh -c "grep -q '^Series .*: 5 objects, CT' '$work/out' &&
        grep -q '5 single-frame images' '$work/out' && [ \$(grep -c '^Series' '$work/out') -eq 1 ]"
    check "  a volume of 5 sorted slices, 0.488 x 0.488 x 2.500 mm" \
        grep -q "Volume *5 slices sorted along the slice normal, 0.488 x 0.488 x 2.500 mm" "$work/out"
    # The reference point falls in fat: nothing is measured and the report
    # says why (exit 65, one line naming the folder).
    check "ct with the reference in fat: exit 65" expect_exit 65 "$lumenq" ct "$dir" --lesion-voxel 8,8,1 --reference-voxel 8,8,3
    check "  the report says why" grep -q "^NOT MEASURED  the reference point is at -[0-9]* HU: not in a contrast-filled vein" "$work/out"
    check "  one line naming the folder" one_line_with "$dir: not measured"
    # A point on the volume's edge is a usage error.
    check "ct with a point on the volume's edge: exit 64" expect_exit 64 "$lumenq" ct "$dir" --lesion-voxel 0,0,0 --reference-voxel 8,8,3
    check "  names the point" one_line_with "the lesion point lies outside the volume"
}

echo_cine() { # echo_cine FILE: a cardiac echo cine is not an IVUS pullback
    # (Nearly) every frame is flagged as low confidence and no stenosis is
    # presented as valid (exit 65, the report says why).
    check "echo cine measured: exit 65" expect_exit 65 "$lumenq" measure -q --pullback-rate 1 "$1"
    local flagged
    flagged=$(sed -n 's/^Quality *\([0-9]*\) of 87 frames below confidence.*/\1/p' "$work/out")
    check "  NOT MEASURED, no verdict" sh -c "grep -q '^NOT MEASURED' '$work/out' && ! grep -q '^VERDICT' '$work/out'"
    check "  at least 78 of 87 frames flagged (${flagged:-none})" test "${flagged:-0}" -ge 78
}

check "testdata/manifest.tsv is there" test -f "$testdata/manifest.tsv" || { echo "$pass passed, $fail failed"; exit 1; }
# Every file in testdata/ is listed, and every listed file is there.
check "testdata/manifest.tsv lists exactly the files of testdata/" sh -c "
    cd '$testdata' && find . -type f ! -name manifest.tsv ! -name README.md -printf '%P\n' | LC_ALL=C sort >'$work/files' &&
    tail -n +2 manifest.tsv | cut -f1 | LC_ALL=C sort | cmp -s - '$work/files'"
every_file "$testdata"
ct_series "$testdata/pydicom/dicomdirtests/98892001"

if [ -n "$shared" ] && [ -f "$shared/manifest.tsv" ]; then
    check "testdata/ files are byte for byte those of $shared" sh -c "
        cd '$testdata' && tail -n +2 manifest.tsv | cut -f1 | while IFS= read -r f; do cmp -s \"\$f\" '$shared/'\"\$f\" || exit 1; done"
    every_file "$shared"
    echo_cine "$shared/orthanc-tests/Issue164.dcm"
else
    echo "# ${shared:-../shared/data} is not there: its 121 files and the echo cine check were not run (testdata/ was)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
