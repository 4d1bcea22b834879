#!/bin/bash
# Dynamics judged from a stationary recording (issue 20, item 1): the
# catheter held at the lesion while the patient breathes. Phantom seed 4
# held 12 s at 10 frames/s (--hold-lesion, IVUS Acquisition SELECTIVE, a
# series of its own): a lesion whose minor axis opens by 150 % at
# inspiration (area varying by 60 %) is flagged, a still one is not, one
# breathing +-30 % (46 %) is flagged at the default threshold (30 %: issue
# 20's "+-30 % or more flagged, a still one not"); beside its
# pullback in a folder the recording judges the pullback's lesion (over the
# pullback's own window, which re-narrows with a breathing lesion), and the
# text, JSON, summary CSV, dynamics.png, PDF and SR carry it.
# Usage: stationary.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-stationary-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/dynamics_lib.sh"


for kind in breathing fixed pm30; do
    case $kind in breathing) opt="--breathing 1.5" ;; fixed) opt= ;; pm30) opt="--breathing 0.86" ;; esac
    check "held at the $kind lesion: written" "$phantom" "$work/held-$kind.dcm" --hold-lesion 12 --seed 4 --size 256 \
        --series 2 $opt
done
check "alone: exit 65, not a pullback" expect_exit 65 "$lumenq" measure "$work/held-breathing.dcm" \
    -o "$work/alone.txt" --json "$work/alone.json"
check "  the message says stationary" grep -q "not measured: a stationary recording (IVUS Acquisition SELECTIVE)" \
    "$work/err"
check "  its lumen over time is reported" grep -q "^Dynamics   verdict from stationary: DYNAMIC" "$work/alone.txt"
check "  breathing cycles found (period 3.5-5 s)" sh -c "awk 'BEGIN {p = $(dyn "$work/alone.json" period_s);
    exit !(p >= 3.5 && p <= 5)}'"
check "  three full cycles in 12 s" grep -Eq "breathing every [0-9.]+ s \(autocorrelation [0-9.]+\): [23] full cycles" \
    "$work/alone.txt"
check "  breathing lesion: variation 55-65 %, dynamic" sh -c "v=$(int "$(dyn "$work/alone.json" variation_pct)");
    [ \$v -ge 55 ] && [ \$v -le 65 ] && [ '$(dyn "$work/alone.json" dynamic)' = true ]"
check "  every frame flagged held-still" [ "$(grep -c '"held-still"' "$work/alone.json")" -eq 120 ]
"$lumenq" measure "$work/held-fixed.dcm" -o /dev/null --json "$work/fixed.json" 2>/dev/null
check "still lesion: judged, variation under 20 %, not dynamic" sh -c "[ '$(dyn "$work/fixed.json" judged)' = true ] &&
    [ $(int "$(dyn "$work/fixed.json" variation_pct)") -lt 20 ] && [ '$(dyn "$work/fixed.json" dynamic)' = false ]"
"$lumenq" measure "$work/held-pm30.dcm" -o /dev/null --json "$work/pm30.json" 2>/dev/null
"$lumenq" measure "$work/held-pm30.dcm" -o /dev/null --json "$work/pm30-50.json" --dynamic-threshold 50 2>/dev/null
check "+-30 % lesion: variation 42-50 %: dynamic at the default, not at --dynamic-threshold 50" sh -c "
    v=$(int "$(dyn "$work/pm30.json" variation_pct)"); [ \$v -ge 42 ] && [ \$v -le 50 ] &&
    [ '$(dyn "$work/pm30.json" dynamic)' = true ] && [ '$(dyn "$work/pm30.json" threshold_pct)' = 30.0 ] &&
    [ '$(dyn "$work/pm30-50.json" dynamic)' = false ]"

# A folder of one study: the pullback and the recording held at its lesion.
mkdir -p "$work/study" "$work/still"
check "pullback written" "$phantom" "$work/study/pullback.dcm" --seed 4 --size 256
check "a pullback through the breathing lesion written" "$phantom" "$work/still/pullback.dcm" --seed 4 --size 256 \
    --breathing 1.5
cp "$work/held-breathing.dcm" "$work/study/held.dcm"
cp "$work/held-fixed.dcm" "$work/still/held.dcm"
check "folder with a stationary recording: exit 0" expect_exit 0 "$lumenq" measure "$work/study" -o "$work/study.txt" \
    --out "$work/o" --sr "$work/o/sr.dcm" --summary-csv "$work/summary.csv"
