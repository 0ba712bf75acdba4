#!/usr/bin/env bash
# Training reviews per second of d2l's IMDB BiRNN (2 layers, 100 units, batch 64), xgrad and
# PyTorch side by side on the same reviews, 1 thread and --threads each. PyTorch pads every
# review to 500 tokens as d2l does; xgrad runs the true lengths (packed sequences).
#
#   bash bench/imdb.sh --data aclImdb [--limit N] [--epochs E] [--threads T]
#
# Defaults: 2,000 training reviews (balanced, seeded), 1 epoch, threads: every core.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/corpora/aclImdb_sample limit=2000 epochs=1 threads=$(nproc)
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --data) data=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "imdb.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -d "$data/train" ] || { echo "imdb.sh: $data has no train/ folder (unpack aclImdb_v1.tar.gz and pass --data)" >&2; exit 2; }
[ -x build/examples/imdb_sentiment ] || bash scripts/run build > /dev/null
field() { tail -n 1 "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)['$2'])"; }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
have_torch=1
/usr/bin/python3 -c "import torch" 2> /dev/null || have_torch=0

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "config: $limit training reviews of $data, $epochs epoch(s), d2l's BiRNN"
declare -A xg pt
for t in $(printf "%s\n" 1 "$threads" | sort -un); do
    build/examples/imdb_sentiment --data "$data" --limit "$limit" --epochs "$epochs" --threads "$t" --json > "$log/xg$t" 2>&1
    xg[$t]=$(field "$log/xg$t" reviews_per_s)
    printf "xgrad    %2d threads: %7.1f reviews/s\n" "$t" "${xg[$t]}"
    [ "$have_torch" = 1 ] || continue
    /usr/bin/python3 bench/imdb_torch.py --data "$data" --limit "$limit" --epochs "$epochs" --threads "$t" > "$log/pt$t" 2>&1
    pt[$t]=$(field "$log/pt$t" reviews_per_s)
    printf "PyTorch  %2d threads: %7.1f reviews/s (padded to 500 tokens)\n" "$t" "${pt[$t]}"
done
[ "$have_torch" = 1 ] || { echo "PyTorch: not installed (apt-get install python3-torch), no comparison"; exit 0; }
python3 - "${xg[1]}" "${pt[1]}" "${xg[$threads]}" "${pt[$threads]}" "$threads" <<'PY'
import sys
xg1, pt1, xgn, ptn, n = map(float, sys.argv[1:])
print(f"per core (1 thread vs 1 thread):   xgrad / PyTorch = {xg1 / pt1:.2f}x")
print(f"best vs best (any thread count):   xgrad / PyTorch = {max(xg1, xgn) / max(pt1, ptn):.2f}x")
print(f"xgrad scaling, {int(n)} threads vs 1: {xgn / xg1:.2f}x")
PY
