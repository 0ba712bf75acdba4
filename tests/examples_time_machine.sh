#!/usr/bin/env bash
# time_machine and the small examples end to end, as a user runs them: help, bad input, a
# short training that must learn, checkpoints that resume to the same result, sampling,
# metrics, plots, anomaly mode and degenerate input.
source "$(dirname "$0")/examples_common.sh"

# ---- time_machine --------------------------------------------------------------------
tm=$bin/time_machine
"$tm" --help > "$work/help" && grep -q -- "--max-tokens" "$work/help" && pass "time_machine --help" || fail "time_machine --help"
expect_fail "time_machine: unknown flag" "unrecognised option" "$tm" --bogus
expect_fail "time_machine: bad model" "unknown --model 'transformer'" "$tm" --model transformer
expect_fail "time_machine: zoneout on a plain LSTM" "--zoneout and --weight-drop are for --model lnlstm or peephole" "$tm" --zoneout 0.1
expect_fail "time_machine: weight drop of 1" "--zoneout and --weight-drop must be below 1" "$tm" --model peephole --weight-drop 1
expect_fail "time_machine: bad number" "error" "$tm" --epochs many
expect_fail "time_machine: missing corpus" "$work/nothing.txt" "$tm" --data "$work/nothing.txt"
: > "$work/empty.txt"
expect_fail "time_machine: empty corpus" "empty" "$tm" --data "$work/empty.txt"
expect_fail "time_machine: generate without checkpoint" "generate needs --checkpoint" "$tm" generate
expect_fail "time_machine: missing checkpoint" "$work/none.ckpt" "$tm" generate --checkpoint "$work/none.ckpt"

# A short run must learn: 200 epochs over 2,000 characters bring perplexity from the
# 28-character vocabulary's chance level (28) to about 1.15 (the text is memorised).
common=(--max-tokens 2000 --hidden 64 --batch-size 8 --num-steps 20 --sample-every 1000 --threads 2 --seed 3)
epochs=200 bound=2  # quick: 30 epochs reach 11.1
[ -n "$quick" ] && epochs=30 bound=13
if "$tm" "${common[@]}" --epochs $epochs --json > "$work/short.log" 2>&1; then
    ppl=$(json_field "$work/short.log" perplexity)
    python3 -c "import sys; sys.exit(0 if $ppl < $bound else 1)" && pass "time_machine learns (perplexity $ppl < $bound after $epochs epochs)" \
        || fail "time_machine learns (perplexity $ppl, expected < $bound after $epochs epochs)"
else
    fail "time_machine short run: $(tail -n 3 "$work/short.log")"
fi

# The LSTM variants learn too: fused, and with zoneout (unroll) and DropConnect
epochs=100 bound=5  # quick: 20 epochs reach 2.7, 13.8 and 4.4
[ -n "$quick" ] && epochs=20 bound=15
for variant in "--model lnlstm" "--model peephole" "--model lnlstm --zoneout 0.05 --weight-drop 0.1"; do
    if "$tm" "${common[@]}" $variant --epochs $epochs --json > "$work/variant.log" 2>&1; then
        ppl=$(json_field "$work/variant.log" perplexity)
        python3 -c "import sys; sys.exit(0 if $ppl < $bound else 1)" && pass "time_machine $variant learns (perplexity $ppl < $bound)" \
            || fail "time_machine $variant learns (perplexity $ppl, expected < $bound)"
    else
        fail "time_machine $variant: $(tail -n 3 "$work/variant.log")"
    fi
done

# Resume: 3 epochs + 3 epochs from a checkpoint == 6 epochs in one go, to the last bit.
if "$tm" "${common[@]}" --epochs 6 --json --save "$work/full.ckpt" > "$work/full.log" 2>&1 &&
    "$tm" "${common[@]}" --epochs 3 --save "$work/half.ckpt" > "$work/half.log" 2>&1 &&
    "$tm" "${common[@]}" --epochs 6 --json --resume "$work/half.ckpt" --save "$work/resumed.ckpt" > "$work/resumed.log" 2>&1; then
    same_result "time_machine --resume gives the uninterrupted run's weights and perplexity" perplexity "$work/full" "$work/resumed"
