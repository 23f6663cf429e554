#!/usr/bin/python3
"""The n-gram baseline of the composer: interpolated absolute discounting (Ney et al. 1994;
Kneser-Ney without its continuation counts), orders 1..N, counted on the training tokens.

    /usr/bin/python3 train/compose/ngram.py [--order 5] [--seq 1024] [--out results.json]

Scored exactly as train.py scores the networks: every held-out piece cut into windows of --seq
tokens, each starting from START (so the first tokens have short contexts), NLL per event in nats.
Counting is vectorised: an n-gram of tokens < 512 packs into one int64 key.

    P_n(w | h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * P_{n-1}(w | h')
    P_1(w) = (c(w) + 1) / (N + V)                        h' = h without its oldest token
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import events as E  # noqa: E402

BITS = 9                      # tokens < 512


def pack(cols):
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for c in cols:
        key = (key << BITS) | c.astype(np.int64)
    return key


def sequences(tokens, offsets, seq):
    """[START] + window for every window of every piece -> list of int64 arrays."""
    out = []
    for a, b in zip(offsets[:-1], offsets[1:]):
        for s in range(a, b, seq):
            out.append(np.concatenate([[E.START], tokens[s:min(s + seq, b)]]).astype(np.int64))
    return out


class NGram:
    def __init__(self, seqs, order, D=0.75):
        self.order, self.D = order, D
        allt = np.concatenate([s[1:] for s in seqs])
        self.uni = (np.bincount(allt, minlength=E.VOCAB) + 1.0) / (len(allt) + E.VOCAB)
        self.tables = {}
        for n in range(2, order + 1):
            grams = []
            for s in seqs:
                if len(s) >= n:
                    grams.append(np.stack([s[i:len(s) - n + 1 + i] for i in range(n)]))
            g = np.concatenate(grams, axis=1)
            hw = pack(list(g))
            h = pack(list(g[:-1]))
            hw_u, hw_c = np.unique(hw, return_counts=True)
            h_u, h_c = np.unique(h, return_counts=True)
            # N1+(h .): distinct continuations of h = distinct (h, w) keys per h
            h_of_hw = hw_u >> BITS
            n1_u, n1_c = np.unique(h_of_hw, return_counts=True)
            assert np.array_equal(n1_u, h_u)
            self.tables[n] = (hw_u, hw_c, h_u, h_c, n1_c)

    def prob(self, ctx, w):
        """ctx [M, order-1] (oldest first, -1 = none), w [M] -> P(w | ctx) [M]."""
        p = self.uni[w].copy()
        for n in range(2, self.order + 1):
            h = ctx[:, self.order - n:]                    # the last n-1 tokens
            ok = (h >= 0).all(1)
            hw_u, hw_c, h_u, h_c, n1_c = self.tables[n]
            hk = pack(list(np.where(h >= 0, h, 0).T))
            i = np.searchsorted(h_u, hk)
            i = np.minimum(i, len(h_u) - 1)
            seen = ok & (h_u[i] == hk)
            ch = np.where(seen, h_c[i], 1).astype(np.float64)
            n1 = np.where(seen, n1_c[i], 0).astype(np.float64)
            k = (hk << BITS) | w
            j = np.minimum(np.searchsorted(hw_u, k), len(hw_u) - 1)
            chw = np.where(seen & (hw_u[j] == k), hw_c[j], 0).astype(np.float64)
            p = np.where(seen, np.maximum(chw - self.D, 0) / ch + self.D * n1 / ch * p, p)
        return p

    def nll(self, seqs):
        tot, cnt = 0.0, 0
        for s in seqs:
            T = len(s) - 1
            ctx = np.full((T, self.order - 1), -1, dtype=np.int64)
            for k in range(1, self.order):
                # ctx[t, order-1-k] = s[t+1-k] (the k-th previous token), if it exists
                idx = np.arange(T) + 1 - k
                ctx[:, self.order - 1 - k] = np.where(idx >= 0, s[np.maximum(idx, 0)], -1)
            p = self.prob(ctx, s[1:])
            tot += -np.log(p).sum()
            cnt += T
        return tot / cnt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, ".devdata_compose", "compose_data.npz"))
    ap.add_argument("--orders", default="3,4,5,6", help="orders tried; the best on validation is reported")
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    d = np.load(args.data)
    train = sequences(d["train_tokens"], d["train_offsets"], args.seq)
    val = sequences(d["val_tokens"], d["val_offsets"], args.seq)
    test_by = {"piano": [], "nottingham": []}
    for i, c in enumerate(d["test_corpus"]):
        a, b = d["test_offsets"][i], d["test_offsets"][i + 1]
        test_by[("piano", "nottingham")[c]] += sequences(d["test_tokens"], np.array([a, b]), args.seq)
    best = None
    for order in [int(x) for x in args.orders.split(",")]:
        m = NGram(train, order)
        v = m.nll(val)
        print("order %d: validation NLL %.4f nats/event" % (order, v), flush=True)
        if best is None or v < best[0]:
            best = (v, order, m)
    v, order, m = best
    res = {"arch": "ngram", "order": order, "val_nll": round(v, 4),
           "test_nll": round(m.nll(test_by["piano"] + test_by["nottingham"]), 4),
           "test_nll_piano": round(m.nll(test_by["piano"]), 4),
           "test_nll_nottingham": round(m.nll(test_by["nottingham"]), 4), "discount": m.D, "seq": args.seq}
    print("RESULT ngram: order %d, test NLL %.4f nats/event (piano %.4f, nottingham %.4f)"
          % (order, res["test_nll"], res["test_nll_piano"], res["test_nll_nottingham"]))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
