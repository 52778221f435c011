"""CPU seconds used by a process and its children, from /proc (Linux); None elsewhere.

CPU time per request shows what throughput hides on a shared machine: how much of the cores
one order costs, whoever else was using them at the time.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def tree_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of pid and its live descendants; None without /proc."""
    stats = process_stats()
    if pid not in stats:
        return None
    members = [pid]
    for member in members:
        members += [child for child, (parent, _) in stats.items() if parent == member]
    return sum(stats[member][1] for member in members) / os.sysconf("SC_CLK_TCK")


def process_stats() -> dict[int, tuple[int, int]]:
    """For every process: its parent's pid, and its user plus system CPU time in ticks."""
    stats = {}
    for entry in PROC.glob("[0-9]*/stat"):
        try:
            text = entry.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # exited since it was listed
        # The fields after the command name (which may hold spaces and parentheses):
        # ppid is the 4th field of the line, utime and stime the 14th and 15th.
        fields = text.rsplit(")", 1)[1].split()
        stats[int(entry.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return stats
