"""Memory of a process and its children (a JVM, a browser and its renderers), read from /proc.

Used to report what a gatherer costs per portal; on a system without /proc it reports 0.
"""
from __future__ import annotations

import os


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        # the command name (2nd field) may hold spaces and parentheses: split after its closing ')'
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared pages (libraries, a browser's shared memory) counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return _kib(pid, "VmRSS")


def tree_rss_mb(pid: int, peak: bool = False) -> float:
    """Memory of `pid` and all its descendants in MB: their PSS now, or (peak=True) each one's RSS high-water mark."""
    tree = _children()
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _kib(current, "VmHWM") if peak else _pss_kib(current)
        todo.extend(tree.get(current, ()))
    return round(total / 1024, 1)
