#!/bin/bash
# Fault injection on the outputs (issue 9): lumenq killed mid-write, a full
# disk, a read-only folder, a file-size limit. Every time: the documented exit
# code, one line naming the file, no partial output and no temporary file
# left, and the input byte-identical.
# Usage: faults.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-faults-XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
skip=0
no_temporaries() { ! find "$1" -name '.*.tmp-*' | grep -q .; }

"$phantom" "$work/study.dcm" --frames 200 --size 256 --seed 4 || { echo "phantom failed"; exit 1; }
sum_before=$(sha256sum "$work/study.dcm" | cut -d' ' -f1)
"$lumenq" measure -q "$work/study.dcm" --out "$work/ref" >/dev/null || { echo "reference run failed"; exit 1; }

# Outputs present after a fault must be complete: byte-identical to the
# reference run's (the PDF carries its creation time: complete = ends with %%EOF).
complete_outputs() { # complete_outputs DIR
    local f ok=0
    for f in "$1"/*; do
        [ -e "$f" ] || continue
        case $f in
        *.pdf) tail -c 8 "$f" | grep -q '%%EOF' || { echo "  incomplete: $f"; ok=1; } ;;
        *) cmp -s "$f" "$work/ref/$(basename "$f")" || { echo "  differs from a complete run: $f"; ok=1; } ;;
        esac
    done
    return $ok
}

# 1. Killed at random moments while writing everything.
killed_ok=1
for i in $(seq 1 12); do
    out="$work/killed$i"
    "$lumenq" measure -q "$work/study.dcm" --out "$out" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%02d' $((RANDOM % 60 + 5)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -d "$out" ] || continue
    no_temporaries "$out" || { echo "  temporary left in $out"; killed_ok=0; }
    complete_outputs "$out" || killed_ok=0
done
check "killed mid-write 12 times: only complete files, no temporaries" test "$killed_ok" = 1

# 2-3. A full disk and a read-only folder: a small tmpfs, mounted in a private
# mount namespace (unshare) or, failing that, directly as root.
mounted() { # mounted OPTIONS SCRIPT: runs SCRIPT with $M a fresh tmpfs
    local opts=$1 script=$2
    mkdir -p "$work/mnt"
    if unshare -rm true 2>/dev/null; then
        unshare -rm sh -c "mount -t tmpfs -o $opts none '$work/mnt' && M='$work/mnt' && $script"
    elif [ "$(id -u)" = 0 ] && mount -t tmpfs -o "$opts" none "$work/mnt" 2>/dev/null; then
        M="$work/mnt" sh -c "$script"
        local rc=$?
        umount "$work/mnt"
        return $rc
    else
        return 77
    fi
}
export lumenq work
mounted size=160k '"$lumenq" measure "$work/study.dcm" --out "$M/out" >/dev/null 2>"$work/full.err"; echo $? >"$work/full.rc"; ls -A "$M/out" >"$work/full.ls"; for f in "$M"/out/*; do case $f in *.pdf) tail -c 8 "$f" | grep -q "%%EOF" || echo "partial $f";; *) cmp -s "$f" "$work/ref/$(basename "$f")" || echo "partial $f";; esac; done >"$work/full.partial"'
rc=$?
if [ "$rc" = 77 ]; then
    echo "ok - full disk # SKIP cannot mount a tmpfs here"; skip=$((skip + 1))
else
    check "full disk: exit 74" test "$(cat "$work/full.rc")" = 74
    check "full disk: one line naming the file" sh -c "[ \$(wc -l <'$work/full.err') -eq 1 ] && grep -q 'write failed' '$work/full.err' && grep -q '$work/mnt/out/' '$work/full.err'"
    check "full disk: no temporary file" sh -c "! grep -q '.tmp-' '$work/full.ls'"
    check "full disk: what was written is complete" test ! -s "$work/full.partial"
fi
mounted ro,size=64k '"$lumenq" measure "$work/study.dcm" -o "$M/report.txt" >/dev/null 2>"$work/ro.err"; echo $? >"$work/ro.rc"'
rc=$?
if [ "$rc" = 77 ]; then
    echo "ok - read-only folder # SKIP cannot mount a tmpfs here"; skip=$((skip + 1))
else
    check "read-only folder: exit 73" test "$(cat "$work/ro.rc")" = 73
    check "read-only folder: one line naming the file" sh -c "[ \$(wc -l <'$work/ro.err') -eq 1 ] && grep -q 'report.txt: cannot create output' '$work/ro.err'"
fi

# 4. A file-size limit cuts every output: exit 74, nothing half-written.
sh -c "ulimit -f 64; trap '' XFSZ; exec '$lumenq' measure -q '$work/study.dcm' --out '$work/limited'" >/dev/null 2>"$work/limit.err"
check "file-size limit with --out: exit 74" test $? -eq 74
check "file-size limit: no temporary file" no_temporaries "$work/limited"
check "file-size limit: what was written is complete" complete_outputs "$work/limited"

check "the input is byte-identical after every fault" test "$(sha256sum "$work/study.dcm" | cut -d' ' -f1)" = "$sum_before"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
