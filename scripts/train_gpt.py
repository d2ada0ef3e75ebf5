#!/usr/bin/env python3
"""Train lesson 13's tiny GPT for longer, offline, and ship it as data/gpt/char_gpt.pt.

    nice -n 10 .venv/bin/python scripts/train_gpt.py            # about 10 min on one CPU core
    .venv/bin/python -c "from course_lib.data import write_manifest; write_manifest()"

The same architecture and the same characters as the lesson's 500-step run (course_lib.gpt,
the lesson's GPTConfig, the first 90 % of data/corpus/lessons.txt), seeded, with more steps,
larger batches and a learning rate that warms up and then decays. The file holds the config,
the float32 weights and how it was made (steps, seconds, loss curve, machine); it holds only
tensors, numbers and strings, so torch.load(..., weights_only=True) reads it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import time
from pathlib import Path

import torch

from course_lib.data import data_path
from course_lib.devices import best_device, cpu_name
from course_lib.gpt import GPT, CharTokenizer, GPTConfig, batches, mean_loss
from course_lib.seed import seed_everything

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "gpt" / "char_gpt.pt"
CONFIG = {"context": 128, "d_model": 64, "n_heads": 4, "n_layers": 2}  # the lesson's cfg


def learning_rate(step: int, steps: int, peak: float, warmup: int = 100) -> float:
    """Linear warm-up to ``peak``, then a cosine decay to a tenth of it."""
    if step < warmup:
        return peak * (step + 1) / warmup
    done = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the same arithmetic, step for step, on the same machine
    seed_everything(0)
    device = best_device()
    text = data_path("corpus/lessons.txt").read_text(encoding="ascii")
    chars = CharTokenizer(text)
    data = torch.tensor(chars.encode(text), device=device)
    split = int(0.9 * len(data))  # the lesson's split: the last 10 % is held out
    train_data, val_data = data[:split], data[split:]
    cfg = GPTConfig(vocab_size=chars.vocab_size, **CONFIG)
    model = GPT(cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    gen = torch.Generator().manual_seed(0)
    curve: list[list[float]] = []
    start = time.perf_counter()
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr)
        xb, yb = batches(train_data, args.batch_size, cfg.context, gen)
        loss = model.loss(xb, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (step + 1) % 250 == 0 or step + 1 == args.steps:
            val = mean_loss(model, val_data, cfg.context, max_windows=200)
            curve.append([step + 1, round(loss.item(), 4), round(val, 4)])
            print(f"step {step + 1:5d}  train {loss.item():.3f}  val {val:.3f}  "
                  f"{time.perf_counter() - start:6.0f} s", flush=True)
    seconds = time.perf_counter() - start
    model = model.cpu().eval()
    checkpoint = {
        "config": {"vocab_size": cfg.vocab_size, **CONFIG},
        "chars": "".join(chars.chars),
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "made_by": "scripts/train_gpt.py",
        "steps": args.steps, "batch_size": args.batch_size, "peak_lr": args.lr, "seed": 0,
        "train_seconds": round(seconds, 1),
        "curve": curve,  # [step, training loss of that batch, held-out loss]
        "machine": f"{cpu_name()} ({os.cpu_count()} logical cores, shared), {device}, 1 thread, "
                   f"{platform.system()}, Python {platform.python_version()}, torch {torch.__version__}",
        "trained": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, args.out)
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
          f"{args.out.stat().st_size / 1e6:.2f} MB, {seconds:.0f} s")


if __name__ == "__main__":
    main()
