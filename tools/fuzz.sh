#!/bin/bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehavior-
# Sanitizer, coverage over the whole library) into build-fuzz/ and runs them.
#   tools/fuzz.sh [reader|segment|cli|all] [SECONDS]   fuzz each for SECONDS (default 60)
#   tools/fuzz.sh --regress                            run every saved input of fuzz/regressions/ once
# Seeds: small phantoms in several transfer syntaxes and colour models, the
# real files of ../shared/data/ when present (read in place, never copied),
# and typical command lines. Findings go to build-fuzz/crashes/; a finding,
# once fixed, is saved in fuzz/regressions/TARGET/ so the suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/deps.sh
LUMENQ_PACKAGES="$LUMENQ_PACKAGES clang libclang-rt-14-dev" lumenq_install_deps
out=build-fuzz
if [ ! -f "$out/build.ninja" ]; then
    CC=clang CXX=clang++ meson setup "$out" -Dfuzzing=true -Dtests=false -Db_sanitize=address,undefined \
        -Db_lundef=false --buildtype=debugoptimized >&2
fi
ninja -C "$out" >&2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
targets=(reader segment cli)

if [ "${1:-}" = --regress ]; then
    status=0
    for t in "${targets[@]}"; do
        dir=fuzz/regressions/$t
        [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] || continue
        echo "fuzz: replaying $(ls "$dir" | wc -l) saved $t inputs" >&2
        "$out/fuzz/fuzz_$t" -runs=1 "$dir"/* >"$out/regress-$t.log" 2>&1 || { status=1; tail -30 "$out/regress-$t.log" >&2; }
    done
    exit $status
fi

which=${1:-all}
seconds=${2:-60}
seeds=$out/seeds
if [ ! -d "$seeds/reader" ]; then
    mkdir -p "$seeds/reader" "$seeds/segment" "$seeds/cli"
    ph=$out/tools/lumenq-phantom
    "$ph" "$seeds/reader/grey.dcm" --frames 6 --size 64 --seed 1
    "$ph" "$seeds/reader/rgb.dcm" --frames 4 --size 64 --seed 2 --rgb
    "$ph" "$seeds/reader/untimed.dcm" --frames 4 --size 64 --seed 3 --no-timing --calibration none
    "$ph" "$seeds/reader/tall.dcm" --frames 4 --size 64 --seed 4 --row-step 2 --calibration pixel-spacing
    "$ph" "$seeds/reader/still.dcm" --frames 4 --size 64 --seed 5 --stationary 2
    "$ph" --ct "$seeds/reader/ct" --size 64 --frames 4 --seed 6 >/dev/null
    "$ph" --ct "$seeds/reader/ctenh" --size 64 --frames 4 --seed 6 --enhanced >/dev/null
    mv "$seeds/reader/ctenh/ENHANCED.dcm" "$seeds/reader/enhanced-ct.dcm"
    mv "$(ls "$seeds"/reader/ct/*.dcm | head -1)" "$seeds/reader/ct-slice.dcm"
    rm -rf "$seeds/reader/ct" "$seeds/reader/ctenh"
    dcmcrle "$seeds/reader/grey.dcm" "$seeds/reader/rle.dcm" 2>/dev/null || true
    dcmcjpeg "$seeds/reader/grey.dcm" "$seeds/reader/jpeg.dcm" 2>/dev/null || true
    dcmcjpls "$seeds/reader/grey.dcm" "$seeds/reader/jpls.dcm" 2>/dev/null || true
    dcmconv +te "$seeds/reader/grey.dcm" "$seeds/reader/bigendian.dcm" 2>/dev/null || true
    dcmconv +ti "$seeds/reader/grey.dcm" "$seeds/reader/implicit.dcm" 2>/dev/null || true
    dcmconv +td "$seeds/reader/grey.dcm" "$seeds/reader/deflated.dcm" 2>/dev/null || true
    # segmentation: geometry bytes, then pixels taken from a phantom frame
    for i in 1 2 3 4; do
        { printf "\\x$(printf %02x $((i * 37 % 256)))\\x$(printf %02x $((i * 53 % 256)))\\x40\\x0$i\\x0$i\\x00\\x06\\x00"
          tail -c $((64 * 64 * 2)) "$seeds/reader/grey.dcm"; } >"$seeds/segment/phantom$i.bin"
    done
    i=0
    for line in "measure|x.dcm|--lesion-range|40-60mm|--reference-file|b.dcm:10-20" \
                "measure|--lesion-at|42.5mm|--metric|eqdiameter|--threshold|50" \
                "measure|--reference-frame|12|--reference-normal|civ|--out|o|--png|p|--pdf|r.pdf" \
                "measure|--pixel-size|0.1|--pullback-rate|0.5|--frame-time|33|--cpu|sse2|--threads|2|x.dcm" \
                "info|-q|--pixel-size|0.1|a.dcm|dir" \
                "ct|dir|--lesion-point|8.75,12,-26.13|--reference-voxel|4,5,6|--series|1.2.3|-f|json|--out|o" \
                "hook|dir|--out|o|--log|l|--send|ARCHIVE@host:104|--calling-aet|LQ|--time-limit|5" \
                "ct|--metric|area|dir" \
                "hook|--help"; do
        i=$((i + 1))
        printf '%s' "$line" | tr '|' '\0' >"$seeds/cli/args$i"
    done
fi
extra_reader=()
[ -d ../shared/data ] && extra_reader=(../shared/data)
status=0
for t in "${targets[@]}"; do
    [ "$which" = all ] || [ "$which" = "$t" ] || continue
    mkdir -p "$out/corpus/$t" "$out/crashes"
    extra=()
    [ "$t" = reader ] && extra=("${extra_reader[@]}")
    echo "fuzz: $t for $seconds s" >&2
    if ! "$out/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=1048576 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "$seeds/$t" "${extra[@]}" \
        >"$out/fuzz-$t.log" 2>&1; then
        status=1
        grep -E "ERROR|SUMMARY|==[0-9]+==|Test unit written" "$out/fuzz-$t.log" | head -20 >&2
    fi
    grep -E "^stat::number_of_executed_units|^stat::new_units_added|cov: [0-9]+" "$out/fuzz-$t.log" | tail -3 >&2 || true
done
exit $status
