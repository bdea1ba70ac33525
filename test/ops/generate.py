#!/usr/bin/python3
"""Writes test/ops/<Op>.json, the data-driven fixtures of every IR op.

Each case names the op's attributes, its inputs (dtype, shape, values) and the expected
output, computed here in float64 with numpy straight from the op's definition (ONNX's, where
the IR follows ONNX), never from the project's own kernels. Cases with float inputs also carry
the gradient of sum(output · outputGrad) with respect to each differentiable input, by central
differences of the same float64 reference. test/integration/op-fixtures.test.ts runs every
case through the tfjs executor and through onnxruntime.

Run with Debian's python (numpy), from anywhere:  /usr/bin/python3 test/ops/generate.py
It rewrites every fixture and formats them with the project's prettier. The inputs are drawn
from a generator seeded by the op and case name, so the output is the same on every run.
"""

import json
import math
import subprocess
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# Float32 kernels against a float64 reference: the worst case seen (onnxruntime, cpu, wasm
# and native backends) used a quarter of these. Gradients go through more float32
# steps (tfjs's gradient of a softmax or a norm subtracts nearly equal numbers).
TOLERANCE = {"atol": 1e-6, "rtol": 1e-5}
GRAD_TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
FD_STEP = 1e-6

fixtures: dict[str, list[dict]] = {}


def rng_for(op: str, name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{op}/{name}".encode()))


def floats(rng, shape, lo=-2.0, hi=2.0, away_from_zero=0.0):
    """Float32 values with three decimals (short in the file, exact as the kernels read them)."""
    v = np.round(np.asarray(rng.uniform(lo, hi, size=tuple(shape))), 3)
    if away_from_zero > 0:
        v = np.where(np.abs(v) < away_from_zero, np.sign(v + 1e-12) * away_from_zero, v)
    return v.astype(np.float32)


def number(v: float) -> float | int:
    """A float64 result written with 8 significant digits (float32 holds about 7)."""
    r = float(f"{v:.8g}")
    return int(r) if r == int(r) and abs(r) < 1e15 else r


def float32(v: np.float32) -> float | int:
    """The shortest decimal that reads back as this float32 (what the file's reader gets)."""
    r = float(np.format_float_positional(v, unique=True))
    return int(r) if r == int(r) else r


def add(
    op: str,
    name: str,
    attributes: dict,
    inputs: dict[str, np.ndarray],
    ref,
    *,
    operands: dict | None = None,
    declared: dict[str, list] | None = None,
    grad: list[str] | None = None,
    tolerance: dict | None = None,
    grad_tolerance: dict | None = None,
    note: str | None = None,
    training: bool = False,
    updates=None,
):
    """One case: `ref(**inputs as float64)` is the expected output, or a tuple of the
    op's results (a recurrent cell's sequence and final states: the first is the output,
    the others the case's `results`; gradients are of the first).

    grad: the inputs to differentiate (default: every float input); [] for none.
    training: the case is a training run (BatchNorm's batch statistics).
    updates: `updates(**inputs as float64)` is a dict of the running inputs' values after the
    run (those inputs become the program's running buffers).
    declared: IR input shapes with symbols (["B", "T", 8]) where the case checks symbolic
    type rules; the run-time shapes are always `inputs`' own.
    """
    x64 = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in inputs.items()}
    got = ref(**x64)
    outs = [np.asarray(r, dtype=np.float64) for r in (got if isinstance(got, tuple) else (got,))]
    out = outs[0]
    case: dict = {"name": name}
    if note:
        case["note"] = note
    case["attributes"] = attributes
    if operands:
        case["operands"] = operands
    case["inputs"] = {}
    for k, v in inputs.items():
        entry = {"dtype": "int32" if v.dtype == np.int32 else "float32", "shape": list(v.shape)}
        if declared and k in declared:
            entry["declared"] = declared[k]
        entry["values"] = [float32(e) if v.dtype == np.float32 else int(e) for e in v.ravel()]
        case["inputs"][k] = entry
    case["output"] = {"shape": list(out.shape), "values": [number(e) for e in out.ravel()]}
    if len(outs) > 1:
        case["results"] = [
            {"shape": list(r.shape), "values": [number(e) for e in r.ravel()]} for r in outs[1:]
        ]
    if training:
        case["training"] = True
    if updates:
        case["updates"] = {
            k: {"shape": list(v.shape), "values": [number(e) for e in np.ravel(v)]}
            for k, v in updates(**x64).items()
        }
    case["tolerance"] = tolerance or TOLERANCE
    wrt = [k for k, v in inputs.items() if v.dtype == np.float32] if grad is None else grad
    if wrt:
        rng = rng_for(op, name + "/grad")
        g = np.round(rng.uniform(-1, 1, size=out.shape), 3)
        case["gradients"] = {
            "outputGrad": [number(e) for e in g.ravel()],
            "inputs": {k: [number(e) for e in numeric_grad(ref, x64, k, g).ravel()] for k in wrt},
            "tolerance": grad_tolerance or GRAD_TOLERANCE,
        }
    fixtures.setdefault(op, []).append(case)


