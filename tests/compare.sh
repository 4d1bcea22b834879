#!/bin/bash
# Dynamics judged from a second pullback (issue 20, item 2): the same vein
# pulled back again 3 mm further along (lumenq-phantom --shift 3, a series of
# its own), in another respiratory phase with the lesion's area 2.5 times
# larger (--phase 1.5), or in the same phase. The two are aligned on their
# area profiles (the shift found within 0.5 mm) and the lesion's MLA in each
# compared: another phase is dynamic, the same one is not; with --compare or
# as two pullbacks of one study in a folder, and by the PACS hook, which
# measures each and compares it with the other. A lesion 30 % narrower in one
# pullback and 30 % wider in the other (+-30 % about its mean, 46 %) is
# dynamic at the default threshold.
# Usage: compare.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/dynamics_lib.sh"

near() { awk -v a="$1" -v b="$2" -v tol="$3" 'BEGIN {d = a - b; exit !(d <= tol && d >= -tol)}'; }

check "first pullback written" "$phantom" "$work/first.dcm" --seed 4 --size 256
check "another phase, 3 mm further, written" "$phantom" "$work/other.dcm" --seed 4 --size 256 --phase 1.5 --shift 3 --series 3
check "same phase, 3 mm further, written" "$phantom" "$work/same.dcm" --seed 4 --size 256 --shift 3 --series 3

check "--compare another phase: exit 0" expect_exit 0 "$lumenq" measure "$work/first.dcm" --compare "$work/other.dcm" \
    -o "$work/other.txt" --json "$work/other.json" --summary-csv "$work/summary.csv" --sr "$work/other-sr.dcm"
check "  aligned -3 mm (+-0.5)" near "$(dyn "$work/other.json" shift_mm)" -3 0.5
check "  MLA change 50 % or more: dynamic" sh -c "awk 'BEGIN {exit !($(dyn "$work/other.json" change_pct) > 50)}' &&
    [ '$(dyn "$work/other.json" source)' = compare ] && [ '$(dyn "$work/other.json" dynamic)' = true ]"
check "  the text says so" grep -q "^CAUTION    the lesion is DYNAMIC: its area varies by [0-9]* % > 30 % between the two pullbacks" \
    "$work/other.txt"
check "  the summary CSV gives the shift and the change" sh -c "tail -1 '$work/summary.csv' | grep -Eq ',compare,1,,,,-[23]\.[0-9]+,[5-9][0-9]\.[0-9]$'"
if command -v dcmdump >/dev/null; then
    check "  the SR references both pullbacks" sh -c "dcmdump '$work/other-sr.dcm' | grep -q '$(sop "$work/first.dcm")' &&
        dcmdump '$work/other-sr.dcm' | grep -q '$(sop "$work/other.dcm")'"
fi
check "--compare the same phase: exit 0" expect_exit 0 "$lumenq" measure "$work/first.dcm" --compare "$work/same.dcm" \
    -q -f json -o "$work/same.json"
check "  aligned -3 mm (+-0.5)" near "$(dyn "$work/same.json" shift_mm)" -3 0.5
check "  MLA change under 10 %: not dynamic" sh -c "awk 'BEGIN {exit !($(dyn "$work/same.json" change_pct) < 10)}' &&
    [ '$(dyn "$work/same.json" dynamic)' = false ]"

check "the lesion 30 % narrower, written" "$phantom" "$work/minus30.dcm" --seed 4 --size 256 --phase -0.3
check "  and 30 % wider, 3 mm further, written" "$phantom" "$work/plus30.dcm" --seed 4 --size 256 --phase 0.3 --shift 3 \
    --series 6
check "--compare them: exit 0" expect_exit 0 "$lumenq" measure "$work/minus30.dcm" --compare "$work/plus30.dcm" -q \
    -f json -o "$work/pm30.json"
check "  MLA change 40-50 %: dynamic at the default threshold" sh -c "
    awk 'BEGIN {c = $(dyn "$work/pm30.json" change_pct); exit !(c >= 40 && c <= 50)}' &&
    [ '$(dyn "$work/pm30.json" dynamic)' = true ] && [ '$(dyn "$work/pm30.json" threshold_pct)' = 30.0 ]"

check "45 mm further (beyond the 30 mm searched), written" "$phantom" "$work/far.dcm" --seed 4 --size 256 --shift 45 \
    --series 5
check "--compare it: exit 0" expect_exit 0 "$lumenq" measure "$work/first.dcm" --compare "$work/far.dcm" -q -f json \
    -o "$work/far.json"
check "  the profiles do not match: not judged, the verdict stays the pullback's own" sh -c "
    [ '$(dyn "$work/far.json" judged)' = false ] && [ '$(dyn "$work/far.json" source)' = window ] &&
    grep -q 'the area profiles do not match' '$work/far.json'"

mkdir -p "$work/study"
cp "$work/first.dcm" "$work/other.dcm" "$work/study/"
check "a folder of two pullbacks of one study: exit 0" expect_exit 0 "$lumenq" measure "$work/study" -q -f json \
    -o "$work/folder.json"
check "  compared as with --compare" sh -c "[ '$(dyn "$work/folder.json" change_pct)' = '$(dyn "$work/other.json" change_pct)' ] &&
    [ '$(dyn "$work/folder.json" dynamic)' = true ]"
# The PACS hook on that study: each pullback measured, its lesion judged
# against the other; and on a study of two pullbacks in the same phase.
check "hook on the study of two pullbacks: exit 0" expect_exit 0 "$lumenq" hook "$work/study" --out "$work/hook" \
    --log "$work/hook.log"
check "  both measured, each compared with the other: source compare, dynamic" sh -c "
    [ \$(ls '$work'/hook/*/*/report.json | wc -l) -eq 2 ] && for j in '$work'/hook/*/*/report.json; do
        grep -q '\"source\": \"compare\", \"dynamic\": true' \"\$j\" || exit 1; done"
first_json=$(grep -l '"file": ".*/first.dcm"' "$work"/hook/*/*/report.json | head -1)
check "  the first's change as with --compare" [ "$(dyn "$first_json" change_pct)" = "$(dyn "$work/other.json" change_pct)" ]
check "  the log says so for both, with the change and the shift" \
    [ "$(grep -Ec 'DYNAMIC between the two pullbacks \(MLA change [5-9][0-9] %, aligned [-+][23]\.[0-9] mm\)' "$work/hook.log")" -eq 2 ]
mkdir -p "$work/same-study"
cp "$work/first.dcm" "$work/same.dcm" "$work/same-study/"
check "hook on a study of two pullbacks in the same phase: exit 0" expect_exit 0 "$lumenq" hook "$work/same-study" \
    --out "$work/hook-same" --log "$work/hook-same.log"
check "  the log says not dynamic for both" \
    [ "$(grep -c 'not dynamic between the two pullbacks (MLA change [0-9] %' "$work/hook-same.log")" -eq 2 ]

check "an untimed pullback written" "$phantom" "$work/untimed.dcm" --seed 4 --size 256 --no-timing --series 4
check "--compare an untimed pullback: exit 65" expect_exit 65 "$lumenq" measure "$work/first.dcm" \
    --compare "$work/untimed.dcm" -o /dev/null
check "  one line naming it" one_line_with "$work/untimed.dcm"

echo "compare: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