check "  the pullback is measured" grep -q "^File       $work/study/pullback.dcm" "$work/study.txt"
check "  the stationary recording judges it: DYNAMIC" grep -q "^CAUTION    the lesion is DYNAMIC: its area varies by [56][0-9] % > 30 % in the stationary recording" "$work/study.txt"
check "  JSON: source stationary, both files" sh -c "[ '$(dyn "$work/o/report.json" source)' = stationary ] &&
    [ '$(dyn "$work/o/report.json" file)' = '$work/study/held.dcm' ] &&
    grep -q '\"file\": \"$work/study/pullback.dcm\"' '$work/o/report.json'"
check "  summary CSV: stationary, dynamic, its variation" sh -c "tail -1 '$work/summary.csv' | grep -Eq ',stationary,1,[56][0-9]\.[0-9],'"
check "  dynamics.png drawn" sh -c "[ -s '$work/o/dynamics.png' ] && file '$work/o/dynamics.png' | grep -q '1000 x 400'"
check "  the PDF has the lumen over time on a second page" [ "$(grep -ac '/Type /Page\b' "$work/o/report.pdf")" -ge 2 ]
if command -v dcmdump >/dev/null; then
    check "  the SR references both recordings" sh -c "dcmdump '$work/o/sr.dcm' | grep -q '$(sop "$work/study/pullback.dcm")' &&
        dcmdump '$work/o/sr.dcm' | grep -q '$(sop "$work/study/held.dcm")'"
    check "  the SR says so" sh -c "dcmdump '$work/o/sr.dcm' | grep -q 'dynamics from a stationary recording'"
fi
# The PACS hook on the same study: the pullback judged from the recording,
# which is not measured on its own.
check "hook on the study: exit 0" expect_exit 0 "$lumenq" hook "$work/study" --out "$work/hook" --log "$work/hook.log"
hook_json=$(ls "$work"/hook/*/*/report.json 2>/dev/null | head -1)
check "  one instance measured, the pullback" [ "$(ls "$work"/hook/*/*/report.json 2>/dev/null | wc -l)" -eq 1 ]
check "  its lesion judged from the recording: stationary, dynamic" sh -c "[ '$(dyn "$hook_json" source)' = stationary ] &&
    [ '$(dyn "$hook_json" dynamic)' = true ]"
check "  dynamics.png beside it" [ -s "$(dirname "$hook_json")/dynamics.png" ]
check "  the log says so for both" sh -c "grep -q 'DYNAMIC in the recording held still' '$work/hook.log' &&
    grep -q 'a recording held still, it judges the study' '$work/hook.log'"
check "folder with a still recording: exit 0" expect_exit 0 "$lumenq" measure "$work/still" -q -f json \
    -o "$work/still.json"
check "  source stationary, not dynamic" sh -c "[ '$(dyn "$work/still.json" source)' = stationary ] &&
    [ '$(dyn "$work/still.json" dynamic)' = false ]"
"$lumenq" measure "$work/still" -o "$work/still.txt" 2>/dev/null
check "  the pullback's own window (it re-narrows) is superseded, no caution from it" sh -c "
    grep -q '^  Dynamic  .*YES: re-narrowing' '$work/still.txt' && grep -q 'superseded: the recording held still decides' \
    '$work/still.txt' && ! grep -q 'CAUTION.*DYNAMIC' '$work/still.txt'"
check "--stationary F: the same verdict as the folder" sh -c "'$lumenq' measure '$work/study/pullback.dcm' \
    --stationary '$work/held-breathing.dcm' -q -f json -o '$work/explicit.json' &&
    [ '$(dyn "$work/o/report.json" variation_pct)' = \"\$(sed -n '/^  \"dynamics\": {/,/^  },\$/p' '$work/explicit.json' |
      grep -o '\"variation_pct\": [^,}]*' | head -1 | sed 's/.*: //')\" ]"
check "a recording of another study written" "$phantom" "$work/other-study.dcm" --hold-lesion 4 --seed 7 --size 128
check "--stationary of another study: exit 65" expect_exit 65 "$lumenq" measure "$work/study/pullback.dcm" \
    --stationary "$work/other-study.dcm" -o /dev/null
check "  one line naming it and why" one_line_with "other-study.dcm: of another study"
check "--stationary naming a missing file: exit 66" expect_exit 66 "$lumenq" measure "$work/study/pullback.dcm" \
    --stationary "$work/none.dcm" -o /dev/null
check "  one line naming it" one_line_with "$work/none.dcm"

echo "stationary: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
