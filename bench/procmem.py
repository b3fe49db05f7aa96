"""Memory and CPU of a process tree, and the machine's CPU, read from /proc (Linux only).

PSS (proportional set size) divides each shared page among the processes that map it, so the PSS
of gunicorn's master plus its forked workers adds up to the memory the server really costs, where
summed RSS would count the shared interpreter and library pages once per worker.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[bytes] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3, ``state``, is index 0)."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return raw[raw.rindex(b")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and all its living descendants, found by walking the parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree: list[int] = []
    queue = deque([root])
    while queue:
        pid = queue.popleft()
        if pid != root or (PROC / str(pid)).exists():
            tree.append(pid)
        queue.extend(children.get(pid, ()))
    return tree


def pss_bytes(pid: int) -> int | None:
    """The ``Pss:`` line of /proc/<pid>/smaps_rollup in bytes, or None if the process is gone."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024  # the kernel reports kB (KiB)
    return None


def tree_pss(root: int) -> tuple[int, int]:
    """Summed PSS in bytes of ``root`` and its descendants, and how many processes were counted."""
    total = 0
    counted = 0
    for pid in process_tree(root):
        value = pss_bytes(pid)
        if value is not None:
            total += value
            counted += 1
    return total, counted


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds consumed so far by ``root`` and its living descendants."""
    ticks = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine, all cores (everything but idle and iowait)."""
    with (PROC / "stat").open() as stat:
        fields = stat.readline().split()  # "cpu user nice system idle iowait irq softirq steal ..."
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
