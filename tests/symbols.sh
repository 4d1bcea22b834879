#!/bin/bash
# The shared library exports exactly the functions lumenq.h declares: no
# internal lq_/lqd_ function, no DCMTK or libstdc++ template, and every
# declared function present.
# Usage: symbols.sh LIBRARY INCLUDE_DIR... (the C compiler command in $CC)
set -uo pipefail
lib=$1; shift
incs=()
for d in "$@"; do incs+=(-I "$d"); done

exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 {print $NF}' | sort -u) || { echo "nm failed on $lib"; exit 1; }
# Preprocessed, so names in comments are not declarations.
declared=$(echo '#include "lumenq/lumenq.h"' | $CC -E -P -x c "${incs[@]}" - | grep -oE '\blq_[a-z0-9_]+[[:space:]]*\(' |
           tr -d ' \t(' | sort -u) || { echo "cannot preprocess lumenq.h"; exit 1; }

n_exported=$(grep -c . <<<"$exported")
n_declared=$(grep -c . <<<"$declared")
echo "$lib: $n_exported exported symbols; lumenq.h: $n_declared functions"
status=0
if [ "$n_declared" -lt 10 ]; then
    echo "too few functions found in lumenq.h: the header was not read"
    status=1
fi
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [ -n "$extra" ]; then
    echo "exported but not declared in lumenq.h (give it hidden visibility):"
    sed 's/^/  /' <<<"$extra"
    status=1
fi
if [ -n "$missing" ]; then
    echo "declared in lumenq.h but not exported (LQ_API missing?):"
    sed 's/^/  /' <<<"$missing"
    status=1
fi
exit $status
