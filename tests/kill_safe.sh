#!/usr/bin/env bash
# Checkpoints survive being killed at any moment, and a failing save keeps the previous one.
# 1. A time_machine training that saves every epoch is killed with SIGKILL at random moments
#    (most land inside a save: the fsyncs make saving most of an epoch's time at this size).
#    After each kill the checkpoint folder loads, or is absent if no save had finished yet,
#    and never goes back in epochs; --resume then continues, and the finished run's weights
#    are byte-identical to an uninterrupted run's.
# 2. A save into a read-only folder or onto a full disk fails with a clear error and leaves
#    the previous checkpoint intact (as root, chmod stops nothing: a tmpfs is mounted then,
#    or the part is skipped, saying why).
# Usage: kill_safe.sh BUILD_EXAMPLES_DIR   (meson passes it; run from anywhere)
# KILLS=N sets the number of kills (default 24), SEED the shell's random seed.
set -u
bin=${1:?usage: kill_safe.sh BUILD_EXAMPLES_DIR}
tm=$bin/time_machine
work=$(mktemp -d)
mounts=()
cleanup() {
    local m
    for m in "${mounts[@]}"; do umount "$m" 2> /dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1"; failures=$((failures + 1)); }
skip() { echo "ok   - skipped: $1"; }

kills=${KILLS:-24}
RANDOM=${SEED:-$$}
epochs=30
base=(--max-tokens 2000 --batch-size 8 --num-steps 10 --sample-every 1 --threads 1 --seed 3)
common=("${base[@]}" --hidden 32 --epochs $epochs)
ckpt_epoch() { python3 -c "import json, sys; print(json.load(open(sys.argv[1] + '/checkpoint.json'))['epoch'])" "$1"; }

# ---- 1. kills at random moments ---------------------------------------------------------
start=$SECONDS
if ! "$tm" "${common[@]}" --save "$work/ref.ckpt" > "$work/ref.log" 2>&1; then
    fail "uninterrupted reference run ($(tail -n 2 "$work/ref.log"))"
fi
ck=$work/k/ckpt
mkdir -p "$work/k"
last=0            # the epoch of the last checkpoint seen (0: none yet)
in_save=0         # kills that left a save's temporary folder behind (killed mid-save)
bad=0
# half the kills at random moments, half aimed at a save; if fewer than a fifth have
# landed inside a save after $kills, go on (up to 4 times as many) before judging
wanted=$(((kills + 4) / 5))
for ((i = 1; i <= kills || (in_save < wanted && i <= 4 * kills); i++)); do
    if [ -d "$ck" ]; then
        "$tm" "${common[@]}" --resume "$ck" --save "$ck" > "$work/run.log" 2>&1 &
    else
        "$tm" "${common[@]}" --save "$ck" > "$work/run.log" 2>&1 &
    fi
    pid=$!
    if ((i % 2)); then
        # 0 to 0.40 s: from before the first save to several epochs in (an epoch with its
        # save takes ~45 ms on a disk that syncs, ~40 of them in the save)
        sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    else
        # aimed at a save: on a tmpfs a save takes well under a millisecond, and random
        # moments seldom hit one. Wait (builtins only, microseconds a turn) for this run's
        # first save's temporary folder, then a few more turns at random.
        turns=$((RANDOM % 64)) deadline=$((SECONDS + 10))
        until [ -e "$work/k/.ckpt.tmp-$pid" ] || ! kill -0 $pid 2> /dev/null || [ $SECONDS -ge $deadline ]; do :; done
        for ((t = 0; t < turns; t++)); do :; done
    fi
    kill -KILL $pid 2> /dev/null
    wait $pid 2> /dev/null
    # a temporary of this run's pid: the kill landed between the start and the end of a save
    ls -A "$work/k" | grep -q "^\.ckpt\.\(tmp\|old\)-$pid$" && in_save=$((in_save + 1))
    if [ ! -e "$ck" ]; then
        if [ $last -ne 0 ]; then
            fail "kill $i: the checkpoint of epoch $last disappeared"
            bad=1
            break
        fi
        continue  # killed before the first save had finished: nothing, not half a folder
    fi
    if ! "$tm" generate --checkpoint "$ck" --length 5 > /dev/null 2> "$work/err"; then
        fail "kill $i: the checkpoint does not load ($(head -c 300 "$work/err"))"
        bad=1
        break
    fi
    e=$(ckpt_epoch "$ck")
    if [ "$e" -lt $last ]; then
        fail "kill $i: the checkpoint went back from epoch $last to $e"
        bad=1
        break
    fi
    last=$e
    if [ "$e" -ge $epochs ]; then  # finished before the kill: start again, to kill some more
        rm -rf "$ck"
        last=0
    fi
done
if [ $bad -eq 0 ]; then
    kills=$((i - 1))
    pass "$kills SIGKILLs, half at random moments, half aimed at saves ($in_save inside a save): the checkpoint always loads or is absent, never goes back"
    # fewer than a fifth of the kills asked for, even after 4 times as many: the aimed
    # kills no longer hit saves
    [ $in_save -ge $wanted ] && pass "at least $wanted kills landed inside a save ($in_save of $kills)" ||
        fail "only $in_save of $kills kills landed inside a save: the test no longer hits saves"
    # finish the interrupted training
    if [ -d "$ck" ]; then
        "$tm" "${common[@]}" --resume "$ck" --save "$ck" > "$work/run.log" 2>&1
    else
        "$tm" "${common[@]}" --save "$ck" > "$work/run.log" 2>&1
    fi
    if [ $? -eq 0 ] && cmp -s "$ck/model.safetensors" "$work/ref.ckpt/model.safetensors" &&
        cmp -s "$ck/optimizer.safetensors" "$work/ref.ckpt/optimizer.safetensors"; then
        pass "resumed after the kills, the final weights are byte-identical to the uninterrupted run's"
    else
        fail "final weights after kills and resumes differ from the uninterrupted run's ($(tail -n 2 "$work/run.log"))"
    fi
    leftovers=$(ls -A "$work/k" | grep -v '^ckpt$' | tr '\n' ' ')
    [ -z "$leftovers" ] && pass "the finishing save removed the killed saves' temporaries" ||
        fail "temporaries of killed saves left next to the checkpoint: $leftovers"
fi
echo "# kill test: $kills kills, $in_save inside a save, $((SECONDS - start)) s"

# ---- 2. a save that cannot be written ---------------------------------------------------
# prepare DIR: a first checkpoint of 2 epochs in DIR/ckpt, a copy to compare with
first_checkpoint() {
    "$tm" "${base[@]}" --hidden 32 --epochs 2 --save "$1/ckpt" > "$work/first.log" 2>&1 &&
        cp -r "$1/ckpt" "$work/before.ckpt"
}
# check_failed_save NAME DIR PATTERN: the last run failed with a one-line error matching
# PATTERN, no crash, and DIR/ckpt is still the first checkpoint, loadable, with no temporary
check_failed_save() {
    local name=$1 dir=$2 pattern=$3 rc=$4
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "$pattern" "$work/err" && [ "$(wc -l < "$work/err")" -le 2 ]; then
        pass "$name: a clear error ($(head -n 1 "$work/err" | cut -c 1-150))"
    else
        fail "$name: exit $rc, stderr: $(head -c 300 "$work/err")"
    fi
    if diff -r "$dir/ckpt" "$work/before.ckpt" > /dev/null && "$tm" generate --checkpoint "$dir/ckpt" > /dev/null 2>&1 &&
        [ -z "$(ls -A "$dir" | grep -v '^\(ckpt\|filler\|mid\|\.mid\.tmp-[0-9]*\)$')" ]; then
        pass "$name: the previous checkpoint is intact, nothing left beside it"
    else
        fail "$name: the previous checkpoint changed or temporaries were left ($(ls -A "$dir" | tr '\n' ' '))"
    fi
    rm -rf "$work/before.ckpt"
}
can_mount=0
mkdir -p "$work/probe"
if mount -t tmpfs -o size=64k tmpfs "$work/probe" 2> /dev/null; then
    umount "$work/probe"
    can_mount=1
fi
# mount_tmpfs DIR SIZE: a small tmpfs at DIR, unmounted at exit
mount_tmpfs() {
    mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" && mounts+=("$1")
}

# read-only folder: the folder becomes read-only after the first save of a training
# (the next save fails half-way through the run), and a resume into it fails up front
ro=$work/ro
ro_mode=""
if [ "$(id -u)" -ne 0 ]; then
    mkdir -p "$ro" && ro_mode=chmod
elif [ $can_mount -eq 1 ]; then
    mount_tmpfs "$ro" 2m && ro_mode=remount
fi
make_ro() {
    case $ro_mode in
    chmod) chmod a-w "$ro" ;;
    remount) mount -o remount,ro "$ro" ;;
    esac
}
if [ -z "$ro_mode" ]; then
    skip "read-only folder: running as root (chmod does not stop root's writes) and mount is not permitted"
