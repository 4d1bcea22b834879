#!/bin/bash
# `lumenq review` over HTTP as the page uses it (curl): the token is
# required (403 without it or with another), nothing outside the page and
# its API is served, the page loads nothing from elsewhere; the numbers, the
# contours and the frames are the library's (equal to `lumenq measure`); the
# reader's contour and lesion choice are measured by the library as
# `measure --edits` and `--lesion-frame` measure them; bad edits are refused
# with the state unchanged; Save writes edits.json and the outputs, and
# `measure --edits` on that file gives the same JSON report; a signal stops it.
# Usage: review.sh LUMENQ LUMENQ_PHANTOM
set -u
lumenq=$1 phantom=$2
work=$(mktemp -d /tmp/lumenq-test-review-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
. "$(dirname "$0")/harness.sh"
py=/usr/bin/python3

"$phantom" "$work/study.dcm" --frames 120 --size 256 --seed 11 >/dev/null || { echo "phantom failed"; exit 1; }
"$lumenq" measure -q --json "$work/measured.json" "$work/study.dcm" >/dev/null

start() { # start ARGS...: the server in the background, its URL in $url
    rm -f "$work/url"
    "$lumenq" review "$@" >"$work/url" 2>"$work/server.err" &
    server=$!
    for _ in $(seq 600); do [ -s "$work/url" ] && break; sleep 0.1; done # measuring first
    url=$(head -1 "$work/url")
    base=${url%%/\?*} token=${url##*token=}
}
code() { curl -s -o "$work/body" -w '%{http_code}' --path-as-is "$@"; }

check "review without --out: exit 64" expect_exit 64 "$lumenq" review "$work/study.dcm"
check "review --bind not an address: exit 64" expect_exit 64 "$lumenq" review "$work/study.dcm" --out "$work/x" --bind nowhere
start "$work/study.dcm" --out "$work/saved" --reader "Dr Test" -q
check "prints a loopback URL with a 128-bit token" grep -qE '^http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]{32}$' "$work/url"
check "no token: 403" test "$(code "$base/")" = 403
check "another token: 403" test "$(code "$base/api/state?token=0123456789abcdef0123456789abcdef")" = 403
check "the API without the token: 403" test "$(code "$base/api/frame?frame=1")" = 403
check "the page with the token: 200" test "$(code "$url")" = 200
check "the page loads its script with the token" grep -q "app.js?token=$token" "$work/body"
for asset in / /app.js /app.css; do
    code "$base$asset?token=$token" >/dev/null
    check "$asset loads nothing from elsewhere" sh -c "! grep -qiE '(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/' '$work/body'"
done
check "a path outside the page: 404" test "$(code "$base/../../etc/passwd?token=$token")" = 404
check "a file of the study's folder: 404" test "$(code "$base/study.dcm?token=$token")" = 404
check "a frame that does not exist: 400" test "$(code "$base/api/frame?frame=121&token=$token")" = 400

get() { curl -s --fail "$base/api/$1$( [[ $1 == *\?* ]] && echo '&' || echo '?')token=$token"; }
post() { curl -s -w '\n%{http_code}' --data-binary "@$2" "$base/api/$1?token=$token"; }
get info >"$work/info.json"
get state >"$work/state.json"
lesion=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["lesion_frame"])' "$work/state.json")
get "contour?frame=$lesion" >"$work/contour.json"
get "frame?frame=$lesion" >"$work/frame-lesion.raw"
get "frame?frame=1" >"$work/frame-1.raw"
check "the numbers, the contour and the profile are the library's (as measure's JSON)" "$py" - "$work/measured.json" \
    "$work/state.json" "$work/contour.json" "$work/info.json" <<'EOF'
import json, sys
m, st, c, info = (json.load(open(p)) for p in sys.argv[1:5])
s, ms = st["summary"], m["summary"]
assert s["lesion_frame"] == ms["lesion"]["frame"] and s["reference_first"] == ms["reference"]["first"]
for k, v in (("mla_mm2", ms["lesion"]["mla_mm2"]), ("mld_mm", ms["lesion"]["mld_mm"]),
             ("reference_area_mm2", ms["reference"]["area_mm2"]), ("diameter_stenosis_pct", ms["diameter_stenosis_pct"]),
             ("area_stenosis_pct", ms["area_stenosis_pct"]), ("equiv_diameter_stenosis_pct", ms["equiv_diameter_stenosis_pct"])):
    assert abs(s[k] - v) < 0.006, (k, s[k], v)
assert info["frames"] == len(m["frames"]) == len(st["area_mm2"]) == len(st["stenosis_pct"])
for f, a in zip(m["frames"], st["area_mm2"]):
    assert abs(f["area_mm2"] - a) < 0.0006
# the profile's %DS at the lesion is the summary's: both the library's lq_stenosis
assert abs(st["stenosis_pct"][s["lesion_frame"] - 1] - s["diameter_stenosis_pct"]) < 1e-9
f = m["frames"][s["lesion_frame"] - 1]
assert len(c["contour_mm"]) == len(f["contour_mm"])
assert all(abs(a - b) < 0.0006 for p, q in zip(c["contour_mm"], f["contour_mm"]) for a, b in zip(p, q))
assert abs(c["min_diameter_mm"] - f["min_diameter_mm"]) < 0.0006 and len(c["mld_caliper_mm"]) == 4
EOF
check "a frame is rows x columns bytes" test "$(stat -c %s "$work/frame-1.raw")" -eq $((256 * 256))
check "another frame, other pixels" sh -c "! cmp -s '$work/frame-1.raw' '$work/frame-lesion.raw'"

# the L-mode: built in the background (503 until then), one cut per angle
for _ in $(seq 300); do [ "$(code "$base/api/lmode?angle=2&token=$token")" = 200 ] && break; sleep 0.1; done
check "L-mode: frames x min(rows, columns) bytes" test "$(stat -c %s "$work/body")" -eq $((120 * 256))
check "L-mode: an angle that does not exist: 400" test "$(code "$base/api/lmode?angle=8&token=$token")" = 400
get "lmode-borders?angle=2" >"$work/borders.json"
check "L-mode: the lumen border on both sides of every frame's cut, around the centre" "$py" -c '
import json, sys
b = json.load(open(sys.argv[1]))
assert len(b) == 120 and all(x is not None and 0 <= x[0] < 127.5 <= x[1] < 256 for x in b), b[:3]' "$work/borders.json"

# the reader draws a rectangle on the lesion frame: the library measures it
"$py" - "$work/info.json" "$work/contour.json" "$work/edits-rect.json" "$work/edits-bad.json" <<'EOF'
import json, sys
info, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
pts = c["contour_mm"]
cx = sum(p[0] for p in pts) / len(pts); cy = sum(p[1] for p in pts) / len(pts)
rect = [[cx - 1.5, cy - 2.25], [cx + 1.5, cy - 2.25], [cx + 1.5, cy + 2.25], [cx - 1.5, cy + 2.25]]
e = {"edits_version": 1, "sop_instance_uid": info["sop_instance_uid"], "reader": "", "time": "t", "lesion": None,
     "reference": None, "contours": [{"frame": c["frame"], "contour_mm": rect}]}
json.dump(e, open(sys.argv[3], "w"))
e["sop_instance_uid"] = "1.2.3"
json.dump(e, open(sys.argv[4], "w"))
EOF
post edits "$work/edits-rect.json" >"$work/after-rect.txt"
check "an edited contour: 200" test "$(tail -1 "$work/after-rect.txt")" = 200
"$lumenq" measure -q --edits "$work/edits-rect.json" --json "$work/measured-rect.json" "$work/study.dcm" >/dev/null
check "an edited contour: the numbers follow, as measure --edits gives them" "$py" - "$work/after-rect.txt" \
    "$work/measured-rect.json" "$lesion" <<'EOF'
import json, sys
st = json.loads(open(sys.argv[1]).read().rsplit("\n", 1)[0]); m = json.load(open(sys.argv[2])); lesion = int(sys.argv[3])
s, ms = st["summary"], m["summary"]
assert abs(s["mla_mm2"] - 13.5) < 1e-9 and st["edited"] == [lesion]
assert abs(s["diameter_stenosis_pct"] - ms["diameter_stenosis_pct"]) < 0.006
assert abs(s["area_stenosis_pct"] - ms["area_stenosis_pct"]) < 0.006
EOF
post edits "$work/edits-bad.json" >"$work/after-bad.txt"
check "edits of another instance: 400" test "$(tail -1 "$work/after-bad.txt")" = 400
check "edits of another instance: says so" grep -q "edits made on SOP Instance UID 1.2.3" "$work/after-bad.txt"
get state >"$work/state-after-bad.json"
check "edits of another instance: the state unchanged" "$py" -c '
import json, sys
a = json.loads(open(sys.argv[1]).read().rsplit("\n", 1)[0]); b = json.load(open(sys.argv[2]))
assert a == b' "$work/after-rect.txt" "$work/state-after-bad.json"

# the reader moves the lesion (key L): %DS follows the library's for that frame
moved=$((lesion + 3))
"$py" - "$work/edits-rect.json" "$work/edits-lesion.json" "$moved" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1])); e["lesion"] = {"frame": int(sys.argv[3])}
json.dump(e, open(sys.argv[2], "w"))
EOF
post edits "$work/edits-lesion.json" >"$work/after-lesion.txt"
"$lumenq" measure -q --lesion-frame "$moved" --json "$work/measured-moved.json" "$work/study.dcm" >/dev/null
check "the lesion moved: %DS is measure --lesion-frame's" "$py" - "$work/after-lesion.txt" "$work/measured-moved.json" \
    "$moved" <<'EOF'
