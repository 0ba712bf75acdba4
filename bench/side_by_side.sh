# Shared by bench/time_machine.sh and bench/imdb.sh (sourced, not run): which thread counts
# to measure, and the table that puts xgrad and PyTorch side by side.

# The last line of a run's output is its JSON result; print one field of it.
field() { tail -n 1 "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)['$2'])"; }

# thread_counts MAX SWEEP: 1 and MAX, or with SWEEP=1 also every power of 2 below MAX.
thread_counts() {
    local max=$1 sweep=$2 t=2
    { echo 1; echo "$max"
      if [ "$sweep" = 1 ]; then while [ "$t" -lt "$max" ]; do echo "$t"; t=$((t * 2)); done; fi
    } | sort -un
}

# summarize UNIT LINE...: each LINE is "threads xgrad pytorch" (pytorch "-" when absent).
# Prints the table, the per-core and best-against-best ratios, and each side's scaling.
summarize() {
    python3 - "$@" <<'PY'
import sys
unit, rows = sys.argv[1], [line.split() for line in sys.argv[2:]]
rows = [(int(t), float(x), None if p == "-" else float(p)) for t, x, p in rows]
x1, p1 = rows[0][1], rows[0][2]
print(f"\n| threads | xgrad {unit} | PyTorch {unit} | xgrad / PyTorch | xgrad vs its 1 thread | PyTorch vs its 1 thread |")
print("| --- | --- | --- | --- | --- | --- |")
for t, x, p in rows:
    if p is None:
        print(f"| {t} | {x:.1f} | - | - | {x / x1:.2f}x | - |")
    else:
        print(f"| {t} | {x:.1f} | {p:.1f} | {x / p:.2f}x | {x / x1:.2f}x | {p / p1:.2f}x |")
if p1 is None:
    print("PyTorch: not installed (apt-get install python3-torch), no comparison")
else:
    print(f"\nper core (1 thread vs 1 thread):   xgrad / PyTorch = {x1 / p1:.2f}x")
    print(f"best vs best (any thread count):   xgrad / PyTorch = {max(r[1] for r in rows) / max(r[2] for r in rows):.2f}x")
PY
}
