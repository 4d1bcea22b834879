# Shared by the shell tests (sourced after `work` is set): TAP-like lines,
# counters, and the checks on exit codes and one-line errors.
pass=0 fail=0
check() { # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then pass=$((pass + 1)); echo "ok - $name"; else fail=$((fail + 1)); echo "not ok - $name"; fi
}
expect_exit() { # expect_exit CODE CMD... (standard output in $work/out, errors in $work/err)
    local want=$1; shift
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    [ "$got" -eq "$want" ] || { echo "  exit $got, want $want: $*"; cat "$work/err"; return 1; }
}
one_line_with() { # the error is one line and holds TEXT
    [ "$(wc -l <"$work/err")" -eq 1 ] && grep -qF -- "$1" "$work/err"
}
