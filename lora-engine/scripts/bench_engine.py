#!/usr/bin/env python3
"""lora-engine against llama.cpp (llama-cpp-python) on the same GGUF file, the same token ids and
the same thread count, in one run: batch-1 decode and prefill tokens/s, resident memory, next-token
logits and greedy completions. Prints one table (and writes the figures as JSON with --out).

usage: bench_engine.py --bin target/release/openledger-lora --model FILE.gguf [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

PROMPTS = ["Name the capital of France.", "Name the capital of Germany."]
LOGITS_TEXT = (
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n<|im_start|>user\nName the capital of France.<|im_end|>\n"
    "<|im_start|>assistant\nThe capital"
)


def ours(args, f32):
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    extra = ["--f32-weights"] if f32 else []
    cmd = [args.bin, "speed", "--model", args.model, "--tokens", str(args.tokens)] + extra
    for p in PROMPTS:
        cmd += ["--prompt", p]
    speed = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True).stdout)
    cmd = [args.bin, "logits", "--model", args.model] + extra + [LOGITS_TEXT]
    logits = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True).stdout)
    return speed, logits


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def last_logits(llm):
    """Logits of the last evaluated token (eval no longer copies them into `scores`)."""
    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))


def llama_cpp(args, speed, logit_ids):
    from llama_cpp import Llama

    before = rss()
    llm = Llama(
        model_path=args.model,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        n_ctx=1024,
        n_batch=512,
        verbose=False,
    )
    loaded = rss()
    out = {"rss_loaded_bytes": loaded, "rss_before_load_bytes": before}
    # Warm-up.
    llm.reset()
    llm.eval(speed["prefill"]["ids"][:16])
    # Prefill.
    ids = speed["prefill"]["ids"]
    llm.reset()
    t = time.perf_counter()
    llm.eval(ids)
    out["prefill_tokens_per_s"] = len(ids) / (time.perf_counter() - t)
    # Decode: the prompt, then one token at a time, greedy, the same count as ours.
    n = speed["decode"]["tokens"]
    llm.reset()
    llm.eval(speed["decode"]["prompt_ids"])
    tok = int(np.argmax(last_logits(llm)))
    gen = [tok]
    t = time.perf_counter()
    for _ in range(n):
        llm.eval([tok])
        tok = int(np.argmax(last_logits(llm)))
        gen.append(tok)
    out["decode_tokens_per_s"] = n / (time.perf_counter() - t)
    out["decode_generated"] = gen
    # Next-token logits.
    llm.reset()
    llm.eval(logit_ids)
    out["logits"] = np.array(last_logits(llm), dtype=np.float64)
    # Greedy completions on the same prompt ids, as long as ours.
    out["completions"] = []
    for c in speed["completions"]:
        llm.reset()
        llm.eval(c["ids"])
        toks = []
        for _ in range(32):
            tok = int(np.argmax(last_logits(llm)))
            if tok in (llm.token_eos(), 2):
                break
            toks.append(tok)
            llm.eval([tok])
        out["completions"].append(llm.detokenize(toks).decode("utf-8", "replace"))
    out["rss_end_bytes"] = rss()
    return out


def rel_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--out")
    args = ap.parse_args()

    load = os.getloadavg()
    q, q_logits = ours(args, f32=False)
    f, f_logits = ours(args, f32=True)
    lc = llama_cpp(args, q, q_logits["ids"])
    file_bytes = os.path.getsize(args.model)
    mb = lambda b: f"{b / 2**20:.0f} MiB" if b else "?"

    rows = [
        ("decode tokens/s, batch 1", q["decode"]["tokens_per_s"], f["decode"]["tokens_per_s"],
         lc["decode_tokens_per_s"]),
        (f"prefill tokens/s, {len(q['prefill']['ids'])} tokens", q["prefill"]["tokens_per_s"],
         f["prefill"]["tokens_per_s"], lc["prefill_tokens_per_s"]),
    ]
    print(f"machine load (1/5/15 min) at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"threads {args.threads}; {os.path.basename(args.model)} ({mb(file_bytes)})")
    print(f"{'measure':<34} {'lora-engine':>12} {'f32 path':>10} {'llama.cpp':>10} {'ratio':>7}")
    for name, a, b, c in rows:
        print(f"{name:<34} {a:>12.1f} {b:>10.1f} {c:>10.1f} {a / c:>6.2f}x")
    print(f"{'RSS after load':<34} {mb(q['rss_loaded_bytes']):>12} {mb(f['rss_loaded_bytes']):>10} "
          f"{mb(lc['rss_loaded_bytes']):>10}   (target <= {mb(2 * file_bytes)} + KV)")
    d_f32 = rel_diff(q_logits["logits"], f_logits["logits"])
    d_lc = rel_diff(q_logits["logits"], lc["logits"])
    d_f32_lc = rel_diff(f_logits["logits"], lc["logits"])
    print(f"{'logits max|diff| / max|logit|':<34} vs f32 path {d_f32:.2e}, vs llama.cpp {d_lc:.2e} "
          f"(f32 path vs llama.cpp {d_f32_lc:.2e})")
    same_top = int(np.argmax(q_logits["logits"])) == int(np.argmax(lc["logits"]))
    print(f"{'same next token as llama.cpp':<34} {same_top}")
    for c, cf, cl in zip(q["completions"], f["completions"], lc["completions"]):
        print(f"greedy {c['prompt']!r}: ours {c['text']!r} | f32 path {cf['text']!r} | "
              f"llama.cpp {cl!r}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"load": load, "ours": {k: v for k, v in q.items() if k != "prefill"},
                       "f32": {k: v for k, v in f.items() if k != "prefill"},
                       "llama_cpp": {k: v for k, v in lc.items() if k != "logits"},
                       "logits_rel_diff": {"vs_f32": d_f32, "vs_llama_cpp": d_lc,
                                           "f32_vs_llama_cpp": d_f32_lc}}, fh, default=str)


if __name__ == "__main__":
    sys.exit(main())
