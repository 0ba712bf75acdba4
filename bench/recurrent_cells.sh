#!/usr/bin/env bash
# The fused LSTM against the layers nn::unroll runs from primitive-op cells (LSTM's own,
# LayerNormLSTM, peephole LSTM), forward + backward of one batch, xgrad and then PyTorch
# (Debian's python3-torch, if installed) back to back, same shape and threads.
#
#   bash bench/recurrent_cells.sh [--threads T] [--steps S] [--batch B] [--hidden H] [--reps N]
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ -x build/bench/recurrent_cells ] || ninja -C build bench/recurrent_cells > /dev/null
build/bench/recurrent_cells "$@"
if /usr/bin/python3 -c "import torch" 2> /dev/null; then
    echo
    /usr/bin/python3 bench/recurrent_cells_torch.py "$@"
else
    echo "(PyTorch not installed: apt-get install python3-torch for its side)"
fi
