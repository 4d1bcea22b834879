#!/bin/bash
# Pullbacks exported one file per frame (issue 20, item 5): a phantom written
# as single-frame US Images, under shuffled file names, measures as the same
# pullback written as one multi-frame file (the same JSON numbers); the order
# comes from Instance Number, then Content Time, then the number in the file
# name; files of another size and duplicates are refused with one line.
# Usage: frames.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-frames-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"

# 81 frames over 40 mm at 1 mm/s: 500 ms a frame, exact in a DICOM time.
args=(--seed 3 --frames 81 --size 256 --length 40 --dynamic)
"$phantom" "$work/multi.dcm" "${args[@]}" || exit 1
"$phantom" "$work/frames" "${args[@]}" --frame-files || exit 1
numbers() { grep -vE '"(file|sop_instance_uid|sop_class_uid)"' "$1"; } # what the pullback's identity does not set

# Shuffled: each file gets a random name whose number contradicts its place.
shuffle() { # shuffle DIR SEED: renames every file of DIR at random
    local i=0 f
    for f in $(ls "$1" | shuf --random-source=<(yes "$2")); do
        mv "$1/$f" "$1/tmp-$i" && i=$((i + 1))
    done
    for f in "$1"/tmp-*; do mv "$f" "$1/frame$(( (RANDOM * 7919) % 100000 )).dcm"; done
}
RANDOM=7
shuffle "$work/frames" 1

check "multi-frame measured" expect_exit 0 "$lumenq" measure "$work/multi.dcm" -f json -o "$work/multi.json"
check "one file per frame, shuffled, measured" expect_exit 0 "$lumenq" measure "$work/frames" -f json -o "$work/frames.json"
check "  the same JSON numbers" cmp -s <(numbers "$work/multi.json") <(numbers "$work/frames.json")
# each worker thread opens the series again for the frames it reads
check "  the same with 3 threads" sh -c "'$lumenq' measure '$work/frames' --threads 3 -f json -o '$work/frames3.json'"
check "  the same JSON numbers at 3 threads" cmp -s <(numbers "$work/multi.json") <(numbers "$work/frames3.json")
check "info shows one pullback" expect_exit 0 "$lumenq" info "$work/frames"
check "  of 81 single-frame images" grep -q "one pullback of 81 single-frame images" "$work/out"
check "  81 frames, timed from the Content Times" sh -c "grep -q 'Image  *81 frames' '$work/out' &&
    grep -q 'Pullback  *1.000 mm/s, frame time 500.000 ms' '$work/out'"

if command -v dcmodify >/dev/null; then
    # Without Instance Numbers the Content Times order the frames.
    cp -r "$work/frames" "$work/no-number"
    dcmodify -nb -q -ea "(0020,0013)" "$work"/no-number/*.dcm
    check "no Instance Number: ordered by Content Time" expect_exit 0 "$lumenq" measure "$work/no-number" -f json \
        -o "$work/no-number.json"
    check "  the same JSON numbers" cmp -s <(numbers "$work/multi.json") <(numbers "$work/no-number.json")
    # Without times either, the number in the name; then the frame time is the user's.
    "$phantom" "$work/named" "${args[@]}" --frame-files || exit 1
    dcmodify -nb -q -ea "(0020,0013)" -ea "(0008,0033)" "$work"/named/*.dcm
    for f in "$work"/named/IMG*.dcm; do n=${f##*/IMG}; mv "$f" "$work/named/frame_$((10#${n%.dcm})).dcm"; done
    check "no number or time: ordered by the file names" expect_exit 0 "$lumenq" measure "$work/named" \
        --frame-time 500 -f json -o "$work/named.json"
    check "multi-frame with --frame-time" expect_exit 0 "$lumenq" measure "$work/multi.dcm" --frame-time 500 -f json \
        -o "$work/multi-user.json"
    check "  the same JSON numbers" cmp -s <(numbers "$work/multi-user.json") <(numbers "$work/named.json")
    check "  untimed without --frame-time, said so" sh -c "'$lumenq' measure '$work/named' -f json -o /dev/null 2>&1 |
        grep -q 'no frame time or pullback rate'"