elif first_checkpoint "$ro"; then
    # a run that saves every epoch, made read-only under it after its first save
    "$tm" "${base[@]}" --hidden 32 --epochs 200 --save "$ro/mid" > /dev/null 2> "$work/err" &
    pid=$!
    for ((t = 0; t < 200; t++)); do [ -f "$ro/mid/checkpoint.json" ] && break; sleep 0.02; done
    ok=0
    for ((t = 0; t < 50; t++)); do make_ro 2> /dev/null && ok=1 && break; sleep 0.01; done  # busy while a save writes
    wait $pid
    rc=$?
    if [ $ok -eq 1 ]; then
        # the error is the write's (not a failed cleanup's), the run's last checkpoint loads;
        # a save cut short by the switch may leave its temporary (it cannot be removed from a
        # read-only folder: the next save there removes it)
        if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q -- "Read-only\|Permission denied\|not writable" "$work/err" &&
            ! grep -q "remove" "$work/err" && "$tm" generate --checkpoint "$ro/mid" > /dev/null 2>&1; then
            pass "read-only ($ro_mode) under a training: the next save fails clearly ($(head -n 1 "$work/err" | cut -c 1-150)), the last checkpoint loads"
        else
            fail "read-only ($ro_mode) under a training: exit $rc, stderr: $(head -c 300 "$work/err"), folder: $(ls -A "$ro" | tr '\n' ' ')"
        fi
        "$tm" "${base[@]}" --hidden 32 --epochs 4 --resume "$ro/ckpt" --save "$ro/ckpt" > /dev/null 2> "$work/err"
        check_failed_save "read-only ($ro_mode) resume" "$ro" "not writable\|Read-only\|Permission denied" $?
    else
        fail "could not make $ro read-only ($ro_mode)"
    fi
    [ "$ro_mode" = chmod ] && chmod u+w "$ro"
else
    fail "read-only: first checkpoint ($(tail -n 2 "$work/first.log"))"
fi

# full disk: a tmpfs that holds one checkpoint (~45 KiB) and then is filled up
if [ $can_mount -eq 0 ]; then
    skip "full disk: mount is not permitted here (needs root to mount a small tmpfs)"
else
    full=$work/full
    if mount_tmpfs "$full" 256k && first_checkpoint "$full"; then
        dd if=/dev/zero of="$full/filler" bs=4k 2> /dev/null  # until the disk is full
        "$tm" "${base[@]}" --hidden 32 --epochs 4 --resume "$full/ckpt" --save "$full/ckpt" > /dev/null 2> "$work/err"
        check_failed_save "full disk" "$full" "No space left on device" $?
    else
        fail "full disk: first checkpoint on a 256 KiB tmpfs ($(tail -n 2 "$work/first.log"))"
    fi
fi

echo "$failures failure(s)"
[ $failures -eq 0 ]
