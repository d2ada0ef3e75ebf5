"""Lesson 11's data-parallel training as a script for PyTorch's own launcher, ``torchrun``.

    torchrun --nproc-per-node 2 scripts/ddp_train.py [--seed 0 --rows 16 --steps 5 --lr 0.05]

torchrun starts the processes and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT
in each; ``init_process_group("gloo")`` reads them (``env://``). Every rank trains the lesson's
model (``course_lib.distributed.make_model``) with DDP on its own rows of the lesson's data set
(``make_problem`` and ``shard_indices``). Rank 0 prints a short summary that depends only on the
settings, not on how the processes were placed on machines: the same on one node with 2
processes as on 2 nodes with 1 process each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from course_lib.distributed import make_model, make_problem, shard_indices

NEEDED = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The training settings; the defaults are the lesson's CONFIG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", dest="n", type=int, default=16, help="rows in the whole batch")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps: expected at least 1, got {args.steps}")
    if not args.lr > 0:
        parser.error(f"--lr: expected a number above 0, got {args.lr}")
    return args


def train(args: argparse.Namespace, rank: int, world_size: int) -> tuple[list[float], bool]:
    """DDP training on this rank's rows; (full-batch loss at each step, parameters equal on all ranks)."""
    x, y = make_problem(args.seed, args.n)
    rows = shard_indices(len(x), rank, world_size)
    x, y = x[rows], y[rows]
    model = DDP(make_model(args.seed))  # on GPUs: make_model(...).to(local_rank), device_ids=[local_rank]
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    losses = []
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)  # the mean over this rank's rows
        loss.backward()  # DDP all-reduces the gradients and divides by world_size
        optimizer.step()
        # equal shards: the mean of the ranks' losses is the loss over the whole batch
        total = loss.detach().clone()
        dist.all_reduce(total)
        losses.append(float(total) / world_size)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world_size)]
    dist.all_gather(gathered, flat)
    return losses, all(torch.equal(g, gathered[0]) for g in gathered)


def _launch_problem(env: os._Environ[str] | dict[str, str]) -> str:
    """What is wrong with torchrun's variables when someone set them by hand, or "" if nothing."""
    numbers = {}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT"):
        raw = env[name].strip()
        if not raw.isdigit():
            return f"{name}={env[name]!r} is not a whole number"
        numbers[name] = int(raw)
    if numbers["WORLD_SIZE"] < 1 or numbers["RANK"] >= numbers["WORLD_SIZE"]:
        return (f"RANK={numbers['RANK']} must be below WORLD_SIZE={numbers['WORLD_SIZE']} "
                "(ranks count from 0)")
    if not 1 <= numbers["MASTER_PORT"] <= 65535:
        return f"MASTER_PORT={numbers['MASTER_PORT']} is not a port between 1 and 65535"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Join the process group torchrun set up, train, print rank 0's summary, leave the group."""
    args = parse_args(argv)
    missing = [name for name in NEEDED if name not in os.environ]
    if missing:
        print(f"ddp_train.py: {', '.join(missing)} not set; start this script with torchrun, e.g. "
              f"torchrun --nproc-per-node 2 scripts/ddp_train.py", file=sys.stderr)
        return 2
    problem = _launch_problem(os.environ)
    if problem:
        print(f"ddp_train.py: {problem}; torchrun sets these variables, so start the script with it",
              file=sys.stderr)
        return 2
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if args.n % world_size:
        print(f"ddp_train.py: --rows {args.n}: rows do not split evenly over world size {world_size}",
              file=sys.stderr)
        return 2
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    # env://: the address, port, rank and world size come from the variables torchrun set; under
    # torchrun the store is the launcher's own, so it outlives every rank
    store, _, _ = next(dist.rendezvous("env://", rank, world_size, timeout=dt.timedelta(seconds=120)))
    dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size,
                            timeout=dt.timedelta(seconds=120))
    try:
        losses, identical = train(args, rank, world_size)
        # Every rank is done with its collectives before any tears down. They say so through the
        # store, not with a gloo barrier: a rank that closes its sockets while another is still
        # finishing the barrier can make that one abort (as spawn_workers does, gloo issue 155).
        store.set(f"ddp_train/finished/{rank}", "1")
        store.wait([f"ddp_train/finished/{r}" for r in range(world_size)], dt.timedelta(seconds=120))
    finally:
        dist.destroy_process_group()
    if rank == 0:
        print(f"world size: {world_size}")
        print(f"rows per rank: {args.n // world_size} of {args.n}")
        print(f"final loss (step {args.steps}, whole batch): {losses[-1]:.4f}")
        print(f"parameters identical on all ranks: {identical}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
