"""The few building blocks model.py uses that PyTorch 1.13 does not have as one call.

Each matches the TRM Studio's definition of the op (ONNX semantics), so a model trained here
and one trained in the Studio compute the same function.
"""
import math

import torch
import torch.nn.functional as F


def rms_norm(x, weight, eps):
    """x / sqrt(mean(x^2, last axis) + eps), times weight when there is one."""
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y if weight is None else y * weight


def layer_norm(x, weight, bias, eps):
    """Zero mean and unit variance over the last axis, then weight and bias when given."""
    return F.layer_norm(x, x.shape[-1:], weight, bias, eps)


def batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """BatchNorm of channels-last x [B, ..., C] (nn.BatchNorm1d's F.batch_norm with the
    channels moved to axis 1 and back). Training: the batch's statistics, and the running
    buffers updated in place (unbiased variance); evaluation: the running statistics."""
    # [B, ..., C] -> [B, C, ...]
    y = F.batch_norm(
        x.movedim(-1, 1), running_mean, running_var, weight, bias, training, momentum, eps
    )
    return y.movedim(1, -1)


def group_norm(x, groups, weight, bias, eps):
    """GroupNorm of channels-last x [B, ..., C]: each group of C/groups channels is normalised
    over its channels and every position of the example together."""
    b, c = x.shape[0], x.shape[-1]
    g = x.reshape(b, -1, groups, c // groups)
    mean = g.mean(dim=(1, 3), keepdim=True)
    var = (g - mean).pow(2).mean(dim=(1, 3), keepdim=True)
    y = ((g - mean) * torch.rsqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def attention(q, k, v, heads, kv_heads, causal, bottom_right=False, key_ids=None, pad_id=0):
    """Scaled dot-product attention on packed heads: q [B, T, H*Dh], k and v [B, S, Hkv*Dh].
    Query head h reads key/value head h // (H / Hkv). With bottom_right, the causal mask lines
    up the last query with the last key (a KV cache). With key_ids [B, S], keys whose id is
    pad_id are masked (an encoder's padding)."""
    b, t, width = q.shape
    s = k.shape[1]
    dh = width // heads
    group = heads // kv_heads
    qh = q.reshape(b, t, heads, dh).transpose(1, 2)  # [B, H, T, Dh]
    kh = k.reshape(b, s, kv_heads, dh).transpose(1, 2)  # [B, Hkv, S, Dh]
    vh = v.reshape(b, s, kv_heads, dh).transpose(1, 2)
    if group > 1:
        kh = kh.repeat_interleave(group, dim=1)
        vh = vh.repeat_interleave(group, dim=1)
    scores = (qh * (1.0 / math.sqrt(dh))) @ kh.transpose(-2, -1)  # [B, H, T, S]
    if causal:
        shift = max(s - t, 0) if bottom_right else 0
        mask = torch.ones(t, s, dtype=torch.bool, device=q.device).triu(1 + shift)
        scores = scores.masked_fill(mask, float('-inf'))
    if key_ids is not None:
        pad = (key_ids == pad_id)[:, None, None, :]  # [B, 1, 1, S]
        scores = scores.masked_fill(pad, float('-inf'))
    out = torch.softmax(scores, dim=-1) @ vh  # [B, H, T, Dh]
    return out.transpose(1, 2).reshape(b, t, heads * vh.shape[-1])


def rotary(x, heads, theta, offset=0):
    """Rotary position embedding, rotate-half form, on packed heads x [B, T, H*Dh]; positions
    start at offset."""
    b, t, width = x.shape
    dh = width // heads
    half = dh // 2
    xh = x.reshape(b, t, heads, dh)
    pos = torch.arange(offset, offset + t, dtype=torch.float64, device=x.device)
    freq = theta ** (-2.0 * torch.arange(half, dtype=torch.float64, device=x.device) / dh)
    angle = pos[:, None] * freq[None, :]  # [T, Dh/2]
    cos = torch.cat([angle.cos(), angle.cos()], -1).to(x.dtype)[:, None, :]  # [T, 1, Dh]
    sin = torch.cat([angle.sin(), angle.sin()], -1).to(x.dtype)[:, None, :]
    rotated = torch.cat([-xh[..., half:], xh[..., :half]], -1)
    return (xh * cos + rotated * sin).reshape(b, t, width)


def broadcast_like(x, like):
    """x expanded to the shape x and like broadcast to together (a learned state to the batch)."""
    return x.expand(torch.broadcast_shapes(x.shape, like.shape))


def recurrent(kind, x, weights, bidirectional):
    """One layer of nn.RNN (tanh), nn.GRU or nn.LSTM over batch-first x [B, T, D] from a zero
    state, with PyTorch's weights (w_ih, w_hh, b_ih, b_hh per direction, gates in PyTorch's
    order). Returns the sequence [B, T, dirs*H], the final h [B, dirs, H] and, for an LSTM,
    the final c."""
    b, t, _ = x.shape
    outs, finals_h, finals_c = [], [], []
    for d in range(2 if bidirectional else 1):
        w_ih, w_hh, b_ih, b_hh = weights[4 * d : 4 * d + 4]
        hidden = w_hh.shape[1]
        h = x.new_zeros(b, hidden)
        c = x.new_zeros(b, hidden)
        xs = x @ w_ih.t() + b_ih  # [B, T, G*H], the input's share of every gate at once
        steps = range(t - 1, -1, -1) if d == 1 else range(t)
        ys = [None] * t
        for s in steps:
            gh = h @ w_hh.t() + b_hh
            gx = xs[:, s]
            if kind == "rnn":
                h = torch.tanh(gx + gh)
            elif kind == "gru":
                xr, xz, xn = gx.chunk(3, -1)
                hr, hz, hn = gh.chunk(3, -1)
                r = torch.sigmoid(xr + hr)
                z = torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * h
            else:
                i, f, g, o = (gx + gh).chunk(4, -1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            ys[s] = h
        outs.append(torch.stack(ys, 1))
        finals_h.append(h)
        finals_c.append(c)
    y = torch.cat(outs, -1)
    h_n = torch.stack(finals_h, 1)
    if kind == "lstm":
        return y, h_n, torch.stack(finals_c, 1)
    return y, h_n
