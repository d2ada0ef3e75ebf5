"""scripts/ddp_train.py under PyTorch's own launcher: one node, two "nodes" on 127.0.0.1, and two
network namespaces joined by a veth pair (root only). Every subprocess has a timeout, and every
process, namespace and link a test made is gone when it ends."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from conftest import alive

from course_lib import distributed as D

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ddp_train.py"
TIMEOUT = 120  # seconds, for every launcher process
CONFIG = {"seed": 0, "n": 16, "steps": 5, "lr": 0.05}  # the script's defaults, the lesson's CONFIG
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc``, its process group and every descendant (torchrun puts its workers in new
    sessions, so the group alone is not enough), then reap it."""
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=10)
    psutil.wait_procs(family, timeout=10)


def _launch(commands: list[tuple[list[str], dict[str, str]]]) -> tuple[list[int], str, str, float]:
    """Run the commands side by side; (exit codes, stdout of all, stderr of all, wall seconds).

    Each command may run TIMEOUT seconds; on a time-out, or any error, all are killed."""
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="torchrun_test_") as tmp:
        outs = [(Path(tmp, f"{i}.out"), Path(tmp, f"{i}.err")) for i in range(len(commands))]
        start = time.perf_counter()
        try:
            for (cmd, extra), (out, err) in zip(commands, outs, strict=True):
                with open(out, "wb") as fo, open(err, "wb") as fe:
                    procs.append(subprocess.Popen(
                        cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1", **extra},
                        stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, start_new_session=True))
            deadline = start + TIMEOUT
            codes = []
            for p in procs:
                codes.append(p.wait(timeout=max(0.1, deadline - time.perf_counter())))
            seconds = time.perf_counter() - start
        finally:
            everyone = [p.pid for p in procs]
            for p in procs:
                if p.poll() is None:
                    _kill_tree(p)
            assert alive(everyone) == []
        text = [(o.read_text(errors="replace"), e.read_text(errors="replace")) for o, e in outs]
    return codes, "".join(o for o, _ in text), "\n".join(e[-3000:] for _, e in text), seconds


def _summary(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 4, stdout  # only rank 0 prints, 4 lines
    return "\n".join(lines)


def _loss(summary: str) -> float:
    match = re.search(r"final loss \(step \d+, whole batch\): (\d+\.\d{4})", summary)
    assert match, summary
    return float(match.group(1))


def _two_nodes(host: str, port: int, prefix: list[list[str]], addrs: list[str],
               envs: list[dict[str, str]]) -> list[tuple[list[str], dict[str, str]]]:
    """One torchrun per "machine", 1 process each, meeting at host:port (node 0 hosts the store)."""
    rdzv_id = f"test{secrets.token_hex(4)}"
    return [([*prefix[rank], *TORCHRUN, "--nnodes", "2", "--node-rank", str(rank), "--nproc-per-node", "1",
              "--rdzv-backend", "c10d", "--rdzv-endpoint", f"{host}:{port}", "--rdzv-id", rdzv_id,
              "--rdzv-conf", f"is_host={int(rank == 0)}", "--local-addr", addrs[rank], str(SCRIPT)],
             envs[rank]) for rank in range(2)]


@pytest.fixture(scope="module")
def one_node() -> tuple[str, float]:
    """(rank 0's summary, wall seconds) of torchrun --nproc-per-node 2 on this machine."""
    cmd = [*TORCHRUN, "--nproc-per-node", "2", "--rdzv-backend", "c10d",
           "--rdzv-endpoint", f"127.0.0.1:{_free_port()}", str(SCRIPT)]
    codes, out, err, seconds = _launch([(cmd, {})])
    assert codes == [0], err
    return _summary(out), seconds


def test_one_node_two_processes_matches_one_process_on_the_whole_batch(one_node):
    summary, seconds = one_node
    print(f"one node x 2 processes: {seconds:.1f} s")
    assert "world size: 2" in summary and "rows per rank: 8 of 16" in summary
    assert "parameters identical on all ranks: True" in summary
    want = D.reference_training(CONFIG)["losses"][-1]
    assert abs(_loss(summary) - want) < 6e-5, (summary, want)  # printed to 4 decimals


def test_two_nodes_on_localhost_give_the_one_node_result(one_node):
    port = _free_port()
    commands = _two_nodes("127.0.0.1", port, [[], []], ["127.0.0.1"] * 2, [{}, {}])
    codes, out, err, seconds = _launch(commands)
    print(f"two nodes on 127.0.0.1: {seconds:.1f} s")
    assert codes == [0, 0], err
    assert _summary(out) == one_node[0]


def test_script_refuses_to_run_without_torchrun():
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "MASTER_ADDR")}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 2 and "start this script with torchrun" in done.stderr


@pytest.mark.parametrize("change, message", [
    ({"RANK": "abc"}, "RANK='abc' is not a whole number"),
    ({"RANK": "2"}, "RANK=2 must be below WORLD_SIZE=2"),  # used to wait 120 s for a rank that never comes
    ({"WORLD_SIZE": "0", "RANK": "0"}, "must be below WORLD_SIZE=0"),
    ({"MASTER_PORT": "70000"}, "MASTER_PORT=70000 is not a port"),
])
def test_torchruns_variables_set_by_hand_are_checked_first(change, message):
    env = {**os.environ, "RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": "29500", **change}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


def _netns_unavailable() -> str | None:
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    try:
        _ip("netns", "list")
    except (subprocess.SubprocessError, OSError) as exc:
        return f"`ip netns` is unavailable: {exc}"
    return None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="network namespaces need root")
def test_two_nodes_across_a_veth_pair_give_the_one_node_result(one_node):
    reason = _netns_unavailable()
    if reason:
        pytest.skip(reason)
    tag = secrets.token_hex(3)
    ns = [f"c11a{tag}", f"c11b{tag}"]
    veth = [f"vA{tag}", f"vB{tag}"]  # interface names have at most 15 characters
    subnet = f"10.211.{secrets.randbelow(256)}"
    addrs = [f"{subnet}.1", f"{subnet}.2"]
    try:
        try:
            _ip("netns", "add", ns[0])
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot create a network namespace here: {exc.stderr.strip()}")
        _ip("netns", "add", ns[1])
        _ip("link", "add", veth[0], "type", "veth", "peer", "name", veth[1])
        for name, dev, addr in zip(ns, veth, addrs, strict=True):
            _ip("link", "set", dev, "netns", name)
            _ip("-n", name, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", name, "link", "set", "lo", "up")
            _ip("-n", name, "link", "set", dev, "up")
        # gloo and TensorPipe pick their interface by name: the veth end, not lo
        envs = [{"GLOO_SOCKET_IFNAME": dev, "TP_SOCKET_IFNAME": dev} for dev in veth]
        prefix = [["ip", "netns", "exec", name] for name in ns]
        commands = _two_nodes(addrs[0], 29400 + secrets.randbelow(2000), prefix, addrs, envs)
        codes, out, err, seconds = _launch(commands)
        print(f"two nodes across a veth pair: {seconds:.1f} s")
        assert codes == [0, 0], err
        assert _summary(out) == one_node[0]
    finally:
        for name in ns:
            _ip("netns", "del", name, check=False)  # takes the veth end inside it along
        for dev in veth:
            if _ip("link", "show", dev, check=False).returncode == 0:
                _ip("link", "del", dev, check=False)
        left = _ip("netns", "list", check=False).stdout
        assert not any(name in left for name in ns), left
