# Shared by the tests of dynamics judged from recordings (stationary.sh,
# pause.sh, compare.sh), sourced after harness.sh.
dyn() { # dyn JSON KEY: the first KEY in the report's "dynamics" object
    sed -n '/^  "dynamics": {/,/^  },$/p' "$1" | grep -o "\"$2\": [^,}]*" | head -1 | sed 's/.*: //; s/"//g'
}
int() { printf '%.0f' "$1"; }
sop() { dcmdump "$1" | sed -n 's/^(0008,0018) UI \[\([^]]*\)\].*/\1/p'; } # a file's SOP Instance UID
