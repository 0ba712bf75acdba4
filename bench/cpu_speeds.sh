#!/usr/bin/env bash
# Each CPU's own speed, one CPU at a time (pinned with taskset): the FMA peak, the packed
# LSTM step product as % of it, and the time machine on 1 thread. Work split evenly over
# threads runs at the slowest CPU's pace, so the best 2-thread (all-thread) run of an even
# split is (CPUs x slowest) tokens/s; the line "even-split bound" gives it against the fastest.
#
#   bash bench/cpu_speeds.sh [EXAMPLES_DIR]     (default build/examples)
#
# On a VM the CPUs are vCPUs: one may share its core or caches with another guest.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
examples=${1:-build/examples}
command -v taskset > /dev/null || { echo "cpu_speeds: needs taskset (util-linux)" >&2; exit 2; }
tokens() { python3 -c "import json,sys; print(round(json.loads(sys.stdin.readlines()[-1])['tokens_per_s']))"; }
rates=()
for cpu in $(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done); do
    g=$(taskset -c "$cpu" build/bench/gemm --threads 1 --ms 100)
    peak=$(sed -n 's/^FMA peak.*: \([0-9.]*\) GFLOP.*/\1/p' <<< "$g")
    step=$(awk '/^LSTM step fwd/ {print $NF}' <<< "$g")
    tm=$(taskset -c "$cpu" "$examples/time_machine" --epochs 20 --threads 1 --json 2> /dev/null | tokens)
    echo "cpu $cpu: FMA peak $peak GFLOP/s, LSTM step fwd $step of it, time machine 1 thread $tm tok/s"
    rates+=("$tm")
done
python3 - "${rates[@]}" <<'EOF'
import sys
r = [int(x) for x in sys.argv[1:]]
print(f"even-split bound: {len(r)} x slowest = {len(r) * min(r)} tok/s = {len(r) * min(r) / max(r):.2f}x the fastest CPU "
      f"(slowest / fastest = {min(r) / max(r):.2f})")
EOF
