#!/usr/bin/env bash
# Runs every fuzz target of a -Dfuzz=true build: first its committed corpus, then fuzzing
# for SECONDS, two targets at a time (one per core). New inputs go to a scratch folder, so
# the committed corpus does not grow; a crash, a sanitizer report, a leak, a timeout or an
# input that needs too much memory fails the run and leaves the input under ARTIFACTS.
# Prints each target's executions, coverage (cov: edges, ft: features) and speed.
# Usage: run.sh BUILD_DIR [SECONDS [TARGET...]]   (default 30 s, every target)
#   ARTIFACTS (default: a temporary folder, kept on failure), JOBS (default 2)
set -u
build=${1:?usage: run.sh BUILD_DIR [SECONDS [TARGET...]]}
seconds=${2:-30}
shift $(( $# < 2 ? $# : 2 ))
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors checkpoint vocab imdb tokenizer time_machine flags_time_machine flags_imdb_sentiment)
work=$(mktemp -d)
artifacts=${ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# fuzz TARGET: replay, then fuzz; the log goes to $work/TARGET.log, the status to .rc
fuzz() {
    local t=$1 exe=$build/tests/fuzz/fuzz_$1 corpus=$here/corpus/$1
    mkdir -p "$work/$t.new"
    {
        "$exe" -runs=0 -error_exitcode=1 "$corpus" &&
            "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
                -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 \
                -artifact_prefix="$artifacts/$t-" "$work/$t.new" "$corpus"
    } > "$work/$t.log" 2>&1
    echo $? > "$work/$t.rc"
}

running=0
for t in "${targets[@]}"; do
    [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "no $build/tests/fuzz/fuzz_$t (configure with -Dfuzz=true)"; exit 2; }
    fuzz "$t" &
    running=$((running + 1))
    if [ $running -ge "${JOBS:-2}" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

failures=0
printf '%-22s %10s %8s %8s %8s %8s\n' target executions cov ft corpus exec/s
for t in "${targets[@]}"; do
    log=$work/$t.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    # the last status line: "#123 DONE cov: 456 ft: 789 corp: 12/3456b ... exec/s: 1000 rss: 50Mb"
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    field() { echo "$last" | sed -n "s|.* $1: *\([0-9]*\).*|\1|p"; }
    printf '%-22s %10s %8s %8s %8s %8s\n' "$t" "${runs:-?}" "$(field cov)" "$(field ft)" "$(field corp)" "$(field exec/s)"
    if [ "$(cat "$work/$t.rc")" != 0 ]; then
        failures=$((failures + 1))
        echo "FAIL - fuzz_$t: the last lines of its log:"
        tail -n 40 "$log" | sed 's/^/    /'
    fi
done
if [ $failures -gt 0 ]; then
    echo "$failures target(s) failed; the inputs are in $artifacts (add each to tests/fuzz/corpus/<target>/ with its fix)"
    exit 1
fi
rm -rf "$work"
echo "ok - ${#targets[@]} fuzz targets, ${seconds} s each: no finding"
