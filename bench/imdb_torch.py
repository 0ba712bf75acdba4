#!/usr/bin/python3
"""d2l's BiRNN sentiment model (section 16.2) in PyTorch, for a speed comparison with
examples/imdb_sentiment (bench/imdb.sh): Embedding(V, 100), 2-layer bidirectional
LSTM(100), decoder on the concatenated first and last outputs, Adam lr 0.01, batch 64,
every review padded or cut to 500 tokens as d2l does. Trains on `--limit` training
reviews for `--epochs` epochs and prints one JSON line with reviews/s and tokens/s
(true tokens, as xgrad counts them). Needs Debian's python3-torch.
"""
import argparse
import collections
import json
import os
import random
import time

import torch
from torch import nn


def read_imdb(data_dir, split, limit, seed):
    data, labels = [], []
    for label in ('pos', 'neg'):
        folder = os.path.join(data_dir, split, label)
        names = sorted(os.listdir(folder))
        for name in names:
            with open(os.path.join(folder, name), 'rb') as f:
                data.append(f.read().decode('utf-8').replace('\n', ''))
            labels.append(1 if label == 'pos' else 0)
    if limit and limit < len(data):
        rng = random.Random(seed)
        idx = rng.sample(range(len(data)), limit)
        data, labels = [data[i] for i in idx], [labels[i] for i in idx]
    return data, labels


class BiRNN(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.encoder = nn.LSTM(embed_size, num_hiddens, num_layers=num_layers, bidirectional=True)
        self.decoder = nn.Linear(4 * num_hiddens, 2)

    def forward(self, inputs):
        embeddings = self.embedding(inputs.T)
        outputs, _ = self.encoder(embeddings)
        encoding = torch.cat((outputs[0], outputs[-1]), dim=1)
        return self.decoder(encoding)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default=os.path.join(here, '..', 'data', 'corpora', 'aclImdb_sample'))
    p.add_argument('--limit', type=int, default=0)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--num-steps', type=int, default=500)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    texts, labels = read_imdb(a.data, 'train', a.limit, a.seed)
    tokens = [t.lower().split() for t in texts]
    counter = collections.Counter(tok for line in tokens for tok in line)
    idx_to_token = ['<unk>', '<pad>'] + [t for t, c in sorted(counter.items(), key=lambda x: x[1], reverse=True) if c >= 5]
    token_to_idx = {t: i for i, t in enumerate(idx_to_token)}
    ids = [[token_to_idx.get(t, 0) for t in line][:a.num_steps] for line in tokens]
    true_tokens = sum(len(x) for x in ids)
    features = torch.tensor([x + [1] * (a.num_steps - len(x)) for x in ids])
    y = torch.tensor(labels)
    net = BiRNN(len(idx_to_token), 100, 100, 2)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    loss = nn.CrossEntropyLoss(reduction='none')
    start = time.time()
    for _ in range(a.epochs):
        order = torch.randperm(len(ids))
        for i in range(0, len(ids), 64):
            b = order[i:i + 64]
            opt.zero_grad()
            l = loss(net(features[b]), y[b])
            l.sum().backward()
            opt.step()
    seconds = time.time() - start
    n = len(ids) * a.epochs
    print(json.dumps({'reviews_per_s': n / seconds, 'tokens_per_s': true_tokens * a.epochs / seconds,
                      'reviews': len(ids), 'epochs': a.epochs, 'seconds': seconds, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