def numeric_grad(ref, x64: dict, wrt: str, g: np.ndarray) -> np.ndarray:
    """d sum(ref(x) · g) / d x[wrt] by central differences in float64 (of the first result)."""

    def first(**inputs):
        got = ref(**inputs)
        return got[0] if isinstance(got, tuple) else got

    base = x64[wrt]
    out = np.zeros_like(base)
    flat = out.reshape(-1)
    for i in range(base.size):
        hi = base.copy().reshape(-1)
        lo = base.copy().reshape(-1)
        hi[i] += FD_STEP
        lo[i] -= FD_STEP
        f_hi = np.sum(np.asarray(first(**{**x64, wrt: hi.reshape(base.shape)})) * g)
        f_lo = np.sum(np.asarray(first(**{**x64, wrt: lo.reshape(base.shape)})) * g)
        flat[i] = (f_hi - f_lo) / (2 * FD_STEP)
    return out


# ------------------------------------------------------------------ references (float64)


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


erf = np.vectorize(math.erf)


def onnx_reshape(x, shape):
    """ONNX Reshape (allowzero = 0): 0 copies the input's size at that axis, -1 is inferred."""
    return np.reshape(x, [x.shape[i] if d == 0 else d for i, d in enumerate(shape)])


def layer_norm(x, scale=None, bias=None, epsilon=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + epsilon)
    if scale is not None:
        y = y * scale
    return y + bias if bias is not None else y


def rms_norm(x, scale=None, epsilon=1e-5):
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + epsilon)
    return y * scale if scale is not None else y


