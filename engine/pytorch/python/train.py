"""Train the model in model.py with TRM Studio's recipe, on one device or under torchrun.

    python train.py                          # one process: GPU when there is one
    torchrun --nproc_per_node 4 train.py     # data parallel (DDP), one process per GPU

The recipe is the Studio's, step for step, so the two engines agree from the same weights and
batches: AdamW (or AdamATan2) with decoupled weight decay on matrices only, linear warm-up then
a constant, cosine or linear learning rate, global-norm clipping, an EMA of the weights,
softmax or stable-max cross-entropy, and deep supervision: every optimizer step runs one
supervision step on each of the batch's slots, carries the state (detached) to the next step,
and replaces the examples that are done (N_sup steps, or a positive halting logit) with the
next ones of the stream, starting them from the initial state.

The data are the Studio's own examples, written into data/ by `trm export --format pytorch`:
example j of the training stream is row j of data/train_*.npy (the stream starts again at row
0 after the last row). Checkpoints (out/step-NNNNNN/) hold safetensors weights, EMA weights,
optimizer moments, the carried state and a JSON of where the run stands; `--resume` continues
exactly. metrics.jsonl has one JSON line per step and per evaluation, as the Studio logs them;
`trm import OUT` makes the run a Studio run.
"""
import argparse
import json
import math
import os
import shutil
import signal
import struct
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import model as model_py  # noqa: E402

IGNORE = -1


# ---------------------------------------------------------------------------------------------
# safetensors: the package's checkpoint format. The `safetensors` package is used when it is
# installed; the format is small enough (a length, a JSON header, raw little-endian bytes) to
# write and read here without it, byte for byte the same.

DTYPES = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64", torch.bfloat16: "BF16"}


