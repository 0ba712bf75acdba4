#!/usr/bin/env bash
# Tokens per second of the time-machine language model, xgrad and PyTorch side by side,
# same configuration and threads. PyTorch comes from Debian (apt-get install python3-torch);
# without it only xgrad runs.
#
#   bash bench/time_machine.sh [--epochs N] [--threads T] [--model lstm|gru|rnn|lstmp] [other time_machine flags]
#
# Defaults: 50 epochs of d2l's configuration (batch 32, 35 steps, hidden 256, 10,000
# characters); both run on 1 thread and on --threads (default every core), and the
# script prints the per-core ratio (1 thread each) and best against best.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=50 threads=$(nproc) model=lstm
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
[ -x build/examples/time_machine ] || bash scripts/run build > /dev/null
field() { tail -n 1 "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)['$2'])"; }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "config: --model $model, $epochs epochs, ${args[*]:-d2l defaults}"
# xgrad and PyTorch alternate, 1 thread then all, so drifts in the VM's speed hit both.
have_torch=1
/usr/bin/python3 -c "import torch" 2> /dev/null || have_torch=0
declare -A xg pt
for t in $(printf "%s\n" 1 "$threads" | sort -un); do
    build/examples/time_machine --model "$model" --epochs "$epochs" --threads "$t" --sample-every 100000 --json "${args[@]}" > "$log/xg$t" 2>&1
    xg[$t]=$(field "$log/xg$t" tokens_per_s)
    printf "xgrad    %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$t" "${xg[$t]}" "$(field "$log/xg$t" perplexity)"
    [ "$have_torch" = 1 ] || continue
    /usr/bin/python3 bench/time_machine_torch.py --model "$model" --epochs "$epochs" --threads "$t" "${args[@]}" > "$log/pt$t" 2>&1
    pt[$t]=$(field "$log/pt$t" tokens_per_s)
    printf "PyTorch  %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$t" "${pt[$t]}" "$(field "$log/pt$t" perplexity)"
done
if [ "$have_torch" = 0 ]; then
    echo "PyTorch: not installed (apt-get install python3-torch), no comparison"
    exit 0
fi
python3 - "${xg[1]}" "${pt[1]}" "${xg[$threads]}" "${pt[$threads]}" "$threads" <<'PY'
import sys
xg1, pt1, xgn, ptn, n = map(float, sys.argv[1:])
print(f"per core (1 thread vs 1 thread):   xgrad / PyTorch = {xg1 / pt1:.2f}x")
print(f"best vs best (any thread count):   xgrad / PyTorch = {max(xg1, xgn) / max(pt1, ptn):.2f}x")
print(f"xgrad scaling, {int(n)} threads vs 1: {xgn / xg1:.2f}x")
PY