def attention(q, k, v, q_heads, kv_heads, causal, bottom_right=False, key_ids=None, pad_id=0):
    """ONNX Attention-23 on 3-D inputs: [B, T, H·Dh], [B, S, Hkv·Dh] -> [B, T, H·Dh]."""
    b, t, width = q.shape
    s = k.shape[1]
    dh = width // q_heads
    qh = q.reshape(b, t, q_heads, dh).transpose(0, 2, 1, 3)  # [B, H, T, Dh]
    kh = k.reshape(b, s, kv_heads, dh).transpose(0, 2, 1, 3)  # [B, Hkv, S, Dh]
    vh = v.reshape(b, s, kv_heads, dh).transpose(0, 2, 1, 3)
    # Query head h reads KV head h // (H / Hkv).
    kh = np.repeat(kh, q_heads // kv_heads, axis=1)  # [B, H, S, Dh]
    vh = np.repeat(vh, q_heads // kv_heads, axis=1)
    scores = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(dh)  # [B, H, T, S]
    if causal:
        # Upper-left: query i sees keys j <= i; bottom-right: j <= i + (S - T).
        shift = s - t if bottom_right else 0
        i = np.arange(t)[:, None]
        j = np.arange(s)[None, :]
        scores = np.where(j > i + shift, -np.inf, scores)
    if key_ids is not None:
        # Keys whose token is padding are masked in every head and query row.
        scores = np.where((key_ids == pad_id)[:, None, None, :], -np.inf, scores)
    y = softmax(scores, -1) @ vh  # [B, H, T, Dh]
    return y.transpose(0, 2, 1, 3).reshape(b, t, q_heads * dh)


def rope(x, heads, theta, offset=0):
    """Non-interleaved (rotate-half) RoPE on [B, T, H·Dh]; positions offset..offset+T-1."""
    b, t, width = x.shape
    dh = width // heads
    half = dh // 2
    xh = x.reshape(b, t, heads, dh)
    pos = np.arange(offset, offset + t, dtype=np.float64)[:, None]  # [T, 1]
    angle = pos * theta ** (-2 * np.arange(half) / dh)  # [T, Dh/2]
    cos = np.cos(angle)[None, :, None, :]
    sin = np.sin(angle)[None, :, None, :]
    x1, x2 = xh[..., :half], xh[..., half:]
    y = np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return y.reshape(b, t, width)


def group_norm(x, groups, scale=None, bias=None, epsilon=1e-5):
    """ONNX GroupNormalization-21 applied to channels-last x [B, ..., C]: the channel axis moved
    to axis 1, the ONNX definition ([N, C, ...] -> [N, G, C/G·...], statistics per row), and
    moved back."""
    xc = np.moveaxis(x, -1, 1)  # [B, C, ...]
    n, c = xc.shape[:2]
    rows = xc.reshape(n, groups, -1)
    mean = rows.mean(axis=-1, keepdims=True)
    var = ((rows - mean) ** 2).mean(axis=-1, keepdims=True)
    y = ((rows - mean) / np.sqrt(var + epsilon)).reshape(xc.shape)
    per_channel = (1, c) + (1,) * (xc.ndim - 2)
    if scale is not None:
        y = y * scale.reshape(per_channel)
    if bias is not None:
        y = y + bias.reshape(per_channel)
    return np.moveaxis(y, 1, -1)


# ------------------------------------------------------------------ cases


def matmul_cases():
    op = "MatMul"
    cases = [
        ("3-D activations times a 2-D weight", [2, 3, 4], [4, 5]),
        ("batched 3-D times 3-D", [2, 3, 4], [2, 4, 2]),
        ("batch axes broadcast ([2, 1] against [3])", [2, 1, 3, 4], [3, 4, 2]),
        ("1-D times 2-D (the vector is a row, then dropped)", [4], [4, 3]),
        ("2-D times 1-D (the vector is a column, then dropped)", [3, 4], [4]),
        ("1-D times 1-D gives a scalar", [4], [4]),
    ]
    for name, a, b in cases:
        rng = rng_for(op, name)
        add(op, name, {}, {"a": floats(rng, a), "b": floats(rng, b)}, lambda a, b: a @ b)


def binary_cases():
    refs = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
    shapes = [
        ("same shapes", [2, 3], [2, 3]),
        ("a [D] vector broadcast over [B, T, D]", [2, 3, 4], [4]),
        ("both operands stretched ([2, 1, 4] with [3, 1])", [2, 1, 4], [3, 1]),
        ("a scalar operand on the left", [], [2, 3]),
    ]
    for op, f in refs.items():
        for name, a, b in shapes:
            rng = rng_for(op, name)
            # Divisors are kept away from zero, where the quotient (and its gradient) explodes.
            bv = floats(rng, b, 0.5, 2.0) * np.where(floats(rng, b) < 0, -1, 1).astype(np.float32)
            add(op, name, {}, {"a": floats(rng, a), "b": bv}, lambda a, b, f=f: f(a, b))


def scale_cases():
    op = "Scale"
    for name, factor in [("a fraction", 0.125), ("a negative factor", -2.5), ("zero", 0.0)]:
        rng = rng_for(op, name)
        add(op, name, {"factor": factor}, {"x": floats(rng, [2, 3, 4])}, lambda x, f=factor: x * f)


def gather_cases():
    op = "Gather"
    cases = [
        ("embedding rows for [B, T] ids, repeated ids", [6, 3], [[0, 5, 2], [2, 2, 1]]),
        ("1-D ids", [4, 2], [3, 0, 3, 1]),
        ("a 3-D table ([rows, 2, 3])", [5, 2, 3], [4, 1]),
    ]
    for name, table, ids in cases:
        rng = rng_for(op, name)
        add(
            op,
            name,
            {},
            {"data": floats(rng, table), "indices": np.array(ids, dtype=np.int32)},
            lambda data, indices: data[indices],
            grad=["data"],
        )


def reshape_cases():
    op = "Reshape"
    cases = [
        ("split heads: 0 copies B and T", [2, 3, 8], [0, 0, 2, 4], None),
        ("merge with -1", [2, 3, 8], [-1, 8], None),
        ("0 and -1 together", [2, 3, 2, 4], [0, -1, 4], None),
        ("flatten to 1-D", [2, 3, 2], [-1], None),
        ("unit axes added", [2, 6], [2, 1, 6, 1], None),
        ("symbolic B and T: 0 keeps them", [2, 3, 8], [0, 0, 4, 2], ["B", "T", 8]),
        ("symbolic B and T: -1 becomes B*T", [2, 3, 8], [-1, 8], ["B", "T", 8]),
        ("symbolic T times a fixed size: T*2", [2, 3, 8], [0, -1, 4], ["B", "T", 8]),
    ]
    for name, shape, target, declared in cases:
        rng = rng_for(op, name)
        add(
            op,
            name,
            {"shape": target},
            {"x": floats(rng, shape)},
            lambda x, t=target: onnx_reshape(x, t),
            declared={"x": declared} if declared else None,
        )


def transpose_cases():
    op = "Transpose"
    cases = [
        ("heads to the front: [B, T, H, Dh] -> [B, H, T, Dh]", [2, 3, 2, 2], [0, 2, 1, 3]),
        ("a matrix", [3, 4], [1, 0]),
        ("a rotation of three axes", [2, 3, 4], [2, 0, 1]),
    ]
    for name, shape, perm in cases:
        rng = rng_for(op, name)
        add(op, name, {"perm": perm}, {"x": floats(rng, shape)}, lambda x, p=perm: x.transpose(p))


def softmax_cases():
    op = "Softmax"
    cases = [
        ("last axis", [2, 3, 4], -1, 2.0),
        ("a middle axis (not the last)", [2, 3, 4], 1, 2.0),
        ("axis 0 of a matrix", [3, 2], 0, 2.0),
        ("large logits (stable only if the maximum is subtracted)", [2, 4], -1, 1000.0),
    ]
    for name, shape, axis, scale in cases:
        rng = rng_for(op, name)
        x = (floats(rng, shape) * np.float32(scale)).astype(np.float32)
        add(op, name, {"axis": axis}, {"x": x}, lambda x, a=axis: softmax(x, a))


def reduce_mean_cases():
    op = "ReduceMean"
    for name, shape, axis in [
        ("over T of [B, T, D]", [2, 3, 4], 1),
        ("negative axis (the last)", [2, 3, 4], -1),
        ("axis 0 of a matrix", [3, 2], 0),
    ]:
        rng = rng_for(op, name)
        add(op, name, {"axis": axis}, {"x": floats(rng, shape)}, lambda x, a=axis: x.mean(axis=a))


SPECIAL = np.array([-30, -5, -1, -0.25, 0.25, 1, 5, 30], dtype=np.float32)


def unary_cases():
    refs = {
        "Relu": lambda x: np.maximum(x, 0),
        "Sigmoid": sigmoid,
        "Tanh": lambda x: np.tanh(x),
        "Silu": lambda x: x * sigmoid(x),
        "Identity": lambda x: x,
    }
    for op, f in refs.items():
        rng = rng_for(op, "random")
        # Away from 0, where Relu's derivative has its step.
        add(op, "random [B, T, D]", {}, {"x": floats(rng, [2, 3, 4], away_from_zero=0.01)}, f)
        add(op, "saturating magnitudes", {}, {"x": SPECIAL}, f)
        add(op, "zero", {}, {"x": np.zeros([3], np.float32)}, f, grad=[])
    rng = rng_for("StopGradient", "random")
    add(
        "StopGradient",
        "the identity forward",
        {},
        {"x": floats(rng, [2, 3, 4])},
        lambda x: x,
        grad=[],
        note="No gradient flows back through it (tested in engine/runtime/ops.test.ts).",
    )


def dropout_cases():
    op = "Dropout"
    for rate in [0.5, 0.0]:
        name = f"rate {rate}: the identity outside training"
        rng = rng_for(op, name)
        add(
            op,
            name,
            {"rate": rate},
            {"x": floats(rng, [2, 3, 4])},
            lambda x: x,
            note="Training-mode masks are tested in engine/runtime/ops.test.ts.",
        )


def gelu_cases():
    op = "Gelu"
    refs = {
        "none": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
        "tanh": lambda x: 0.5
        * x
        * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    }
    for approximate, f in refs.items():
        rng = rng_for(op, approximate)
        attrs = {"approximate": approximate}
        add(op, f"{approximate}: random", attrs, {"x": floats(rng, [2, 3, 4])}, f)
        add(op, f"{approximate}: saturating magnitudes", attrs, {"x": SPECIAL}, f)


def layer_norm_cases():
    op = "LayerNormalization"
    shape = [2, 3, 4]
    rng = rng_for(op, "scale and bias")
    add(
        op,
        "scale and bias",
        {"epsilon": 1e-5},
        {"x": floats(rng, shape), "scale": floats(rng, [4]), "bias": floats(rng, [4])},
        lambda x, scale, bias: layer_norm(x, scale, bias, 1e-5),
    )
    rng = rng_for(op, "scale only")
    add(
        op,
        "scale only",
        {"epsilon": 1e-5},
        {"x": floats(rng, shape), "scale": floats(rng, [4])},
        lambda x, scale: layer_norm(x, scale, None, 1e-5),
    )
    rng = rng_for(op, "neither")
    add(
        op,
        "no scale, no bias, rank 2, large epsilon (inside the square root)",
        {"epsilon": 0.5},
        {"x": floats(rng, [3, 5])},
        lambda x: layer_norm(x, None, None, 0.5),
    )
    x = np.array([[1.5, 1.5, 1.5, 1.5], [-1, 0, 1, 2]], dtype=np.float32)
    rng = rng_for(op, "constant row")
    add(
        op,
        "a constant row (zero variance) gives the bias",
        {"epsilon": 1e-5},
        {"x": x, "bias": floats(rng, [4])},
        lambda x, bias: layer_norm(x, None, bias, 1e-5),
        grad=["bias"],
    )


def rms_norm_cases():
    op = "RMSNormalization"
    rng = rng_for(op, "scale")
    add(
        op,
        "scale",
        {"epsilon": 1e-5},
        {"x": floats(rng, [2, 3, 4]), "scale": floats(rng, [4])},
        lambda x, scale: rms_norm(x, scale, 1e-5),
    )
    rng = rng_for(op, "no scale")
    add(
        op,
        "no scale, rank 2",
        {"epsilon": 1e-6},
        {"x": floats(rng, [3, 5])},
        lambda x: rms_norm(x, None, 1e-6),
    )
    rng = rng_for(op, "large epsilon")
    add(
        op,
        "large epsilon (inside the square root)",
        {"epsilon": 0.25},
        {"x": floats(rng, [2, 4], -0.5, 0.5), "scale": floats(rng, [4])},
        lambda x, scale: rms_norm(x, scale, 0.25),
    )


def group_norm_cases():
    op = "GroupNormalization"
    cases = [
        # name, x shape, groups, epsilon, scale, bias, declared
        ("[B, T, C], 2 groups, scale and bias", [2, 3, 4], 2, 1e-5, True, True, None),
        ("1 group: statistics over every position and channel",
         [2, 3, 4], 1, 1e-5, False, False, None),
        ("one group per channel (instance normalization), scale only",
         [2, 3, 4], 4, 1e-5, True, False, None),
        ("rank 4 [B, H, W, C], 3 groups of 2", [2, 2, 2, 6], 3, 1e-5, True, True, None),
        ("rank 2 [B, C]: each group over its channels, bias only, large epsilon",
         [3, 6], 2, 0.1, False, True, None),
        ("symbolic B and T", [2, 3, 4], 2, 1e-5, True, True, ["B", "T", 4]),
    ]
    for name, shape, groups, eps, has_scale, has_bias, declared in cases:
        rng = rng_for(op, name)
        channels = shape[-1]
        inputs = {"x": floats(rng, shape)}
        if has_scale:
            inputs["scale"] = floats(rng, [channels])
        if has_bias:
            inputs["bias"] = floats(rng, [channels])
        add(
            op,
            name,
            {"groups": groups, "epsilon": eps},
            inputs,
            lambda x, scale=None, bias=None, g=groups, e=eps: group_norm(x, g, scale, bias, e),
            declared={"x": declared} if declared else None,
        )


def batch_norm(x, mean, var, scale=None, bias=None, epsilon=1e-5, training=False):
    """PyTorch's BatchNorm over the last (channel) axis of x [B, ..., C]: in training, the
    batch's statistics over every other axis (biased variance); otherwise the running ones."""
    if training:
        axes = tuple(range(x.ndim - 1))
        mean = x.mean(axis=axes)
        var = ((x - mean) ** 2).mean(axis=axes)
    y = (x - mean) / np.sqrt(var + epsilon)
    if scale is not None:
        y = y * scale
    return y if bias is None else y + bias


def batch_norm_running(x, mean, var, momentum):
    """The running statistics after a training run: (1 − m)·running + m·batch, the batch's
    variance unbiased (n / (n − 1) times the biased), as torch.nn.BatchNorm updates them."""
    axes = tuple(range(x.ndim - 1))
    n = x.size // x.shape[-1]
    batch_var = ((x - x.mean(axis=axes)) ** 2).mean(axis=axes) * n / (n - 1)
    return {
        "mean": (1 - momentum) * mean + momentum * x.mean(axis=axes),
        "var": (1 - momentum) * var + momentum * batch_var,
    }


def batch_norm_cases():
    op = "BatchNormalization"

    def stats(rng, c):
        return floats(rng, [c], -1, 1), floats(rng, [c], 0.2, 2)

    rng = rng_for(op, "inference")
    mean, var = stats(rng, 4)
    add(
        op,
        "evaluation: the running statistics, scale and bias, [B, T, C]",
        {"epsilon": 1e-5, "momentum": 0.1},
        {
            "x": floats(rng, [2, 3, 4]),
            "scale": floats(rng, [4]),
            "bias": floats(rng, [4]),
            "mean": mean,
            "var": var,
        },
        lambda x, scale, bias, mean, var: batch_norm(x, mean, var, scale, bias, 1e-5),
        # Running statistics are buffers, never differentiated (torch refuses to).
        grad=["x", "scale", "bias"],
    )
    rng = rng_for(op, "inference rank 2")
    mean, var = stats(rng, 3)
    add(
        op,
        "evaluation: no scale or bias, [B, C], large epsilon",
        {"epsilon": 0.5, "momentum": 0.1},
        {"x": floats(rng, [4, 3]), "mean": mean, "var": var},
        lambda x, mean, var: batch_norm(x, mean, var, epsilon=0.5),
        grad=["x"],
    )
    for shape, momentum, affine in [
        ([2, 3, 4], 0.1, True),
        ([5, 3], 0.3, False),
        ([2, 2, 2, 3], 1.0, True),
    ]:
        name = f"training: batch statistics of [{', '.join(map(str, shape))}], momentum {momentum}"
        rng = rng_for(op, name)
        c = shape[-1]
        mean, var = stats(rng, c)
        inputs = {"x": floats(rng, shape)}
        if affine:
            inputs |= {"scale": floats(rng, [c]), "bias": floats(rng, [c])}
        inputs |= {"mean": mean, "var": var}
        add(
            op,
            name + ("" if affine else ", no scale or bias"),
            {"epsilon": 1e-5, "momentum": momentum},
            inputs,
            lambda x, mean, var, scale=None, bias=None: batch_norm(
                x, mean, var, scale, bias, 1e-5, training=True
            ),
            grad=["x", *(["scale", "bias"] if affine else [])],
            training=True,
            updates=lambda x, mean, var, momentum=momentum, **_: batch_norm_running(
                x, mean, var, momentum
            ),
            note="mean and var are the program's running buffers; `updates`: their values after",
        )


def attention_cases():
    op = "Attention"
    cases = [
        # name, B, T, S, H, Hkv, Dh, causal, bottomRight
        ("2 heads, bidirectional", 2, 3, 3, 2, 2, 2, False, None),
        ("2 heads, causal", 2, 3, 3, 2, 2, 2, True, None),
        ("GQA: 4 query heads over 2 KV heads, causal", 1, 3, 3, 4, 2, 2, True, None),
        ("MQA: 3 query heads over 1 KV head", 1, 3, 3, 3, 1, 2, False, None),
        ("cross lengths S > T, bidirectional", 1, 2, 4, 2, 2, 2, False, None),
        ("S > T, causal, upper-left (query i sees keys <= i)", 1, 2, 4, 2, 1, 2, True, None),
        ("KV cache: S > T, causal bottom-right (query i sees keys <= S - T + i)",
         1, 2, 5, 2, 1, 2, True, True),
        ("KV cache decode: one query over S keys, bottom-right", 2, 1, 4, 2, 2, 2, True, True),
        ("bottom-right with S = T is plain causal", 1, 3, 3, 2, 2, 2, True, True),
    ]
    for name, b, t, s, h, hkv, dh, causal, bottom_right in cases:
        rng = rng_for(op, name)
        attrs = {"qHeads": h, "kvHeads": hkv, "causal": causal}
        if bottom_right is not None:
            attrs["bottomRight"] = bottom_right
        add(
            op,
            name,
            attrs,
            {
                "q": floats(rng, [b, t, h * dh]),
                "k": floats(rng, [b, s, hkv * dh]),
                "v": floats(rng, [b, s, hkv * dh]),
            },
            lambda q, k, v, h=h, hkv=hkv, c=causal, br=bool(bottom_right): attention(
                q, k, v, h, hkv, c, br
            ),
        )
    rng = rng_for(op, "key padding")
    ids = np.array([[5, 7, 0, 0], [3, 0, 9, 0]], dtype=np.int32)
    add(
        op,
        "key padding: keys whose id is padId are masked (cross lengths, 2 heads)",
        {"qHeads": 2, "kvHeads": 2, "causal": False, "padId": 0},
        {
            "q": floats(rng, [2, 3, 4]),
            "k": floats(rng, [2, 4, 4]),
            "v": floats(rng, [2, 4, 4]),
            "keyIds": ids,
        },
        lambda q, k, v, keyIds: attention(q, k, v, 2, 2, False, key_ids=keyIds, pad_id=0),
    )
    rng = rng_for(op, "key padding causal")
    add(
        op,
        "key padding with a causal mask and GQA, padId 2",
        {"qHeads": 2, "kvHeads": 1, "causal": True, "padId": 2},
        {
            "q": floats(rng, [1, 3, 4]),
            "k": floats(rng, [1, 3, 2]),
            "v": floats(rng, [1, 3, 2]),
            "keyIds": np.array([[1, 2, 4]], dtype=np.int32),
        },
        lambda q, k, v, keyIds: attention(q, k, v, 2, 1, True, key_ids=keyIds, pad_id=2),
    )
    rng = rng_for(op, "symbolic")
    add(
        op,
        "symbolic B and T, GQA, causal",
        {"qHeads": 2, "kvHeads": 1, "causal": True},
        {"q": floats(rng, [2, 3, 4]), "k": floats(rng, [2, 3, 2]), "v": floats(rng, [2, 3, 2])},
        lambda q, k, v: attention(q, k, v, 2, 1, True),
        declared={"q": ["B", "T", 4], "k": ["B", "T", 2], "v": ["B", "T", 2]},
    )


def rope_cases():
    op = "RotaryEmbedding"
    rng = rng_for(op, "2 heads")
    add(
        op,
        "2 heads of 4, θ = 10000",
        {"heads": 2, "theta": 10000},
        {"x": floats(rng, [2, 3, 8])},
        lambda x: rope(x, 2, 10000),
    )
    rng = rng_for(op, "1 head")
    add(
        op,
        "1 head of 6, θ = 100, 6 positions (large angles)",
        {"heads": 1, "theta": 100},
        {"x": floats(rng, [1, 6, 6])},
        lambda x: rope(x, 1, 100),
    )
    rng = rng_for(op, "offset")
    add(
        op,
        "positions after a KV cache of 3 (offsetLike's axis 1)",
        {"heads": 2, "theta": 10000},
        {"x": floats(rng, [1, 2, 4]), "offsetLike": floats(rng, [1, 3, 2])},
        lambda x, offsetLike: rope(x, 2, 10000, offset=offsetLike.shape[1]),
        grad=["x"],
    )
    rng = rng_for(op, "symbolic")
    add(
        op,
        "symbolic B and T",
        {"heads": 1, "theta": 10000},
        {"x": floats(rng, [2, 3, 4])},
        lambda x: rope(x, 1, 10000),
        declared={"x": ["B", "T", 4]},
    )


def concat_cases():
    op = "Concat"
    rng = rng_for(op, "kv")
    add(
        op,
        "KV cache: past and new along T",
        {"axis": 1},
        {"past": floats(rng, [2, 3, 4]), "new": floats(rng, [2, 1, 4])},
        lambda past, new: np.concatenate([past, new], axis=1),
        operands={"inputs": ["past", "new"]},
    )
    rng = rng_for(op, "three")
    add(
        op,
        "three operands along the last axis (negative)",
        {"axis": -1},
        {"a": floats(rng, [2, 2]), "b": floats(rng, [2, 3]), "c": floats(rng, [2, 1])},
        lambda a, b, c: np.concatenate([a, b, c], axis=-1),
        operands={"inputs": ["a", "b", "c"]},
    )
    rng = rng_for(op, "empty")
    add(
        op,
        "an empty past (length 0) contributes nothing",
        {"axis": 1},
        {"past": np.zeros([1, 0, 2], np.float32), "new": floats(rng, [1, 2, 2])},
        lambda past, new: np.concatenate([past, new], axis=1),
        operands={"inputs": ["past", "new"]},
        grad=["new"],
    )
    rng = rng_for(op, "symbolic")
    add(
        op,
        "symbolic past P and new T: P+T",
        {"axis": 1},
        {"past": floats(rng, [1, 2, 2]), "new": floats(rng, [1, 3, 2])},
        lambda past, new: np.concatenate([past, new], axis=1),
        operands={"inputs": ["past", "new"]},
        declared={"past": ["B", "P", 2], "new": ["B", "T", 2]},
    )


def slice_prefix_cases():
    op = "SlicePrefix"
    for name, shape, attrs in [
        ("the first position", [2, 3, 4], {"axis": 1, "length": 1}),
        ("from a start", [2, 5, 2], {"axis": 1, "length": 2, "start": 2}),
        ("negative axis", [2, 4], {"axis": -1, "length": 3}),
        ("the whole axis", [2, 3], {"axis": 0, "length": 2}),
    ]:
        rng = rng_for(op, name)
        start = attrs.get("start", 0)
        add(
            op,
            name,
            attrs,
            {"x": floats(rng, shape)},
            lambda x, a=attrs["axis"], s=start, n=attrs["length"]: np.take(
                x, range(s, s + n), axis=a
            ),
        )


def slice_like_cases():
    op = "SliceLike"
    rng = rng_for(op, "positions")
    add(
        op,
        "a position table [P, D] cut to T",
        {"axis": 0, "likeAxis": 1},
        {"x": floats(rng, [6, 4]), "like": floats(rng, [2, 3, 4])},
        lambda x, like: x[: like.shape[1]],
        grad=["x"],
    )
    rng = rng_for(op, "negative")
    add(
        op,
        "negative axes",
        {"axis": -2, "likeAxis": -2},
        {"x": floats(rng, [5, 2]), "like": floats(rng, [1, 3, 4])},
        lambda x, like: x[: like.shape[-2]],
        grad=["x"],
    )
    rng = rng_for(op, "last")
    add(
        op,
        "likeAxis -1 (the last axis of like)",
        {"axis": 0, "likeAxis": -1},
        {"x": floats(rng, [5, 2]), "like": floats(rng, [2, 4])},
        lambda x, like: x[: like.shape[-1]],
        grad=["x"],
    )
    rng = rng_for(op, "offset")
    add(
        op,
        "positions after a KV cache of 2 (offsetLike's axis 1)",
        {"axis": 0, "likeAxis": 1},
        {
            "x": floats(rng, [6, 2]),
            "like": floats(rng, [1, 3, 2]),
            "offsetLike": floats(rng, [1, 2, 2]),
        },
        lambda x, like, offsetLike: x[offsetLike.shape[1] :][: like.shape[1]],
        grad=["x"],
    )
    rng = rng_for(op, "start")
    add(
        op,
        "a decoder's positions from row position 3, after a KV cache of 2 (start + offsetLike)",
        {"axis": 0, "likeAxis": 1, "start": 3},
        {
            "x": floats(rng, [8, 2]),
            "like": floats(rng, [1, 2, 2]),
            "offsetLike": floats(rng, [1, 2, 2]),
        },
        lambda x, like, offsetLike: x[3 + offsetLike.shape[1] :][: like.shape[1]],
        grad=["x"],
    )
    rng = rng_for(op, "start only")
    add(
        op,
        "a fixed first position without a cache (start 2)",
        {"axis": 0, "likeAxis": 1, "start": 2},
        {"x": floats(rng, [6, 3]), "like": floats(rng, [2, 3, 3])},
        lambda x, like: x[2:][: like.shape[1]],
        grad=["x"],
    )


def broadcast_like_cases():
    op = "BroadcastLike"
    for name, shape, like in [
        ("a vector to [B, T, D]", [4], [2, 3, 4]),
        ("both sides stretch ([1, 3, 1] like [2, 1, 4])", [1, 3, 1], [2, 1, 4]),
        ("already the shape", [2, 3], [2, 3]),
    ]:
        rng = rng_for(op, name)
        add(
            op,
            name,
            {},
            {"x": floats(rng, shape), "like": floats(rng, like)},
            lambda x, like: np.broadcast_to(x, np.broadcast_shapes(x.shape, like.shape)),
            grad=["x"],
        )


def recurrent(cell, x, weights, hidden, bidirectional):
    """PyTorch's nn.RNN (tanh), nn.GRU and nn.LSTM: one layer, batch_first, zero initial
    state, weights per direction (w_ih, w_hh, b_ih, b_hh) with PyTorch's gate order. Returns
    Y [B, T, dirs·H], the final h [B, dirs, H] and, for an LSTM, the final c [B, dirs, H]."""
    b, t, _ = x.shape
    ys, hs, cs = [], [], []
    for d in range(2 if bidirectional else 1):
        w_ih, w_hh, b_ih, b_hh = weights[4 * d : 4 * d + 4]
        h = np.zeros((b, hidden))
        c = np.zeros((b, hidden))
        y = np.zeros((b, t, hidden))
        for step in range(t - 1, -1, -1) if d == 1 else range(t):
            gi = x[:, step] @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            if cell == "RNN":
                h = np.tanh(gi + gh)
            elif cell == "LSTM":
                i, f, g, o = np.split(gi + gh, 4, axis=1)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            else:
                xr, xz, xn = np.split(gi, 3, axis=1)
                hr, hz, hn = np.split(gh, 3, axis=1)
                r = sigmoid(xr + hr)
                z = sigmoid(xz + hz)
                n = np.tanh(xn + r * hn)
                h = (1 - z) * n + z * h
            y[:, step] = h
        ys.append(y)
        hs.append(h)
        cs.append(c)
    out = (np.concatenate(ys, axis=2), np.stack(hs, axis=1))
    return (*out, np.stack(cs, axis=1)) if cell == "LSTM" else out


def recurrent_cases():
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}
    for op, g in gates.items():
        for name, b, t, d, h, bidirectional, declared in [
            ("forward, B 2, T 4, D 3, H 2", 2, 4, 3, 2, False, None),
            (
                "bidirectional, symbolic B and T",
                2,
                3,
                3,
                2,
                True,
                {"x": ["B", "T", 3]},
            ),
            ("forward, one step, one example, H 3", 1, 1, 2, 3, False, None),
        ]:
            rng = rng_for(op, name)
            names = ["w_ih", "w_hh", "b_ih", "b_hh"]
            if bidirectional:
                names += [f"{n}_reverse" for n in names]
            shapes = {"w_ih": [g * h, d], "w_hh": [g * h, h], "b_ih": [g * h], "b_hh": [g * h]}
            inputs = {"x": floats(rng, [b, t, d], -1, 1)}
            for n in names:
                inputs[n] = floats(rng, shapes[n.removesuffix("_reverse")], -0.6, 0.6)

            def ref(x, op=op, h=h, bidirectional=bidirectional, names=names, **w):
                return recurrent(op, x, [w[n] for n in names], h, bidirectional)

            add(
                op,
                name,
                {"hidden": h, "bidirectional": bidirectional},
                inputs,
                ref,
                operands={"x": "x", "weights": names},
                declared=declared,
            )


def write_all():
    for path in HERE.glob("*.json"):
        path.unlink()
    for op, cases in fixtures.items():
        doc = {
            "op": op,
            "generatedBy": "test/ops/generate.py (numpy float64 reference)",
            "cases": cases,
        }
        (HERE / f"{op}.json").write_text(json.dumps(doc, ensure_ascii=False) + "\n")
    files = sorted(str(p) for p in HERE.glob("*.json"))
    prettier = ["npx", "prettier", "--write", "--log-level", "warn"]
    subprocess.run([*prettier, *files], cwd=ROOT, check=True)


def loop_cases():
    op = "Loop"
    body = {
        "carried": ["h"],
        "ops": [
            {"op": "MatMul", "a": "h", "b": "w", "out": "b0", "source": "fixture/Loop/body"},
            {"op": "Add", "a": "b0", "b": "x", "out": "b1", "source": "fixture/Loop/body"},
            {"op": "Tanh", "x": "b1", "out": "b2", "source": "fixture/Loop/body"},
        ],
        "next": ["b2"],
        "finals": [],
    }

    def trips_of(x, w, trips):
        h = x
        for _ in range(trips):
            h = np.tanh(h @ w + x)
        return h

    for trips, grad_steps, note in [
        (3, 3, None),
        (1, 1, None),
        (
            4,
            1,
            "only the last trip keeps gradients: the carried value entering it is a constant",
        ),
    ]:
        name = f"{trips} trip(s) of h <- tanh(h.w + x), the last {grad_steps} with gradients"
        rng = rng_for(op, name)
        x = floats(rng, [2, 3, 4], -1, 1)
        w = floats(rng, [4, 4], -0.5, 0.5)
        frozen = trips_of(x.astype(np.float64), w.astype(np.float64), trips - grad_steps)

        def ref(x, w, trips=trips, grad_steps=grad_steps, frozen=frozen):
            # Trips before the last `grad_steps` feed a constant (their value at the inputs);
            # with none before them, the carried value starts as x itself.
            h = x if grad_steps == trips else frozen
            for _ in range(grad_steps):
                h = np.tanh(h @ w + x)
            return h

        add(
            op,
            name,
            {
                "site": "fixture/rec",
                "trips": trips,
                "gradSteps": grad_steps,
                "body": body,
                "results": ["out"],
            },
            {"x": x, "w": w},
            ref,
            operands={"init": ["x"], "captures": ["w", "x"]},
            note=note,
        )


for make in [
    loop_cases,
    matmul_cases,
    binary_cases,
    scale_cases,
    gather_cases,
    reshape_cases,
    transpose_cases,
    softmax_cases,
    reduce_mean_cases,
    unary_cases,
    dropout_cases,
    gelu_cases,
    layer_norm_cases,
    rms_norm_cases,
    group_norm_cases,
    batch_norm_cases,
    attention_cases,
    rope_cases,
    concat_cases,
    slice_prefix_cases,
    slice_like_cases,
    broadcast_like_cases,
    recurrent_cases,
]:
    make()
write_all()
print(f"{sum(len(c) for c in fixtures.values())} cases in {len(fixtures)} fixtures")
