"""Jupyter server settings for Binder: the course's Visdom opens at <your server>/visdom/.

binder/start puts this folder on JUPYTER_CONFIG_PATH (Jupyter reads only the ``ServerApp``
extension switches from ``jupyter_server_config.d/*.json``, so other settings need a file
like this one) and launches Visdom on 127.0.0.1:8097 under the path
``${JUPYTERHUB_SERVICE_PREFIX}visdom`` before Jupyter starts.

jupyter-server-proxy 4.x then forwards ``<server>/visdom/...`` to that port. The entry has
no ``command``: the proxy only forwards to a server that is already running (so a training
loop can post to Visdom before anyone opens the tab). ``absolute_url`` makes it pass the full
path (``/user/<name>/visdom/...``) instead of stripping it, which is why Visdom's base_url is
that same path.
"""

VISDOM_PORT = 8097  # binder/start launches Visdom here; course_lib.live posts here too

c = get_config()  # noqa: F821 - Jupyter defines get_config() when it loads this file
c.ServerProxy.servers = {
    "visdom": {
        "port": VISDOM_PORT,
        "absolute_url": True,
        "new_browser_tab": True,
        "launcher_entry": {"enabled": True, "title": "Visdom", "path_info": "visdom/"},
    }
}
