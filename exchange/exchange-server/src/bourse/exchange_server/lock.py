"""One writer per shard directory: an exclusive ``flock`` held for the process's life.

A standby replica waits here, not ready and not consuming, until the active one dies
(the kernel releases the lock with the process); only then does it recover from the
journal and start consuming. This keeps two processes from ever appending to one journal.
"""

import asyncio
import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class DirectoryLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "LOCK"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def acquire(self, poll: float = 0.2) -> None:
        """Wait (without blocking the event loop) until this process holds the lock."""
        if self.try_acquire():
            return
        log.warning("%s is held by another process: waiting to take over", self.path)
        while not self.try_acquire():
            await asyncio.sleep(poll)
        log.warning("took over %s", self.path)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None
