#!/usr/bin/env bash
# What the example tests share (sourced by examples_time_machine.sh and examples_imdb.sh, which
# meson runs side by side): a scratch folder, pass/fail bookkeeping and the helpers.
# Usage of each: SCRIPT BUILD_EXAMPLES_DIR   (meson passes it; run from anywhere)
set -u
bin=${1:?usage: $(basename "$0") BUILD_EXAMPLES_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0


# Under the sanitizers (scripts/run sanitize sets XG_SANITIZED=1) training runs 50-140x slower:
# the runs that must learn are cut short there, to bounds a short run reaches (the time
# machine's perplexity under a character-frequency model's, about 17; IMDB's loss finite and
# not blown up). The full runs and their thresholds are checked in the normal builds.
quick=
if [ "${XG_SANITIZED:-0}" = 1 ]; then
    quick=1
    echo "# XG_SANITIZED=1: the learning runs are cut short"
fi

pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; failures=$((failures + 1)); }

# expect_fail NAME PATTERN CMD...: CMD exits non-zero, prints one error line matching PATTERN, no crash
expect_fail() {
    local name=$1 pattern=$2
    shift 2
    "$@" > "$work/out" 2> "$work/err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "$pattern" "$work/err" && [ "$(wc -l < "$work/err")" -le 2 ]; then
        pass "$name"
    else
        fail "$name (exit $rc, stderr: $(head -c 300 "$work/err"))"
    fi
}

# json_field FILE KEY: a field of the last line (a JSON object)
json_field() { tail -n 1 "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)['$2'])"; }

# same_result NAME KEY A B: runs A and B (A.log, A.ckpt, ...) ended with the same weights
# and the same KEY in their JSON lines
same_result() {
    local name=$1 key=$2 a=$3 b=$4
    if cmp -s "$a.ckpt/model.safetensors" "$b.ckpt/model.safetensors" &&
        [ "$(json_field "$a.log" "$key")" = "$(json_field "$b.log" "$key")" ]; then
        pass "$name"
    else
        fail "$name ($(tail -n 2 "$b.log"))"
    fi
}

# edit_meta SRC DST KEY JSON_VALUE: a copy of checkpoint SRC with one key of its
# checkpoint.json changed by hand; edit_setting: one of its "settings"
edit_meta() {
    cp -r "$1" "$2" && python3 - "$2/checkpoint.json" "$3" "$4" "${5:-}" << 'PY'
import json, sys
path, key, value, within = sys.argv[1:]
meta = json.load(open(path))
(meta[within] if within else meta)[key] = json.loads(value)
json.dump(meta, open(path, "w"))
PY
}
edit_setting() { edit_meta "$1" "$2" "$3" "$4" settings; }

# epochs_of JSONL: the "epoch" of each line
epochs_of() { python3 -c "import json, sys; print(' '.join(str(json.loads(l)['epoch']) for l in open(sys.argv[1])))" "$1"; }

# finish: the count of failures, and the exit status
finish() {
    echo "$failures failure(s)"
    [ $failures -eq 0 ]
}
