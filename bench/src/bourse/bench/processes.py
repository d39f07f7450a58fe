"""CPU and memory of processes, as the benchmarks count them (Linux: /proc, getrusage).

The stack's own programs are counted by ``bourse.stack.cpu_seconds`` (per service), one
process by ``bourse.stack.processes.cpu_seconds_of``."""

import resource
from pathlib import Path


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children (e.g. wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid``, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")