else
    fail "time_machine --resume ($(tail -n 2 "$work/resumed.log"))"
fi
[ -f "$work/full.ckpt/checkpoint.json" ] && [ -f "$work/full.ckpt/optimizer.safetensors" ] &&
    [ -f "$work/full.ckpt/vocab.json" ] && [ -z "$(ls -A "$work" | grep '\.tmp-')" ] &&
    pass "checkpoint folder complete, no temporary left" || fail "checkpoint folder contents"
expect_fail "time_machine: resume with another --hidden" "--hidden 32 differs from the checkpoint's 64" \
    "$tm" --resume "$work/half.ckpt" --hidden 32
expect_fail "time_machine: resume with another --batch-size" "--batch-size 4 differs" "$tm" --resume "$work/half.ckpt" --batch-size 4
# repeating part of the original flags is fine, even where they only make sense together
"$tm" "${common[@]}" --model lstmp --epochs 1 --save "$work/lstmp.ckpt" > /dev/null 2>&1 &&
    "$tm" --resume "$work/lstmp.ckpt" --epochs 2 --proj 32 --sample-every 1000 > "$work/lstmp.log" 2>&1 &&
    grep -q "resumed" "$work/lstmp.log" && pass "time_machine: resume repeating --proj alone" ||
    fail "time_machine: resume repeating --proj alone ($(tail -n 2 "$work/lstmp.log"))"
expect_fail "time_machine: resume to an epoch already done" "trained 3 epochs already" "$tm" --resume "$work/half.ckpt" --epochs 3
printf 'the quick brown fox jumps over the lazy dog %.0s' $(seq 100) > "$work/other.txt"
expect_fail "time_machine: resume on another corpus" "another vocabulary" \
    "$tm" --resume "$work/half.ckpt" --epochs 9 --data "$work/other.txt"
expect_fail "time_machine: negative count" "'-1' for --epochs is not a whole number" "$tm" --epochs -1
expect_fail "time_machine: count with junk" "'5abc' for --epochs" "$tm" --epochs 5abc
expect_fail "time_machine: infinite lr" "--lr must be a finite number > 0, not inf" "$tm" --lr inf
# Boost.Program_options looped forever on an argument holding its own placeholder (found by tests/fuzz)
expect_fail "time_machine: a value holding %value%" "leave the % out" timeout 20 "$tm" --epochs %value%
expect_fail "time_machine: an unknown flag holding %canonical_option%" "leave the % out" timeout 20 "$tm" -%canonical_option%em
expect_fail "time_machine: save into a missing folder, before training" "folder $work/nowhere does not exist" \
    "$tm" --save "$work/nowhere/ckpt"
expect_fail "time_machine: negative temperature" "--temperature must be a finite number >= 0" \
    "$tm" generate --checkpoint "$work/full.ckpt" --temperature -1

out=$("$tm" generate --checkpoint "$work/full.ckpt" --prefix "The Time" --length 20 2> "$work/err")
if [ $? -eq 0 ] && [ "${#out}" -eq 28 ] && [ "${out:0:8}" = "the time" ]; then
    pass "time_machine generate: prefix plus 20 characters"
else
    fail "time_machine generate ('$out', $(cat "$work/err"))"
fi
"$tm" generate --checkpoint "$work/full.ckpt" --length 30 --temperature 0.8 > /dev/null 2>&1 && pass "generate with temperature" ||
    fail "generate with temperature"
# a vanishing temperature is the most likely character, not NaN weights
[ "$("$tm" generate --checkpoint "$work/full.ckpt" --temperature 1e-300)" = "$("$tm" generate --checkpoint "$work/full.ckpt")" ] &&
    pass "generate with a tiny temperature is greedy" || fail "generate with a tiny temperature"

