"""How much memory a process really uses (PSS), and handing freed memory back to the system.

PSS (proportional set size) splits each shared page between the processes that map it, so
the PSS of a kernel and its forked workers adds up to what they cost together; summed RSS
would count every shared page once per process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from typing import Any

import psutil

from course_lib.errors import expect, expect_bool, is_int

MIB = 2**20


def pss_bytes(pid: int | None = None, children: bool = True) -> int:
    """PSS in bytes of process ``pid`` (default: this one) and, with ``children``, all its children.

    Returns 0 for a process that has already ended. Where the system does not report PSS
    (macOS, Windows), it falls back to resident memory (RSS), which overcounts shared pages.
    """
    expect(pid is None or (is_int(pid) and 1 <= pid < 2**31), "pid",
           "None or a process id (an int from 1 to 2**31 - 1)", pid)
    expect_bool(children, "children")
    try:
        proc = psutil.Process(os.getpid() if pid is None else int(pid))
        procs = [proc, *(proc.children(recursive=True) if children else [])]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except psutil.Error:  # it ended between listing and asking, or is not ours to read
            continue
        total += getattr(info, "pss", info.rss)
    return total


def pss_mib(pid: int | None = None, children: bool = True) -> float:
    """:func:`pss_bytes` in MiB (2**20 bytes)."""
    return pss_bytes(pid, children) / MIB


def _libc_function(name: str) -> Any:
    """A function of the C library by name, or None (not Linux, not glibc, or not found)."""
    if not sys.platform.startswith("linux"):
        return None
    path = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(path), name, None) if path else None
    except OSError:
        return None


def release_freed_memory() -> float:
    """Collect garbage and ask the C allocator to give freed memory back; return this process's PSS in MiB.

    Memory that Python, torch or NumPy free goes back to the C library's allocator, which keeps
    it for reuse instead of returning it to the system. On Linux with glibc, ``malloc_trim(0)``
    returns the free pages; elsewhere only the garbage collection runs.
    """
    gc.collect()
    trim = _libc_function("malloc_trim")  # musl and macOS have none
    if trim is not None:
        trim(0)
    return pss_mib(children=False)
