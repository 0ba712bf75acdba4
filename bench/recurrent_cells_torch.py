#!/usr/bin/python3
"""PyTorch's side of bench/recurrent_cells.sh: forward + backward of one batch through
nn.LSTM (fused) and through the same cells as xgrad's unroll runs them, written with
PyTorch's primitive ops in a Python loop (PyTorch has no LayerNormLSTM or peephole LSTM).
Prints milliseconds per batch, best of --reps, in build/bench/recurrent_cells' format."""
import argparse
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser(description=__doc__)
for name, default in (("steps", 35), ("batch", 32), ("input", 28), ("hidden", 256), ("reps", 10), ("threads", 1)):
    p.add_argument(f"--{name}", type=int, default=default)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
S, B, I, H = a.steps, a.batch, a.input, a.hidden
x = torch.randn(S, B, I)
lstm = torch.nn.LSTM(I, H)
w_ih, w_hh, b_ih, b_hh = (getattr(lstm, n) for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
ln = {n: torch.nn.Parameter(torch.ones(4 * H) if n.endswith("w") else torch.zeros(4 * H)) for n in ("ih_w", "ih_b", "hh_w", "hh_b")}
ln_c = (torch.nn.Parameter(torch.ones(H)), torch.nn.Parameter(torch.zeros(H)))
peep = torch.nn.Parameter(torch.zeros(3 * H))


def lstm_step(xt, h, c):
    i, f, g, o = (xt @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def layer_norm_step(xt, h, c):
    a = F.layer_norm(xt @ w_ih.t(), (4 * H,), ln["ih_w"], ln["ih_b"]) + F.layer_norm(h @ w_hh.t(), (4 * H,), ln["hh_w"], ln["hh_b"])
    i, f, g, o = (a + b_ih + b_hh).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(F.layer_norm(c, (H,), *ln_c)), c


def peephole_step(xt, h, c):
    ai, af, ag, ao = (xt @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh).chunk(4, 1)
    pi, pf, po = peep.chunk(3)
    c = torch.sigmoid(af + pf * c) * c + torch.sigmoid(ai + pi * c) * torch.tanh(ag)
    return torch.sigmoid(ao + po * c) * torch.tanh(c), c


def loop(step):
    def run():
        h = c = torch.zeros(B, H)
        outs = []
        for t in range(S):
            h, c = step(x[t], h, c)
            outs.append(h)
        torch.stack(outs).sum().backward()
    return run


def best_ms(run):
    run()
    best = float("inf")
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run()
        best = min(best, (time.perf_counter() - t0) * 1e3)
    return best


base = best_ms(lambda: lstm(x)[0].sum().backward())
print(f"S={S} B={B} I={I} H={H}, {a.threads} thread(s), PyTorch {torch.__version__}")
print(f"{'LSTM, fused':32s} {base:9.2f} ms  1.00x of fused LSTM's speed")
for name, step in (("LSTM, primitive ops + loop", lstm_step), ("LayerNormLSTM (loop)", layer_norm_step),
                   ("PeepholeLSTM (loop)", peephole_step)):
    ms = best_ms(loop(step))
    print(f"{name:32s} {ms:9.2f} ms  {base / ms:.2f}x of fused LSTM's speed")
