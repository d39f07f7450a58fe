"""One /ws/market client: what it subscribes to, and its outgoing frames.

Producers never wait: :meth:`MarketConnection.push` appends a frame (a string shared with
every other subscriber) to a bounded queue and returns. The writer takes everything queued
at once (live/writer.py writes it with one system call), so a burst of the feed costs one
write per client, not one per frame. Unlike the portfolio feed, no frame may be dropped (a
book update lost is a wrong book), so a client whose queue is full is done: :meth:`run`
raises :class:`TooSlowError` and the socket is closed with 4408.
"""

import asyncio
from collections import deque

from prometheus_client import Counter

from bourse.stock.live.writer import Write

SLOW_CLOSED = Counter(
    "bourse_market_ws_slow_closed_total", "/ws/market clients closed for falling behind (4408)"
)
CHANNELS = ("trades", "quotes", "book", "bars")


class TooSlowError(Exception):
    """The client fell so far behind that its queue overflowed."""


class MarketConnection:
    __slots__ = ("_closed", "_frames", "_limit", "_wakeup", "_write", "overflow", "subscribed")

    def __init__(self, write: Write, queue_size: int) -> None:
        self._write = write
        self._limit = queue_size
        self._frames: deque[str] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self.overflow = asyncio.Event()  # set once: the queue overflowed
        self.subscribed: dict[str, set[str]] = {channel: set() for channel in CHANNELS}

    @property
    def subscriptions(self) -> int:
        return sum(len(symbols) for symbols in self.subscribed.values())

    def push(self, frame: str) -> None:
        if self.overflow.is_set() or self._closed:
            return
        if len(self._frames) >= self._limit:
            self.overflow.set()
            self._frames.clear()  # never sent now: free them at once
            SLOW_CLOSED.inc()
        else:
            self._frames.append(frame)
        self._wakeup.set()

    def close(self) -> None:
        """Stop :meth:`run` (the client went away)."""
        self._closed = True
        self._wakeup.set()

    async def run(self) -> None:
        """Write frames in order until :meth:`close`, all those queued at each turn;
        :class:`TooSlowError` on overflow (a writer stuck on a client that does not read
        is cancelled by the caller, who also waits on :attr:`overflow`). While a turn's
        frames are being written the queue fills again, so a client holds at most twice
        the queue's size."""
        while not self._closed:
            if self.overflow.is_set():
                raise TooSlowError
            if not self._frames:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            frames = list(self._frames)
            self._frames.clear()
            await self._write(frames)
