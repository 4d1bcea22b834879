#!/bin/bash
# Dynamics judged from a pause inside a pullback (issue 20, item 1): the
# pullback stops at the lesion for 15 s while the patient breathes, and the
# file does not say so (lumenq-phantom --pause). lumenq finds the frames whose
# image barely moves for 3 s or more at the lesion and measures the lumen
# over them: a lesion opening by 150 % at inspiration (area varying by 60 %)
# is flagged, and so is one breathing +-30 % about its mean (46 %) at the
# default threshold; a still one is not, and a pullback without a pause has
# none.
# The pause is taken out of the positions (the file's rate runs on through
# it): the lesion, its length, the reference and the stent come out as on
# the same seed pulled back without the pause.
# Usage: pause.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2 python3=/usr/bin/python3 # Debian's (tools/deps.sh)
work=$(mktemp -d /tmp/lumenq-test-pause-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/dynamics_lib.sh"

held() { # the truth's frames at the place the most frames share: "first last" (1-based)
    grep -o '"position_mm": [0-9.-]*' "$1" | awk '{print $2}' | tr -d , |
        awk '{n[$1]++; if (!($1 in f)) f[$1] = NR; l[$1] = NR} END {for (p in n) if (n[p] > best) {best = n[p]; at = p}
             print f[at], l[at]}'
}

for kind in breathing fixed pm30; do
    case $kind in breathing) opt="--breathing 1.5" ;; fixed) opt= ;; pm30) opt="--breathing 0.857" ;; esac
    check "a pullback pausing 15 s at the $kind lesion: written" "$phantom" "$work/$kind.dcm" "$work/$kind-truth.json" \
        --seed 4 --size 256 --pause 15 $opt
    check "  measured" expect_exit 0 "$lumenq" measure "$work/$kind.dcm" -o "$work/$kind.txt" --json "$work/$kind.json" \
        --csv "$work/$kind.csv" --png "$work/$kind-png"
    check "  the pause is found: source pause" [ "$(dyn "$work/$kind.json" source)" = pause ]
    read -r t0 t1 < <(held "$work/$kind-truth.json")
    first=$(dyn "$work/$kind.json" first) last=$(dyn "$work/$kind.json" last)
    check "  at the truth's held frames $t0-$t1, within 3 frames (found $first-$last)" \
        sh -c "[ \$(( $first - $t0 )) -ge -3 ] && [ \$(( $first - $t0 )) -le 3 ] &&
            [ \$(( $last - $t1 )) -ge -3 ] && [ \$(( $last - $t1 )) -le 3 ]"
    check "  the CSV flags those frames held-still" \
        [ "$(grep -c 'held-still' "$work/$kind.csv")" -eq $((last - first + 1)) ]
    check "  dynamics.png drawn" test -s "$work/$kind-png/dynamics.png"
done
check "breathing lesion: variation 50 % or more, dynamic" sh -c "[ $(int "$(dyn "$work/breathing.json" variation_pct)") -ge 50 ] &&
    [ '$(dyn "$work/breathing.json" dynamic)' = true ]"
check "  the text says so" grep -q "^CAUTION    the lesion is DYNAMIC: its area varies by [0-9]* % > 30 % while the pullback pauses at it" \
    "$work/breathing.txt"
check "+-30 % lesion: variation 42-50 %, dynamic at the default threshold" sh -c "
    v=$(int "$(dyn "$work/pm30.json" variation_pct)"); [ \$v -ge 42 ] && [ \$v -le 50 ] &&
    [ '$(dyn "$work/pm30.json" dynamic)' = true ] && [ '$(dyn "$work/pm30.json" threshold_pct)' = 30.0 ]"
check "still lesion: variation under 20 %, not dynamic" sh -c "[ $(int "$(dyn "$work/fixed.json" variation_pct)") -lt 20 ] &&
    [ '$(dyn "$work/fixed.json" dynamic)' = false ]"
check "  the text says not dynamic" grep -q "^Dynamics   verdict from pause: not dynamic" "$work/fixed.txt"

check "a pullback without a pause: written" "$phantom" "$work/moving.dcm" --seed 4 --size 256 --breathing 1.5
check "  measured" expect_exit 0 "$lumenq" measure "$work/moving.dcm" -q -f json -o "$work/moving.json"
check "  no frames held still: the verdict is the pullback's window" sh -c "[ '$(dyn "$work/moving.json" source)' = window ] &&
    grep -q '\"held_still\": null' '$work/moving.json'"

