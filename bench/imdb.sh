#!/usr/bin/env bash
# Training reviews per second of d2l's IMDB BiRNN (2 layers, 100 units, batch 64), xgrad and
# PyTorch side by side on the same reviews, 1 thread and --threads each. PyTorch pads every
# review to 500 tokens as d2l does; xgrad runs the true lengths (packed sequences).
#
#   bash bench/imdb.sh --data aclImdb [--limit N] [--epochs E] [--threads T] [--sweep]
#
# Defaults: 2,000 training reviews (balanced, seeded), 1 epoch, 1 thread and every core;
# --sweep adds 2, 4, 8, ... threads below --threads.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/corpora/aclImdb_sample limit=2000 epochs=1 threads=$(nproc) sweep=0
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --data) data=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --sweep) sweep=1; shift ;;
        *) echo "imdb.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -d "$data/train" ] || { echo "imdb.sh: $data has no train/ folder (unpack aclImdb_v1.tar.gz and pass --data)" >&2; exit 2; }
[ -x build/examples/imdb_sentiment ] || bash scripts/run build > /dev/null
source bench/side_by_side.sh
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
have_torch=1
/usr/bin/python3 -c "import torch" 2> /dev/null || have_torch=0

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "config: $limit training reviews of $data, $epochs epoch(s), d2l's BiRNN"
rows=()
for t in $(thread_counts "$threads" "$sweep"); do
    build/examples/imdb_sentiment --recipe d2l --data "$data" --limit "$limit" --epochs "$epochs" --threads "$t" --json > "$log/xg$t" 2>&1
    xg=$(field "$log/xg$t" reviews_per_s) pt=-
    printf "xgrad    %2d threads: %7.1f reviews/s\n" "$t" "$xg"
    if [ "$have_torch" = 1 ]; then
        /usr/bin/python3 bench/imdb_torch.py --data "$data" --limit "$limit" --epochs "$epochs" --threads "$t" > "$log/pt$t" 2>&1
        pt=$(field "$log/pt$t" reviews_per_s)
        printf "PyTorch  %2d threads: %7.1f reviews/s (padded to 500 tokens)\n" "$t" "$pt"
    fi
    rows+=("$t $xg $pt")
done
summarize reviews/s "${rows[@]}"