# ---- metrics, plots and anomaly mode --------------------------------------------------
# --metrics: one JSON line per epoch; a run killed after logging an epoch it had not saved
# (epoch 3 here, plus a torn line) resumes from its checkpoint and logs each epoch once.
"$tm" "${common[@]}" --epochs 4 --metrics "$work/m.jsonl" --plot "$work/tm.svg" > "$work/m.log" 2>&1
if [ "$(epochs_of "$work/m.jsonl")" = "1 2 3 4" ] &&
    python3 -c "import json, sys; d = json.loads(open(sys.argv[1]).readlines()[-1]); sys.exit(0 if all(k in d for k in ('epoch', 'lr', 'loss', 'perplexity', 'tokens_per_s', 'seconds')) else 1)" "$work/m.jsonl"; then
    pass "time_machine --metrics: a line per epoch with epoch, lr, loss, perplexity, tokens_per_s, seconds"
else
    fail "time_machine --metrics ($(cat "$work/m.jsonl" | head -c 300))"
fi
python3 -c "import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith('svg') and len(list(r.iter())) > 20 else 1)" "$work/tm.svg" 2> /dev/null &&
    pass "time_machine --plot writes a well-formed SVG" || fail "time_machine --plot ($(head -c 200 "$work/tm.svg" 2>&1))"
"$tm" "${common[@]}" --epochs 2 --save "$work/k.ckpt" --metrics "$work/k.jsonl" > /dev/null 2>&1
sed -n 1p "$work/m.jsonl" | sed 's/"epoch":1/"epoch":3/' >> "$work/k.jsonl"
printf '{"epoch":4,"lr' >> "$work/k.jsonl"
"$tm" "${common[@]}" --epochs 4 --resume "$work/k.ckpt" --metrics "$work/k.jsonl" --plot "$work/tm.png" > /dev/null 2>&1
if [ "$(epochs_of "$work/k.jsonl")" = "1 2 3 4" ] &&
    [ "$(python3 -c "import json, sys; print([json.loads(l)['perplexity'] for l in open(sys.argv[1])])" "$work/k.jsonl")" = \
      "$(python3 -c "import json, sys; print([json.loads(l)['perplexity'] for l in open(sys.argv[1])])" "$work/m.jsonl")" ]; then
    pass "a killed and resumed run logs every epoch once, with the uninterrupted run's perplexities"
else
    fail "resumed --metrics ($(epochs_of "$work/k.jsonl" 2>&1))"
