#!/usr/bin/env bash
# Data parallel on one machine: N ranks x 1 thread (mpirun) against 1 process x N threads,
# for the time machine LSTM (d2l's defaults) and the IMDB BiRNN, run back to back. Reports
# throughput, the share of training time spent waiting for gradient allreduces
# (allreduce_fraction: what backward() spends after its own work), and the results.
#
#   bash bench/distributed.sh [--ranks N] [--tm-epochs E] [--data aclImdb] [--limit L] [--epochs E]
#
# Defaults: N = every core, 50 time-machine epochs, IMDB on the bundled sample, 1 epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=$(nproc) tm_epochs=50 data=data/corpora/aclImdb_sample limit=0 epochs=1
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --ranks) ranks=$2; shift 2 ;;
        --tm-epochs) tm_epochs=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --limit) limit=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        *) echo "distributed.sh: unknown flag $1 (see --help)" >&2; exit 2 ;;
    esac
done
command -v mpirun > /dev/null || { echo "distributed.sh: no mpirun (Debian: openmpi-bin)" >&2; exit 2; }
[ -x build/examples/time_machine ] || bash scripts/run build > /dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
fields() { tail -n 1 "$1" | python3 -c "import json, sys; r = json.load(sys.stdin); print(' '.join(str(r[k]) for k in sys.argv[1:]))" "${@:2}"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "time machine LSTM, d2l defaults, $tm_epochs epochs (global batch 32)"
tm=(build/examples/time_machine --epochs "$tm_epochs" --json)
run_tm() {  # label, then the command
    local label=$1; shift
    "$@" > "$log/tm" 2>&1 || { cat "$log/tm"; exit 1; }
    read -r tps frac ppl < <(fields "$log/tm" tokens_per_s allreduce_fraction perplexity)
    printf "  %-26s %8.0f tokens/s  allreduce %4.1f %%  perplexity %.3f\n" "$label" "$tps" "$(python3 -c "print($frac * 100)")" "$ppl"
}
run_tm "1 process x 1 thread" "${tm[@]}" --threads 1
run_tm "1 process x $ranks threads" "${tm[@]}" --threads "$ranks"
run_tm "$ranks ranks x 1 thread" mpirun -np "$ranks" --bind-to core "${tm[@]}" --threads 1

echo "IMDB BiRNN (d2l), $data, limit $limit, $epochs epoch(s) (global batch 64)"
im=(build/examples/imdb_sentiment --recipe d2l --data "$data" --limit "$limit" --epochs "$epochs" --json)
run_im() {
    local label=$1; shift
    "$@" --metrics "$log/metrics" > "$log/im" 2>&1 || { cat "$log/im"; exit 1; }
    read -r rps frac acc < <(fields "$log/im" reviews_per_s allreduce_fraction test_accuracy)
    local secs test
    secs=$(python3 -c "import json; r = [json.loads(l) for l in open('$log/metrics')]; print(sum(x['seconds'] for x in r) / len(r))")
    test=$(python3 -c "import json; r = [json.loads(l) for l in open('$log/metrics')]; print(sum(x['test_seconds'] for x in r) / len(r))")
    rm -f "$log/metrics"
    printf "  %-26s %7.1f reviews/s  %6.1f s/epoch training, %5.1f s test  allreduce %4.1f %%  test acc %.4f\n" \
        "$label" "$rps" "$secs" "$test" "$(python3 -c "print($frac * 100)")" "$acc"
}
run_im "1 process x $ranks threads" "${im[@]}" --threads "$ranks"
run_im "$ranks ranks x 1 thread" mpirun -np "$ranks" --bind-to core "${im[@]}" --threads 1
