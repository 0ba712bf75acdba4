#!/usr/bin/env bash
# Tokens per second of the time-machine language model, xgrad and PyTorch side by side,
# same configuration and threads. PyTorch comes from Debian (apt-get install python3-torch);
# without it only xgrad runs.
#
#   bash bench/time_machine.sh [--epochs N] [--threads T] [--sweep] [--model lstm|gru|rnn|lstmp] [other flags]
#
# Defaults: 50 epochs of d2l's configuration (batch 32, 35 steps, hidden 256, 10,000
# characters); both run on 1 thread and on --threads (default every core), --sweep adds
# 2, 4, 8, ... below it; the script prints the per-core ratio (1 thread each), best against
# best and each side's scaling.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=50 threads=$(nproc) model=lstm sweep=0
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        --sweep) sweep=1; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
[ -x build/examples/time_machine ] || bash scripts/run build > /dev/null
source bench/side_by_side.sh
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "config: --model $model, $epochs epochs, ${args[*]:-d2l defaults}"
# xgrad and PyTorch alternate, 1 thread then all, so drifts in the VM's speed hit both.
have_torch=1
/usr/bin/python3 -c "import torch" 2> /dev/null || have_torch=0
rows=()
for t in $(thread_counts "$threads" "$sweep"); do
    build/examples/time_machine --model "$model" --epochs "$epochs" --threads "$t" --sample-every 100000 --json "${args[@]}" > "$log/xg$t" 2>&1
    xg=$(field "$log/xg$t" tokens_per_s) pt=-
    printf "xgrad    %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$t" "$xg" "$(field "$log/xg$t" perplexity)"
    if [ "$have_torch" = 1 ]; then
        /usr/bin/python3 bench/time_machine_torch.py --model "$model" --epochs "$epochs" --threads "$t" "${args[@]}" > "$log/pt$t" 2>&1
        pt=$(field "$log/pt$t" tokens_per_s)
        printf "PyTorch  %2d threads: %8.0f tokens/s, perplexity %.2f\n" "$t" "$pt" "$(field "$log/pt$t" perplexity)"
    fi
    rows+=("$t $xg $pt")
done
summarize tokens/s "${rows[@]}"