fi

if command -v dcmcjpeg >/dev/null; then
    # Compressed frames, each file on its own: JPEG lossless (DCMTK decodes
    # it) and JPEG baseline (libjpeg-turbo, from the frame's bitstream), each
    # against the multi-frame file compressed the same way.
    for codec in +e1 +eb; do
        mkdir "$work/jpeg$codec"
        for f in "$work"/frames/*.dcm; do dcmcjpeg "$codec" "$f" "$work/jpeg$codec/${f##*/}" || exit 1; done
        dcmcjpeg "$codec" "$work/multi.dcm" "$work/multi$codec.dcm" || exit 1
        check "JPEG ($codec) frame files measured" expect_exit 0 "$lumenq" measure "$work/jpeg$codec" -f json \
            -o "$work/jpeg$codec.json"
        check "JPEG ($codec) multi-frame file measured" expect_exit 0 "$lumenq" measure "$work/multi$codec.dcm" -f json \
            -o "$work/multi$codec.json"
        check "  the same JSON numbers" cmp -s <(numbers "$work/multi$codec.json") <(numbers "$work/jpeg$codec.json")
    done
fi

# A copy of a frame under another name: two files at one place.
cp -r "$work/frames" "$work/duplicate"
first=$(ls "$work/duplicate" | head -1)
cp "$work/duplicate/$first" "$work/duplicate/copy-of-it.dcm"
check "a duplicate frame is refused" expect_exit 65 "$lumenq" measure "$work/duplicate"
check "  one line naming both files" sh -c "[ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'copy-of-it.dcm' '$work/err' &&
    grep -q '$first' '$work/err' && grep -q 'same place in the pullback' '$work/err'"

# A frame missing from the numbered frames: every later position would shift.
cp -r "$work/frames" "$work/gap"
rm "$work/gap/$(ls "$work/gap" | sed -n 40p)"
check "a missing frame is refused" expect_exit 65 "$lumenq" measure "$work/gap"
check "  one line saying so" sh -c "[ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'frames are missing' '$work/err'"

# A frame of another size in the series (the same seed: the same series UID).
"$phantom" "$work/small" --seed 3 --frames 2 --size 128 --frame-files || exit 1
cp -r "$work/frames" "$work/mixed"
cp "$work/small/IMG00002.dcm" "$work/mixed/small.dcm"
check "mixed sizes are refused" expect_exit 65 "$lumenq" measure "$work/mixed"
check "  one line with the reason" sh -c "[ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'small.dcm' '$work/err' &&
    grep -q 'image sizes differ' '$work/err'"

# Stills of one series that make no pullback beside a multi-frame pullback:
# the pullback is measured, as before.
mkdir "$work/beside"
cp "$work/small/IMG00002.dcm" "$work/beside/small.dcm"
cp "$work/frames/$(ls "$work/frames" | head -1)" "$work/beside/large.dcm"
"$phantom" "$work/beside/pullback.dcm" --seed 5 --frames 81 --size 256 --length 40 || exit 1
check "mismatched stills beside a pullback: the pullback measured" expect_exit 0 "$lumenq" measure "$work/beside" \
    -f json -o "$work/beside.json"
check "  it is the pullback's report" grep -q '"file": ".*pullback.dcm"' "$work/beside.json"
check "info says why the stills are not one pullback" sh -c "'$lumenq' info '$work/beside' | grep -q 'not one pullback: .*image sizes differ'"

# Uncalibrated frames: measured with --pixel-size, refused without.
"$phantom" "$work/uncal" "${args[@]}" --frame-files --calibration none || exit 1
check "uncalibrated frames need --pixel-size" expect_exit 65 "$lumenq" measure "$work/uncal"
check "  and say so" sh -c "grep -q 'give --pixel-size' '$work/err' && [ \$(wc -l <'$work/err') -eq 1 ]"
check "  measured with --pixel-size" expect_exit 0 "$lumenq" measure "$work/uncal" --pixel-size 0.2 -f json -o /dev/null

echo "frames: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
