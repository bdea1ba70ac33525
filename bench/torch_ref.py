"""PyTorch reference for `npm run bench`: the same tiny GPT (weights, batch, Adam) as ours.

Reads the JSON that bench/train.ts dumps (initial weights by IR name, the token batch), trains
with Adam for at least --steps steps / --seconds seconds, and prints one JSON line:
{"first_loss", "last_loss", "steps", "step_ms", "tokens_per_sec", "threads", "torch"}.
Run with Debian's /usr/bin/python3 (python3-torch), OPENBLAS_NUM_THREADS=1, 2 torch threads.
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--heads", type=int, default=4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = json.load(open(a.dump))
    B, T, V, H = d["batch"], d["seq"], d["vocab"], a.heads
    P = {k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"]).requires_grad_()
         for k, v in d["params"].items()}
    x = torch.tensor(d["x"], dtype=torch.long).reshape(B, T)
    y = torch.tensor(d["y"], dtype=torch.long)
    blocks = sorted({k.split("/")[0] for k in P if k.startswith("block")})
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)

    def norm(h, prefix):
        # LayerNorm when the graph has a bias, else RMSNorm (both eps 1e-5, over the last axis).
        if prefix + "/bias" in P:
            return F.layer_norm(h, (h.shape[-1],), P[prefix + "/scale"], P[prefix + "/bias"], 1e-5)
        return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-5) * P[prefix + "/scale"]

    def forward():
        h = P["embed/table"][x] + P["pos/table"][:T]
        D = h.shape[-1]
        dh = D // H
        for b in blocks:
            n = norm(h, b + "/ln1")
            q, k, v = (n @ P[f"{b}/attn/{w}"] for w in ("wq", "wk", "wv"))
            q, k, v = (t.reshape(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
            s = (q * (1 / math.sqrt(dh))) @ k.transpose(-1, -2)
            s = s.masked_fill(mask, -1e9).softmax(-1)
            o = (s @ v).transpose(1, 2).reshape(B, T, D)
            h = h + o @ P[f"{b}/attn/wo"]
            n = norm(h, b + "/ln2")
            h = h + F.gelu(n @ P[f"{b}/ffn/w1"]) @ P[f"{b}/ffn/w2"]
        h = norm(h, "ln_f")
        return h @ P["embed/table"].t()

    # tfjs's Adam: lr 1e-3, betas (0.9, 0.999), epsilon 1e-7.
    opt = torch.optim.Adam(P.values(), lr=1e-3, eps=1e-7)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(forward().reshape(B * T, V), y)
        loss.backward()
        opt.step()
        return loss.item()

    first = step()
    step()
    n, last, loss10, t0, times = 0, first, None, time.perf_counter(), []
    while n < max(a.steps, 9) or time.perf_counter() - t0 < a.seconds:
        ts = time.perf_counter()
        last = step()
        times.append((time.perf_counter() - ts) * 1000)
        if n == 8:
            loss10 = last  # the loss of the 11th step, after 10 updates
        n += 1
    ms = sorted(times)[len(times) // 2]  # median: robust to other jobs' bursts
    print(json.dumps({"first_loss": first, "last_loss": last, "loss10": loss10,
                      "steps": n, "step_ms": ms,
                      "tokens_per_sec": B * T * 1000 / ms, "threads": a.threads,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