import json, sys
st = json.loads(open(sys.argv[1]).read().rsplit("\n", 1)[0]); m = json.load(open(sys.argv[2]))
s = st["summary"]
assert s["lesion_frame"] == int(sys.argv[3]) and s["lesion_method"] == "user"
assert abs(s["diameter_stenosis_pct"] - m["summary"]["diameter_stenosis_pct"]) < 0.006
assert abs(st["stenosis_pct"][s["lesion_frame"] - 1] - s["diameter_stenosis_pct"]) < 1e-9
EOF

echo "" >"$work/empty"
post save "$work/empty" >"$work/saved.txt"
check "Save: 200" test "$(tail -1 "$work/saved.txt")" = 200
check "Save: edits.json with the reader, the contour and the lesion" "$py" - "$work/saved/edits.json" "$lesion" "$moved" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["reader"] == "Dr Test" and e["lesion"] == {"frame": int(sys.argv[3])}
assert [c["frame"] for c in e["contours"]] == [int(sys.argv[2])] and len(e["contours"][0]["contour_mm"]) == 4
EOF
for f in report.txt report.json frames.csv report.pdf lesion.png profile.png reference.png; do
    check "Save: $f written" test -s "$work/saved/$f"
done
check "Save: the report says what the reader changed" grep -q "^Edits      by Dr Test, .*: contour of frame $lesion redrawn; lesion chosen by the reader" "$work/saved/report.txt"
"$lumenq" measure -q --edits "$work/saved/edits.json" --json "$work/remeasured.json" "$work/study.dcm" >/dev/null
check "Save: measure --edits on the saved file gives the same JSON report" cmp -s "$work/saved/report.json" "$work/remeasured.json"

