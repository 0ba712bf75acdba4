#!/usr/bin/env bash
# Tokens per second of the time-machine language model, xgrad and PyTorch side by side,
# same configuration and threads. PyTorch comes from Debian (apt-get install python3-torch);
# without it only xgrad runs.
#
#   bash bench/time_machine.sh [--epochs N] [--threads T] [--model lstm|gru|rnn|lstmp] [other time_machine flags]
#
# Defaults: 50 epochs of d2l's configuration (batch 32, 35 steps, hidden 256, 10,000
# characters); threads: every core for xgrad, and for PyTorch both every core and one
# thread (its fastest on small machines), so the ratio is against PyTorch's best.
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
build/examples/time_machine --model "$model" --epochs "$epochs" --threads "$threads" --sample-every 100000 --json "${args[@]}" > "$log/xg" 2>&1
xg=$(field "$log/xg" tokens_per_s)
printf "xgrad    %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$threads" "$xg" "$(field "$log/xg" perplexity)"
if ! /usr/bin/python3 -c "import torch" 2> /dev/null; then
    echo "PyTorch: not installed (apt-get install python3-torch), no comparison"
    exit 0
fi
best=0
for t in $(printf "%s\n" "$threads" 1 | sort -un); do
    /usr/bin/python3 bench/time_machine_torch.py --model "$model" --epochs "$epochs" --threads "$t" "${args[@]}" > "$log/pt$t" 2>&1
    pt=$(field "$log/pt$t" tokens_per_s)
    printf "PyTorch  %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$t" "$pt" "$(field "$log/pt$t" perplexity)"
    best=$(python3 -c "print(max($best, $pt))")
done
python3 -c "print(f'ratio: xgrad / best PyTorch = {$xg / $best:.2f}x')"
