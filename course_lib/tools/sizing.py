"""How much memory and how many cores a class needs, from the lessons' measured peaks.

The peaks are benchmarks/notebooks.md's (each lesson's kernel and children, PSS); the idle
learner and the hub are what tests/test_hub.py measured. ``python -m course_lib.tools.sizing``
prints the table that deploy/README.md shows (a test keeps the two equal).
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from course_lib.errors import CourseInputError
from course_lib.settings import REPO_ROOT

IDLE_LEARNER_MIB = 113 + 178 + 58  # jupyterhub-singleuser, Visdom, TensorBoard, idle (tests/test_hub.py)
HUB_MIB = 111 + 53  # JupyterHub and configurable-http-proxy
MARGIN_MIB = 512  # in the limit, above the heaviest lesson: a second small kernel, a page of output
BUSY_SHARE = 0.25  # the share of a class computing at one moment (an assumption, see deploy/README.md)
CLASSES = (30, 100, 300)
NODE_GIB, NODE_CORES = 64, 16  # an example Kubernetes node
NODE_RESERVED_GIB = 4  # kubelet, system pods, the image pre-puller


@dataclass(frozen=True)
class Sizing:
    """Per-learner memory guarantee and limit (MiB) from the lesson peaks."""

    guarantee_mib: float
    limit_mib: float
    heaviest_mib: float  # idle learner plus the heaviest lesson


def lesson_peaks(text: str) -> dict[str, float]:
    """{notebook: peak PSS in MiB} from benchmarks/notebooks.md's table."""
    rows = re.findall(r"^\| (\d\d_\w+\.ipynb) \| [\d.]+ \| (\d+) \|", text, flags=re.M)
    if not rows:
        raise CourseInputError("benchmarks/notebooks.md: expected its table of lessons "
                               "(| notebook | wall time | peak PSS | ...), found none.")
    return {name: float(mib) for name, mib in rows}


def _round_up(mib: float, step_gib: float) -> float:
    step = step_gib * 1024
    return math.ceil(mib / step) * step


def sizing(peaks: dict[str, float]) -> Sizing:
    """Guarantee: idle learner + the median lesson's peak, rounded up to 0.25 GiB. Limit: idle learner +
    the heaviest lesson's peak + MARGIN_MIB, rounded up to 0.5 GiB."""
    heaviest = IDLE_LEARNER_MIB + max(peaks.values())
    return Sizing(_round_up(IDLE_LEARNER_MIB + statistics.median(peaks.values()), 0.25),
                  _round_up(heaviest + MARGIN_MIB, 0.5), heaviest)


def sizing_table(peaks: dict[str, float]) -> str:
    """The Markdown table of RAM and cores for CLASSES learners."""
    size = sizing(peaks)
    lines = ["| learners | RAM, all at the heaviest lesson | RAM, all at their guarantee | cores | "
             f"Kubernetes nodes of {NODE_GIB} GiB, {NODE_CORES} cores |",
             "|---:|---:|---:|---:|---:|"]
    for n in CLASSES:
        worst = math.ceil((HUB_MIB + n * size.heaviest_mib) / 1024)
        typical = math.ceil((HUB_MIB + n * size.guarantee_mib) / 1024)
        cores = math.ceil(n * BUSY_SHARE) + 1
        nodes = max(math.ceil(n * size.guarantee_mib / 1024 / (NODE_GIB - NODE_RESERVED_GIB)),
                    math.ceil(cores / NODE_CORES))
        lines.append(f"| {n} | {worst} GiB | {typical} GiB | {cores} | {nodes} |")
    return "\n".join(lines)


def main() -> int:
    """Print the per-learner guarantee and limit, then the table."""
    peaks = lesson_peaks((REPO_ROOT / "benchmarks" / "notebooks.md").read_text(encoding="utf-8"))
    size = sizing(peaks)
    print(f"guarantee {size.guarantee_mib / 1024:g}G, limit {size.limit_mib / 1024:g}G per learner\n")
    print(sizing_table(peaks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
