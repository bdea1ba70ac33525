"""PyTorch reference for `npm run bench`: the same models, weights, batch and optimizer as ours.

bench/train.ts dumps a JSON file: the initial weights by IR name (with their weight-decay flag),
the token batch, the optimizer settings and, for `kind: "ir"`, the compiled IR program itself.
Two ways to run a model:
- `kind: "gpt"`: the tiny GPT written by hand in torch (what a PyTorch user would write);
- `kind: "ir"`: an interpreter of our IR (engine/graph/ir.ts) in torch ops, so TRM's recursion,
  deep supervision, RoPE and SwiGLU are the same graph as ours, op for op.
Both train with torch.optim.AdamW (decay only on the parameters our AdamW decays) and the same
loss as bench/train.ts.

`--serve` reads one JSON command a line on stdin ({"seconds", "threads", "min_steps"}), trains
from the initial weights for that long and answers one JSON line: {"first_loss", "last_loss",
"loss10", "steps", "step_ms", "tokens_per_sec", "threads", "torch"}. One process serves every
repetition, so the bench can interleave ours and torch's without paying torch's start-up.
`--profile` prints torch's profiler table (self CPU time per op) for a few steps instead.
Run with Debian's /usr/bin/python3 (python3-torch) and OPENBLAS_NUM_THREADS=1.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def params_from(d):
    """Fresh leaf tensors with the dumped initial values (every run starts from the same init)."""
    return {k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"]).requires_grad_()
            for k, v in d["params"].items()}


def optimizer(d, P):
    o = d["optimizer"]
    decay = [P[k] for k, v in d["params"].items() if v["decay"]]
    rest = [P[k] for k, v in d["params"].items() if not v["decay"]]
    groups = [{"params": decay, "weight_decay": o["weight_decay"]},
              {"params": rest, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"])


# ---------------------------------------------------------------------------------------------
# The tiny GPT by hand.

def gpt_model(d, heads=4):
    B, T, V, H = d["batch"], d["seq"], d["vocab"], heads
    x = torch.tensor(d["x"], dtype=torch.long).reshape(B, T)
    y = torch.tensor(d["y"], dtype=torch.long)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)

    def norm(P, h, prefix):
        # LayerNorm when the graph has a bias, else RMSNorm (both eps 1e-5, over the last axis).
        if prefix + "/bias" in P:
            return F.layer_norm(h, (h.shape[-1],), P[prefix + "/scale"], P[prefix + "/bias"], 1e-5)
        return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-5) * P[prefix + "/scale"]

    def loss_fn(P):
        blocks = sorted({k.split("/")[0] for k in P if k.startswith("block")})
        h = P["embed/table"][x] + P["pos/table"][:T]
        D = h.shape[-1]
        dh = D // H
        for b in blocks:
            n = norm(P, h, b + "/ln1")
            q, k, v = (n @ P[f"{b}/attn/{w}"] for w in ("wq", "wk", "wv"))
            q, k, v = (t.reshape(B, T, H, dh).transpose(1, 2) for t in (q, k, v))
            s = (q * (1 / math.sqrt(dh))) @ k.transpose(-1, -2)
            s = s.masked_fill(mask, -1e9).softmax(-1)
            o = (s @ v).transpose(1, 2).reshape(B, T, D)
            h = h + o @ P[f"{b}/attn/wo"]
            n = norm(P, h, b + "/ln2")
            h = h + F.gelu(n @ P[f"{b}/ffn/w1"]) @ P[f"{b}/ffn/w2"]
        h = norm(P, h, "ln_f")
        logits = h @ P["embed/table"].t()
        return F.cross_entropy(logits.reshape(B * T, V), y)

    def step(P, opt):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(P)
        loss.backward()
        opt.step()
        return loss.item()

    return step, B * T


# ---------------------------------------------------------------------------------------------
# The IR interpreter (ONNX semantics, as engine/runtime/ops/eval-op.ts).

def rope_tables(t, dh, theta, offset=0):
    half = dh // 2
    pos = torch.arange(offset, offset + t, dtype=torch.float64)[:, None]
    inv = theta ** (-2 * torch.arange(half, dtype=torch.float64) / dh)
    ang = pos * inv
    cos = torch.cat([ang.cos(), ang.cos()], -1).float()[:, None, :]  # [T, 1, Dh]
    sin = torch.cat([ang.sin(), ang.sin()], -1).float()[:, None, :]
    return cos, sin


def attention(q, k, v, qh, kvh, causal):
    B, T, W = q.shape
    S = k.shape[1]
    dh = W // qh
    q = q.reshape(B, T, qh, dh).transpose(1, 2)
    k = k.reshape(B, S, kvh, dh).transpose(1, 2)
    v = v.reshape(B, S, kvh, dh).transpose(1, 2)
    if qh != kvh:
        k = k.repeat_interleave(qh // kvh, 1)
        v = v.repeat_interleave(qh // kvh, 1)
    s = (q * (1 / math.sqrt(dh))) @ k.transpose(-1, -2)
    if causal:
        s = s.masked_fill(torch.triu(torch.ones(T, S, dtype=torch.bool), diagonal=1), -1e9)
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, W)


def eval_op(op, get, rope_cache):
    o = op["op"]
    if o == "MatMul": return get(op["a"]) @ get(op["b"])
    if o == "Add": return get(op["a"]) + get(op["b"])
    if o == "Sub": return get(op["a"]) - get(op["b"])
    if o == "Mul": return get(op["a"]) * get(op["b"])
    if o == "Div": return get(op["a"]) / get(op["b"])
    if o == "Scale": return get(op["x"]) * op["factor"]
    if o == "Gather": return get(op["data"])[get(op["indices"]).long()]
    if o == "Reshape":
        x = get(op["x"])
        return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(op["shape"])])
    if o == "Transpose": return get(op["x"]).permute(op["perm"])
    if o == "Softmax": return get(op["x"]).softmax(op["axis"])
    if o == "ReduceMean": return get(op["x"]).mean(op["axis"])
    if o == "Relu": return F.relu(get(op["x"]))
    if o == "Sigmoid": return torch.sigmoid(get(op["x"]))
    if o == "Silu": return F.silu(get(op["x"]))
    if o == "Tanh": return torch.tanh(get(op["x"]))
    if o in ("Identity", "Dropout"): return get(op["x"])  # the bench graphs have dropout 0
    if o == "StopGradient": return get(op["x"]).detach()
    if o == "Gelu": return F.gelu(get(op["x"]), approximate=op["approximate"])
    if o == "LayerNormalization":
        x = get(op["x"])
        return F.layer_norm(x, (x.shape[-1],), get(op["scale"]) if "scale" in op else None,
                            get(op["bias"]) if "bias" in op else None, op["epsilon"])
    if o == "RMSNormalization":
        x = get(op["x"])
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + op["epsilon"])
        return y * get(op["scale"]) if "scale" in op else y
    if o == "Attention":
        if op.get("bottomRight"): raise ValueError("bottom-right causal attention (KV cache)")
        return attention(get(op["q"]), get(op["k"]), get(op["v"]), op["qHeads"], op["kvHeads"],
                         op["causal"])
    if o == "RotaryEmbedding":
        if "offsetLike" in op: raise ValueError("RotaryEmbedding after a KV cache")
        x = get(op["x"])
        B, T, W = x.shape
        dh = W // op["heads"]
        key = (T, dh, op["theta"])
        if key not in rope_cache: rope_cache[key] = rope_tables(T, dh, op["theta"])
        cos, sin = rope_cache[key]
        xh = x.reshape(B, T, op["heads"], dh)
        x1, x2 = xh[..., : dh // 2], xh[..., dh // 2:]
        return (xh * cos + torch.cat([-x2, x1], -1) * sin).reshape(B, T, W)
    if o == "Concat": return torch.cat([get(n) for n in op["inputs"]], op["axis"])
    if o == "SlicePrefix": return get(op["x"]).narrow(op["axis"], 0, op["length"])
    if o == "SliceLike":
        if "offsetLike" in op: raise ValueError("SliceLike after a KV cache")
        like = get(op["like"])
        return get(op["x"]).narrow(op["axis"], 0, like.shape[op["likeAxis"]])
    if o == "BroadcastLike":
        x, like = get(op["x"]), get(op["like"])
        return x.expand(torch.broadcast_shapes(x.shape, like.shape))
    raise ValueError(f"IR op {o} has no torch version here")


class Program:
    def __init__(self, ir):
        self.ops = ir["ops"]
        self.producer = {op["out"]: op for op in self.ops}
        self.outputs = {o["name"]: o["value"] for o in ir["outputs"]}
        self.plans = {}
        self.rope = {}

    def plan(self, values):
        key = tuple(values)
        if key not in self.plans:
            need, stack = set(), list(values)
            while stack:
                v = stack.pop()
                op = self.producer.get(v)
                if op is None or op["out"] in need: continue
                need.add(op["out"])
                stack.extend(x for k, x in op.items() if k in ("a", "b", "x", "data", "indices",
                             "q", "k", "v", "scale", "bias", "like") and isinstance(x, str))
                stack.extend(op.get("inputs", []))
            self.plans[key] = [op for op in self.ops if op["out"] in need]
        return self.plans[key]

    def run(self, external, fetch):
        values = [self.outputs.get(f, f) for f in fetch]
        env = dict(external)
        for op in self.plan(values):
            env[op["out"]] = eval_op(op, env.__getitem__, self.rope)
        return [env[v] for v in values]


def ir_model(d):
    """TRM-style deep supervision, as bench/train.ts's trainSupervised: each supervision step
    is one forward/backward/AdamW update; the carried state (detached) feeds the next."""
    prog = Program(d["program"])
    sup = d["program"]["supervision"]
    B, T, V = d["batch"], d["seq"], d["vocab"]
    x = torch.tensor(d["x"], dtype=torch.long).reshape(B, T)
    y = torch.tensor(d["y"], dtype=torch.long)
    buffers = {k: torch.tensor(v["values"], dtype=torch.float32).reshape(v["shape"])
               for k, v in d["buffers"].items()}
    tok = d["program"]["tokens"]
    logits_name, halt_name = d["program"]["logits"], d["program"].get("halt")

    def batch(P, opt):
        ext = {**P, **buffers, tok: x}
        with torch.no_grad():
            state = prog.run(ext, [s["init"] for s in sup["state"]])
        fetch = [logits_name] + ([halt_name] if halt_name else []) + [s["output"] for s in sup["state"]]
        last = 0.0
        for _ in range(sup["steps"]):
            feeds = {**ext, **{s["input"]: v for s, v in zip(sup["state"], state)}}
            opt.zero_grad(set_to_none=True)
            out = prog.run(feeds, fetch)
            loss = F.cross_entropy(out[0].reshape(B * T, V), y)
            if halt_name:
                loss = loss + F.softplus(out[1]).mean()  # BCE against "not done": log(1 + e^h)
            loss.backward()
            opt.step()
            state = [t.detach() for t in out[-len(sup["state"]):]]
            last = loss.item()
        return last

    return batch, B * T * sup["steps"]


# ---------------------------------------------------------------------------------------------

def run(d, step_fn, positions, seconds, min_steps):
    P = params_from(d)
    opt = optimizer(d, P)
    first = step_fn(P, opt)
    step_fn(P, opt)
    n, last, loss10, t0, times = 0, first, None, time.perf_counter(), []
    # At least min_steps steps unless they take 3x the time budget, and at least one.
    while (n == 0 or time.perf_counter() - t0 < seconds
           or (n < min_steps and time.perf_counter() - t0 < 3 * seconds)):
        ts = time.perf_counter()
        last = step_fn(P, opt)
        times.append((time.perf_counter() - ts) * 1000)
        if n == 8:
            loss10 = last  # the loss of the 11th step, after 10 updates
        n += 1
    ms = sorted(times)[len(times) // 2]  # median: robust to other jobs' bursts
    return {"first_loss": first, "last_loss": last, "loss10": loss10, "steps": n, "step_ms": ms,
            "tokens_per_sec": positions * 1000 / ms, "threads": torch.get_num_threads(),
            "torch": torch.__version__}


def profile(d, step_fn, steps=5):
    from torch.profiler import ProfilerActivity, profile as prof
    P = params_from(d)
    opt = optimizer(d, P)
    for _ in range(3):
        step_fn(P, opt)
    t0 = time.perf_counter()
    with prof(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(steps):
            step_fn(P, opt)
    wall = (time.perf_counter() - t0) * 1000 / steps
    rows = sorted(p.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in rows) / 1000 / steps
    print(json.dumps({"step_ms_profiled": wall, "self_ms_total": total, "ops": [
        {"name": e.key, "self_ms": e.self_cpu_time_total / 1000 / steps, "calls": e.count // steps}
        for e in rows[:12]]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    d = json.load(open(a.dump))
    step_fn, positions = gpt_model(d) if d["kind"] == "gpt" else ir_model(d)
    if a.profile:
        profile(d, step_fn)
        return
    if not a.serve:
        print(json.dumps(run(d, step_fn, positions, a.seconds, a.steps)))
        return
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        torch.set_num_threads(cmd["threads"])
        print(json.dumps(run(d, step_fn, positions, cmd["seconds"], cmd["min_steps"])), flush=True)


if __name__ == "__main__":
    main()
