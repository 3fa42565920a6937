#!/usr/bin/env python3
"""Independent reference for next-token logits: a NumPy Llama forward pass over a GGUF file,
read and dequantised with the `gguf` package (llama.cpp's gguf-py), RoPE applied llama.cpp-style
to the rows as stored in the file (adjacent pairs), so it checks the engine's Q/K un-permutation
as well as its dequantisation.

usage: reference_logits.py FILE.gguf '[token ids]'  -> JSON {"logits": [...last position...]}
needs: pip install gguf numpy (e.g. into a --target dir on PYTHONPATH)
"""
import json
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.parts[f.data[0]][0].item()


def main():
    path, ids = sys.argv[1], json.loads(sys.argv[2])
    r = GGUFReader(path)
    t = {}
    for x in r.tensors:
        w = dequantize(x.data, x.tensor_type).astype(np.float64)
        shape = tuple(int(d) for d in reversed(x.shape))
        t[x.name] = w.reshape(shape)
    n_layer = field(r, "llama.block_count")
    n_head = field(r, "llama.attention.head_count")
    n_kv = field(r, "llama.attention.head_count_kv", n_head)
    theta = field(r, "llama.rope.freq_base", 10000.0)
    eps = field(r, "llama.attention.layer_norm_rms_epsilon", 1e-5)
    emb = t["token_embd.weight"]
    d = emb.shape[1]
    hd = d // n_head
    x = emb[ids]
    T = len(ids)
    pos = np.arange(T)[:, None]
    inv = theta ** (-np.arange(0, hd, 2) / hd)
    ang = pos * inv[None, :]
    cos, sin = np.cos(ang), np.sin(ang)

    def rope(v):  # v [T, heads, hd], adjacent pairs
        a, b = v[..., 0::2], v[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        out = np.empty_like(v)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out

    def norm(v, w):
        return v / np.sqrt((v * v).mean(-1, keepdims=True) + eps) * w

    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(n_layer):
        p = f"blk.{l}."
        h = norm(x, t[p + "attn_norm.weight"])
        q = rope((h @ t[p + "attn_q.weight"].T).reshape(T, n_head, hd))
        k = rope((h @ t[p + "attn_k.weight"].T).reshape(T, n_kv, hd))
        v = (h @ t[p + "attn_v.weight"].T).reshape(T, n_kv, hd)
        rep = n_head // n_kv
        k = np.repeat(k, rep, axis=1)
        v = np.repeat(v, rep, axis=1)
        s = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", s, v).reshape(T, d)
        x = x + o @ t[p + "attn_output.weight"].T
        h = norm(x, t[p + "ffn_norm.weight"])
        g = h @ t[p + "ffn_gate.weight"].T
        u = h @ t[p + "ffn_up.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ t[p + "ffn_down.weight"].T
    x = norm(x, t["output_norm.weight"])
    head = t.get("output.weight", emb)
    logits = x[-1] @ head.T
    json.dump({"logits": [float(v) for v in logits]}, sys.stdout)


if __name__ == "__main__":
    main()