kill -TERM "$server"
wait "$server"
check "SIGTERM: exit 0" test $? -eq 0
server=

# Save with --sr --send: the SR goes to a DICOM node (DCMTK's storescp on a free port)
check "review --send without --sr: exit 64" expect_exit 64 "$lumenq" review "$work/study.dcm" --out "$work/x" \
    --send A@127.0.0.1:104
mkdir -p "$work/archive"
for _ in 1 2 3 4 5 6 7 8; do
    scp_port=$((20000 + RANDOM % 40000))
    storescp --aetitle ARCHIVE --output-directory "$work/archive" "$scp_port" >"$work/scp.log" 2>&1 &
    scp=$!
    sleep 0.5
    kill -0 "$scp" 2>/dev/null && break
done
start "$work/study.dcm" --out "$work/sent" --sr "$work/sent/sr.dcm" --send "ARCHIVE@127.0.0.1:$scp_port" -q
post edits "$work/edits-rect.json" >/dev/null
post save "$work/empty" >"$work/sent.txt"
check "Save --send: 200" test "$(tail -1 "$work/sent.txt")" = 200
sop() { dcmdump +P 0008,0018 "$1" | sed 's/.*\[\(.*\)\].*/\1/'; }
received=$(ls "$work/archive" | head -1)
check "Save --send: the node received the SR written" test -n "$received" -a "$(sop "$work/archive/$received")" = "$(sop "$work/sent/sr.dcm")"
dsrdump +Pl "$work/sent/sr.dcm" >"$work/sent-sr.txt" 2>&1
check "Save --send: that SR carries the reader's edit" grep -q "reader's edits by .*: contour of frame $lesion redrawn" "$work/sent-sr.txt"
kill -TERM "$server" "$scp"
wait "$server"
server=

start "$work/study.dcm" --out "$work/out2" --bind 0.0.0.0
check "--bind beyond loopback: a warning" grep -q "listening on 0.0.0.0: anyone who can reach it" "$work/server.err"
kill -TERM "$server"
wait "$server"
server=

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
