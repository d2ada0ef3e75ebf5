"""A class on one JupyterHub server: each learner's own Visdom and TensorBoard ports, and their end.

``deploy/jupyterhub_config.py`` mixes :class:`LearnerServers` into the hub's spawner: it takes
two ports for each learner from ``COURSE_HUB_PORTS`` (a range such as ``20000-20999``), passes
them in the server's environment, starts the server through
``course_lib.tools.learner_servers`` and, when the server stops, ends its process group.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from course_lib.errors import CourseInputError, expect_port

PORTS_VARIABLE = "COURSE_HUB_PORTS"
DEFAULT_PORTS = "20000-20999"  # 500 learners


class PortRangeExhausted(CourseInputError):
    """Every pair of ports in the range belongs to a running learner or to another program."""

    @property
    def jupyterhub_message(self) -> str:
        """What JupyterHub shows instead of "Internal Server Error" (its API and its pages)."""
        return str(self)


def parse_port_range(text: object, name: str = PORTS_VARIABLE) -> tuple[int, int]:
    """``"FIRST-LAST"`` as two ports, FIRST < LAST."""
    first, sep, last = str(text).strip().partition("-")
    try:
        low, high = expect_port(int(first), name), expect_port(int(last), name)
    except ValueError:
        low = high = 0
    if not sep or low >= high:
        raise CourseInputError(f"{name}: expected a port range such as {DEFAULT_PORTS!r} (two ports, "
                               f"the first lower), got {text!r}.")
    return low, high


def _free(port: int) -> bool:
    from course_lib.tools.visdom_server import port_in_use

    return not port_in_use(port)


class PortPool:
    """Hands each learner two ports (Visdom, TensorBoard) from a range; ports in use are skipped."""

    def __init__(self, ports: str = DEFAULT_PORTS, name: str = PORTS_VARIABLE) -> None:
        self.first, self.last = parse_port_range(ports, name)
        self.name = name
        self.held: dict[str, tuple[int, int]] = {}

    def claim(self, learner: str) -> tuple[int, int]:
        """The learner's (Visdom, TensorBoard) ports: the ones they hold, else the first free pair."""
        if learner in self.held:
            return self.held[learner]
        taken = {p for pair in self.held.values() for p in pair}
        for port in range(self.first, self.last, 2):
            pair = (port, port + 1)
            if not taken.intersection(pair) and _free(pair[0]) and _free(pair[1]):
                self.held[learner] = pair
                return pair
        raise PortRangeExhausted(
            f"{self.name} {self.first}-{self.last} is exhausted: no two free ports left for "
            f"{learner!r} ({len(self.held)} learner(s) hold two each); widen the range.")

    def hold(self, learner: str, ports: tuple[int, int]) -> None:
        """Record ports a learner's running server already has (after a hub restart)."""
        self.held[learner] = (expect_port(ports[0]), expect_port(ports[1]))

    def release(self, learner: str) -> None:
        """Give the learner's ports back."""
        self.held.pop(learner, None)


def end_process_group(pgid: int) -> None:
    """SIGTERM whatever is left of a stopped server's process group (its side servers, if any)."""
    if pgid > 1:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


LAUNCHER = [sys.executable, "-m", "course_lib.tools.learner_servers"]


class LearnerServers:
    """Spawner mixin: the learner's ports in the environment, the launcher in front, cleanup at stop."""

    pool: PortPool  # the config sets one pool for the hub
    environment: dict[str, Any]
    user: Any

    def _learner(self) -> str:
        """Whose ports: the user's name, with the server's name for a named server."""
        name = getattr(self, "name", "")
        return f"{self.user.name}/{name}" if name else str(self.user.name)

    def get_env(self) -> dict[str, str]:
        """The spawner's environment plus this learner's two ports."""
        env: dict[str, str] = super().get_env()  # type: ignore[misc]
        visdom, tensorboard = self.pool.claim(self._learner())
        return {**env, "COURSE_VISDOM_PORT": str(visdom), "COURSE_TENSORBOARD_PORT": str(tensorboard)}

    async def stop(self, now: bool = False) -> None:
        """Stop the server as the base spawner does, then its process group; release the ports."""
        pid = getattr(self, "pid", 0)  # a local process spawner's; SystemdSpawner ends its unit itself
        await super().stop(now)  # type: ignore[misc]
        end_process_group(pid)
        self.pool.release(self._learner())

    def get_state(self) -> dict[str, Any]:
        """The base state plus the learner's ports, so a restarted hub keeps them reserved."""
        state: dict[str, Any] = super().get_state()  # type: ignore[misc]
        if self._learner() in self.pool.held:
            state["course_ports"] = list(self.pool.held[self._learner()])
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore the base state and hold the ports a running server has."""
        super().load_state(state)  # type: ignore[misc]
        if "course_ports" in state:
            visdom, tensorboard = state["course_ports"]
            self.pool.hold(self._learner(), (visdom, tensorboard))