def save_tensors(tensors, path):
    try:
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(path))
        return
    except ImportError:
        pass
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_tensors(path):
    try:
        from safetensors.torch import load_file

        return load_file(str(path))
    except ImportError:
        pass
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    numpy_of = {"F32": np.float32, "I32": np.int32, "I64": np.int64}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        a, b = spec["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype=numpy_of[spec["dtype"]]).reshape(spec["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


# ---------------------------------------------------------------------------------------------
# The recipe's pieces.


def learning_rate(step, c):
    """Linear warm-up to lr over `warmup` steps, then constant, or cosine/linear decay to
    lr * minLrRatio at the last step (step is 0-based)."""
    if step < c["warmup"]:
        return c["lr"] * (step + 1) / c["warmup"]
    if c["schedule"] == "constant":
        return c["lr"]
    span = max(1, c["steps"] - c["warmup"] - 1)
    progress = min(1.0, (step - c["warmup"]) / span)
    low = c["lr"] * c["minLrRatio"]
    shape = 0.5 * (1 + math.cos(math.pi * progress)) if c["schedule"] == "cosine" else 1 - progress
    return low + (c["lr"] - low) * shape


class AdamATan2(torch.optim.Optimizer):
    """Adam whose step is atan2(m_hat, sqrt(v_hat)) instead of m_hat / (sqrt(v_hat) + eps), with
    decoupled weight decay (the TRM code's optimizer)."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat = m / (1 - b1 ** state["step"])
                v_root = (v / (1 - b2 ** state["step"])).sqrt()
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.sub_(torch.atan2(m_hat, v_root) * group["lr"])


def log_probs(logits, kind):
    """Log-probabilities over the last axis: softmax, or stable-max (s(x) = 1/(1-x) for x < 0,
    x + 1 otherwise, in place of exp)."""
    if kind == "ce":
        return torch.log_softmax(logits, -1)
    s = F.relu(logits) + 1 / (F.relu(-logits) + 1)
    return torch.log(s) - torch.log(s.sum(-1, keepdim=True))


def ema_rate(rate, k, warmup):
    return min(rate, (1 + k) / (10 + k)) if warmup else rate


# ---------------------------------------------------------------------------------------------
# Data: the Studio's examples, and the slots deep supervision moves through them.


class Data:
    def __init__(self, folder, manifest):
        def load(name):
            path = folder / f"{name}.npy"
            return np.load(path) if path.exists() else None

        self.train_inputs, self.train_targets = load("train_inputs"), load("train_targets")
        self.train_puzzle, self.min_steps = load("train_puzzle"), load("train_min_steps")
        self.val_inputs, self.val_targets = load("val_inputs"), load("val_targets")
        self.val_puzzle = load("val_puzzle")
        self.kind = manifest["kind"]
        self.exact_match = manifest["exactMatch"]
        # Grid puzzles (Sudoku, mazes, ARC) report the cells left blank; sequence tasks do not.
        self.open_cells = manifest.get("openCells", False)
        if self.train_inputs is None:
            raise SystemExit(f"{folder} has no train_inputs.npy; export the package again with its data.")

    def rows(self, examples):
        idx = np.asarray(examples) % len(self.train_inputs)
        puzzle = None if self.train_puzzle is None else self.train_puzzle[idx]
        return self.train_inputs[idx], self.train_targets[idx], puzzle

    def minimum_steps(self, example):
        return 1 if self.min_steps is None else int(self.min_steps[example % len(self.min_steps)])


def tensors_of(inputs, targets, puzzle, device):
    t = torch.as_tensor(inputs, dtype=torch.long, device=device)
    y = torch.as_tensor(targets, dtype=torch.long, device=device)
    p = None if puzzle is None else torch.as_tensor(puzzle, dtype=torch.long, device=device)
    return t, y, p


def scored(logits, targets, kind):
    """Sum of -log p(target) over scored positions, their count, and per-position correctness."""
    v = logits.shape[-1]
    rows = logits.reshape(-1, v).float()
    t = targets.reshape(-1)
    mask = t != IGNORE
    lp = log_probs(rows, kind)
    picked = lp.gather(1, t.clamp(min=0)[:, None])[:, 0]
    nll = -(picked * mask).sum()
    right = (rows.argmax(-1) == t) & mask
    return nll, mask, right


# ---------------------------------------------------------------------------------------------


class Trainer:
    def __init__(self, args):
        self.args = args
        self.pkg = json.loads((HERE / "config.json").read_text())
        c = dict(self.pkg["config"])
        for key, flag in (("steps", args.steps), ("batch", args.batch), ("lr", args.lr)):
            if flag is not None:
                c[key] = flag
        self.c = c
        self.distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
        if self.distributed:
            backend = "nccl" if torch.cuda.is_available() and args.device in ("auto", "cuda") else "gloo"
            dist.init_process_group(backend)
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
        else:
            self.rank, self.world = 0, 1
        if c["batch"] % self.world:
            raise SystemExit(f"The batch ({c['batch']}) does not split over {self.world} processes; pick a multiple.")
        self.local = c["batch"] // self.world
        self.device = self.pick_device(args.device)
        torch.manual_seed(c["seed"] + self.rank)
        self.data = Data(HERE / "data", self.pkg["data"])
        self.model = model_py.Model().to(self.device)
        init = HERE / "init.safetensors"
        if init.exists() and not args.fresh_init:
            self.model.load_state_dict({k: v.to(self.device) for k, v in load_tensors(init).items()})
        else:
            self.reset_parameters()
        self.net = self.model
        if self.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if args.compile:
            self.net = torch.compile(self.net)
        self.params = dict(self.model.named_parameters())
        decay = [p for n, p in self.params.items() if n not in model_py.NO_DECAY]
        no_decay = [p for n, p in self.params.items() if n in model_py.NO_DECAY]
        groups = [dict(params=decay, weight_decay=c["weightDecay"]), dict(params=no_decay, weight_decay=0.0)]
        if c["optimizer"] == "adam-atan2":
            self.opt = AdamATan2(groups, lr=c["lr"], betas=tuple(c["betas"]), weight_decay=c["weightDecay"])
        else:
            self.opt = torch.optim.AdamW(groups, lr=c["lr"], betas=tuple(c["betas"]), eps=c["eps"])
        self.ema = {n: p.detach().clone() for n, p in self.params.items()} if c["ema"] > 0 else None
        self.sup = self.pkg["supervisionSteps"] if model_py.SUPERVISION_STEPS else 1
        self.has_state = model_py.SUPERVISION_STEPS > 0
        self.step = 0
        b = c["batch"]
        self.position = {"examples": list(range(b)), "counts": [0] * b, "next": b}
        self.state = None
        self.out = Path(args.out)
        self.stop = False
        self.autocast = self.pick_autocast(args.precision)
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, self.on_term)

    def pick_device(self, wanted):
        if wanted == "auto":
            wanted = "cuda" if torch.cuda.is_available() else "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu"
        if wanted == "cuda":
            local = int(os.environ.get("LOCAL_RANK", 0))
            torch.cuda.set_device(local)
            return torch.device("cuda", local)
        return torch.device(wanted)

    def pick_autocast(self, precision):
        bf16 = precision == "bf16" or (precision == "auto" and self.device.type == "cuda" and torch.cuda.is_bf16_supported())
        if not bf16:
            return nullcontext
        return lambda: torch.autocast(self.device.type, dtype=torch.bfloat16)

    def reset_parameters(self):
        torch.manual_seed(self.c["seed"])
        with torch.no_grad():
            for name, t in list(self.model.named_parameters()) + list(self.model.named_buffers()):
                spec = model_py.INIT.get(name, ("zeros",))
                kind = spec[0]
                if kind == "normal":
                    t.copy_(torch.randn(t.shape) * spec[1])
                elif kind == "truncated-normal":
                    std = spec[1] / (0.8796256610342398 if spec[2] else 1.0)
                    t.copy_(torch.nn.init.trunc_normal_(torch.empty(t.shape), 0.0, 1.0, -2.0, 2.0) * std)
                elif kind == "ones":
                    t.fill_(1.0)
                elif kind == "constant":
                    t.fill_(spec[1])
                elif kind == "sinusoidal":
                    pos = torch.arange(t.shape[0], dtype=torch.float64)[:, None]
                    i = torch.arange(t.shape[1], dtype=torch.float64)[None, :]
                    angle = pos / 10000 ** (2 * (i // 2) / t.shape[1])
                    t.copy_(torch.where(i % 2 == 0, angle.sin(), angle.cos()))
                else:
                    t.zero_()

    def on_term(self, *_):
        self.stop = True

    # -- distributed helpers ------------------------------------------------------------------
    def all_sum(self, x):
        t = torch.as_tensor(x, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        if self.distributed:
            dist.all_reduce(t)
        return t

    def gather_rows(self, t):
        """The whole batch's rows of t (each process holds its slice), on every process."""
        if not self.distributed:
            return t
        parts = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts)

    def mine(self, rows):
        lo = self.rank * self.local
        return rows[lo : lo + self.local]

    # -- slots --------------------------------------------------------------------------------
    def batch(self):
        inputs, targets, puzzle = self.data.rows(self.mine(self.position["examples"]))
        return tensors_of(inputs, targets, puzzle, self.device)

    def initial(self, tokens, puzzle):
        with torch.no_grad():
            return tuple(s.detach() for s in self.model.initial_state(tokens, puzzle))

    def advance(self, nxt, halt, tokens, puzzle):
        """After a step: carry the next state, refill the slots that are done."""
        p = self.position
        counts = [n + 1 for n in p["counts"]]
        q = None
        if halt is not None and self.c["haltEarly"]:
            q = self.gather_rows(halt.detach().float()).cpu().tolist()

        def halts(i):
            return q is not None and q[i] > 0 and counts[i] >= self.data.minimum_steps(p["examples"][i])

        done = [n >= self.sup or halts(i) for i, n in enumerate(counts)]
        if self.c["halting"] == "batch":
            done = [all(done)] * len(done)
        b = len(done)
        report = {
            "supervisionStep": sum(p["counts"]) / b,
            "halted": sum(1 for i, d in enumerate(done) if d and counts[i] < self.sup) / b,
            "replaced": sum(done) / b,
        }
        nxt_ex = p["next"]
        examples = []
        for i, d in enumerate(done):
            if d:
                examples.append(nxt_ex)
                nxt_ex += 1
            else:
                examples.append(p["examples"][i])
        self.position = {
            "examples": examples,
            "counts": [0 if d else counts[i] for i, d in enumerate(done)],
            "next": nxt_ex,
        }
        mine = torch.tensor(self.mine(done), device=self.device)
        if mine.any():
            tokens, targets, puzzle = self.batch()
            fresh = self.initial(tokens, puzzle)
            shape = lambda s: (len(mine),) + (1,) * (s.dim() - 1)  # noqa: E731
            self.state = tuple(torch.where(mine.reshape(shape(f)), f, n.detach()) for f, n in zip(fresh, nxt))
        else:
            self.state = tuple(n.detach() for n in nxt)
        return report

    # -- one optimizer step --------------------------------------------------------------------
    def train_step(self):
        c = self.c
        started = time.perf_counter()
        tokens, targets, puzzle = self.batch()
        if self.has_state and self.state is None:
            self.state = self.initial(tokens, puzzle)
        self.net.train(c["dropout"])
        with self.autocast():
            out = self.net(tokens, puzzle, self.state or ())
        nll, mask, right = scored(out["logits"], targets, c["loss"])
        counted = self.all_sum(mask.sum().item()).item()
        # Each process's share of the global mean; DDP averages gradients over processes.
        loss = nll / max(1.0, counted) * self.world
        # A row is exact when every scored position is right (the halting target and the metric).
        exact = (right | ~mask).reshape(targets.shape[0], -1).all(-1).float()
        halt = out.get("halt")
        halt_loss = None
        if halt is not None:
            bce = F.binary_cross_entropy_with_logits(halt.float().reshape(-1), exact)
            halt_loss = self.all_sum(bce.item()).item() / self.world
            if c["haltWeight"] > 0:
                loss = loss + bce * c["haltWeight"]
        lr = learning_rate(self.step, c)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in self.params.values() if p.grad is not None]
        norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads)).item() if grads else 0.0
        ce = self.all_sum(nll.item()).item() / max(1.0, counted)
        if not math.isfinite(ce) or not math.isfinite(norm):
            what = f"the loss is {ce}" if not math.isfinite(ce) else f"the gradient norm is {norm}"
            raise SystemExit(f"Training diverged at step {self.step + 1}: {what}. Resume from the last checkpoint with a lower learning rate or tighter clipping.")
        if c["clipNorm"] > 0 and norm > c["clipNorm"]:
            for g in grads:
                g.mul_(c["clipNorm"] / norm)
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.step()
        if self.ema is not None:
            r = ema_rate(c["ema"], self.step, c["emaWarmup"])
            with torch.no_grad():
                for n, p in self.params.items():
                    self.ema[n].mul_(r).add_(p.detach(), alpha=1 - r)
        correct = self.all_sum(right.sum().item()).item()
        exact_all = self.all_sum(exact.sum().item()).item()
        metrics = {
            "step": self.step + 1,
            "loss": ce + (c["haltWeight"] * halt_loss if halt_loss is not None and c["haltWeight"] > 0 else 0.0),
            "accuracy": correct / max(1.0, counted),
        }
        if self.data.exact_match:
            metrics["exactMatch"] = exact_all / c["batch"]
        if self.data.kind == "lm":
            metrics["perplexity"] = math.exp(ce)
        if halt_loss is not None:
            metrics["haltLoss"] = halt_loss
        if self.has_state:
            metrics.update(self.advance(out["state"], halt, tokens, puzzle))
        else:
            b, nxt = c["batch"], self.position["next"]
            self.position = {"examples": list(range(nxt, nxt + b)), "counts": [0] * b, "next": nxt + b}
        seconds = time.perf_counter() - started
        metrics.update(lr=lr, gradNorm=norm, tokensPerSec=tokens.numel() * self.world / max(seconds, 1e-9))
        self.step += 1
        return metrics

    # -- evaluation ---------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self):
        """Held-out metrics, dropout off, EMA weights when on; a deep-supervision model runs all
        N_sup steps without halting and is scored after each."""
        d, c = self.data, self.c
        if d.val_inputs is None:
            return None
        saved = None
        if self.ema is not None:
            saved = {n: p.detach().clone() for n, p in self.params.items()}
            for n, p in self.params.items():
                p.copy_(self.ema[n])
        self.model.eval()
        n = len(d.val_inputs)
        has_halt = False
        tallies = [dict(loss=0.0, correct=0, counted=0, exact=0, halted=0, open_correct=0, open_counted=0) for _ in range(self.sup)]
        for lo in range(0, n, c["batch"]):
            hi = min(n, lo + c["batch"])
            puzzle = None if d.val_puzzle is None else d.val_puzzle[lo:hi]
            tokens, targets, p = tensors_of(d.val_inputs[lo:hi], d.val_targets[lo:hi], puzzle, self.device)
            state = self.model.initial_state(tokens, p) if self.has_state else ()
            for s in range(self.sup):
                out = self.model(tokens, p, state)
                nll, mask, right = scored(out["logits"], targets, c["loss"])
                t = tallies[s]
                t["loss"] += nll.item()
                t["correct"] += right.sum().item()
                t["counted"] += mask.sum().item()
                t["exact"] += (right | ~mask).reshape(hi - lo, -1).all(-1).sum().item()
                open_ = mask & (tokens.reshape(-1) != targets.reshape(-1))
                t["open_correct"] += (right & open_).sum().item()
                t["open_counted"] += open_.sum().item()
                if out.get("halt") is not None:
                    has_halt = True
                    t["halted"] += (out["halt"] > 0).sum().item()
                state = out.get("state", ())
        if saved is not None:
            for n_, p in self.params.items():
                p.copy_(saved[n_])
        by_depth = []
        for i, t in enumerate(tallies):
            m = dict(depth=i + 1, loss=t["loss"] / max(1, t["counted"]), accuracy=t["correct"] / max(1, t["counted"]))
            if d.open_cells:
                m["openAccuracy"] = t["open_correct"] / max(1, t["open_counted"])
            m["exactMatch"] = t["exact"] / max(1, n)
            if has_halt:
                m["haltRate"] = t["halted"] / max(1, n)
            by_depth.append(m)
        last = by_depth[-1]
        report = dict(step=self.step, examples=n, loss=last["loss"], accuracy=last["accuracy"], ema=self.ema is not None)
        if "openAccuracy" in last:
            report["openAccuracy"] = last["openAccuracy"]
        if d.exact_match:
            report["exactMatch"] = last["exactMatch"]
        if d.kind == "lm":
            report["perplexity"] = math.exp(last["loss"])
        if self.has_state:
            report["byDepth"] = by_depth
        return report

    # -- checkpoints --------------------------------------------------------------------------
    def save(self):
        state = [self.gather_rows(s) for s in self.state] if self.state else []
        if self.rank != 0:
            return
        folder = self.out / f"step-{self.step:06d}"
        tmp = self.out / f".step-{self.step:06d}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        save_tensors(dict(self.model.state_dict()), tmp / "model.safetensors")
        if self.ema is not None:
            save_tensors(self.ema, tmp / "ema.safetensors")
        moments = {}
        for n, p in self.params.items():
            s = self.opt.state.get(p, {})
            if "exp_avg" in s:
                moments[f"m/{n}"] = s["exp_avg"]
                moments[f"v/{n}"] = s["exp_avg_sq"]
        save_tensors(moments, tmp / "optimizer.safetensors")
        if state:
            save_tensors({f"state{i}": s for i, s in enumerate(state)}, tmp / "carry.safetensors")
        meta = dict(format="trm-pytorch-checkpoint", version=1, step=self.step, position=self.position, config=self.c, torch=torch.__version__, world=self.world)
        (tmp / "state.json").write_text(json.dumps(meta, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        kept = sorted(p for p in self.out.glob("step-*") if p.is_dir())
        for old in kept[: -self.c["keepCheckpoints"]]:
            shutil.rmtree(old, ignore_errors=True)
        self.log({"type": "checkpoint", "step": self.step, "path": str(folder)})

    def resume(self, where):
        where = Path(where)
        if not (where / "state.json").exists():
            steps = sorted(p for p in where.glob("step-*") if (p / "state.json").exists())
            if not steps:
                raise SystemExit(f"{where} has no checkpoint (step-*/state.json) to resume from.")
            where = steps[-1]
        meta = json.loads((where / "state.json").read_text())
        self.model.load_state_dict({k: v.to(self.device) for k, v in load_tensors(where / "model.safetensors").items()})
        moments = load_tensors(where / "optimizer.safetensors")
        for n, p in self.params.items():
            if f"m/{n}" in moments:
                st = self.opt.state[p]
                st["step"] = torch.tensor(float(meta["step"])) if isinstance(self.opt, torch.optim.AdamW) else meta["step"]
                st["exp_avg"] = moments[f"m/{n}"].to(self.device)
                st["exp_avg_sq"] = moments[f"v/{n}"].to(self.device)
        if self.ema is not None and (where / "ema.safetensors").exists():
            self.ema = {k: v.to(self.device) for k, v in load_tensors(where / "ema.safetensors").items()}
        self.step = meta["step"]
        self.position = meta["position"]
        if (where / "carry.safetensors").exists():
            carry = load_tensors(where / "carry.safetensors")
            whole = [carry[f"state{i}"].to(self.device) for i in range(len(carry))]
            self.state = tuple(self.mine(s) for s in whole)
        self.log({"type": "resumed", "step": self.step, "from": str(where)})

    def log(self, record):
        if self.rank != 0:
            return
        line = json.dumps(record)
        with open(self.out / "metrics.jsonl", "a") as f:
            f.write(line + "\n")
        if not self.args.quiet:
            print(line, flush=True)

    def run(self):
        c = self.c
        self.out.mkdir(parents=True, exist_ok=True)
        if self.args.resume:
            self.resume(self.args.resume)
        elif self.rank == 0:
            (self.out / "metrics.jsonl").write_text("")
        self.log({"type": "started", "engine": "pytorch", "device": str(self.device), "world": self.world, "torch": torch.__version__, "step": self.step, "steps": c["steps"], "params": sum(p.numel() for n, p in self.params.items() if n not in model_py.UNCOUNTED)})
        every = c.get("checkpointEvery")
        if every is None:
            every = min(500, max(1, c["steps"] // 10))
        last_save, saved_at = self.step, time.perf_counter()
        last_eval = None
        while self.step < c["steps"] and not self.stop:
            metrics = self.train_step()
            self.log({"type": "step", **metrics})
            if c["evalEvery"] > 0 and self.step % c["evalEvery"] == 0:
                last_eval = self.step
                self.log_eval()
            overdue = c["checkpointSeconds"] > 0 and time.perf_counter() - saved_at >= c["checkpointSeconds"]
            if self.distributed:
                # Every process decides alike (a signal or a clock may reach them apart), since
                # saving gathers the carried state from all of them.
                flags = torch.tensor([float(self.stop), float(overdue)])
                dist.all_reduce(flags, op=dist.ReduceOp.MAX)
                self.stop, overdue = bool(flags[0]), bool(flags[1])
            if (every > 0 and self.step % every == 0) or overdue:
                self.save()
                last_save, saved_at = self.step, time.perf_counter()
        if last_eval != self.step and not self.stop:
            self.log_eval()
        if last_save != self.step or not any(self.out.glob(f"step-{self.step:06d}")):
            self.save()
        self.log({"type": "stopped", "step": self.step, "reason": "stopped" if self.stop else "completed"})
        if self.distributed:
            dist.destroy_process_group()

    def log_eval(self):
        if self.rank == 0:
            report = self.evaluate()
            if report is not None:
                self.log({"type": "eval", "report": report})
        if self.distributed:
            dist.barrier()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(HERE / "run"), help="run folder: checkpoints and metrics.jsonl (default: ./run)")
    ap.add_argument("--resume", help="run folder or step-NNNNNN folder to continue from")
    ap.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"], help="auto: bf16 autocast on GPUs that support it")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (PyTorch 2)")
    ap.add_argument("--steps", type=int, help="override the optimizer steps")
    ap.add_argument("--batch", type=int, help="override the global batch (examples per step, all processes together)")
    ap.add_argument("--lr", type=float, help="override the peak learning rate")
    ap.add_argument("--fresh-init", action="store_true", help="draw new weights instead of the Studio's init.safetensors")
    ap.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--quiet", action="store_true", help="do not echo metrics lines")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    Trainer(args).run()


if __name__ == "__main__":
    main()
