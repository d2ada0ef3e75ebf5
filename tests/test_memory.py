"""course_lib.memory: PSS of a process tree, and giving freed memory back."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from course_lib.errors import CourseInputError
from course_lib.memory import MIB, pss_bytes, pss_mib

CHILD = "import sys, time; block = bytearray(200 * 2**20); sys.stdout.write('ready\\n'); " \
        "sys.stdout.flush(); time.sleep(60)"


def test_pss_of_this_process_is_between_zero_and_its_rss():
    here = pss_bytes(children=False)
    assert 10 * MIB < here <= psutil.Process().memory_info().rss
    assert pss_mib(children=False) == pytest.approx(here / MIB, rel=0.05)


def test_a_child_is_counted_with_children_and_not_without():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        alone, tree = pss_bytes(children=False), pss_bytes()
        assert tree - alone > 190 * MIB  # the child's 200 MiB block, touched by bytearray's zeroing
        assert pss_bytes(child.pid) > 190 * MIB
    finally:
        child.kill()
        child.wait()


def test_an_ended_process_counts_zero():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    time.sleep(0.1)
    assert pss_bytes(proc.pid) == 0


@pytest.mark.parametrize("pid", [True, 0, -3, 1.5, "1", 2**40])
def test_a_bad_pid_is_refused(pid):
    with pytest.raises(CourseInputError, match="pid"):
        pss_bytes(pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_release_gives_freed_small_blocks_back():
    code = (
        "from course_lib.memory import pss_mib, release_freed_memory\n"
        "blocks = [bytearray(64 * 1024) for _ in range(3200)]  # 200 MiB in blocks the heap keeps\n"
        "keep = blocks[::50]\n"
        "del blocks\n"
        "before = pss_mib(children=False)\n"
        "after = release_freed_memory()\n"
        "print(before - after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) > 100  # MiB handed back to the system


def test_the_lessons_kernel_runs_with_two_malloc_arenas():
    """scripts/setup.sh installs the kernel with MALLOC_ARENA_MAX=2 (lesson 06 needs it on Binder)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        out: list[str] = []
        kc.execute_interactive("import os; print(os.environ.get('MALLOC_ARENA_MAX'))", timeout=60,
                               output_hook=lambda msg: out.append(msg["content"].get("text", "")))
        assert "".join(out).strip() == "2"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_children_must_be_a_bool():
    with pytest.raises(CourseInputError, match="children: expected True or False"):
        pss_bytes(children="no")  # a non-empty string used to count the children silently