# The same seed without the pause, measured as the user would. Without taking
# the pause out, seed 4's fixed lesion read 13.8 mm further on, 19.3 mm long
# (5.0), its stent 80 mm (60) over a span 14.5 mm longer.
agree() { # agree PAUSED UNPAUSED "GROUP.KEY TOLERANCE[%]"...: summary values within the tolerances
    "$python3" - "$@" <<'EOF'
import json, sys
paused, unpaused = (json.load(open(f))["summary"] for f in sys.argv[1:3])
ok = True
for spec in sys.argv[3:]:
    name, tol = spec.split()
    group, key = name.split(".")
    a, b = paused[group][key], unpaused[group][key]
    limit = float(tol.rstrip("%")) * (abs(b) / 100 if tol.endswith("%") and b is not None else 1)
    good = a is not None and b is not None and abs(a - b) <= limit + 1e-9
    print(f"  {name}: {a} paused, {b} not, within {tol}: {'yes' if good else 'NO'}")
    ok &= good
sys.exit(0 if ok else 1)
EOF
}
check "the fixed lesion pulled back without the pause: written" "$phantom" "$work/fixed-moving.dcm" \
    "$work/fixed-moving-truth.json" --seed 4 --size 256
check "  measured" expect_exit 0 "$lumenq" measure "$work/fixed-moving.dcm" -o "$work/fixed-moving.txt" \
    --json "$work/fixed-moving.json"
# The lesion against the truth's in each: its narrowest frames are a plateau
# 1 mm long (seed 4 without the pause: frames 67-69 within 5 % of the MLA),
# so the two can pick its two ends and both be right.
lesion_near_truth() { # lesion_near_truth JSON TRUTH_JSON MM
    "$python3" - "$@" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))["summary"]["lesion"]["position_mm"]
truth = json.load(open(sys.argv[2]))
want = truth["frames_truth"][truth["summary"]["lesion_frame"] - 1]["position_mm"]
print(f"  lesion at {got} mm, the truth's at {want:.2f}")
sys.exit(0 if abs(got - want) <= float(sys.argv[3]) else 1)
EOF
}
check "  lesion position within 1 mm of the truth's, paused" lesion_near_truth "$work/fixed.json" "$work/fixed-truth.json" 1
check "  lesion position within 1 mm of the truth's, not paused" \
    lesion_near_truth "$work/fixed-moving.json" "$work/fixed-moving-truth.json" 1
check "  lesion length +-1.5 mm (a frame at each end), A_ref +-3 %, stent length, span +-1.5 mm" \
    agree "$work/fixed.json" "$work/fixed-moving.json" "lesion.length_mm 1.5" \
    "reference.area_mm2 3%" "stent.length_mm 0" "stent.span_mm 1.5"
# a breathing lesion is passed at another phase of its breath: its narrowest frame and length move with it
check "  breathing: lesion position +-2.5 mm, A_ref +-3 %, stent length, span +-2.5 mm" \
    agree "$work/breathing.json" "$work/moving.json" "lesion.position_mm 2.5" "reference.area_mm2 3%" \
    "stent.length_mm 0" "stent.span_mm 2.5"
check "  the text says the pause was taken out" \
    grep -q '^  Paused   frames [0-9]*-[0-9]*, 1[56].[0-9] s held still: one position, 1[456].[0-9] mm' "$work/fixed.txt"
check "  every frame's position within 1.5 mm of the truth's" "$python3" -c "
import json, sys
got = [f['position_mm'] for f in json.load(open(sys.argv[1]))['frames']]
truth = [f['position_mm'] for f in json.load(open(sys.argv[2]))['frames_truth']]
worst = max(abs(a - b) for a, b in zip(got, truth))
print(f'  worst {worst:.2f} mm over {len(got)} frames')
sys.exit(0 if len(got) == len(truth) and worst <= 1.5 else 1)" "$work/fixed.json" "$work/fixed-truth.json"
check "  the pullback without a pause has none" sh -c "! grep -q Paused '$work/fixed-moving.txt'"

echo "pause: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