fi
[ "$(head -c 8 "$work/tm.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && pass "time_machine --plot writes a PNG" ||
    fail "time_machine --plot .png"
expect_fail "time_machine: --plot of an unknown kind" "must end in .svg or .png" "$tm" --plot "$work/curve.pdf"
expect_fail "time_machine: --plot into a missing folder" "no folder" "$tm" --plot "$work/nowhere/curve.svg"
# anomaly mode: a normal run is unchanged; an exploding one stops at the first bad gradient
"$tm" "${common[@]}" --epochs 2 --json --detect-anomaly > "$work/an.log" 2>&1 && "$tm" "${common[@]}" --epochs 2 --json > "$work/plain.log" 2>&1 &&
    [ "$(json_field "$work/an.log" perplexity)" = "$(json_field "$work/plain.log" perplexity)" ] &&
    pass "--detect-anomaly changes nothing in a healthy run" || fail "--detect-anomaly on a healthy run ($(tail -n 2 "$work/an.log"))"
expect_fail "time_machine --detect-anomaly names the op of the first bad gradient" "anomaly: .* returned \(nan\|inf\) in its gradient for input" \
    "$tm" "${common[@]}" --epochs 5 --lr 3e38 --clip 1e38 --detect-anomaly

# ---- degenerate input: sizes that overflow, hostile checkpoint values, special files -------
# (docs/security.md's table). Each is a clean error: no crash, no hang, no training on garbage.
huge=4611686018427387904  # 2^62: 4 x 2^62 gates wrap to 0 in unchecked arithmetic
for m in scratch lstm lstmp gru rnn lnlstm peephole; do
    expect_fail "time_machine --model $m --hidden 2^62" "too large" timeout 60 "$tm" --model $m --hidden $huge --epochs 1
done
expect_fail "time_machine --layers 10^15" "--layers must be at most 1000" "$tm" --layers 1000000000000000
edit_setting "$work/half.ckpt" "$work/clip.ckpt" clip -1.0
expect_fail "time_machine: a checkpoint's \"clip\": -1 is checked as --clip is" "clip.ckpt/checkpoint.json: --clip must be a finite number > 0" \
    "$tm" --resume "$work/clip.ckpt" --epochs 9
edit_setting "$work/half.ckpt" "$work/layers.ckpt" layers 1000000000000
expect_fail "time_machine: a checkpoint's huge \"layers\" fails at once" "--layers must be at most 1000" \
    timeout 60 "$tm" --resume "$work/layers.ckpt" --epochs 9
expect_fail "time_machine generate: the same check" "--layers must be at most 1000" \
    timeout 60 "$tm" generate --checkpoint "$work/layers.ckpt"
edit_setting "$work/half.ckpt" "$work/steps.ckpt" num-steps 0
expect_fail "time_machine: a checkpoint's \"num-steps\": 0" "--batch-size and --num-steps must be positive" \
    "$tm" --resume "$work/steps.ckpt" --epochs 9
# nlohmann's own conversion would cast these (1e300 to an integer is undefined behaviour)
edit_setting "$work/half.ckpt" "$work/hidden.ckpt" hidden 1e300
expect_fail "time_machine: a checkpoint's \"hidden\": 1e300" 'hidden.ckpt/checkpoint.json: "hidden" holds 1e+300, not a count' \
    "$tm" --resume "$work/hidden.ckpt" --epochs 9
expect_fail "time_machine generate: the same check" '"hidden" holds 1e+300, not a count' \
    "$tm" generate --checkpoint "$work/hidden.ckpt"
edit_setting "$work/half.ckpt" "$work/iter.ckpt" random-iter 1
expect_fail "time_machine: a checkpoint's \"random-iter\": 1" '"random-iter" holds 1, not a switch' \
    "$tm" --resume "$work/iter.ckpt" --epochs 9
edit_meta "$work/half.ckpt" "$work/program.ckpt" program 5
expect_fail "time_machine: a checkpoint's \"program\": 5" "program.ckpt is not a checkpoint of time_machine" \
    "$tm" --resume "$work/program.ckpt" --epochs 9
mkfifo "$work/fifo.txt"
expect_fail "time_machine: a FIFO as --data is refused, not waited on" "not a regular file" timeout 20 "$tm" --data "$work/fifo.txt"

# ---- the small examples -------------------------------------------------------------
out=$("$bin/shapes")
[ "$(echo "$out" | grep -c 'allclose: true')" -eq 2 ] && echo "$out" | grep -q "weight_hr_l0  (3, 5)" &&
    pass "shapes: hand-written LSTM matches, LSTMP shapes" || fail "shapes"
out=$("$bin/lstm_by_hand" --epochs 300)
echo "$out" | python3 -c "
import re, sys
after = [l for l in sys.stdin if l.strip().startswith('after')]
ok = len(after) == 2 and all(float(a) < 0.1 and float(b) > 0.9 for a, b in
      (re.findall(r'predicted ([0-9.]+)', l) for l in after))
sys.exit(0 if ok else 1)" && pass "lstm_by_hand: both models learn A -> 0, B -> 1" || fail "lstm_by_hand ($out)"
expect_fail "lstm_by_hand: bad flag" "unknown or incomplete flag" "$bin/lstm_by_hand" --nope
expect_fail "lstm_by_hand: count with junk" "bad value '5abc' for --epochs" "$bin/lstm_by_hand" --epochs 5abc
expect_fail "shapes: a flag it does not take" "unknown argument '--bogus'" "$bin/shapes" --bogus

finish
