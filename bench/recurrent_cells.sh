#!/usr/bin/env bash
# The fused LSTM, LayerNormLSTM and peephole LSTM, and the layers nn::unroll runs from
# primitive-op cells, forward + backward of one batch, xgrad and then PyTorch (Debian's
# python3-torch, if installed) back to back, same shape and threads.
#
#   bash bench/recurrent_cells.sh [--threads T] [--steps S] [--batch B] [--hidden H] [--reps N]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ -x build/bench/recurrent_cells ] || ninja -C build bench/recurrent_cells > /dev/null
ours=$(build/bench/recurrent_cells "$@")
echo "$ours"
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
    echo
    theirs=$(/usr/bin/python3 bench/recurrent_cells_torch.py "$@")
    echo "$theirs"
    echo
    # per variant: PyTorch's Python loop over xgrad's fused layer (both on the same threads)
    for cell in LayerNormLSTM PeepholeLSTM; do
        a=$(echo "$ours" | awk -v c="$cell," '$1 == c && $2 == "fused" {print $3}')
        b=$(echo "$theirs" | awk -v c="$cell" '$1 == c && $2 == "(loop)" {print $3}')
        awk -v c="$cell" -v a="$a" -v b="$b" 'BEGIN {printf "%-14s xgrad fused is %.2fx PyTorch'"'"'s Python loop\n", c, b / a}'
    done
else
    echo "(PyTorch not installed: apt-get install python3-torch for its side)"
fi
