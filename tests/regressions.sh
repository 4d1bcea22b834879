#!/bin/bash
# Every input a fuzz target once failed on (fuzz/regressions/), through the
# lumenq command line: a clear refusal (exit 65, one line naming the file),
# never a crash. The sanitizer pass runs it again under ASan/UBSan.
# Usage: regressions.sh LUMENQ REGRESSIONS_DIR
set -u
lumenq=$1 dir=$2
pass=0 fail=0
for f in "$dir"/reader/*; do
    [ -f "$f" ] || continue
    "$lumenq" measure --pixel-size 0.1 "$f" >/dev/null 2>"/tmp/lumenq-regression-$$.err"
    rc=$?
    if [ "$rc" -eq 65 ] && [ "$(wc -l <"/tmp/lumenq-regression-$$.err")" -eq 1 ] && grep -qF "$f" "/tmp/lumenq-regression-$$.err"; then
        pass=$((pass + 1)); echo "ok - $(basename "$f"): exit 65, one line"
    else
        fail=$((fail + 1)); echo "not ok - $(basename "$f"): exit $rc"; cat "/tmp/lumenq-regression-$$.err"
    fi
done
rm -f "/tmp/lumenq-regression-$$.err"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
