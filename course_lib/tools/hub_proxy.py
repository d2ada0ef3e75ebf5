"""JupyterHub's proxy, configurable-http-proxy, installed once from npm so a class's hub runs offline.

``deploy/configurable-http-proxy/`` pins it (``package.json``) with every dependency and its
sha512 (``package-lock.json``); ``python -m course_lib.tools.hub_proxy`` copies both into
``configurable-http-proxy/`` inside the environment (``.venv/``, never committed) and runs
``npm ci`` there, as ``course_lib.tools.visdom_assets`` does for Visdom. ``--check`` verifies,
without the network, that the pinned version is in place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from course_lib.settings import REPO_ROOT
from course_lib.tools.parsing import OneLineParser

VERSION = "5.3.0"
PINS = REPO_ROOT / "deploy" / "configurable-http-proxy"  # package.json and package-lock.json
SETUP_COMMAND = "python -m course_lib.tools.hub_proxy"
_FILES = ("package.json", "package-lock.json")


class HubProxyError(RuntimeError):
    """npm is missing or failed, or the proxy is not provisioned."""


def install_dir() -> Path:
    """Where the proxy is installed: ``configurable-http-proxy/`` inside the environment."""
    return Path(sys.prefix) / "configurable-http-proxy"


def proxy_path(root: Path | None = None) -> Path:
    """The ``configurable-http-proxy`` executable (it may not exist yet)."""
    return (install_dir() if root is None else root) / "node_modules" / ".bin" / "configurable-http-proxy"


def installed_version(root: Path | None = None) -> str | None:
    """The provisioned proxy's version, or None when it is missing or its lock is not the pinned one."""
    root = install_dir() if root is None else root
    try:
        if any((root / f).read_bytes() != (PINS / f).read_bytes() for f in _FILES):
            return None
        meta = json.loads((root / "node_modules/configurable-http-proxy/package.json").read_text())
    except (OSError, ValueError):
        return None
    return str(meta.get("version")) if proxy_path(root).is_file() else None


def provision(root: Path | None = None) -> bool:
    """Install the pinned proxy with ``npm ci`` unless it is in place; True when it installed."""
    root = install_dir() if root is None else root
    if installed_version(root) == VERSION:
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise HubProxyError("npm was not found on PATH: install Node.js (it ships npm), then run "
                            f"`{SETUP_COMMAND}` again.")
    root.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        shutil.copyfile(PINS / name, root / name)
    cmd = [npm, "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HubProxyError(f"`npm ci` could not run: {exc}") from exc
    if proc.returncode != 0:
        raise HubProxyError(f"`npm ci` failed with exit code {proc.returncode}; is the npm registry "
                            f"reachable? npm said: {(proc.stderr or proc.stdout).strip()[-800:]}")
    if installed_version(root) != VERSION:
        raise HubProxyError(f"`npm ci` finished but {proxy_path(root)} is not version {VERSION}.")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: provision the proxy (default) or ``--check`` it; returns the exit status."""
    parser = OneLineParser(prog=SETUP_COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify it is installed (no network)")
    args = parser.parse_args(argv)
    if args.check:
        if installed_version() != VERSION:
            print(f"[hub proxy] configurable-http-proxy {VERSION} is not provisioned: run "
                  f"`{SETUP_COMMAND}` (it needs npm and the network once).", file=sys.stderr)
            return 1
        print(f"[hub proxy] configurable-http-proxy {VERSION} ready")
        return 0
    try:
        wrote = provision()
    except HubProxyError as exc:
        print(f"[hub proxy] {exc}", file=sys.stderr)
        return 1
    done = "installed from npm" if wrote else "already provisioned"
    print(f"[hub proxy] configurable-http-proxy {VERSION} {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
