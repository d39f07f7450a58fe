"""The stack's processes as /proc shows them: parents and children (nginx's workers), and
the CPU each part of the stack used (where a benchmark's time goes)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

from bourse.stack.probes import process_states
from bourse.stack.services import BY_NAME


def parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc (one scan)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = int(fields[1])
    return found


def child_pids(pid: int, parents: Mapping[int, int] | None = None) -> set[int]:
    """The child processes of ``pid`` (nginx's workers)."""
    return {child for child, parent in (parents or parent_pids()).items() if parent == pid}


def pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def cpu_seconds_of(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (OSError when it is gone); with ``reaped``,
    also those of its children that ended and that it waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int, *, reaped: bool = False) -> float:
    """:func:`cpu_seconds_of`, 0 for a process that ended while the stack was counted."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        return cpu_seconds_of(pid, reaped=reaped)
    return 0.0


def _pids_running(fragment: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if fragment in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
    return found


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by each service (its replicas and children together), the
    exchange shards, nginx, RabbitMQ and PostgreSQL: where a benchmark's time goes."""
    used: dict[str, float] = {}
    parents = parent_pids()
    for name, info in (process_states() or {}).items():
        pid = int(info.get("pid") or 0)
        if not pid:
            continue
        group = BY_NAME[name].service if name in BY_NAME else name
        group = "exchange" if group.startswith("exchange") else group
        used[group] = used.get(group, 0.0) + sum(map(_cpu_of, {pid, *child_pids(pid, parents)}))
    used["rabbitmq"] = sum(map(_cpu_of, _pids_running("beam.smp")))
    # A PostgreSQL backend ends with its connection and its CPU moves to the postmaster's
    # reaped children: without them, a benchmark that closes connections would see
    # PostgreSQL's CPU go down.
    used["postgres"] = sum(_cpu_of(pid, reaped=True) for pid in _pids_running("postgres"))
    return used
