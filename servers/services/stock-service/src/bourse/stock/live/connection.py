"""One /ws/market client: what it subscribes to, and its outgoing frames.

Producers never wait: :meth:`MarketConnection.push` appends a frame (a string shared with
every other subscriber) to a bounded queue and returns. Everything queued goes out at once:
the hub's :class:`~bourse.common.live.AfterTurn` writes each connection that got frames
right after the turn of the event loop that pushed them (:func:`flush_all`), in one write
(live/writer.py), so a burst of the feed costs one write per client, and no task switch.
Frames the writer cannot take at once (a paused transport, an ASGI send) wait for the
connection's own task (:meth:`run`). Unlike the portfolio feed, no frame may be dropped (a
book update lost is a wrong book), so a client whose queue is full is done: :meth:`run`
raises :class:`TooSlowError` and the socket is closed with 4408.
"""

import asyncio
from collections import deque

from prometheus_client import Counter

from bourse.common.live import AfterTurn
from bourse.stock.live.writer import Writer

SLOW_CLOSED = Counter(
    "bourse_market_ws_slow_closed_total", "/ws/market clients closed for falling behind (4408)"
)
CHANNELS = ("trades", "quotes", "book", "bars")


class TooSlowError(Exception):
    """The client fell so far behind that its queue overflowed."""


class MarketConnection:
    __slots__ = (
        "_closed", "_flusher", "_frames", "_limit", "_wakeup", "_writer", "_writing", "overflow",
        "subscribed",
    )  # fmt: skip

    def __init__(
        self, writer: Writer, queue_size: int, flusher: "AfterTurn[MarketConnection] | None" = None
    ) -> None:
        self._writer = writer
        self._flusher = flusher
        self._limit = queue_size
        self._frames: deque[str] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._writing = False  # run() is writing: later frames must wait for it (order)
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
            self._wakeup.set()
            return
        self._frames.append(frame)
        if self._flusher is None:
            self._wakeup.set()
        else:
            self._flusher.add(self)

    def flush(self) -> None:
        """Write what is queued now if the writer takes it at once; else leave it to
        :meth:`run`."""
        if not self._frames or self._closed or self.overflow.is_set():
            return
        if self._writing or not self._writer.ready():
            self._wakeup.set()
            return
        self._writer.write_now(self._take())

    def _take(self) -> list[str]:
        frames = list(self._frames)
        self._frames.clear()
        return frames

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
            frames = self._take()
            self._writing = True
            try:
                await self._writer.write(frames)
            finally:
                self._writing = False


def flush_all(connections: set[MarketConnection]) -> None:
    """What the hub's :class:`~bourse.common.live.AfterTurn` does after a turn."""
    for connection in connections:
        connection.flush()
