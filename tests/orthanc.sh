#!/bin/bash
# lumenq inside Orthanc (integrations/orthanc/lumenq.lua), on 127.0.0.1: a
# phantom uploaded through the REST API; when the study is stable the Lua
# script runs `lumenq hook` and uploads the SR and the Encapsulated PDF; both
# must appear in the same study, the SR with the JSON's values. Then a burst:
# 40 studies uploaded at once, each measured once and given its SR and PDF;
# the wall time is printed against the same hooks run one after another.
# Bounded in time; Orthanc stopped at the end. Skipped (77) without Orthanc or curl.
# Usage: orthanc.sh LUMENQ LUMENQ_PHANTOM SOURCE_ROOT
set -u
lumenq=$(readlink -f "$1") phantom=$(readlink -f "$2") root=$(readlink -f "$3")
command -v Orthanc >/dev/null && command -v curl >/dev/null || { echo "SKIP: Orthanc or curl missing"; exit 77; }
work=$(mktemp -d /tmp/lumenq-test-orthanc-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. "$(dirname "$0")/harness.sh"

for _ in 1 2 3 4 5 6; do
    http=$((20000 + RANDOM % 40000)) dicom=$((20000 + RANDOM % 40000))
    cat >"$work/orthanc.json" <<JSON
{ "Name" : "LUMENQTEST", "StorageDirectory" : "$work/db", "IndexDirectory" : "$work/db",
  "LuaScripts" : [ "$root/integrations/orthanc/lumenq.lua" ], "StableAge" : 1,
  "HttpPort" : $http, "DicomPort" : $dicom, "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : false, "HttpServerEnabled" : true }
JSON
    LUMENQ="$lumenq" LUMENQ_OUT="$work/lumenq" Orthanc "$work/orthanc.json" >"$work/orthanc.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 40); do
        curl -sf "http://127.0.0.1:$http/system" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    curl -sf "http://127.0.0.1:$http/system" >/dev/null 2>&1 && break
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
done
[ -n "$pid" ] || { echo "not ok - Orthanc did not start"; tail -5 "$work/orthanc.log"; exit 1; }
api="http://127.0.0.1:$http"

"$phantom" "$work/study.dcm" --frames 120 --size 256 --seed 31 || exit 1
check "the pullback is uploaded" sh -c "curl -sf -X POST '$api/instances' --data-binary @'$work/study.dcm' >'$work/upload.json'"
study=$(sed -n 's/.*"ParentStudy" *: *"\([0-9a-f-]*\)".*/\1/p' "$work/upload.json" | head -1)
check "Orthanc knows the study" test -n "$study"
for _ in $(seq 1 120); do # up to 60 s: stable age, measuring, uploading
    n=$(curl -sf "$api/studies/$study/instances" | grep -c '"ID"')
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.5
done
check "the SR and the PDF appear in the same study" test "${n:-0}" -eq 3
curl -sf "$api/studies/$study/series?expand" >"$work/series.json"
check "one of its series is SR" grep -q '"Modality" *: *"SR"' "$work/series.json"
check "one of its series is DOC (the PDF)" grep -q '"Modality" *: *"DOC"' "$work/series.json"
sr=$(curl -sf "$api/studies/$study/instances?expand" | tr ',' '\n' | grep -B0 -A0 '"ID"' | sed 's/.*"ID" *: *"\([0-9a-f-]*\)".*/\1/' |
    while read -r id; do
        m=$(curl -sf "$api/instances/$id/simplified-tags" | grep -o '"Modality" *: *"[A-Z]*"' | sed 's/.*"\([A-Z]*\)"$/\1/')
        [ "$m" = SR ] && echo "$id"
    done | head -1)
if [ -n "$sr" ] && command -v dsrdump >/dev/null; then
    curl -sf "$api/instances/$sr/file" -o "$work/sr.dcm"
    json=$(find "$work/lumenq/results" -name report.json | head -1)
    mla=$(grep -o '"mla_mm2": [0-9.]*' "$json" | head -1 | sed 's/.*: //')
    check "the SR in Orthanc has the JSON's MLA" sh -c "dsrdump '$work/sr.dcm' | grep -q 'Vessel Lumen Cross-Sectional Area\")=\"$(printf %.2f "$mla")\"'"
fi
check "lumenq logged one measurement for the study" test "$(grep -c 'instance .*: \(SIGNIFICANT\|not significant\)' "$work/lumenq/lumenq.log")" -eq 1

# A burst: 40 studies uploaded at once. Orthanc runs its Lua callbacks one at
# a time, so the hooks come one after another; none may be lost.
burst=40
[ "${LUMENQ_E2E_QUICK:-0}" = 1 ] && burst=10 # the sanitizer pass of tools/test.sh
mkdir -p "$work/burst"
for i in $(seq 1 $burst); do
    "$phantom" "$work/burst/s$i.dcm" --frames 40 --size 128 --seed $((200 + i)) >/dev/null || exit 1
done
# the measurements (not the second run each study's uploads cause, which
# finds it done)
measured() { grep 'instance [0-9.]*: ' "$work/lumenq/lumenq.log" | grep -v 'already measured'; }
before=$(measured | wc -l)
t0=$(date +%s.%N)
uploads=()
for i in $(seq 1 $burst); do
    curl -sf -m 60 -X POST "$api/instances" --data-binary @"$work/burst/s$i.dcm" -o "$work/burst/s$i.json" &
    uploads+=($!)
done
wait "${uploads[@]}" # not Orthanc, which runs in the background too
logged() { echo $(($(measured | wc -l) - before)); }
for _ in $(seq 1 400); do # 200 s at most
    [ "$(logged)" -ge $burst ] && break
    sleep 0.5
done
burst_wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
check "the burst: $burst uploads accepted" test "$(grep -l '"ParentStudy"' "$work"/burst/s*.json | wc -l)" -eq $burst
check "the burst: a log line for each study, none twice" test "$(logged)" -eq $burst -a \
    "$(measured | grep -o 'instance [0-9.]*: ' | sort | uniq -d | wc -l)" -eq 0
check "the burst: no hook failed" sh -c "! grep -q 'error' '$work/lumenq/lumenq.log'"
# each study gets its PDF, and its SR when a lesion was found
with_sr=$(measured | tail -n $burst | grep -c 'SIGNIFICANT\|not significant')
studies=$(sed -n 's/.*"ParentStudy" *: *"\([0-9a-f-]*\)".*/\1/p' "$work"/burst/s*.json | sort -u)
complete=0
for _ in $(seq 1 60); do # the last uploads may follow the last log line: 30 s at most
    complete=0
    for st in $studies; do
        n=$(curl -sf "$api/studies/$st/instances" | grep -c '"ID"')
        complete=$((complete + ${n:-0}))
    done
    [ "$complete" -ge $((burst * 2 + with_sr)) ] && break
    sleep 0.5
done
check "the burst: every study has its PDF, and its SR with a lesion ($((complete - burst)) instances back)" \
    test "$complete" -eq $((burst * 2 + with_sr))
# the same studies, one hook after another
for i in $(seq 1 $burst); do mkdir -p "$work/seq/$i"; cp "$work/burst/s$i.dcm" "$work/seq/$i/"; done
t0=$(date +%s.%N)
for i in $(seq 1 $burst); do "$lumenq" hook "$work/seq/$i" --out "$work/seq-out" --log "$work/seq.log"; done
seq_wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
check "one after another: the same $burst measured" test "$(find "$work/seq-out" -name done | wc -l)" -eq $burst
printf '# Orthanc, burst of %d studies: %.1f s wall from the first upload to the last measurement (Lua runs the hooks one at a time, StableAge 1 s); the hooks alone one after another: %.1f s\n' \
    $burst "$burst_wall" "$seq_wall"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
