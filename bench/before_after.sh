#!/usr/bin/env bash
# Two builds of the examples, back to back in one run: tokens/s and % of the FMA peak measured
# in the same run (FLOPs per token from docs/performance.md), at 1 thread and all cores, and the peak
# RSS and page faults of the 1,000-review IMDB run; first each CPU's own speed (bench/cpu_speeds.sh).
# Needs the real aclImdb data.
#
#   bash bench/before_after.sh BEFORE_EXAMPLES_DIR AFTER_EXAMPLES_DIR ACLIMDB_DIR [FLAG...]
#
# FLAGs go to every example run (e.g. --flush-denormal, on CPUs where denormals are slow).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
before=$1 after=$2 data=$3
shift 3
flags=("$@")
peak() { build/bench/gemm --threads "$1" | sed -n 's/^FMA peak.*: \([0-9.]*\) GFLOP.*/\1/p'; }
all=$(nproc)
p1=$(peak 1) pall=$(peak "$all")
echo "FMA peak: 1 thread $p1, $all threads $pall GFLOP/s ($(grep -qw avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2))"
# each CPU alone: a VM's vCPUs can differ by a fifth, and an even split runs at the slowest's pace
bash bench/cpu_speeds.sh "$after"
share() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); t=d['tokens_per_s']; print(round(t), '%.1f%%' % (t * $1 / 1e9 / $2 * 100), d.get('perplexity', d.get('loss')))"; }
for v in before after; do
    d=$before
    [ "$v" = after ] && d=$after
    for t in 1 "$all"; do
        p=$p1
        [ "$t" = "$all" ] && p=$pall
        echo "$v time machine, $t threads: $("$d/time_machine" --epochs 30 --threads "$t" --json "${flags[@]}" 2> /dev/null | share 1.73e6 "$p")"
        echo "$v imdb 4000, $t threads: $("$d/imdb_sentiment" --recipe d2l --data "$data" --limit 4000 --epochs 1 --threads "$t" --json "${flags[@]}" 2> /dev/null | share 2.4e6 "$p")"
    done
    /usr/bin/time -f "$v imdb 1000, 1 thread: peak RSS %M KB, %R minor faults, %e s" \
        "$d/imdb_sentiment" --recipe d2l --data "$data" --limit 1000 --epochs 1 --threads 1 "${flags[@]}" > /dev/null 2> "$d/.rss" || true
    tail -n 1 "$d/.rss"
    rm -f "$d/.rss"
done
