"""JupyterHub for a class on one server: each learner's own Visdom and TensorBoard, with limits.

Use it as ``jupyterhub -f deploy/jupyterhub_config.py`` or, on The Littlest JupyterHub, copy it
to ``/opt/tljh/config/jupyterhub_config.d/course.py`` and run ``sudo tljh-config reload hub``.
See deploy/README.md. Settings (environment variables of the hub):

  COURSE_HUB_PORTS       ports for the learners' side servers, two each (default 20000-20999)
  COURSE_HUB_MEM_LIMIT   memory per learner (default 2G; enforced by SystemdSpawner, TLJH's)
  COURSE_HUB_CPU_LIMIT   cores per learner (default 1)
  COURSE_HUB_SPAWNER     the spawner to extend (default: TLJH's if set, else systemdspawner's)
  COURSE_HUB_PYTHON      the learners' Python, with course_lib installed (default: the hub's)
"""

import os
import sys
from pathlib import Path

from traitlets.utils.importstring import import_item

from course_lib.errors import CourseInputError
from course_lib.tools.hub import DEFAULT_PORTS, LAUNCHER, PORTS_VARIABLE, LearnerServers, PortPool
from course_lib.tools.hub_proxy import proxy_path

c = get_config()  # noqa: F821 - JupyterHub defines get_config() when it loads this file

try:
    pool = PortPool(os.environ.get(PORTS_VARIABLE, DEFAULT_PORTS))
except CourseInputError as exc:
    sys.exit(f"jupyterhub_config.py: {exc}")  # one line, exit status 1

# The spawner to extend: COURSE_HUB_SPAWNER, else the one TLJH has already set, else SystemdSpawner.
base = os.environ.get("COURSE_HUB_SPAWNER") or c.JupyterHub.get("spawner_class") or "systemdspawner.SystemdSpawner"
try:
    base = import_item(base) if isinstance(base, str) else base
except ImportError:
    sys.exit(f"jupyterhub_config.py: the spawner {base} is not installed: install it (SystemdSpawner: "
             "pip install jupyterhub-systemdspawner) or name another in COURSE_HUB_SPAWNER.")


class CourseSpawner(LearnerServers, base):
    """The base spawner, with each learner's side servers on ports of their own (course_lib.tools.hub)."""


CourseSpawner.pool = pool
c.JupyterHub.spawner_class = CourseSpawner

# Each learner's server starts through the launcher, which starts Visdom and TensorBoard on the
# learner's ports and then becomes jupyterhub-singleuser (they die with it).
python = os.environ.get("COURSE_HUB_PYTHON", sys.executable)
singleuser = str(Path(python).with_name("jupyterhub-singleuser"))
c.Spawner.cmd = [python, *LAUNCHER[1:], singleuser]
if os.geteuid() == 0:
    c.Spawner.args = ["--allow-root"]  # a spawner that runs servers as root (JupyterHub answers 500 without)
c.Spawner.default_url = "/lab"

# The proxy provisioned from npm by set-up (python -m course_lib.tools.hub_proxy), if it is there.
if proxy_path().is_file():
    c.ConfigurableHTTPProxy.command = [str(proxy_path())]

# Limits per learner (benchmarks/notebooks.md: the heaviest lesson peaks at 1.1 GiB of PSS).
c.Spawner.mem_limit = os.environ.get("COURSE_HUB_MEM_LIMIT", "2G")
c.Spawner.cpu_limit = float(os.environ.get("COURSE_HUB_CPU_LIMIT", "1"))
