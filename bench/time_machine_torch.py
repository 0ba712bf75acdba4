#!/usr/bin/python3
"""The time-machine character language model of d2l (chapter 9-10) in PyTorch, configured
like examples/time_machine, for a side-by-side speed comparison (bench/time_machine.sh).

Same data (first 10,000 characters), same model (nn.LSTM/GRU/RNN + Linear on one-hot
inputs), same training (SGD, gradient clipping, sequential batches with the state
detached between them). Prints per-epoch perplexity and, last, one JSON line with
perplexity, tokens_per_s, epochs and seconds. Needs Debian's python3-torch.
"""
import argparse
import json
import math
import os
import random
import re
import time

import torch
from torch import nn
from torch.nn import functional as F


def load_corpus(path, max_tokens):
    with open(path) as f:
        lines = [re.sub('[^A-Za-z]+', ' ', line).strip().lower() for line in f.readlines()]
    tokens = [list(line) for line in lines]
    counter = {}
    for line in tokens:
        for t in line:
            counter[t] = counter.get(t, 0) + 1
    freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
    idx_to_token = ['<unk>'] + [t for t, _ in freqs]
    token_to_idx = {t: i for i, t in enumerate(idx_to_token)}
    corpus = [token_to_idx[t] for line in tokens for t in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, idx_to_token, token_to_idx


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens]).reshape(batch_size, -1)
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens]).reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = rnn_layer.proj_size or rnn_layer.hidden_size if isinstance(rnn_layer, nn.LSTM) else rnn_layer.hidden_size
        self.linear = nn.Linear(self.num_hiddens, vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        Y, state = self.rnn(X, state)
        return self.linear(Y.reshape((-1, Y.shape[-1]))), state

    def begin_state(self, batch_size):
        L = self.rnn.num_layers
        if isinstance(self.rnn, nn.LSTM):
            return (torch.zeros((L, batch_size, self.num_hiddens)), torch.zeros((L, batch_size, self.rnn.hidden_size)))
        return torch.zeros((L, batch_size, self.num_hiddens))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--model', default='lstm', choices=['lstm', 'lstmp', 'gru', 'rnn'])
    p.add_argument('--hidden', type=int, default=256)
    p.add_argument('--layers', type=int, default=1)
    p.add_argument('--proj', type=int, default=0)
    p.add_argument('--epochs', type=int, default=500)
    p.add_argument('--lr', type=float, default=1.0)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--num-steps', type=int, default=35)
    p.add_argument('--max-tokens', type=int, default=10000)
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data', default=os.path.join(here, '..', 'data', 'corpora', 'timemachine.txt'))
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    corpus, idx_to_token, token_to_idx = load_corpus(a.data, a.max_tokens)
    V = len(idx_to_token)
    if a.model in ('lstm', 'lstmp'):
        proj = (a.proj or a.hidden // 2) if a.model == 'lstmp' else 0
        layer = nn.LSTM(V, a.hidden, num_layers=a.layers, proj_size=proj)
    elif a.model == 'gru':
        layer = nn.GRU(V, a.hidden, num_layers=a.layers)
    else:
        layer = nn.RNN(V, a.hidden, num_layers=a.layers)
    net = RNNModel(layer, V)
    opt = torch.optim.SGD(net.parameters(), a.lr)
    loss_fn = nn.CrossEntropyLoss()

    def predict(prefix, num_preds):
        state = net.begin_state(1)
        outputs = [token_to_idx.get(prefix[0], 0)]
        get_input = lambda: torch.tensor([outputs[-1]]).reshape((1, 1))
        for y in prefix[1:]:
            _, state = net(get_input(), state)
            outputs.append(token_to_idx.get(y, 0))
        for _ in range(num_preds):
            y, state = net(get_input(), state)
            outputs.append(int(y.argmax(dim=1).reshape(1)))
        return ''.join(idx_to_token[i] for i in outputs)

    start = time.time()
    train_seconds, train_tokens, ppl = 0.0, 0, float('nan')
    for epoch in range(a.epochs):
        t0 = time.time()
        state, loss_sum, n = None, 0.0, 0
        for X, Y in seq_data_iter_sequential(corpus, a.batch_size, a.num_steps):
            if state is None:
                state = net.begin_state(X.shape[0])
            elif isinstance(state, tuple):
                state = tuple(s.detach() for s in state)
            else:
                state = state.detach()
            y = Y.T.reshape(-1)
            y_hat, state = net(X, state)
            l = loss_fn(y_hat, y.long()).mean()
            opt.zero_grad()
            l.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            loss_sum += float(l) * y.numel()
            n += y.numel()
        train_seconds += time.time() - t0
        train_tokens += n
        ppl = math.exp(loss_sum / n)
        if (epoch + 1) % 10 == 0 or epoch + 1 == a.epochs:
            print(f'epoch {epoch + 1}: perplexity {ppl:.2f}, {train_tokens / train_seconds:.0f} tokens/s', flush=True)
    with torch.no_grad():
        sample = predict('time traveller', 50)
    print(sample)
    print(json.dumps({'model': a.model, 'perplexity': ppl, 'tokens_per_s': train_tokens / train_seconds,
                      'epochs': a.epochs, 'seconds': time.time() - start, 'threads': torch.get_num_threads(),
                      'sample': sample}))


if __name__ == '__main__':
    main()
