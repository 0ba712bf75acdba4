#!/usr/bin/env bash
# Memory stays bounded over a training: the peak resident memory of a longer run of each
# example is within 10 % + 4 MiB of a short run's (a leak per batch or per epoch, a history
# that keeps the graph alive, a growing cache would show as a higher peak). The long runs are
# long enough for a growth of 0.5 MiB an epoch to fail (imdb_sentiment had one: tape entries
# backward never reached, kept until the tape's prune at 4096 entries).
# Usage: memory.sh BUILD_EXAMPLES_DIR   (meson passes it; run from anywhere)
set -u
bin=${1:?usage: memory.sh BUILD_EXAMPLES_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; failures=$((failures + 1)); }

# peak_kib LOG CMD...: runs CMD (output to LOG), prints its peak resident set size in KiB,
# fails if CMD fails. GNU time where installed, else getrusage of the child through python3.
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true > /dev/null 2>&1; then
    how="/usr/bin/time -f %M"
    peak_kib() {
        local log=$1
        shift
        /usr/bin/time -o "$work/peak" -f %M "$@" > "$log" 2>&1 || return 1
        tail -n 1 "$work/peak"
    }
else
    how="getrusage (python3)"
    peak_kib() {
        local log=$1
        shift
        python3 -c "
import resource, subprocess, sys
with open(sys.argv[1], 'w') as log:
    rc = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)" "$log" "$@"
    }
fi
echo "# peak RSS by $how"

# compare NAME SHORT_EPOCHS LONG_EPOCHS CMD...: CMD --epochs N for both counts
compare() {
    local name=$1 short=$2 long=$3
    shift 3
    local a b
    if ! a=$(peak_kib "$work/short.log" "$@" --epochs "$short" --save "$work/short.ckpt" --metrics "$work/short.jsonl"); then
        fail "$name: $short epochs ($(tail -n 2 "$work/short.log"))"
        return
    fi
    if ! b=$(peak_kib "$work/long.log" "$@" --epochs "$long" --save "$work/long.ckpt" --metrics "$work/long.jsonl"); then
        fail "$name: $long epochs ($(tail -n 2 "$work/long.log"))"
        return
    fi
    local limit=$((a + a / 10 + 4096))
    local figures="peak RSS $((a / 1024)).$(((a % 1024) * 10 / 1024)) MiB after $short epochs, $((b / 1024)).$(((b % 1024) * 10 / 1024)) MiB after $long"
    if [ "$b" -le $limit ]; then
        pass "$name: $figures (limit $((limit / 1024)) MiB)"
    else
        fail "$name: $figures, over the limit of $((limit / 1024)) MiB"
    fi
}

start=$SECONDS
# time_machine: 10,000 characters, saving and sampling every 5 epochs
compare "time_machine" 5 60 "$bin/time_machine" --hidden 64 --batch-size 32 --num-steps 35 --sample-every 5 --threads 2 --seed 1
# imdb_sentiment on the bundled sample (400 + 400 reviews), saving every epoch
compare "imdb_sentiment" 4 32 "$bin/imdb_sentiment" --num-steps 100 --embed 16 --hidden 16 --threads 2 --seed 1
echo "# $((SECONDS - start)) s"

echo "$failures failure(s)"
[ $failures -eq 0 ]
