"""Execute a notebook in a fresh kernel, in memory, and measure its wall time and peak PSS.

Shared by ``course progress`` and ``scripts/run_notebooks.py``. Peak memory is the largest PSS
of the kernel and all its children, sampled every 100 ms (see ``course_lib.memory``).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.memory import pss_bytes


@dataclass(frozen=True)
class Run:
    """How one execution went: seconds, peak MiB of PSS, and why it stopped early ("" if it did not)."""

    seconds: float
    peak_mib: float
    stopped: str


def execute(nb: Any, folder: Path, *, timeout: int = 300, allow_errors: bool = False,
            env: dict[str, str] | None = None, on_cell: Callable[[int, int], None] | None = None) -> Run:
    """Run every cell of ``nb`` (modified in place: outputs) with ``folder`` as the working folder.

    With ``allow_errors`` a failing cell does not stop the run; a cell past ``timeout`` seconds,
    or a dead kernel, always does, and ``Run.stopped`` says which. Otherwise errors propagate.
    ``on_cell(k, n)`` is called as the k-th of the n code cells starts (to show progress)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}})
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    running = {"cell": 0}  # the code cell now running, 1-based

    def started(cell: Any, cell_index: int, **_: Any) -> None:
        if cell_index in code:
            running["cell"] = code.index(cell_index) + 1
            if on_cell is not None:
                on_cell(running["cell"], len(code))

    client.on_cell_start = started
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            km = client.km
            proc = getattr(getattr(km, "provisioner", None), "process", None) if km else None
            if proc is not None:
                peak = max(peak, pss_bytes(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stopped = ""
    start = time.perf_counter()
    try:
        kwargs: dict[str, Any] = {"stderr": subprocess.DEVNULL}  # not the kernel's start-up chatter
        if env is not None:
            kwargs["env"] = env
        client.execute(**kwargs)
    except CellTimeoutError:
        if not allow_errors:
            raise
        stopped = f"code cell {running['cell']} ran past the time-out of {timeout} s per cell and was stopped"
    except DeadKernelError:
        if not allow_errors:
            raise
        stopped = f"the kernel died during code cell {running['cell']} (out of memory?)"
    finally:
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return Run(seconds, peak / 2**20, stopped)
