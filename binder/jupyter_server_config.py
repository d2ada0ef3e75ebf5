"""Jupyter server settings for Binder: Visdom opens at <your server>/visdom/ and TensorBoard at
<your server>/tensorboard/.

binder/start puts this folder on JUPYTER_CONFIG_PATH (Jupyter reads only the ``ServerApp``
extension switches from ``jupyter_server_config.d/*.json``, so other settings need a file
like this one) and launches Visdom on 127.0.0.1:8097 under the path
``${JUPYTERHUB_SERVICE_PREFIX}visdom``, and TensorBoard on 127.0.0.1:6006 under
``${JUPYTERHUB_SERVICE_PREFIX}tensorboard``, before Jupyter starts.

jupyter-server-proxy 4.x then forwards ``<server>/<name>/...`` to that port. The entries have
no ``command``: the proxy only forwards to a server that is already running (so a training
loop can post to Visdom before anyone opens the tab). ``absolute_url`` makes it pass the full
path (``/user/<name>/visdom/...``) instead of stripping it, which is why each server's base path
is that same path.
"""

import os

# binder/start launches the servers on these ports and exports them (8097 and 6006 on Binder).
PORTS = {"visdom": int(os.environ.get("COURSE_VISDOM_PORT", "8097")),
         "tensorboard": int(os.environ.get("COURSE_TENSORBOARD_PORT", "6006"))}
TITLES = {"visdom": "Visdom", "tensorboard": "TensorBoard"}

c = get_config()  # noqa: F821 - Jupyter defines get_config() when it loads this file
c.ServerProxy.servers = {
    name: {
        "port": port,
        "absolute_url": True,
        "new_browser_tab": True,
        "launcher_entry": {"enabled": True, "title": TITLES[name], "path_info": f"{name}/"},
    }
    for name, port in PORTS.items()
}
